"""Stakeholder engagement (DESIGN §12), the reads of the stakeholder pages: each
stakeholder with how many products it relies on and how many critically; what one relies
on, the spokes those products belong to, and every lifecycle change that touched them,
seen through draft privacy (``LifecycleRequest.objects.visible_to``, ``visible_events``).

Each read costs a fixed number of queries, whatever the rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from events.models import Event
from lifecycle.models import LifecycleRequest, visible_events
from products.models import Membership, Product, ProductUse, Stakeholder

# Critical first: what a stakeholder could least do without leads its list.
CRITICALITY_ORDER = {
    ProductUse.Criticality.CRITICAL: 0,
    ProductUse.Criticality.IMPORTANT: 1,
    ProductUse.Criticality.CONVENIENCE: 2,
}
EVENTS_SHOWN = 50


def with_counts(stakeholders: QuerySet[Stakeholder]) -> QuerySet[Stakeholder]:
    """Each stakeholder with ``n_products`` (the products it relies on) and ``n_critical``
    (those it marks critical): one query."""
    return stakeholders.annotate(
        n_products=Count("uses", distinct=True),
        n_critical=Count(
            "uses",
            filter=Q(uses__criticality=ProductUse.Criticality.CRITICAL),
            distinct=True,
        ),
    )


def grouped_by_kind(stakeholders) -> list[tuple[str, str, list[Stakeholder]]]:
    """(kind, its label, the stakeholders of that kind by name) in the order of
    ``Stakeholder.Kind``, kinds with none left out."""
    groups: dict[str, list[Stakeholder]] = defaultdict(list)
    for stakeholder in stakeholders:
        groups[stakeholder.kind].append(stakeholder)
    return [
        (kind, label, sorted(groups[kind], key=lambda s: (s.name.lower(), s.pk)))
        for kind, label in Stakeholder.Kind.choices
        if groups.get(kind)
    ]


def sorted_uses(uses) -> list[ProductUse]:
    """Critical first, then important, then convenience; by product name within each."""
    return sorted(
        uses, key=lambda u: (CRITICALITY_ORDER.get(u.criticality, 9), u.product.name.lower())
    )


@dataclass
class Reliance:
    """What a stakeholder relies on and what happened to it."""

    uses: list[ProductUse]  # each with ``product`` and ``product.spokes`` (its memberships)
    requests: list[LifecycleRequest] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    @property
    def n_critical(self) -> int:
        return sum(1 for u in self.uses if u.criticality == ProductUse.Criticality.CRITICAL)


def reliance(stakeholder: Stakeholder, user) -> Reliance:
    """The stakeholder's uses (critical first), each product with its memberships (spoke
    and state); the lifecycle requests for those products the user may see, newest first;
    and the latest lifecycle events about them (``EVENTS_SHOWN``), drafts hidden as
    everywhere. Four queries."""
    memberships = Membership.objects.select_related("community").order_by(
        "community__name", "-joined_at", "pk"
    )
    uses = sorted_uses(
        ProductUse.objects.filter(stakeholder=stakeholder)
        .select_related("product")
        .prefetch_related(Prefetch("product__memberships", queryset=memberships))
    )
    product_ids = [u.product_id for u in uses]
    if not product_ids:
        return Reliance(uses=[])
    requests = list(
        LifecycleRequest.objects.visible_to(user)
        .filter(product_id__in=product_ids)
        .for_list()
        .order_by("-created_at", "-id")
    )
    events = list(
        visible_events(user, Event.objects.for_list())
        .filter(product_id__in=product_ids, request__isnull=False)
        .order_by("-created_at", "-id")[:EVENTS_SHOWN]
    )
    return Reliance(uses=uses, requests=requests, events=events)


def product_relied_on(product: Product) -> list[ProductUse]:
    """Who relies on ``product``: its uses with their stakeholders, critical first, then by
    stakeholder name (one query)."""
    uses = ProductUse.objects.filter(product=product).select_related("stakeholder")
    return sorted(
        uses,
        key=lambda u: (CRITICALITY_ORDER.get(u.criticality, 9), u.stakeholder.name.lower()),
    )
