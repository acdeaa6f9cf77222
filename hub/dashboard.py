"""The hub page's live figures (DESIGN §12): one reading per hub service.

- delivery: each spoke's active members and how many miss a Spack package, an E4S catalog
  entry, a smoke test or a testsuite test (``hub.delivery``'s rule, the one its delivery
  page reads);
- releases: the newest E4S tag, the current E4S environment and each spoke's newest Spack
  bundle version (``hub.releases.latest``);
- stakeholders: how many of each kind, how many products they are recorded as using and how
  many of those uses are critical, and how many products have a critical user;
- lifecycle requests: the open ones the public sees (submitted or in review; a draft is
  private to its requester, the product's maintainers and the community's leads), by kind
  and state.

``read()`` makes a fixed number of queries (six), whatever the number of spokes, products,
releases, stakeholders and requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from hub import delivery
from hub.models import Release
from hub.releases import Latest, latest
from lifecycle.models import LifecycleRequest
from products.models import ProductUse, Stakeholder
from spokes.models import Community

CRITICAL = ProductUse.Criticality.CRITICAL
# Open requests anyone may see: a draft is private (``LifecycleRequest.objects.visible_to``).
PUBLIC_OPEN_STATES = (LifecycleRequest.State.SUBMITTED, LifecycleRequest.State.IN_REVIEW)


@dataclass
class SpokeDelivery:
    """A spoke's delivery health in numbers, with its newest bundle version (if any)."""

    community: Community
    members: int
    missing: dict[str, int]  # check -> active members missing it (``delivery.CHECKS``)
    bundle: Release | None

    @property
    def missing_in_order(self) -> list[tuple[str, int]]:
        """(check, count) in the checks' order."""
        return [(check, self.missing[check]) for check in delivery.CHECKS]


@dataclass
class StakeholderKind:
    kind: str
    label: str
    stakeholders: int
    uses: int  # products used (one per product and stakeholder)
    critical: int  # of those, the uses marked critical


@dataclass
class RequestCounts:
    """Open requests of one kind, by state (``PUBLIC_OPEN_STATES``' order)."""

    kind: str
    label: str
    states: list[tuple[str, str, int]]  # (state, label, count)

    @property
    def total(self) -> int:
        return sum(n for _, _, n in self.states)


@dataclass
class Dashboard:
    spokes: list[SpokeDelivery]
    releases: Latest
    stakeholders: list[StakeholderKind]
    requests: list[RequestCounts]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def missing_totals(self) -> list[tuple[str, int]]:
        """(check, members missing it across the spokes) in the checks' order; a product
        in two spokes counts in each, as on each spoke's delivery page."""
        return [(c, sum(s.missing[c] for s in self.spokes)) for c in delivery.CHECKS]


def spoke_delivery(releases: Latest) -> list[SpokeDelivery]:
    """Every spoke by name, with its delivery figures (two queries)."""
    spokes = list(Community.objects.spokes().order_by("name", "pk"))
    counts = delivery.missing_counts([s.pk for s in spokes])
    empty = {"members": 0, **dict.fromkeys(delivery.CHECKS, 0)}
    rows = []
    for spoke in spokes:
        found = counts.get(spoke.pk, empty)
        rows.append(
            SpokeDelivery(
                community=spoke,
                members=found["members"],
                missing={c: found[c] for c in delivery.CHECKS},
                bundle=releases.bundles.get(spoke.pk),
            )
        )
    return rows


def stakeholder_kinds() -> list[StakeholderKind]:
    """Each kind with at least one stakeholder, in the kinds' order (one query)."""
    rows = {
        row["kind"]: row
        for row in Stakeholder.objects.order_by()
        .values("kind")
        .annotate(
            n=Count("pk", distinct=True),
            n_uses=Count("uses", distinct=True),
            n_critical=Count("uses", filter=Q(uses__criticality=CRITICAL), distinct=True),
        )
    }
    return [
        StakeholderKind(
            kind, label, rows[kind]["n"], rows[kind]["n_uses"], rows[kind]["n_critical"]
        )
        for kind, label in Stakeholder.Kind.choices
        if kind in rows
    ]


def open_requests() -> list[RequestCounts]:
    """Open requests the public sees, per kind and state, zeros included (one query)."""
    counts = {
        (row["kind"], row["state"]): row["n"]
        for row in LifecycleRequest.objects.filter(state__in=PUBLIC_OPEN_STATES)
        .order_by()
        .values("kind", "state")
        .annotate(n=Count("pk"))
    }
    return [
        RequestCounts(
            kind,
            kind.label,
            [(state, state.label, counts.get((kind, state), 0)) for state in PUBLIC_OPEN_STATES],
        )
        for kind in LifecycleRequest.Kind
    ]


def critically_used_products() -> int:
    """How many products some stakeholder marks critical (one query)."""
    return ProductUse.objects.filter(criticality=CRITICAL).values("product").distinct().count()


def read() -> Dashboard:
    """Every figure of the hub page (six queries)."""
    releases = latest()
    spokes = spoke_delivery(releases)
    stakeholders = stakeholder_kinds()
    requests = open_requests()
    return Dashboard(
        spokes=spokes,
        releases=releases,
        stakeholders=stakeholders,
        requests=requests,
        totals={
            "members": sum(s.members for s in spokes),
            "stakeholders": sum(k.stakeholders for k in stakeholders),
            "uses": sum(k.uses for k in stakeholders),
            "critical_uses": sum(k.critical for k in stakeholders),
            "critically_used_products": critically_used_products(),
            "open_requests": sum(r.total for r in requests),
        },
    )
