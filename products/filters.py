"""Filters over products, assessments and events, shared by the API and the HTML catalog.

`ProductFilter` works from a plain Django view as well as from DRF::

    ProductFilter(request.GET, queryset=Product.objects.for_list()).qs

Every filter costs a fixed number of queries whatever the number of products: the
compliance filter works set by set in SQL (one grouped subquery per policy set), never
product by product.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import django_filters
from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from products.compliance import Status, satisfaction_counts
from products.models import Area, Assessment, Membership, Product
from products.search import search_products
from spokes.models import Community, Policy, PolicySet, effective_policies_by_set

MEMBERSHIP_STATES = (
    ("active", "Active"),
    ("offramped", "Offramped"),
    ("sunsetting", "Sunsetting (offramped, end of support still ahead)"),
)
COMPLIANCE_CHOICES = tuple((s, s.title()) for s in Status.ALL)


def mandatory_policy_ids(policy_sets: Iterable[PolicySet]) -> dict[int, set[int]]:
    """{set pk: pks of its mandatory effective policies} (two queries)."""
    return {
        pk: {p.pk for p, _ in items if p.level == Policy.Level.MANDATORY}
        for pk, items in effective_policies_by_set(policy_sets).items()
    }


def compliance_q(status: str, mandatory: set[int]) -> Q:
    """A condition on Product rows: compliance `status` against a set whose mandatory
    effective policies are `mandatory` (same rules as products.compliance.Summary.status).

    One grouped subquery over assessments: per product, how many mandatory policies are
    satisfied, assessed `none`, and assessed at all.
    """
    total = len(mandatory)
    if total == 0:
        # Nothing mandatory: every product is compliant.
        return Q() if status == Status.COMPLIANT else Q(pk__in=[])
    per_product = (
        Assessment.objects.filter(policy_id__in=mandatory)
        .values("product_id")
        .annotate(**satisfaction_counts())
    )
    if status == Status.COMPLIANT:
        return Q(pk__in=per_product.filter(satisfied=total).values("product_id"))
    if status == Status.NONCOMPLIANT:
        return Q(pk__in=per_product.filter(nones__gt=0).values("product_id"))
    if status == Status.PARTIAL:
        rows = per_product.filter(nones=0, assessed=total, satisfied__lt=total)
        return Q(pk__in=rows.values("product_id"))
    # Unknown: neither noncompliant nor fully assessed (products with no assessment too).
    known = per_product.filter(Q(nones__gt=0) | Q(assessed=total))
    return ~Q(pk__in=known.values("product_id"))


def _member_status_sql(policy_sets: list[PolicySet]) -> str:
    """SQL for the relation (product_id, status): each product's compliance status against
    the set of every community it is an active member of, in one grouped pass.

    The mandatory policies of each set come from Python (effective policies follow base
    sets and versions) and are inlined as integer VALUES. A set with no mandatory policy
    makes its members compliant, as ``compliance_q`` does.
    """
    mandatory = mandatory_policy_ids(policy_sets)
    pairs = [(int(s), int(p)) for s, ids in mandatory.items() for p in sorted(ids)]
    totals = [(int(s), len(ids)) for s, ids in mandatory.items()]
    values = ", ".join(f"({s}, {p})" for s, p in pairs) if pairs else None
    mandatory_cte = f"VALUES {values}" if values else "SELECT 0, 0 WHERE 1 = 0"
    totals_values = ", ".join(f"({s}, {n})" for s, n in totals)
    regex = "~" if connection.vendor == "postgresql" else "REGEXP"
    blank = rf"a.justification {regex} '^\s*$'"
    return f"""
        WITH mandatory(set_id, policy_id) AS ({mandatory_cte}),
        totals(set_id, total) AS (VALUES {totals_values}),
        member_sets AS (
            SELECT DISTINCT m.product_id, c.policy_set_id AS set_id
            FROM products_membership m
            JOIN spokes_community c ON c.id = m.community_id
            WHERE m.state = 'active' AND c.policy_set_id IN (SELECT set_id FROM totals)
        ),
        per AS (
            SELECT ms.product_id, ms.set_id,
                SUM(CASE WHEN a.status = 'full' OR (a.status = 'na' AND NOT ({blank}))
                    THEN 1 ELSE 0 END) AS satisfied,
                SUM(CASE WHEN a.status = 'none' THEN 1 ELSE 0 END) AS nones,
                COUNT(a.id) AS assessed
            FROM member_sets ms
            LEFT JOIN mandatory mm ON mm.set_id = ms.set_id
            LEFT JOIN products_assessment a
                ON a.product_id = ms.product_id AND a.policy_id = mm.policy_id
            GROUP BY ms.product_id, ms.set_id
        )
        SELECT per.product_id AS product_id,
            CASE WHEN COALESCE(per.satisfied, 0) = t.total THEN 'compliant'
                 WHEN per.nones > 0 THEN 'noncompliant'
                 WHEN per.assessed = t.total THEN 'partial'
                 ELSE 'unknown' END AS status
        FROM per JOIN totals t ON t.set_id = per.set_id
    """


def member_policy_sets() -> list[PolicySet]:
    """The policy sets of communities that have at least one active member."""
    return list(
        PolicySet.objects.filter(communities__memberships__state=Membership.State.ACTIVE)
        .distinct()
        .order_by("pk")
    )


def member_compliance_q(status: str, policy_sets: list[PolicySet] | None = None) -> Q:
    """Products whose compliance is `status` against the set of some community they are an
    active member of: one subquery, whatever the number of sets."""
    sets = member_policy_sets() if policy_sets is None else policy_sets
    if not sets or status not in Status.ALL:
        return Q(pk__in=[])
    sql = f"SELECT st.product_id FROM ({_member_status_sql(sets)}) st WHERE st.status = %s"
    return Q(pk__in=RawSQL(sql, [status]))


def member_status_counts(product_ids_sql: str, params: list, policy_sets: list[PolicySet]):
    """{status: number of the given products with that status against some set of theirs}
    (one query)."""
    counts = dict.fromkeys(Status.ALL, 0)
    if not policy_sets:
        return counts
    relation = _member_status_sql(policy_sets)
    sql = (
        f"SELECT st.status, COUNT(DISTINCT st.product_id) FROM ({relation}) st "
        f"WHERE st.product_id IN ({product_ids_sql}) GROUP BY st.status"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for status, n in cursor.fetchall():
            counts[status] = n
    return counts


def membership_state_q(state: str) -> Q:
    """A condition on Membership rows for a displayed state (see Membership.display_state)."""
    today = datetime.date.today()
    if state == "active":
        return Q(state=Membership.State.ACTIVE)
    sunsetting = Q(state=Membership.State.OFFRAMPED, end_of_support__gt=today)
    if state == "sunsetting":
        return sunsetting
    return Q(state=Membership.State.OFFRAMPED) & ~sunsetting


@extend_schema_field(OpenApiTypes.STR)
class SlugModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A row named by its slug; an unknown slug is a 400 (API) / form error (pages)."""


