"""Site-wide pages: the hub overview, the health check and /favicon.ico."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.contrib.staticfiles import finders
from django.db import connection
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from events.models import Event
from lifecycle.models import visible_events
from products.compliance import Status
from products.compliance_store import Held
from products.models import Membership, Product
from spokes.models import Community, PolicySet


@dataclass
class CardCompliance:
    """A spoke card's answer: how many members have each status against the set the
    spoke holds them to, and how many meet the set's own mandatory policies."""

    policy_set: object
    hub_default: bool
    members: int
    counts: dict[str, int]
    own_met: int
    has_inherited: bool

    # The catalog's address filtered to the spoke's active members (escaped, for HTML).
    members_url: str = ""

    @cached_property
    def bar(self) -> list[tuple[str, int, float, float]]:
        """(status, count, share in %, offset in %) for the four-colour bar, in
        Status.ALL order."""
        out, offset = [], 0.0
        for status in Status.ALL if self.members else ():
            share = 100 * self.counts[status] / self.members
            out.append((status, self.counts[status], share, offset))
            offset += share
        return out

    # A page of 50 spokes draws these 200 times: joined here rather than looped over in
    # the template (the same markup).
    @cached_property
    def count_links(self) -> str:
        """Each status's count, linked to the catalog filtered to it, separated by dots."""
        return mark_safe(
            " · ".join(
                f'<a class="count-{status}" href="{self.members_url}&amp;compliance={status}">'
                f"{n} {status}</a>"
                for status, n, _, _ in self.bar
            )
        )

    @cached_property
    def meter(self) -> str:
        """The four-colour bar as SVG (its label says the counts in words)."""
        label = ", ".join(f"{n} {status}" for status, n, _, _ in self.bar)
        rects = "".join(
            f'<rect class="bar-{status}" x="{offset:.3f}" width="{share:.3f}" height="1"/>'
            for status, _, share, offset in self.bar
        )
        return mark_safe(
            f'<svg class="meter four" role="img" aria-label="{label} of {self.members} '
            f'members" viewBox="0 0 100 1" preserveAspectRatio="none">{rects}</svg>'
        )


def home(request: HttpRequest) -> HttpResponse:
    """The hub and its spokes: members, their compliance in four colours, latest events."""
    communities = list(Community.objects.for_list().order_by("name"))
    # Active members per community, counted by the database (one grouped query).
    member_counts = dict(
        Membership.objects.active()
        .order_by()
        .values_list("community_id")
        .annotate(n=Count("pk"))
        .values_list("community_id", "n")
    )
    # The active members' statuses against the set each community holds them to, counted
    # in one grouped query over the stored compliance: a fixed number of queries however
    # large the catalog.
    held = Held()
    grouped = held.by_community()
    catalog_url = reverse("products:catalog")
    for c in communities:
        c.member_count = member_counts.get(c.pk, 0)
        ps, default = held.held_set_of(c)
        c.card = None
        if ps is not None:
            counts, own_met = grouped.get(c.pk, (dict.fromkeys(Status.ALL, 0), 0))
            c.card = CardCompliance(
                policy_set=ps,
                hub_default=default,
                members=c.member_count,
                counts=counts,
                own_met=own_met,
                has_inherited=ps.base_id is not None,
                members_url=escape(f"{catalog_url}?community={c.slug}")
                + "&amp;membership_state=active",
            )
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
                "memberships": sum(member_counts.values()),
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


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico, where browsers and feed readers look without reading the page's
    <link rel="icon">: the same icon as static/favicon.ico (a 32 px PNG in an ICO)."""
    path = finders.find("favicon.ico")
    if not path:
        raise Http404("no favicon")
    return FileResponse(open(path, "rb"), content_type="image/x-icon")
