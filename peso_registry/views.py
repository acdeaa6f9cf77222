"""Site-wide pages: the hub overview and the health check."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from products.models import Event, Product
from spokes.models import Community


def home(request: HttpRequest) -> HttpResponse:
    communities = Community.objects.for_list().annotate(
        member_count=Count("memberships", filter=Q(memberships__state="active"))
    )
    products = Product.objects.for_list().order_by("name")
    events = Event.objects.for_list()[:10]
    return render(
        request,
        "home.html",
        {
            "hub": [c for c in communities if c.kind == Community.Kind.HUB],
            "spokes": [c for c in communities if c.kind == Community.Kind.SPOKE],
            "products": products,
            "events": events,
        },
    )


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
