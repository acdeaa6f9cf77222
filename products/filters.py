"""Filters over products, assessments and events, shared by the API and the HTML catalog.

`ProductFilter` works from a plain Django view as well as from DRF::

    ProductFilter(request.GET, queryset=Product.objects.for_list()).qs

Every filter costs a fixed number of queries whatever the number of products: the
compliance filters are one grouped SQL subquery over every (product, set) pair
(``products.compliance.Held``), never product by product.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.db.models.functions import Lower
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from products import delivery
from products.compliance import Status
from products.compliance_store import Held
from products.models import Area, Assessment, Membership, Product, display_state_q
from products.search import search_products
from spokes.models import Community

MEMBERSHIP_STATES = tuple(Membership.DisplayState.choices)
COMPLIANCE_CHOICES = tuple((s, s.title()) for s in Status.ALL)


@extend_schema_field(OpenApiTypes.STR)
class SlugModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A row named by its slug; an unknown slug is a 400 (API) / form error (pages)."""


class StableOrderingFilter(django_filters.OrderingFilter):
    """`ordering` with a unique tie-breaker so that pages never overlap or skip rows."""

    def filter(self, qs, value):
        if not value:
            return qs
        fields = [_case_insensitive(self.get_ordering_value(param)) for param in value]
        return qs.order_by(*fields, "pk")


# Text sorted as people read it: "hypre" between "HDF5" and "Kokkos", not after every
# capitalised name.
CASE_INSENSITIVE = ("name",)


def _case_insensitive(field: str):
    name = field.lstrip("-")
    if name not in CASE_INSENSITIVE:
        return field
    return Lower(name).desc() if field.startswith("-") else Lower(name).asc()


def by_name():
    """The default order of product lists: by name as people read it, then by key."""
    return (Lower("name").asc(), "pk")


