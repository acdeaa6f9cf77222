"""HTML pages for communities and policy sets."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from spokes.models import Community, PolicySet


def community_detail(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(Community.objects.for_list(), slug=slug)
    return render(request, "spokes/community_detail.html", {"community": community})


def policyset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    policy_set = get_object_or_404(PolicySet.objects.select_related("base", "owner"), slug=slug)
    return render(
        request,
        "spokes/policyset_detail.html",
        {"policy_set": policy_set, "policies": policy_set.effective_policies()},
    )