class StableOrderingFilter(django_filters.OrderingFilter):
    """`ordering` with a unique tie-breaker so that pages never overlap or skip rows."""

    def filter(self, qs, value):
        if not value:
            return qs
        fields = [self.get_ordering_value(param) for param in value]
        return qs.order_by(*fields, "pk")


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
        help_text="Compliance status against a policy set. With `community`: against that "
        "community's policy set (every product is judged, member or not). Without it: "
        "products that have this status against the set of at least one community they "
        "are an active member of (products with no active membership never match).",
    )
    license = django_filters.CharFilter(
        field_name="license", lookup_expr="iexact", help_text="SPDX identifier (any case)."
    )
    area = django_filters.CharFilter(
        method="filter_area", help_text="Area slug or name (any case)."
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
            "license",
            "area",
            "maintainer",
            "q",
            "ordering",
        )

    def filter_community(self, queryset, name, community: Community | None):
        if community is None:
            return queryset
        rows = Membership.objects.filter(community=community)
        state = self.form.cleaned_data.get("membership_state")
        if state:
            rows = rows.filter(membership_state_q(state))
        return queryset.filter(pk__in=rows.values("product_id"))

    def filter_membership_state(self, queryset, name, value: str):
        if not value or self.form.cleaned_data.get("community"):
            return queryset  # with a community, filter_community applies both together
        rows = Membership.objects.filter(membership_state_q(value))
        return queryset.filter(pk__in=rows.values("product_id"))

    def filter_area(self, queryset, name, value: str):
        areas = Area.objects.filter(Q(slug__iexact=value) | Q(name__iexact=value))
        return queryset.filter(
            pk__in=Product.areas.through.objects.filter(area__in=areas).values("product_id")
        )

    def filter_q(self, queryset, name, value: str):
        return search_products(queryset, value, rank=True)

    def filter_compliance(self, queryset, name, value: str):
        if not value:
            return queryset
        community = self.form.cleaned_data.get("community")
        if community is not None:
            if community.policy_set_id is None:
                return queryset.none()
            mandatory = mandatory_policy_ids([community.policy_set])
            return queryset.filter(compliance_q(value, mandatory[community.policy_set_id]))
        # Against the set of any community the product is an active member of.
        return queryset.filter(member_compliance_q(value))


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
