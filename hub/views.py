"""The hub's pages (DESIGN §12): the hub page, releases and delivery health."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from hub import dashboard, delivery
from hub.filters import ReleaseFilter
from hub.models import Release
from hub.releases import version_key
from spokes.models import Community


def hub(request: HttpRequest) -> HttpResponse:
    """The hub's services, each with its live figures (``hub.dashboard``)."""
    figures = dashboard.read()
    return render(
        request,
        "hub/hub.html",
        {
            "figures": figures,
            "checks": [(c, delivery.CHECK_LABELS[c]) for c in delivery.CHECKS],
            "open_states": [(s, s.label) for s in dashboard.PUBLIC_OPEN_STATES],
        },
    )


def release_list(request: HttpRequest) -> HttpResponse:
    filterset = ReleaseFilter(request.GET, queryset=Release.objects.select_related("community"))
    releases = filterset.qs if filterset.is_valid() else Release.objects.none()
    releases = releases.annotate(
        n_packages=Count("items", distinct=True),
        n_products=Count("items", filter=Q(items__product__isnull=False), distinct=True),
    )
    groups: dict[str, list[Release]] = {}
    # E4S first, then each bundle; versions oldest first, as a history reads.
    for release in sorted(
        releases,
        key=lambda r: (r.kind != Release.Kind.E4S, r.environment, r.series, version_key(r.version)),
    ):
        groups.setdefault(release.get_kind_display(), []).append(release)
    return render(
        request,
        "hub/release_list.html",
        {"filterset": filterset, "groups": groups, "count": len(releases)},
    )


def release_detail(request: HttpRequest, slug: str) -> HttpResponse:
    release = get_object_or_404(Release.objects.for_list(), slug=slug)
    items = list(release.items.all())
    shipped = sorted(
        (i for i in items if i.product_id is not None), key=lambda i: i.product.name.lower()
    )
    return render(
        request,
        "hub/release_detail.html",
        {
            "release": release,
            "shipped": shipped,
            "unnamed": [i for i in items if i.product_id is None],
        },
    )


def delivery_health(request: HttpRequest, slug: str) -> HttpResponse:
    """A spoke's delivery work list: its active members missing a Spack package, an E4S
    catalog entry, a smoke test or a testsuite test (two queries)."""
    community = get_object_or_404(Community, slug=slug)
    rows = delivery.health(community)
    sections = [
        {
            "check": check,
            "label": delivery.CHECK_LABELS[check],
            "missing": [r.product for r in rows if r.checks[check] == delivery.MISSING],
            "unknown": [r.product for r in rows if r.checks[check] == delivery.UNKNOWN],
            "present": sum(1 for r in rows if r.checks[check] == delivery.PRESENT),
        }
        for check in delivery.CHECKS
    ]
    return render(
        request,
        "hub/delivery_health.html",
        {
            "community": community,
            "rows": rows,
            "gaps": [r for r in rows if r.gaps],
            "sections": sections,
            "checks": [(c, delivery.CHECK_LABELS[c]) for c in delivery.CHECKS],
        },
    )
