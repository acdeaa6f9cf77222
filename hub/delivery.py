"""Delivery health of a spoke (DESIGN §12): the hub's delivery work list.

For each active member: does it have a Spack package, an E4S catalog entry, a Spack smoke
test and an E4S testsuite test? Each check reads ``present``, ``missing``, or ``unknown``
where no source says (a product outside the E4S catalog has no recorded smoke or testsuite
test: unknown, not missing). The facts are the product's own (``products.delivery``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from products import delivery
from products.models import Membership, Product
from spokes.models import Community

PRESENT, MISSING, UNKNOWN = "present", "missing", "unknown"
CHECK_STATES = (PRESENT, MISSING, UNKNOWN)
CHECKS = ("spack_package", "e4s_entry", "smoke_test", "testsuite")
CHECK_LABELS = {
    "spack_package": "Spack package",
    "e4s_entry": "E4S catalog entry",
    "smoke_test": "Spack smoke test",
    "testsuite": "E4S testsuite test",
}
_FLAG_OF = {"e4s_entry": "in_e4s", "smoke_test": "smoke_test", "testsuite": "testsuite"}


def status(product: Product, check: str) -> str:
    """present, missing or unknown: one check of one product, from its row alone."""
    if check == "spack_package":
        return PRESENT if delivery.spack_packages(product.facts, product.spack_package) else MISSING
    value = delivery.flag(product.facts, _FLAG_OF[check])
    return UNKNOWN if value is None else PRESENT if value else MISSING


@dataclass
class HealthRow:
    product: Product
    checks: dict[str, str]

    @property
    def states(self) -> list[str]:
        """Each check's state, in the checks' order."""
        return [self.checks[c] for c in CHECKS]

    @property
    def gaps(self) -> list[str]:
        """The checks the product misses, in the checks' order."""
        return [c for c in CHECKS if self.checks[c] == MISSING]


def members(community: Community) -> QuerySet[Product]:
    """The community's active members, by name (one query when read)."""
    active = Membership.objects.active().filter(community=community).values("product_id")
    return Product.objects.filter(pk__in=active).order_by("name", "pk")


def row(product: Product) -> HealthRow:
    return HealthRow(product, {c: status(product, c) for c in CHECKS})


def health(community: Community, *, missing: str = "") -> list[HealthRow]:
    """One row per active member (only those missing ``missing`` when given): one query."""
    products = members(community)
    if missing:
        products = products.filter(missing_q(missing))
    return [row(p) for p in products]


def missing_q(check: str) -> Q:
    """Products that miss ``check`` (the condition ``status`` reads as missing)."""
    if check == "spack_package":
        return Q(spack_package="") & ~Q(facts__spack_packages__0__isnull=False)
    return delivery.flag_q(_FLAG_OF[check], delivery.FALSE)


def missing_counts(community_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per community: its active members (``members``) and how many miss each check
    (``missing_q``, the rule the delivery page reads with ``status``); one query, whatever
    the number of communities and members. A community with no active member is absent."""
    counts = {
        "members": Count("product", distinct=True),
        **{
            check: Count(
                "product",
                filter=Q(product__in=Product.objects.filter(missing_q(check)).values("pk")),
                distinct=True,
            )
            for check in CHECKS
        },
    }
    rows = (
        Membership.objects.active()
        .filter(community_id__in=community_ids)
        .order_by()
        .values("community_id")
        .annotate(**counts)
    )
    return {row.pop("community_id"): row for row in rows}
