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
from collections.abc import Iterable
from dataclasses import dataclass, field

from products.models import Assessment, Product
from spokes.models import Policy, PolicySet

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


def summarize_many(products: Iterable[Product], policy_set: PolicySet) -> dict[int, Summary]:
    """Compliance of many products against one set, keyed by product pk (two queries)."""
    products = list(products)
    effective = policy_set.effective_policies()
    by_policy = {p.pk: p for p in effective}
    found: dict[tuple[int, int], Assessment] = {}
    if products and effective:
        rows = Assessment.objects.filter(
            product__in=[p.pk for p in products], policy__in=list(by_policy)
        )
        for a in rows:
            found[(a.product_id, a.policy_id)] = a
    result = {}
    for product in products:
        summary = Summary(policy_set=policy_set)
        for policy in effective:
            summary.items.append(
                PolicyStatus(
                    policy=policy,
                    inherited=getattr(policy, "inherited", False),
                    assessment=found.get((product.pk, policy.pk)),
                )
            )
        result[product.pk] = summary
    return result


def summaries_by_set(
    products: Iterable[Product], policy_sets: Iterable[PolicySet]
) -> dict[int, dict[str, Summary]]:
    """{product pk: {set slug: Summary}} for every given set (2 queries per set)."""
    products = list(products)
    out: dict[int, dict[str, Summary]] = {p.pk: {} for p in products}
    for policy_set in policy_sets:
        for pk, summary in summarize_many(products, policy_set).items():
            out[pk][policy_set.slug] = summary
    return out
