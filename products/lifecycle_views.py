"""HTML pages for lifecycle requests, the review queue and decisions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from products.models import LifecycleRequest


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lifecycle_request = get_object_or_404(
        LifecycleRequest.objects.select_related("product", "community"), pk=pk
    )
    return render(request, "products/request_detail.html", {"req": lifecycle_request})


urlpatterns = [
    path("requests/<int:pk>/", request_detail, name="request-detail"),
]
