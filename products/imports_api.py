"""POST /api/v1/imports/: upload a catalog file, a Spack recipe or an xSDK compatibility file.

The same importers as the management commands, the same summary as JSON. Permissions
(DESIGN §5, kept strict): hub admins import anything; a community lead imports a Spack
recipe or an xSDK compatibility file for a product of a community they lead, and a catalog
file only when every product it touches (``uses`` included) is a member of a community they
lead and the file has no ``communities`` / ``policy_sets`` / ``stakeholders`` sections.
Anyone else: 403 (401 when anonymous).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from accounts import roles
from peso_registry.schema import FIELD_ERRORS_SCHEMA
from products.importers import catalog, spack, xsdk_compat
from products.importers.errors import ImportError_
from products.models import Membership, Product
from spokes import access as spokes_access
from spokes.models import Community

KINDS = ("catalog", "spack", "xsdk_compat")
MAX_UPLOAD = 50 * 1024 * 1024


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=KINDS)
    product = serializers.SlugField(
        required=False, help_text="Product slug (required for xsdk_compat)."
    )
    community = serializers.SlugField(
        required=False, help_text="Spack: also make the product an active member of it."
    )
    evidence_url = serializers.URLField(
        required=False, allow_blank=True, help_text="xsdk_compat: where the file is published."
    )

    def validate(self, attrs):
        if attrs["kind"] == "xsdk_compat" and not attrs.get("product"):
            raise serializers.ValidationError({"product": ["Required for kind xsdk_compat."]})
        return attrs


def _bad_file(exc: ImportError_) -> Response:
    return Response(
        {"detail": exc.detail, "errors": [p.as_dict() for p in exc.errors]},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _truthy(value) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def _led_product_slugs(user, slugs: set[str]) -> set[str]:
    """Which of these products are active members of a community the user leads."""
    leads = spokes_access.lead_community_ids(user)
    if not leads or not slugs:
        return set()
    return set(
        Membership.objects.active()
        .filter(community_id__in=leads, product__slug__in=slugs)
        .values_list("product__slug", flat=True)
    )


def _check_catalog(user, parsed: catalog.Catalog) -> None:
    if roles.is_hub_admin(user):
        return
    if not spokes_access.lead_community_ids(user):
        raise PermissionDenied("Only hub admins and community leads may import catalog files.")
    if parsed.communities or parsed.policy_sets or parsed.stakeholders:
        raise PermissionDenied(
            "Only hub admins may import communities, policy sets or stakeholders; remove "
            "those sections."
        )
    led_slugs = set(
        Community.objects.filter(pk__in=spokes_access.lead_community_ids(user)).values_list(
            "slug", flat=True
        )
    )
    for m in parsed.memberships:
        if m["community"] not in led_slugs:
            raise PermissionDenied(
                f"The file changes a membership in {m['community']!r}, which you do not lead."
            )
    touched = parsed.product_slugs()
    # A new product may come in with a membership (in the file) of a community they lead.
    joining = {m["product"] for m in parsed.memberships if m.get("state", "active") == "active"}
    allowed = _led_product_slugs(user, touched) | joining
    outside = sorted(touched - allowed)
    if outside:
        shown = ", ".join(outside[:10]) + (" ..." if len(outside) > 10 else "")
        raise PermissionDenied(f"These products are not members of a community you lead: {shown}.")


def _check_product(user, slug: str, community: str | None = None) -> None:
    """Spack / xSDK imports: the product must be in a community the user leads (or, for a
    new Spack product, be joining one they lead)."""
    if roles.is_hub_admin(user):
        return
    if not spokes_access.lead_community_ids(user):
        raise PermissionDenied("Only hub admins and community leads may import files.")
    if community is not None:
        target = Community.objects.filter(slug=community).first()
        if target is not None and not spokes_access.is_community_lead(user, target):
            raise PermissionDenied(f"You do not lead {community!r}.")
    if _led_product_slugs(user, {slug}):
        return
    exists = Product.objects.filter(slug=slug).exists()
    if not exists and community is not None:
        return  # a new product joining the community they lead
    raise PermissionDenied(f"{slug!r} is not a member of a community you lead.")


class ImportViewSet(viewsets.ViewSet):
    """Imports (catalog file, Spack recipe, xSDK compatibility file)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]  # a file upload: url-encoded forms cannot carry it

    @extend_schema(
        request=ImportRequestSerializer,
        parameters=[
            OpenApiParameter(
                "dry_run", bool, description="Report what would change; write nothing."
            )
        ],
        responses={
            200: inline_serializer(
                "ImportSummary",
                {
                    "kind": serializers.CharField(),
                    "dry_run": serializers.BooleanField(),
                    "changes": serializers.DictField(),
                    "warnings": serializers.ListField(child=serializers.CharField()),
                    "numbering": serializers.CharField(required=False, allow_null=True),
                    "unplaced": serializers.ListField(required=False),
                    "skipped": serializers.ListField(required=False),
                },
            ),
            # A bad file (`detail` and the file's `errors`), or a bad form (field errors).
            400: {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {
                            "detail": {"type": "string"},
                            "errors": {"type": "array", "items": {"type": "object"}},
                        },
                        "required": ["detail", "errors"],
                    },
                    FIELD_ERRORS_SCHEMA,
                ]
            },
        },
    )
    def create(self, request):
        form = ImportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data["file"]
        filename = upload.name or "upload"
        dry_run = _truthy(request.query_params.get("dry_run", request.data.get("dry_run", "")))
        try:
            if upload.size and upload.size > MAX_UPLOAD:
                raise ImportError_("the file is larger than 50 MB", file=filename)
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportError_(f"not UTF-8 text ({exc.reason})", file=filename) from None
            summary = self._run(request.user, data, text, filename, dry_run)
        except ImportError_ as exc:
            return _bad_file(exc)
        return Response(summary.as_dict())

    def _run(self, user, data, text: str, filename: str, dry_run: bool):
        kind = data["kind"]
        if kind == "catalog":
            parsed = catalog.load(text, filename)
            _check_catalog(user, parsed)
            return catalog.import_catalog(parsed, actor=user, dry_run=dry_run)
        if kind == "spack":
            package = spack.read_package(filename, source=text, name=data.get("product"))
            community = data.get("community")
            _check_product(user, package.name, community)
            return spack.import_packages(
                [package], community=community, actor=user, dry_run=dry_run
            )
        product = data["product"]
        if not Product.objects.filter(slug=product).exists():
            raise ImportError_(f"no product {product!r} in the registry", file=filename)
        _check_product(user, product)
        return xsdk_compat.import_compat(
            text,
            filename=filename,
            product=product,
            evidence_url=data.get("evidence_url", ""),
            actor=user,
            dry_run=dry_run,
        )


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    router.register("imports", ImportViewSet, basename="api-import")
