"""API viewsets for products, their compliance, assessments and events (DESIGN §6).

Registered on the api/v1/ router by `register`. Writes go through products.services;
permissions are in products.permissions; filters in products.filters.
"""

from __future__ import annotations

import re

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from peso_registry.conditional import (
    SLUG_RE,
    ResourceViewSet,
    SlugResourceViewSet,
    check_if_match,
    etag_for,
    with_etag,
)
from peso_registry.schema import NOT_BLANK
from products import access as product_access
from products import services
from products.compliance import summaries_for
from products.filters import AssessmentFilter, ProductFilter, by_name
from products.models import Assessment, Dependency, Membership, Product, ProductUse, Stakeholder
from products.permissions import (
    CanAssess,
    CanEditProduct,
    CanManageStakeholders,
    CanRecordUse,
    ReadOnly,
)
from products.serializers import (
    BULK_ASSESSMENTS_MAX,
    AssessmentBulkResultSerializer,
    AssessmentBulkWriteSerializer,
    AssessmentPatchSerializer,
    AssessmentSerializer,
    AssessmentWriteSerializer,
    ProductComplianceSerializer,
    ProductListRows,
    ProductSerializer,
    ProductUseSerializer,
    ProductUseWriteSerializer,
    ProductWriteSerializer,
    StakeholderSerializer,
    StakeholderWriteSerializer,
)
from spokes.models import PolicySet

User = get_user_model()
WRITE_ERRORS = "400: invalid fields; 401: not signed in; 403: not allowed; 412: stale If-Match."


def _uses_with_stakeholders():
    return ProductUse.objects.select_related("stakeholder").order_by("stakeholder__name", "pk")


USE_PERMISSION = (
    "Hub admins, leads of a community the product belongs to, and the stakeholder's own "
    "contacts (for that stakeholder's uses)."
)