class ProductFilter(django_filters.FilterSet):
    community = SlugModelChoiceFilter(
        queryset=Community.objects.select_related("policy_set"),
        to_field_name="slug",
        method="filter_community",
        help_text="Community slug: products with a membership (any state: current or past) "
        "in that community; combine with `membership_state` to narrow it.",
    )
    membership_state = django_filters.ChoiceFilter(
        choices=MEMBERSHIP_STATES,
        method="filter_membership_state",
        help_text="Products with a membership in this state (in `community` when given, in "
        "any community otherwise). `sunsetting`: offramped with the end of support ahead; "
        "`offramped`: offramped with no end of support ahead.",
    )
    compliance = django_filters.ChoiceFilter(
        choices=COMPLIANCE_CHOICES,
        method="filter_compliance",
        help_text="Compliance status over the mandatory policies of the set a community "
        "holds its members to (its own set, or the hub's E4S set when it has none). With "
        "`community`: against that community's set, for its members. Without it: products "
        "that have this status against the set of at least one community they are an "
        "active member of (products with no active membership never match).",
    )
    # A choice rather than a BooleanFilter, so `mandatory_met=maybe` is a 400, not ignored.
    mandatory_met = django_filters.ChoiceFilter(
        choices=(("true", "true"), ("false", "false")),
        method="filter_mandatory_met",
        help_text="`true`: products whose every mandatory policy is met (or waived) against "
        "every set they are held to (with `community`: that community's set); `false`: "
        "products held to a set for which that is not so. Products held to no set match "
        "neither.",
    )
    license = django_filters.CharFilter(
        field_name="license", lookup_expr="iexact", help_text="SPDX identifier (any case)."
    )
    area = django_filters.CharFilter(
        method="filter_area", help_text="Area slug or name (any case)."
    )
    in_e4s = django_filters.ChoiceFilter(
        choices=delivery.FLAG_CHOICES,
        method="filter_flag",
        help_text="In the E4S product catalog: true, false, or unknown (no source says).",
    )
    smoke_test = django_filters.ChoiceFilter(
        choices=delivery.FLAG_CHOICES,
        method="filter_flag",
        help_text="A Spack smoke test, as the E4S catalog records it: true (present), false "
        "(absent), or unknown.",
    )
    testsuite = django_filters.ChoiceFilter(
        choices=delivery.FLAG_CHOICES,
        method="filter_flag",
        help_text="An E4S testsuite test, as the E4S catalog records it: true (present), "
        "false (absent), or unknown.",
    )
    distribution = django_filters.ChoiceFilter(
        choices=Product.Distribution.choices,
        help_text="The distribution strategy: e4s_final (E4S as final destination), "
        "e4s_staging (E4S as staging), both, none, or unknown (the team has not said).",
    )
    maintainer = django_filters.CharFilter(
        field_name="maintainers__username",
        distinct=True,
        help_text="Username of a maintainer.",
    )
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Full-text search over name, summary, description and slug (PostgreSQL "
        'websearch syntax: words, "phrases", -word); best matches first unless '
        "`ordering` is given. Partial names also match.",
    )
    ordering = StableOrderingFilter(
        fields=(
            ("name", "name"),
            ("slug", "slug"),
            ("updated_at", "updated_at"),
            ("created_at", "created_at"),
            ("license", "license"),
        ),
        help_text="Sort key: name, slug, updated_at, created_at, license; prefix with `-` "
        "for descending. Default: name.",
    )

    class Meta:
        model = Product
        fields = (
            "community",
            "membership_state",
            "compliance",
            "mandatory_met",
            "license",
            "area",
            "in_e4s",
            "smoke_test",
            "testsuite",
            "distribution",
            "maintainer",
            "q",
            "ordering",
        )

    def filter_flag(self, queryset, name, value: str):
        if not value:
            return queryset
        return queryset.filter(delivery.flag_q(name, value))

    def filter_community(self, queryset, name, community: Community | None):
        if community is None:
            return queryset
        rows = Membership.objects.filter(community=community)
        state = self.form.cleaned_data.get("membership_state")
        if state:
            rows = rows.filter(display_state_q(state))
        return queryset.filter(pk__in=rows.values("product_id"))

    def filter_membership_state(self, queryset, name, value: str):
        if not value or self.form.cleaned_data.get("community"):
            return queryset  # with a community, filter_community applies both together
        rows = Membership.objects.filter(display_state_q(value))
        return queryset.filter(pk__in=rows.values("product_id"))

    def filter_area(self, queryset, name, value: str):
        areas = Area.objects.filter(Q(slug__iexact=value) | Q(name__iexact=value))
        return queryset.filter(
            pk__in=Product.areas.through.objects.filter(area__in=areas).values("product_id")
        )

    def filter_q(self, queryset, name, value: str):
        return search_products(queryset, value, rank=True)

    def held(self) -> Held:
        """The compliance reading of this filtering, built once for both filters."""
        community = self.form.cleaned_data.get("community")
        cached = getattr(self, "_held", None)
        if cached is None or cached.community != community:
            self._held = cached = Held(community)
        return cached

    def filter_compliance(self, queryset, name, value: str):
        if not value:
            return queryset
        return queryset.filter(self.held().status_q(value))

    def filter_mandatory_met(self, queryset, name, value: str):
        if not value:
            return queryset
        return queryset.filter(self.held().mandatory_met_q(value == "true"))


class AssessmentFilter(django_filters.FilterSet):
    product = django_filters.CharFilter(field_name="product__slug", help_text="Product slug.")
    policy_set = django_filters.CharFilter(
        field_name="policy__policy_set__slug", help_text="Policy set slug."
    )
    policy = django_filters.CharFilter(
        field_name="policy__code", help_text="Policy code (e.g. M7)."
    )
    status = django_filters.ChoiceFilter(choices=Assessment.Status.choices)
    source = django_filters.ChoiceFilter(choices=Assessment.Source.choices)

    class Meta:
        model = Assessment
        fields = ("product", "policy_set", "policy", "status", "source")
