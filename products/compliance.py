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

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q

from products.models import Assessment, Product
from spokes.models import Policy, PolicySet, effective_policies_by_set

UNKNOWN = "unknown"
STATUSES = ("full", "partial", "none", "na", UNKNOWN)


class Status:
    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NONCOMPLIANT = "noncompliant"
    UNKNOWN = "unknown"

    ALL = ("compliant", "partial", "noncompliant", "unknown")


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
        return a is not None and (
            a.status == "full" or (a.status == "na" and bool(a.justification.strip()))
        )


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
        if all(i.satisfied for i in mandatory):
            return Status.COMPLIANT
        if any(i.status == "none" for i in mandatory):
            return Status.NONCOMPLIANT
        if any(i.status == UNKNOWN for i in mandatory):
            return Status.UNKNOWN
        return Status.PARTIAL

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
    are satisfied (``full``, or ``na`` with a non-blank justification), ``none``, and
    assessed at all. Every SQL reading of compliance groups by product with these."""
    return {
        "satisfied": Count(
            "pk", filter=Q(status="full") | (Q(status="na") & ~Q(justification__regex=r"^\s*$"))
        ),
        "nones": Count("pk", filter=Q(status="none")),
        "assessed": Count("pk"),
    }


def status_from_counts(*, satisfied: int, nones: int, assessed: int, total: int) -> str:
    """The status those counts mean against a set with ``total`` mandatory policies
    (the rule of ``Summary.status``)."""
    if satisfied == total:
        return Status.COMPLIANT
    if nones:
        return Status.NONCOMPLIANT
    if assessed == total:
        return Status.PARTIAL
    return Status.UNKNOWN


def statuses_by_set(
    members: Mapping[int, Collection[int]], mandatory: Mapping[int, Collection[int]]
) -> dict[tuple[int, int], str]:
    """{(product pk, set pk): status} for the given products of each set, in SQL.

    ``members``: {set pk: product pks to ask that set about}; ``mandatory``: {set pk: pks
    of its mandatory effective policies} (``products.filters.mandatory_policy_ids``).
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
