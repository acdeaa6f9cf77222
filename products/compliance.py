"""Compliance of products against policy sets.

A product is *compliant* with a set when every mandatory effective policy is assessed
``full``, or ``na`` with a justification. Otherwise it is *noncompliant* when some mandatory
policy is assessed ``none``, *partial* when every mandatory policy has an assessment but not
all are satisfied, and *unknown* when some mandatory policy has no assessment at all.
Recommended policies are counted but do not change the status.

Functions here work in bulk: give them many products and they issue a fixed number of
queries, so list pages and API endpoints stay flat in query count.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, CharField, Count, Q, Value, When
from django.db.models.expressions import RawSQL

from products.models import Assessment, Membership, Product
from spokes.models import Community, Policy, PolicySet, effective_policies_by_set

UNKNOWN = "unknown"
STATUSES = ("full", "partial", "none", "na", UNKNOWN)


class Status:
    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NONCOMPLIANT = "noncompliant"
    UNKNOWN = "unknown"

    ALL = ("compliant", "partial", "noncompliant", "unknown")


# What satisfies a policy: an assessment ``full``, or ``na`` with a justification that is not
# blank. Read in Python (``is_satisfied``), in the ORM (``satisfied_q``) and in raw SQL
# (``_satisfied_sql``), all from these two names.
MET = "full"
MET_IF_JUSTIFIED = "na"
FAILING = "none"
BLANK_RE = r"^\s*$"


def is_satisfied(status: str | None, justification: str) -> bool:
    return status == MET or (status == MET_IF_JUSTIFIED and bool(justification.strip()))


def satisfied_q() -> Q:
    return Q(status=MET) | (Q(status=MET_IF_JUSTIFIED) & ~Q(justification__regex=BLANK_RE))


def _satisfied_sql(alias: str) -> str:
    regex = "~" if connection.vendor == "postgresql" else "REGEXP"
    return (
        f"({alias}.status = '{MET}' OR ({alias}.status = '{MET_IF_JUSTIFIED}' "
        f"AND NOT ({alias}.justification {regex} '{BLANK_RE}')))"
    )


# The status rule over a product's mandatory policies of a set: the first line whose
# condition holds names the status (``satisfied``, ``nones`` and ``assessed`` count the
# mandatory policies satisfied, assessed ``none`` and assessed at all; ``total`` is how
# many there are). Read in Python (``status_from_counts``), the ORM (``_status_case``) and
# raw SQL (``_status_case_sql``), all from this table.
STATUS_RULE: tuple[tuple[str, str, str, str], ...] = (
    (Status.COMPLIANT, "satisfied", "=", "total"),
    (Status.NONCOMPLIANT, "nones", ">", "0"),
    (Status.PARTIAL, "assessed", "=", "total"),
)
OTHERWISE = Status.UNKNOWN


@dataclass
class PolicyStatus:
    policy: Policy
    inherited: bool
    assessment: Assessment | None

    @property
    def status(self) -> str:
        return self.assessment.status if self.assessment else UNKNOWN

    @property
    def satisfied(self) -> bool:
        a = self.assessment
        return a is not None and is_satisfied(a.status, a.justification)


@dataclass
class Summary:
    policy_set: PolicySet
    items: list[PolicyStatus] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counter = Counter(item.status for item in self.items)
        return {status: counter.get(status, 0) for status in STATUSES}

    @property
    def status(self) -> str:
        mandatory = [i for i in self.items if i.policy.is_mandatory]
        return status_from_counts(
            satisfied=sum(i.satisfied for i in mandatory),
            nones=sum(i.status == FAILING for i in mandatory),
            assessed=sum(i.assessment is not None for i in mandatory),
            total=len(mandatory),
        )

    def as_dict(self) -> dict:
        return {"status": self.status, **self.counts}


def summarize(product: Product, policy_set: PolicySet) -> Summary:
    """The compliance of one product against one set."""
    return summarize_many([product], policy_set)[product.pk]


# The assessment fields a Summary reads (status and satisfied): enough for pages that show
# statuses only, e.g. ``summarize_many(..., only=SUMMARY_FIELDS)``.
SUMMARY_FIELDS = ("product_id", "policy_id", "status", "justification")


def summaries_for(
    products: Iterable[Product],
    policy_sets: Iterable[PolicySet] | None = None,
    *,
    only: Sequence[str] | None = None,
) -> dict[int, dict[str, Summary]]:
    """{product pk: {set slug: Summary}}: against `policy_sets` when given, otherwise
    against the set of every community each product has a membership in (current or
    past; memberships must be prefetched with `community__policy_set`). Three queries for
    any number of products and sets.

    ``only``: load just these assessment fields (``SUMMARY_FIELDS`` when nothing but the
    statuses is shown); by default whole assessment rows with their assessor.
    """
    products = list(products)
    given = None if policy_sets is None else list(policy_sets)
    sets_of: dict[int, list[PolicySet]] = {}
    wanted: dict[int, PolicySet] = {}
    for product in products:
        if given is not None:
            sets = given
        else:
            sets = []
            for membership in product.memberships.all():
                ps = membership.community.policy_set
                if ps is not None and ps not in sets:
                    sets.append(ps)
        wanted.update({ps.pk: ps for ps in sets})
        sets_of[product.pk] = sets
    effective = effective_policies_by_set(wanted.values())
    policy_ids = {p.pk for items in effective.values() for p, _ in items}
    found: dict[tuple[int, int], Assessment] = {}
    if products and policy_ids:
        rows = Assessment.objects.filter(
            product__in=[p.pk for p in products], policy__in=policy_ids
        )
        rows = rows.only(*only) if only else rows.select_related("assessed_by")
        found = {(a.product_id, a.policy_id): a for a in rows}
    out: dict[int, dict[str, Summary]] = {}
    for product in products:
        out[product.pk] = {}
        for ps in sorted(sets_of[product.pk], key=lambda s: s.slug):
            summary = Summary(policy_set=ps)
            for policy, inherited in effective.get(ps.pk, []):
                summary.items.append(
                    PolicyStatus(
                        policy=policy,
                        inherited=inherited,
                        assessment=found.get((product.pk, policy.pk)),
                    )
                )
            out[product.pk][ps.slug] = summary
    return out


def summarize_many(
    products: Iterable[Product], policy_set: PolicySet, *, only: Sequence[str] | None = None
) -> dict[int, Summary]:
    """Compliance of many products against one set, keyed by product pk."""
    return {
        pk: by_set[policy_set.slug]
        for pk, by_set in summaries_for(products, [policy_set], only=only).items()
    }


def satisfaction_counts() -> dict[str, Count]:
    """Aggregates over one product's assessments of a set's mandatory policies: how many
    are satisfied, ``none``, and assessed at all. Every ORM reading of compliance groups by
    product with these."""
    return {
        "satisfied": Count("pk", filter=satisfied_q()),
        "nones": Count("pk", filter=Q(status=FAILING)),
        "assessed": Count("pk"),
    }


_COMPARE = {"=": operator.eq, ">": operator.gt}


def status_from_counts(*, satisfied: int, nones: int, assessed: int, total: int) -> str:
    """The status those counts mean (``STATUS_RULE``)."""
    counts = {"satisfied": satisfied, "nones": nones, "assessed": assessed, "total": total}
    for status, name, op, other in STATUS_RULE:
        right = counts[other] if other in counts else int(other)
        if _COMPARE[op](counts[name], right):
            return status
    return OTHERWISE


def _status_case(total: int) -> Case:
    """``STATUS_RULE`` as an ORM expression over ``satisfaction_counts`` annotations."""
    lookups = {"=": "", ">": "__gt"}
    whens = []
    for status, name, op, other in STATUS_RULE:
        right = total if other == "total" else int(other)
        whens.append(When(Q(**{f"{name}{lookups[op]}": right}), then=Value(status)))
    return Case(*whens, default=Value(OTHERWISE), output_field=CharField())


def _status_case_sql(counts: dict[str, str]) -> str:
    """``STATUS_RULE`` as a SQL CASE over the given column expressions."""
    whens = " ".join(
        f"WHEN {counts[name]} {op} {counts.get(other, other)} THEN '{status}'"
        for status, name, op, other in STATUS_RULE
    )
    return f"CASE {whens} ELSE '{OTHERWISE}' END"


def mandatory_policy_ids(policy_sets: Iterable[PolicySet]) -> dict[int, set[int]]:
    """{set pk: pks of its mandatory effective policies} (two queries)."""
    return {
        pk: {p.pk for p, _ in items if p.level == Policy.Level.MANDATORY}
        for pk, items in effective_policies_by_set(policy_sets).items()
    }


def compliance_q(status: str, mandatory: Collection[int]) -> Q:
    """A condition on Product rows: compliance ``status`` against a set whose mandatory
    effective policies are ``mandatory``, as one grouped subquery over assessments."""
    total = len(mandatory)
    if total == 0:
        # Nothing mandatory: every product is compliant.
        return Q() if status == Status.COMPLIANT else Q(pk__in=[])
    per_product = (
        Assessment.objects.filter(policy_id__in=list(mandatory))
        .values("product_id")
        .annotate(**satisfaction_counts())
        .annotate(status=_status_case(total))
    )
    if status == OTHERWISE:
        # Products with no assessment at all have no row: unknown too.
        return ~Q(pk__in=per_product.exclude(status=OTHERWISE).values("product_id"))
    return Q(pk__in=per_product.filter(status=status).values("product_id"))


def member_status_sql(policy_sets: list[PolicySet]) -> str:
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
    status = _status_case_sql(
        {
            "satisfied": "COALESCE(per.satisfied, 0)",
            "nones": "per.nones",
            "assessed": "per.assessed",
            "total": "t.total",
        }
    )
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
                SUM(CASE WHEN {_satisfied_sql("a")} THEN 1 ELSE 0 END) AS satisfied,
                SUM(CASE WHEN a.status = '{FAILING}' THEN 1 ELSE 0 END) AS nones,
                COUNT(a.id) AS assessed
            FROM member_sets ms
            LEFT JOIN mandatory mm ON mm.set_id = ms.set_id
            LEFT JOIN products_assessment a
                ON a.product_id = ms.product_id AND a.policy_id = mm.policy_id
            GROUP BY ms.product_id, ms.set_id
        )
        SELECT per.product_id AS product_id, {status} AS status
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
    """Products whose compliance is ``status`` against the set of some community they are
    an active member of: one subquery, whatever the number of sets."""
    sets = member_policy_sets() if policy_sets is None else policy_sets
    if not sets or status not in Status.ALL:
        return Q(pk__in=[])
    sql = f"SELECT st.product_id FROM ({member_status_sql(sets)}) st WHERE st.status = %s"
    return Q(pk__in=RawSQL(sql, [status]))


def compliance_conditions(community: Community | None) -> dict[str, Q]:
    """{status: condition on Product}: compliance against the community's set, or, with no
    community, against the set of any community each product is an active member of (one
    grouped subquery per status, not one per set). The catalog filter and its facet counts
    both read these."""
    if community is not None:
        if community.policy_set_id is None:
            return {s: Q(pk__in=[]) for s in Status.ALL}
        mandatory = mandatory_policy_ids([community.policy_set])[community.policy_set_id]
        return {s: compliance_q(s, mandatory) for s in Status.ALL}
    sets = member_policy_sets()
    return {s: member_compliance_q(s, sets) for s in Status.ALL}


def member_status_counts(product_ids_sql: str, params: list, policy_sets: list[PolicySet]):
    """{status: number of the given products with that status against some set of theirs}
    (one query)."""
    counts = dict.fromkeys(Status.ALL, 0)
    if not policy_sets:
        return counts
    relation = member_status_sql(policy_sets)
    sql = (
        f"SELECT st.status, COUNT(DISTINCT st.product_id) FROM ({relation}) st "
        f"WHERE st.product_id IN ({product_ids_sql}) GROUP BY st.status"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for status, n in cursor.fetchall():
            counts[status] = n
    return counts


def statuses_by_set(
    members: Mapping[int, Collection[int]], mandatory: Mapping[int, Collection[int]]
) -> dict[tuple[int, int], str]:
    """{(product pk, set pk): status} for the given products of each set, in SQL.

    ``members``: {set pk: product pks to ask that set about}; ``mandatory``: {set pk: pks
    of its mandatory effective policies} (``mandatory_policy_ids``).
    One grouped query per set with mandatory policies, returning one small row per
    assessed product (no assessment rows are loaded); the same rule as
    ``Summary.status`` (an ``na`` with a blank or whitespace-only justification is not
    satisfied). Only the pairs asked about are answered, each of them.
    """
    out: dict[tuple[int, int], str] = {}
    for set_pk, product_ids in members.items():
        if not product_ids:
            continue
        wanted = mandatory.get(set_pk) or ()
        total = len(wanted)
        # Nothing mandatory: compliant. Otherwise unknown until an assessment says more.
        default = Status.UNKNOWN if total else Status.COMPLIANT
        for pk in product_ids:
            out[(pk, set_pk)] = default
        if not total:
            continue
        rows = (
            Assessment.objects.filter(policy_id__in=list(wanted), product_id__in=list(product_ids))
            .values("product_id")
            .annotate(**satisfaction_counts())
            .values_list("product_id", "satisfied", "nones", "assessed")
        )
        for product_id, satisfied, nones, assessed in rows:
            out[(product_id, set_pk)] = status_from_counts(
                satisfied=satisfied, nones=nones, assessed=assessed, total=total
            )
    return out
