"""HTML pages for communities and policy sets."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from products.compliance import summarize_many
from products.models import Assessment, LifecycleRequest, Membership
from spokes import access
from spokes.heatmap import STYLES, render_heatmap
from spokes.models import LEAD_ROLES, Community, CommunityRole, PolicySet, Seat

OPEN_STATES = (LifecycleRequest.State.SUBMITTED, LifecycleRequest.State.IN_REVIEW)


def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(
        Community.objects.select_related("policy_set", "governance"), slug=slug
    )
    body = getattr(community, "governance", None)
    memberships = list(
        Membership.objects.filter(community=community)
        .select_related("product", "successor")
        .order_by("state", "product__name", "-joined_at")
    )
    active = [m for m in memberships if m.state == Membership.State.ACTIVE]
    heatmap = ""
    if community.policy_set and active:
        products = [m.product for m in active]
        summaries = summarize_many(products, community.policy_set)
        for m in active:
            m.compliance = summaries[m.product.pk]
        heatmap = render_heatmap(
            products,
            summaries,
            f"Compliance of {len(products)} active members of {community.name} with the "
            f"{community.policy_set} policies",
        )
    context = {
        "community": community,
        "body": body,
        "seats": Seat.objects.filter(body=body).select_related("user") if body else [],
        "leads": CommunityRole.objects.filter(community=community, role__in=LEAD_ROLES)
        .select_related("user")
        .order_by("role", "user__username"),
        "active": active,
        "past": [m for m in memberships if m.state != Membership.State.ACTIVE],
        "open_requests": LifecycleRequest.objects.filter(community=community, state__in=OPEN_STATES)
        .select_related("product")
        .order_by("-created_at"),
        "heatmap": mark_safe(heatmap),
        "legend": STYLES,
        "can_manage": access.can_manage_community(request.user, community),
    }
    return render(request, "spokes/community_detail.html", context)


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
            "can_edit": access.can_edit_policy_set(request.user, policy_set),
        },
    )
