"""API for the event log (`events/`): read-only, newest first, drafts' events kept private."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.routers import DefaultRouter

from events.filters import EventFilter
from events.models import Event
from events.serializers import EventSerializer
from lifecycle.models import visible_events


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """The append-only event log, newest first."""

    lookup_value_regex = "[0-9]+"
    serializer_class = EventSerializer
    filterset_class = EventFilter
    queryset = Event.objects.for_list().order_by("-created_at", "-id")

    def get_queryset(self):
        return visible_events(self.request.user, super().get_queryset())


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    router.register("events", EventViewSet, basename="api-event")
