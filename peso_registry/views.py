"""Site-wide pages: the hub overview and the health check."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from events.models import Event
from lifecycle.models import visible_events
from products.compliance import Status, mandatory_policy_ids, statuses_by_set
from products.models import Membership, Product
from spokes.models import Community, PolicySet


def home(request: HttpRequest) -> HttpResponse:
    """The hub and its spokes: members, share of compliant members, latest events."""
    communities = list(Community.objects.for_list().order_by("name"))
    members = list(Membership.objects.active().values_list("community_id", "product_id"))
    by_community: dict[int, list[int]] = defaultdict(list)
    for community_id, product_id in members:
        by_community[community_id].append(product_id)
    # Compliance of each member against its own community's set, in SQL (no assessment rows
    # are loaded): each set is asked only about the active members of the communities that
    # use it, and the sets' mandatory policies are computed once (2 queries), then one
    # grouped query per set — a fixed number however large the catalog.
    sets: dict[int, PolicySet] = {}
    members_by_set: dict[int, set[int]] = defaultdict(set)
    for c in communities:
        if c.policy_set_id and by_community[c.pk]:
            sets[c.policy_set_id] = c.policy_set
            members_by_set[c.policy_set_id].update(by_community[c.pk])
    statuses = statuses_by_set(members_by_set, mandatory_policy_ids(sets.values())) if sets else {}
    for c in communities:
        ids = by_community[c.pk]
        c.member_count = len(ids)
        c.compliant_count = sum(
            1 for pk in ids if statuses.get((pk, c.policy_set_id)) == Status.COMPLIANT
        )
        c.compliant_pct = round(100 * c.compliant_count / c.member_count) if c.member_count else 0
    spokes = [c for c in communities if c.kind == Community.Kind.SPOKE]
    return render(
        request,
        "home.html",
        {
            "hub": [c for c in communities if c.kind == Community.Kind.HUB],
            "spokes": spokes,
            "practice": _by_category(c for c in communities if c.kind == Community.Kind.PRACTICE),
            "totals": {
                "products": Product.objects.count(),
                "spokes": len(spokes),
                "memberships": len(members),
                "policy_sets": PolicySet.objects.count(),
            },
            "events": visible_events(request.user, Event.objects.for_list())[:10],
        },
    )


def _by_category(communities) -> list[tuple[str, list[Community]]]:
    """Communities of practice grouped by category, categories and names in order."""
    grouped: dict[str, list[Community]] = defaultdict(list)
    for c in communities:
        grouped[c.category].append(c)
    return [
        (category, sorted(grouped[category], key=lambda c: c.name)) for category in sorted(grouped)
    ]


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
