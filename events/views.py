"""The events page: the timeline of everything that happened, filtered and paged."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from events.filters import EventFilter
from events.forms import EventFilterForm
from events.models import Event
from lifecycle.models import visible_events
from spokes.models import Community


def event_list(request: HttpRequest) -> HttpResponse:
    visible = visible_events(request.user, Event.objects.for_list())
    filterset = EventFilter(request.GET, queryset=visible)
    events = filterset.qs if filterset.is_valid() else Event.objects.none()
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    verbs = (
        Event.objects.order_by("verb").values_list("verb", flat=True).distinct()
    )  # small: a few dozen verbs
    form = EventFilterForm(
        request.GET or None,
        verbs=list(verbs),
        communities=Community.objects.order_by("name").only("slug", "name"),
    )
    feed_params = {k: request.GET[k] for k in ("community", "product") if request.GET.get(k)}
    return render(
        request,
        "events/event_list.html",
        {
            "page": page,
            "events": page.object_list,
            "form": form,
            "feed_query": urlencode(feed_params),
        },
    )
