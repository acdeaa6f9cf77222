"""``waivers/`` and ``interoperability/`` on the api/v1/ router (DESIGN §6, §10).

Reads for everyone. A write needs a signed-in user (401) who is a hub admin or leads some
community, checked before the body is read (403); then, once the body names the product
and the policy (or partner), the rule of ``products.access`` for those (403), and the
service (``products.waivers``, ``products.interoperability``) for the rest (400 naming
the field). A waiver is revoked with ``POST waivers/{id}/revoke/``, not DELETE: the row
stays, with who granted it, who revoked it and when, and compliance history can be read
back from it.

Serializers and filters live here beside their two viewsets (as ``imports_api`` keeps
its own), so these endpoints read as one piece.
"""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.routers import DefaultRouter

from events.validation import validate_web_url
from peso_registry.conditional import ResourceViewSet, check_if_match
from products import access as product_access
from products import interoperability, waivers
from products.models import Interoperability, Product, Waiver, current_waiver_q
from spokes.models import PolicySet
from spokes.permissions import ReadOnly, SignedIn

WRITE_ERRORS = "400: invalid fields; 401: not signed in; 403: not allowed; 412: stale If-Match."
GRANTERS = (
    "A lead or co-lead of the community that owns the policy's set, or a hub admin; a "
    "policy of the hub's own set (E4S, no owner) only hub admins and leads of the hub."
)
CONFIRMERS = "A lead of a community either product is an active member of, or a hub admin."


# --- Permissions ----------------------------------------------------------------------


