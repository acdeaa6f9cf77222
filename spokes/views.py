"""HTML pages for communities and policy sets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe

from accounts import roles
from hub.releases import bundle_history
from lifecycle.models import LifecycleRequest
from products import trend_chart
from products.compliance import SUMMARY_FIELDS, held_sets, summaries_for
from products.compliance_history import monthly_compliance_cached
from products.heatmap import STYLES, render_heatmap
from products.models import Assessment, Membership
from products.trend_chart import render_keys
from spokes import access as spokes_access
from spokes import services
from spokes.forms import (
    CommunityCreateForm,
    CommunityForm,
    GovernanceForm,
    PolicyFormSet,
    PolicySetForm,
    RoleGrantForm,
    RoleRevokeForm,
    SeatFormSet,
    policy_initial,
    seat_initial,
)
from spokes.models import LEAD_ROLES, Community, CommunityRole, PolicySet, Seat

OPEN_STATES = (LifecycleRequest.State.SUBMITTED, LifecycleRequest.State.IN_REVIEW)
# Active members per page of the community page's heatmap and member list
# (`?members_page=`): one page costs the same queries and bytes however large the spoke.
MEMBERS_PAGE_SIZE = 100


def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(
        Community.objects.select_related("policy_set", "governance"), slug=slug
    )
    body = getattr(community, "governance", None)
    active_members = (
        Membership.objects.filter(community=community, state=Membership.State.ACTIVE)
        .select_related("product")
        .order_by("product__name", "-joined_at", "pk")
    )
    members_page = Paginator(active_members, MEMBERS_PAGE_SIZE).get_page(
        request.GET.get("members_page")
    )
    active = list(members_page.object_list)
    past = list(
        Membership.objects.filter(community=community)
        .exclude(state=Membership.State.ACTIVE)
        .select_related("product", "successor")
        .order_by("state", "product__name", "-joined_at")
    )
    heatmap = ""
    # The set the community holds its members to: its own, or the hub's when it has none.
    held, hub_default = (
        held_sets([community]) if community.kind == Community.Kind.SPOKE else ([], set())
    )
    held_set = held[0] if held else None
    if held_set and active:
        products = [m.product for m in active]
        # Statuses only: the assessment fields a Summary reads, not whole rows.
        by_product = summaries_for(
            products, [held_set], hub_default=hub_default, only=SUMMARY_FIELDS
        )
        summaries = {pk: sets[held_set.slug] for pk, sets in by_product.items()}
        for m in active:
            m.compliance = summaries[m.product.pk]
        paginator = members_page.paginator
        which = (
            f"active members {members_page.start_index()}\u2013{members_page.end_index()} of "
            f"{paginator.count}"
            if paginator.num_pages > 1
            else f"{len(products)} active members"
        )
        heatmap = render_heatmap(
            products,
            summaries,
            f"Compliance of {which} of {community.name} with {held_set}"
            + (" (the hub's, as the community publishes none)" if hub_default else ""),
        )
    trend = None
    if held_set is not None:
        trend = monthly_compliance_cached(community, held_set, hub_default=bool(hub_default))
        if not any(month.total for month in trend.months):
            trend = None
    context = {
        "community": community,
        "body": body,
        "trend": trend,
        "trend_svg": _trend_svgs(trend),
        "trend_keys": [(s, label, mark_safe(key)) for s, label, key in render_keys()]
        if trend
        else [],
        "seats": Seat.objects.filter(body=body).select_related("user") if body else [],
        "leads": CommunityRole.objects.filter(community=community, role__in=LEAD_ROLES)
        .select_related("user")
        .order_by("role", "user__username"),
        "active": active,
        "members_page": members_page,
        "bundle_history": bundle_history(community.pk),
        "past": past,
        "open_requests": LifecycleRequest.objects.filter(community=community, state__in=OPEN_STATES)
        .select_related("product")
        .order_by("-created_at"),
        "heatmap": mark_safe(heatmap),
        "held_set": held_set,
        "held_by_hub_default": bool(hub_default),
        "legend": STYLES,
        "can_manage": spokes_access.can_manage_community(request.user, community),
        "is_hub_admin": roles.is_hub_admin(request.user),
    }
    return render(request, "spokes/community_detail.html", context)


def _trend_svgs(trend) -> dict[str, str]:
    """The compliance-over-time chart drawn both ways (the style sheet shows the one that
    fits the screen)."""
    if trend is None:
        return {}
    return {
        "wide": mark_safe(trend_chart.render_wide(trend)),
        "narrow": mark_safe(trend_chart.render_narrow(trend)),
    }


def policyset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    policy_set = get_object_or_404(PolicySet.objects.select_related("base", "owner"), slug=slug)
    policies = policy_set.effective_policies()
    communities = list(policy_set.communities.order_by("name"))
    # Adoption: per policy, how many active members of the communities that use this set
    # hold each status. One aggregate query; "unknown" is what is left of the members.
    members = Membership.objects.active().filter(community__in=communities)
    member_count = members.values("product").distinct().count() if communities else 0
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if member_count and policies:
        rows = (
            Assessment.objects.filter(
                policy__in=[p.pk for p in policies], product__in=members.values("product")
            )
            .values("policy_id", "status")
            .annotate(n=Count("product", distinct=True))
        )
        for row in rows:
            counts[row["policy_id"]][row["status"]] = row["n"]
    for policy in policies:
        c = counts.get(policy.pk, {})
        policy.adoption = {s: c.get(s, 0) for s in ("full", "partial", "none", "na")}
        policy.adoption["unknown"] = member_count - sum(policy.adoption.values())
    return render(
        request,
        "spokes/policyset_detail.html",
        {
            "policy_set": policy_set,
            "policies": policies,
            "communities": communities,
            "member_count": member_count,
            "can_edit": spokes_access.can_edit_policy_set(request.user, policy_set),
            "is_hub_admin": roles.is_hub_admin(request.user),
        },
    )


# --- Management pages (leads of the community, hub admins) ------------------------------


def _get_community_for_manager(request: HttpRequest, slug: str) -> Community:
    community = get_object_or_404(
        Community.objects.select_related("policy_set", "governance"), slug=slug
    )
    if not spokes_access.can_manage_community(request.user, community):
        raise PermissionDenied("Only a lead of this community or a hub admin may manage it.")
    return community


def _saved(form: BaseForm, save: Callable[[], object]) -> bool:
    """Run a service write; a rule it refuses (ValidationError) becomes a form error."""
    try:
        save()
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return False
    return True


@login_required
def community_new(request: HttpRequest) -> HttpResponse:
    if not spokes_access.can_create_community(request.user):
        raise PermissionDenied("Only a hub admin may create a community.")
    form = CommunityCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        community = form.save(by=request.user)
        messages.success(request, f"{community.name} created.")
        return redirect(community)
    return render(request, "spokes/community_form.html", {"form": form, "community": None})


@login_required
def community_edit(request: HttpRequest, slug: str) -> HttpResponse:
    community = _get_community_for_manager(request, slug)
    form = CommunityForm(request.POST or None, community=community)
    preview = community.charter
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:  # show the rendering of the text typed, save nothing
            preview = form.cleaned_data["charter"]
        elif _saved(form, partial(form.save, by=request.user)):
            messages.success(request, "Community saved. The charter is shown below as published.")
            return redirect("spokes:community-edit", slug=community.slug)
    context = {"form": form, "community": community, "preview": preview, "tab": "edit"}
    return render(request, "spokes/community_form.html", context)


@login_required
def community_roles(request: HttpRequest, slug: str) -> HttpResponse:
    community = _get_community_for_manager(request, slug)
    data = request.POST if request.method == "POST" else None
    removing = data is not None and "revoke-role" in data
    grant = RoleGrantForm(None if removing else data, community=community, prefix="grant")
    revoke = RoleRevokeForm(data if removing else None, community=community, prefix="revoke")
    form = revoke if removing else grant
    if data is not None and form.is_valid() and _saved(form, partial(form.save, by=request.user)):
        messages.success(request, "Role removed." if removing else "Role granted.")
        if not spokes_access.can_manage_community(request.user, community):
            return redirect(community)  # a lead who removed their own role
        return redirect("spokes:community-roles", slug=community.slug)
    roles = community.roles.select_related("user").order_by("role", "user__username")
    context = {"community": community, "roles": roles, "grant": grant, "revoke": revoke}
    return render(request, "spokes/community_roles.html", {**context, "tab": "roles"})


@login_required
def community_governance(request: HttpRequest, slug: str) -> HttpResponse:
    community = _get_community_for_manager(request, slug)
    body = getattr(community, "governance", None)
    seats = body.seats.select_related("user").order_by("id") if body else []
    data = request.POST if request.method == "POST" else None
    form = GovernanceForm(data, initial=GovernanceForm.initial_for(body))
    formset = SeatFormSet(data, initial=seat_initial(seats), prefix="seats")
    if data is not None and all([form.is_valid(), formset.is_valid()]):
        governance = {**form.cleaned_data, "seats": formset.seats()}
        write = partial(
            services.update_community, community=community, by=request.user, governance=governance
        )
        if _saved(form, write):
            messages.success(request, "Governance body and seats saved.")
            return redirect("spokes:community-governance", slug=community.slug)
    context = {"community": community, "body": body, "form": form, "formset": formset}
    return render(request, "spokes/community_governance.html", {**context, "tab": "governance"})


def _get_policy_set_for_editor(request: HttpRequest, slug: str) -> PolicySet:
    policy_set = get_object_or_404(PolicySet.objects.select_related("base", "owner"), slug=slug)
    if not spokes_access.can_edit_policy_set(request.user, policy_set):
        raise PermissionDenied("Only a hub admin or a lead of the owning community may edit it.")
    return policy_set


@login_required
def policyset_edit(request: HttpRequest, slug: str) -> HttpResponse:
    policy_set = _get_policy_set_for_editor(request, slug)
    own = policy_set.own_policies().select_related("adapts").order_by("position", "code")
    base = policy_set.base.effective_policies() if policy_set.base_id else []
    adapt_choices = [(p.code, f"{p.code} — {p.title}") for p in base]
    data = request.POST if request.method == "POST" else None
    form = PolicySetForm(data, policy_set=policy_set)
    formset = PolicyFormSet(
        data,
        initial=policy_initial(own),
        prefix="policies",
        form_kwargs={"adapt_choices": adapt_choices},
    )
    if data is not None and all([form.is_valid(), formset.is_valid()]):
        policies = formset.policies()
        if _saved(form, partial(form.save, by=request.user, policies=policies)):
            messages.success(request, f"{policy_set.name} {policy_set.version} saved.")
            return redirect(policy_set)
    context = {"policy_set": policy_set, "form": form, "formset": formset, "base": base}
    return render(request, "spokes/policyset_form.html", context)
