"""POST /api/v1/imports/: upload a catalog file, a Spack recipe or an xSDK compatibility file.

The same importers as the management commands, the same summary as JSON. Permissions
(DESIGN §5; the rules are ``products.access.catalog_import_refusal``,
``spack_import_refusal`` and ``compat_import_refusal``): hub admins import anything; a
community lead imports only what the API would let them write — per section of a catalog
file, the same access rules as the direct writes; a Spack recipe for a product they may edit
(or a new one), never adding a membership; an xSDK compatibility file for a product they may
assess; only a hub admin may ask a catalog import to create the accounts it names
(``create_accounts``). A refused import is refused as a whole. Anyone else: 403 (401 when
anonymous).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from peso_registry.schema import FIELD_ERRORS_SCHEMA
from products import access as product_access
from products.importers import catalog, spack, xsdk_compat
from products.importers.errors import ImportError_
from products.models import Product
from spokes import access as spoke_access

KINDS = ("catalog", "spack", "xsdk_compat")
MB = 1024 * 1024
# The largest file of each kind. A catalog export of 10,000 products is about 7 MB of YAML
# or 9 MB of JSON (benchmarks/import_10k.py); longer descriptions may double it. Real Spack
# recipes are under 100 KB and xSDK compatibility files under 50 KB.
MAX_UPLOAD = {"catalog": 32 * MB, "spack": 1 * MB, "xsdk_compat": 1 * MB}
# A request body larger than the largest file plus its form fields is refused from its
# Content-Length, before the upload is read at all.
FORM_OVERHEAD = 64 * 1024
MAX_REQUEST = max(MAX_UPLOAD.values()) + FORM_OVERHEAD


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
    create_accounts = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "catalog: create each user the file names (maintainers, assessors) that the "
            "registry lacks, inactive and with an unusable password. Hub admins only."
        ),
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


def read_upload(upload, kind: str) -> tuple[str, str]:
    """(text, file name) of an uploaded file of ``kind``: ImportError_ when it is larger
    than the kind's limit or not UTF-8. The product page's upload form reads it the same way."""
    filename = upload.name or "upload"
    limit = MAX_UPLOAD[kind]
    if upload.size and upload.size > limit:
        raise ImportError_(
            f"the file is larger than {size_text(limit)}, the limit for {kind} files",
            file=filename,
        )
    try:
        return upload.read().decode("utf-8"), filename
    except UnicodeDecodeError as exc:
        raise ImportError_(f"not UTF-8 text ({exc.reason})", file=filename) from None


def declared_size(request) -> int:
    """The request body's size as its Content-Length declares it (0 when absent or bad)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _truthy(value) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def size_text(limit: int) -> str:
    return f"{limit // MB} MB" if limit % MB == 0 else f"{limit} bytes"


class MayImport(BasePermission):
    """Asked before the request body is read: only hub admins and community leads may
    import at all, so nobody else's upload is ever parsed. The per-record rules of
    ``products.access`` follow once the file is read."""

    message = "Only hub admins and community leads may import files."

    def has_permission(self, request, view) -> bool:
        return spoke_access.may_import(request.user)


class UploadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _refuse_if_too_large(request) -> None:
    """A 413 when the declared body is larger than any accepted upload, read from
    Content-Length, so the body itself is not read."""
    if declared_size(request) > MAX_REQUEST:
        largest = size_text(max(MAX_UPLOAD.values()))
        raise UploadTooLarge(f"The upload is too large: files of at most {largest} are accepted.")


def _refuse_unless(refusal: str | None) -> None:
    if refusal is not None:
        raise PermissionDenied(refusal)


class ImportViewSet(viewsets.ViewSet):
    """Imports (catalog file, Spack recipe, xSDK compatibility file)."""

    permission_classes = [IsAuthenticated, MayImport]
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
        # After the permission check (a stranger gets 403 whatever they send), before the
        # body is read.
        _refuse_if_too_large(request)
        form = ImportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        dry_run = _truthy(request.query_params.get("dry_run", request.data.get("dry_run", "")))
        try:
            text, filename = read_upload(data["file"], data["kind"])
            summary = self._run(request.user, data, text, filename, dry_run)
        except ImportError_ as exc:
            return _bad_file(exc)
        return Response(summary.as_dict())

    def _run(self, user, data, text: str, filename: str, dry_run: bool):
        kind = data["kind"]
        if kind == "catalog":
            parsed = catalog.load(text, filename)
            create_accounts = data["create_accounts"]
            _refuse_unless(
                product_access.catalog_import_refusal(user, parsed, create_accounts=create_accounts)
            )
            return catalog.import_catalog(
                parsed, actor=user, dry_run=dry_run, create_accounts=create_accounts
            )
        if kind == "spack":
            package = spack.read_package(filename, source=text, name=data.get("product"))
            community = data.get("community")
            # The write resolves the recipe to its product by the same rule.
            target = spack.resolve_product(package.name)
            _refuse_unless(
                product_access.spack_import_refusal(user, target, package.name, community)
            )
            return spack.import_packages(
                [package], community=community, actor=user, dry_run=dry_run
            )
        product = data["product"]
        target = Product.objects.filter(slug=product).first()
        if target is None:
            raise ImportError_(f"no product {product!r} in the registry", file=filename)
        _refuse_unless(product_access.compat_import_refusal(user, target))
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