@extend_schema_view(
    list=extend_schema(summary="List products", description="Filterable, sortable, paginated."),
    retrieve=extend_schema(
        summary="A product",
        description="Embeds memberships, dependencies, dependents, the stakeholders recorded "
        "as using it (`used_by`) and a compliance summary per policy set. The response "
        "carries an ETag; send it back as If-Match on PATCH.",
    ),
    create=extend_schema(
        summary="Register a product",
        description="Any signed-in user; the creator becomes a maintainer. " + WRITE_ERRORS,
        request=ProductWriteSerializer,
        responses={201: ProductSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a product",
        description="Maintainers and hub admins. `dependencies` replaces the manual "
        "dependencies (Spack and imported ones stay). " + WRITE_ERRORS,
        request=ProductWriteSerializer,
        responses={200: ProductSerializer},
    ),
)
class ProductViewSet(SlugResourceViewSet):
    query_param_actions = ("compliance",)
    serializer_class = ProductSerializer
    write_serializer_class = ProductWriteSerializer
    filterset_class = ProductFilter
    permission_classes = [ReadOnly | CanEditProduct]
    # DELETE only where an action maps it (`uses/{stakeholder}/`); a product is never deleted.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        products = Product.objects.order_by(*by_name())
        if self.action in ("list", "retrieve"):
            return products  # rows read as plain values (`list`, `retrieve`)
        return products.prefetch_related(
            "areas",
            "maintainers",
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related(
                    "community__policy_set__base", "successor"
                ).order_by(*Membership._meta.ordering, "pk"),
            ),
            Prefetch("dependencies", queryset=Dependency.objects.select_related("depends_on")),
            Prefetch("dependents", queryset=Dependency.objects.select_related("product")),
            # `used_by`: one more query per page, whatever the page size.
            Prefetch("uses", queryset=_uses_with_stakeholders()),
        )

    def list(self, request, *args, **kwargs):
        """The page's rows as ``ProductSerializer`` writes them, built from plain values in
        a fixed number of queries (``ProductListRows``)."""
        rows = ProductListRows(self.get_serializer())
        products = rows.values(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(products)
        if page is None:
            return Response(rows.build(list(products)))
        return self.get_paginated_response(rows.build(page))

    def retrieve(self, request, *args, **kwargs):
        """The product as ``ProductSerializer`` writes it, built as a row of the list is
        (``ProductListRows``: plain values, no model instance), with its ETag."""
        rows = ProductListRows(self.get_serializer())
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        products = self.filter_queryset(self.get_queryset()).filter(**{self.lookup_field: lookup})
        found = list(rows.values(products)[:2])
        if len(found) != 1:
            raise NotFound("No Product matches the given query.")
        # Reading is open to everyone (``ReadOnly``): the check reads nothing of the row.
        self.check_object_permissions(request, Product(pk=found[0]["pk"], slug=found[0]["slug"]))
        return with_etag(request, Response(rows.build(found)[0]))

    def perform_post(self, data: dict) -> Product:
        return services.create_product(by=self.request.user, **data)

    def perform_patch(self, instance: Product, data: dict) -> None:
        services.update_product(product=instance, by=self.request.user, **data)

    @extend_schema(
        summary="Compliance of a product against a policy set",
        description="One item per effective policy of the set (inherited ones marked), "
        "with the product's assessment or `unknown`. 400 when `policy_set` is missing or "
        "unknown; 404 for an unknown product.",
        parameters=[
            OpenApiParameter(
                "policy_set",
                OpenApiTypes.STR,
                required=True,
                # A blank value is refused like a missing one (400): not a valid slug.
                pattern=NOT_BLANK,
                description="Policy set slug (e.g. xsdk).",
            )
        ],
        responses={200: ProductComplianceSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def compliance(self, request, slug=None):
        product = get_object_or_404(Product, slug=slug)
        set_slug = request.query_params.get("policy_set", "").strip()
        if not set_slug:
            raise ValidationError({"policy_set": ["This query parameter is required."]})
        policy_set = None
        if re.fullmatch(SLUG_RE, set_slug):
            policy_set = PolicySet.objects.select_related("base").filter(slug=set_slug).first()
        if policy_set is None:
            raise ValidationError({"policy_set": [f"No policy set {set_slug!r}."]})
        summary = summaries_for([product], [policy_set])[product.pk][policy_set.slug]
        data = ProductComplianceSerializer(
            {
                "product": product.slug,
                "policy_set": policy_set.slug,
                "version": policy_set.version,
                "summary": summary.as_dict(),
                "policies": summary.items,
            }
        ).data
        return with_etag(request, Response(data))

    def _product_for_uses(self, request, slug: str, stakeholder: object = None) -> Product:
        """The product, once the user may write the use of the stakeholder named (by the
        body or the path; an unknown one is asked as None: only those who may record any
        stakeholder's use get past, to a 400 or 404)."""
        product = get_object_or_404(Product, slug=slug)
        self.use_stakeholder = (
            Stakeholder.objects.filter(slug=stakeholder).first()
            if isinstance(stakeholder, str) and re.fullmatch(SLUG_RE, stakeholder)
            else None
        )
        # Permission before anything else: a refused write changes nothing.
        self.check_object_permissions(request, product)
        return product

    @extend_schema(
        methods=["GET"],
        summary="Stakeholders recorded as using a product",
        description="By stakeholder name, with the criticality, note, contact and source of "
        "each record. "
        "404 for an unknown product.",
        responses={200: ProductUseSerializer(many=True)},
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        summary="Record that a stakeholder uses a product (upsert)",
        description="Adds the use (201), or updates the criticality, note, contact and "
        "source of the existing one (200; fields left out keep their values; a new use is "
        "`important` unless it says otherwise). The offramp checklist lists the product's "
        "users with its dependents, and an offramp of a product a stakeholder marks "
        "`critical` waits for the approver to acknowledge it. "
        + USE_PERMISSION
        + " 400: unknown stakeholder or invalid fields; 401: not signed in; 403: not "
        "allowed; 404: unknown product; 412: stale If-Match (the ETag of the use).",
        request=ProductUseWriteSerializer,
        responses={200: ProductUseSerializer, 201: ProductUseSerializer},
        filters=False,
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="uses",
        permission_classes=[ReadOnly | CanRecordUse],
        filterset_class=None,
        pagination_class=None,
    )
    def uses(self, request, slug=None):
        named = request.data.get("stakeholder") if isinstance(request.data, dict) else None
        product = self._product_for_uses(request, slug, named)
        if request.method == "GET":
            rows = _uses_with_stakeholders().filter(product=product).select_related("product")
            return with_etag(request, Response(ProductUseSerializer(rows, many=True).data))
        serializer = ProductUseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stakeholder = data.pop("stakeholder")
        with transaction.atomic():
            if request.headers.get("If-Match"):
                existing = (
                    ProductUse.objects.select_for_update()
                    .filter(product=product, stakeholder=stakeholder)
                    .first()
                )
                check_if_match(request, ProductUseSerializer(existing).data if existing else None)
            use, created = services.record_use(
                product=product, stakeholder=stakeholder, by=request.user, **data
            )
        response = Response(ProductUseSerializer(use).data, status=201 if created else 200)
        response["ETag"] = etag_for(response.data)
        return response

    @extend_schema(
        summary="Forget that a stakeholder uses a product",
        description="The record's history stays. "
        + USE_PERMISSION
        + " 401: not signed in; 403: not allowed; 404: unknown product, or the stakeholder "
        "is not recorded as using it.",
        request=None,
        responses={204: None},
        filters=False,
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"uses/(?P<stakeholder>[-a-zA-Z0-9_]+)",
        url_name="use-detail",
        permission_classes=[ReadOnly | CanRecordUse],
        filterset_class=None,
        pagination_class=None,
    )
    def remove_use(self, request, slug=None, stakeholder=None):
        product = self._product_for_uses(request, slug, stakeholder)
        target = get_object_or_404(Stakeholder, slug=stakeholder)
        existing = product.uses.filter(stakeholder=target).select_related("stakeholder").first()
        # A stale If-Match (the use changed since it was read) refuses the delete: 412.
        check_if_match(request, ProductUseSerializer(existing).data if existing else None)
        if not services.remove_use(product=product, stakeholder=target, by=request.user):
            raise NotFound(f"{target.slug!r} is not recorded as using {product.slug!r}.")
        return Response(status=204)


class StakeholderFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Stakeholder.Kind.choices)
    product = django_filters.CharFilter(
        field_name="uses__product__slug", distinct=True, help_text="Slug of a product it uses."
    )

    class Meta:
        model = Stakeholder
        fields = ("kind", "product")


@extend_schema_view(
    list=extend_schema(
        summary="List stakeholders",
        description="Facilities, application teams, vendors, agencies, industry and "
        "international partners, each with the products it is recorded as using.",
    ),
    retrieve=extend_schema(summary="A stakeholder", description="Carries an ETag."),
    create=extend_schema(
        summary="Record a stakeholder",
        description="Hub admins only; `contacts` names the registry users who speak for it "
        "(they may record its uses). " + WRITE_ERRORS,
        request=StakeholderWriteSerializer,
        responses={201: StakeholderSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a stakeholder",
        description="Hub admins change any field but the slug; the stakeholder's own "
        "contacts change only its `website` and `summary`. " + WRITE_ERRORS,
        request=StakeholderWriteSerializer,
        responses={200: StakeholderSerializer},
    ),
)
class StakeholderViewSet(SlugResourceViewSet):
    serializer_class = StakeholderSerializer
    write_serializer_class = StakeholderWriteSerializer
    filterset_class = StakeholderFilter
    permission_classes = [ReadOnly | CanManageStakeholders]

    def get_queryset(self):
        return Stakeholder.objects.order_by("name", "pk").prefetch_related(
            Prefetch(
                "uses",
                queryset=ProductUse.objects.select_related("product").order_by(
                    "product__name", "pk"
                ),
            ),
            Prefetch("contacts", queryset=User.objects.order_by(User.USERNAME_FIELD)),
        )

    def perform_post(self, data: dict) -> Stakeholder:
        return services.create_stakeholder(by=self.request.user, **data)

    def perform_patch(self, instance: Stakeholder, data: dict) -> None:
        services.update_stakeholder(stakeholder=instance, by=self.request.user, **data)


@extend_schema_view(
    list=extend_schema(summary="List assessments"),
    retrieve=extend_schema(summary="An assessment", description="Carries an ETag."),
    create=extend_schema(
        summary="Assess a product against a policy (upsert)",
        description="Creates or replaces the assessment of (`product`, `policy`): 201 when "
        "created, 200 when replaced. `policy` is the code of an effective policy of "
        "`policy_set`. `justification` is required for `partial` and `na`. Maintainers, "
        "leads of a community the product belongs to, hub admins. If-Match (when sent) "
        "must match the existing assessment. " + WRITE_ERRORS,
        request=AssessmentWriteSerializer,
        responses={200: AssessmentSerializer, 201: AssessmentSerializer},
    ),
    partial_update=extend_schema(
        summary="Change an assessment",
        description=WRITE_ERRORS,
        request=AssessmentPatchSerializer,
        responses={200: AssessmentSerializer},
    ),
)
class AssessmentViewSet(ResourceViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = AssessmentSerializer
    write_serializer_class = AssessmentPatchSerializer
    filterset_class = AssessmentFilter
    permission_classes = [ReadOnly | CanAssess]

    def get_queryset(self):
        return Assessment.objects.select_related(
            "product", "policy__policy_set", "assessed_by"
        ).order_by("product__name", "policy__policy_set__slug", "policy__position", "pk")

    def create(self, request, *args, **kwargs):
        serializer = AssessmentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        product = Product.objects.filter(slug=data.pop("product")).first()
        if product is None:
            raise ValidationError({"product": ["No such product."]})
        if not product_access.can_assess(request.user, product):
            raise PermissionDenied(
                "Only the product's maintainers, leads of its communities or a hub admin "
                "may assess it."
            )
        policy_set = PolicySet.objects.filter(slug=data.pop("policy_set")).first()
        if policy_set is None:
            raise ValidationError({"policy_set": ["No such policy set."]})
        code = data.pop("policy")
        policy = next((p for p in policy_set.effective_policies() if p.code == code), None)
        if policy is None:
            raise ValidationError(
                {"policy": [f"{policy_set.slug} {policy_set.version} has no policy {code!r}."]}
            )
        with transaction.atomic():
            existing = (
                self.get_queryset()
                .select_for_update(of=("self",))
                .filter(product=product, policy=policy)
                .first()
            )
            if request.headers.get("If-Match"):
                check_if_match(request, self.represent(existing) if existing else None)
            assessment, created = services.upsert_assessment(
                product=product, policy=policy, by=request.user, **data
            )
        return self.respond(assessment, status=201 if created else 200)

    @extend_schema(
        summary="Assess a product against many policies at once (bulk upsert)",
        description="Creates or replaces the assessments of one `product`, all or nothing: "
        "each item of `assessments` is validated as the single upsert validates it, and any "
        'invalid item answers 400 naming its index and field (`{"assessments": {"3": '
        '{"status": [...]}}}`) with nothing written. Each `policy` is the code of an '
        "effective policy of `policy_set`, at most once per call; at most "
        f"{BULK_ASSESSMENTS_MAX} items. An item equal to the stored assessment is left "
        "unchanged. Answers the assessments in the order sent with the counts `created`, "
        "`updated` and `unchanged`. Maintainers, leads of a community the product belongs "
        "to, hub admins. 400: invalid fields; 401: not signed in; 403: not allowed.",
        request=AssessmentBulkWriteSerializer,
        responses={200: AssessmentBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        product = self._product_to_assess(request)
        serializer = AssessmentBulkWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        policy_set = PolicySet.objects.filter(slug=data["policy_set"]).first()
        if policy_set is None:
            raise ValidationError({"policy_set": ["No such policy set."]})
        effective = {p.code: p for p in policy_set.effective_policies()}
        items, errors, seen = [], {}, set()
        for index, item in enumerate(data["assessments"]):
            values = dict(item)
            code = values.pop("policy")
            policy = effective.get(code)
            if policy is None:
                errors[str(index)] = {
                    "policy": [f"{policy_set.slug} {policy_set.version} has no policy {code!r}."]
                }
                continue
            if code in seen:
                errors[str(index)] = {"policy": [f"Policy {code!r} appears more than once."]}
                continue
            seen.add(code)
            try:
                services.check_assessment_values(
                    status=values["status"],
                    justification=values["justification"],
                    evidence_url=values["evidence_url"],
                )
            except DjangoValidationError as exc:
                errors[str(index)] = exc.message_dict
                continue
            items.append((policy, values))
        if errors:
            raise ValidationError({"assessments": errors})
        rows, counts = services.upsert_assessments(product=product, items=items, by=request.user)
        by_pk = self.get_queryset().in_bulk([row.pk for row in rows])
        result = AssessmentBulkResultSerializer(
            {**counts, "assessments": [by_pk[row.pk] for row in rows]},
            context=self.get_serializer_context(),
        )
        return Response(result.data)

    def _product_to_assess(self, request) -> Product:
        """The product the body names, once the user may assess it (before the rest of the
        body is read): 400 when it names none, 403 when the user may not assess it."""
        slug = request.data.get("product") if isinstance(request.data, dict) else None
        product = Product.objects.filter(slug=slug).first() if isinstance(slug, str) else None
        if product is None:
            AssessmentBulkWriteSerializer(data=request.data).is_valid(raise_exception=True)
            raise ValidationError({"product": ["No such product."]})
        if not product_access.can_assess(request.user, product):
            raise PermissionDenied(
                "Only the product's maintainers, leads of its communities or a hub admin "
                "may assess it."
            )
        return product

    def perform_patch(self, instance: Assessment, data: dict) -> None:
        services.update_assessment(assessment=instance, by=self.request.user, **data)


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    router.register("products", ProductViewSet, basename="api-product")
    router.register("assessments", AssessmentViewSet, basename="api-assessment")
    router.register("stakeholders", StakeholderViewSet, basename="api-stakeholder")
