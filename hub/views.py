"""The hub's pages (DESIGN §12): the hub page, releases and delivery health."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from hub import access, dashboard, delivery, services
from hub.filters import ReleaseFilter
from hub.forms import ReleaseForm
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
        {
            "filterset": filterset,
            "groups": groups,
            "count": len(releases),
            "can_record": access.may_record_releases(request.user),
        },
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
            "can_edit": access.can_edit_release(request.user, release),
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


# --- Release writes (E4S: hub admins; a spoke's bundles: its leads and hub admins) -------


def _get_release_for_editor(request: HttpRequest, slug: str) -> Release:
    release = get_object_or_404(Release.objects.select_related("community"), slug=slug)
    if not access.can_edit_release(request.user, release):
        raise PermissionDenied(services.REFUSED)
    return release


def _saved(form: ReleaseForm, by) -> Release | None:
    """The service's write; a rule it refuses (ValidationError) marks the field it names."""
    try:
        return form.save(by=by)
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@login_required
def release_new(request: HttpRequest) -> HttpResponse:
    if not access.may_record_releases(request.user):
        raise PermissionDenied(services.REFUSED)
    form = ReleaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and (release := _saved(form, request.user)):
        messages.success(request, f"{release.name} recorded.")
        return redirect(release)
    return render(request, "hub/release_form.html", {"form": form, "release": None})


@login_required
def release_edit(request: HttpRequest, slug: str) -> HttpResponse:
    release = _get_release_for_editor(request, slug)
    form = ReleaseForm(request.POST or None, user=request.user, release=release)
    if request.method == "POST" and form.is_valid() and _saved(form, request.user):
        messages.success(request, f"{release.name} saved.")
        return redirect(release)
    return render(request, "hub/release_form.html", {"form": form, "release": release})


@login_required
@require_POST
def release_delete(request: HttpRequest, slug: str) -> HttpResponse:
    release = _get_release_for_editor(request, slug)
    services.delete_release(release=release, by=request.user)
    messages.success(request, f"{release.name} deleted.")
    return redirect("hub:release-list")