class CanGrantWaiver(SignedIn):
    """Before the body: hub admins and leads of some community. On a waiver: whoever may
    grant it (``products.access.can_revoke_waiver``)."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and product_access.may_grant_waivers(
            request.user
        )

    def has_object_permission(self, request, view, obj) -> bool:
        return product_access.can_revoke_waiver(request.user, obj)


class CanConfirmInteroperability(SignedIn):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(
            request, view
        ) and product_access.may_confirm_interoperability(request.user)


# --- Serializers ----------------------------------------------------------------------


class WaiverSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    policy_set = serializers.SlugRelatedField(
        source="policy.policy_set", slug_field="slug", read_only=True
    )
    policy = serializers.CharField(source="policy.code", read_only=True)
    policy_version = serializers.CharField(source="policy.version", read_only=True)
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    in_force = serializers.BooleanField(
        read_only=True, help_text="Not revoked and not past `expires_on`: counts as met."
    )
    url = serializers.HyperlinkedIdentityField(view_name="api-waiver-detail")

    class Meta:
        model = Waiver
        fields = (
            "id",
            "product",
            "policy_set",
            "policy",
            "policy_version",
            "reason",
            "expires_on",
            "granted_by",
            "granted_at",
            "revoked_at",
            "in_force",
            "url",
        )


class WaiverWriteSerializer(serializers.Serializer):
    """`policy` is the code of an effective policy of `policy_set` (an inherited code names
    the base set's policy, and the waiver is of that policy)."""

    product = serializers.SlugField()
    policy_set = serializers.SlugField()
    policy = serializers.CharField(max_length=16)
    reason = serializers.CharField()
    expires_on = serializers.DateField(help_text="The last day in force; after today.")


class InteroperabilitySerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    partner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    confirmed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-interoperability-detail")

    class Meta:
        model = Interoperability
        fields = (
            "id",
            "product",
            "partner",
            "evidence_url",
            "note",
            "confirmed_by",
            "confirmed_at",
            "url",
        )


class InteroperabilityWriteSerializer(serializers.Serializer):
    product = serializers.SlugField()
    partner = serializers.SlugField()
    evidence_url = serializers.URLField(max_length=500, validators=[validate_web_url])
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- Filters --------------------------------------------------------------------------


class WaiverFilter(django_filters.FilterSet):
    product = django_filters.CharFilter(field_name="product__slug", help_text="Product slug.")
    policy_set = django_filters.CharFilter(
        field_name="policy__policy_set__slug", help_text="Policy set slug (the policy's own)."
    )
    policy = django_filters.CharFilter(field_name="policy__code", help_text="Policy code.")
    # A choice rather than a BooleanFilter, so `current=maybe` is a 400, not ignored.
    current = django_filters.ChoiceFilter(
        choices=(("true", "true"), ("false", "false")),
        method="filter_current",
        help_text="true: in force today; false: revoked or expired.",
    )

    class Meta:
        model = Waiver
        fields = ("product", "policy_set", "policy", "current")

    def filter_current(self, queryset, name, value):
        in_force = current_waiver_q()
        return queryset.filter(in_force if value == "true" else ~in_force)


class InteroperabilityFilter(django_filters.FilterSet):
    product = django_filters.CharFilter(
        method="filter_product", help_text="Product slug, on either side of the pair."
    )
    partner = django_filters.CharFilter(field_name="partner__slug", help_text="Partner slug.")

    class Meta:
        model = Interoperability
        fields = ("product", "partner")

    def filter_product(self, queryset, name, value):
        return queryset.filter(Q(product__slug=value) | Q(partner__slug=value))


# --- Viewsets -------------------------------------------------------------------------


def _product(slug: str, field: str) -> Product:
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        raise ValidationError({field: [f"No product {slug!r}."]})
    return product


@extend_schema_view(
    list=extend_schema(
        summary="List waivers",
        description="Newest grant first; `current=true` keeps those in force today.",
    ),
    retrieve=extend_schema(summary="A waiver", description="Carries an ETag."),
    create=extend_schema(
        summary="Waive a policy for a product",
        description="While in force (not revoked, `expires_on` today or later) the policy "
        "counts as met. The policy must be an effective policy of a set the product is held "
        "to (its communities' sets and the hub's); `reason` is required; `expires_on` must "
        "be after today. 409: the policy is already waived for the product (revoke that "
        "waiver first). " + GRANTERS + " " + WRITE_ERRORS,
        request=WaiverWriteSerializer,
        responses={201: WaiverSerializer},
    ),
    revoke=extend_schema(
        summary="Revoke a waiver",
        description="Ends it now (`revoked_at`); the record stays. "
        + GRANTERS
        + " 409: already revoked or expired. "
        + WRITE_ERRORS,
        request=None,
        responses={200: WaiverSerializer},
    ),
)
class WaiverViewSet(ResourceViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = WaiverSerializer
    write_serializer_class = WaiverWriteSerializer
    filterset_class = WaiverFilter
    permission_classes = [ReadOnly | CanGrantWaiver]
    http_method_names = ["get", "post", "head", "options"]
    conflict_actions = ("create", "revoke")

    def get_queryset(self):
        return Waiver.objects.select_related(
            "product", "policy__policy_set", "granted_by"
        ).order_by("-granted_at", "-pk")

    def perform_post(self, data: dict) -> Waiver:
        product = _product(data["product"], "product")
        policy_set = PolicySet.objects.filter(slug=data["policy_set"]).first()
        if policy_set is None:
            raise ValidationError({"policy_set": [f"No policy set {data['policy_set']!r}."]})
        code = data["policy"]
        policy = next((p for p in policy_set.effective_policies() if p.code == code), None)
        if policy is None:
            raise ValidationError(
                {"policy": [f"{policy_set.slug} {policy_set.version} has no policy {code!r}."]}
            )
        if not product_access.can_grant_waiver(self.request.user, product, policy):
            raise PermissionDenied(GRANTERS)
        return waivers.grant_waiver(
            product=product,
            policy=policy,
            by=self.request.user,
            reason=data["reason"],
            expires_on=data["expires_on"],
        )

    @action(detail=True, methods=["post"], filterset_class=None)
    def revoke(self, request, pk=None):
        with transaction.atomic():
            self.lock_target()
            waiver = self.get_object()  # 404, then the object permission: 403
            check_if_match(request, self.represent(waiver))
            waivers.revoke_waiver(waiver=waiver, by=request.user)
        return self.respond(waiver)


@extend_schema_view(
    list=extend_schema(
        summary="List confirmed interoperability",
        description="Pairs of products a lead confirmed work together, with evidence. "
        "`product` matches either side.",
    ),
    retrieve=extend_schema(summary="A confirmation", description="Carries an ETag."),
    create=extend_schema(
        summary="Confirm that two products work together (upsert)",
        description="201 when new; 200 when the pair was confirmed before (its evidence "
        "and note are replaced; the old ones stay in its history). `evidence_url` is an "
        "http(s) address. The onramp checklist's interoperability item accepts it. "
        + CONFIRMERS
        + " "
        + WRITE_ERRORS,
        request=InteroperabilityWriteSerializer,
        responses={200: InteroperabilitySerializer, 201: InteroperabilitySerializer},
    ),
)
class InteroperabilityViewSet(ResourceViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = InteroperabilitySerializer
    write_serializer_class = InteroperabilityWriteSerializer
    filterset_class = InteroperabilityFilter
    permission_classes = [ReadOnly | CanConfirmInteroperability]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return Interoperability.objects.select_related(
            "product", "partner", "confirmed_by"
        ).order_by("-confirmed_at", "-pk")

    def create(self, request, *args, **kwargs):
        serializer = self.get_write_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        product = _product(data["product"], "product")
        partner = _product(data["partner"], "partner")
        if not product_access.can_confirm_interoperability(request.user, product, partner):
            raise PermissionDenied(CONFIRMERS)
        with transaction.atomic():
            existing = (
                self.get_queryset()
                .select_for_update(of=("self",))
                .filter(product=product, partner=partner)
                .first()
            )
            if request.headers.get("If-Match"):
                check_if_match(request, self.represent(existing) if existing else None)
            row, created = interoperability.confirm_interoperability(
                product=product,
                partner=partner,
                by=request.user,
                evidence_url=data["evidence_url"],
                note=data["note"],
            )
        return self.respond(row, status=201 if created else 200)


def register(router: DefaultRouter) -> None:
    router.register("waivers", WaiverViewSet, basename="api-waiver")
    router.register("interoperability", InteroperabilityViewSet, basename="api-interoperability")
