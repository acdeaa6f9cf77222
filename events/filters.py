"""Filters over the event log, shared by the API (`events/`) and the events page."""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import ValidationError

from events.models import Event


class UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, converted to UTC.

    PostgreSQL refuses a time whose UTC offset is beyond ±15:59, which Python allows (up
    to ±23:59): sent as given, `since=...-18:29` was a 500. One that leaves the calendar
    once converted is a 400.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return value


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField


class EventFilter(django_filters.FilterSet):
    since = UTCIsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="ISO 8601 time: events at or after it.",
    )
    product = django_filters.CharFilter(field_name="product__slug", help_text="Product slug.")
    community = django_filters.CharFilter(field_name="community__slug", help_text="Community slug.")
    verb = django_filters.CharFilter(help_text="Event verb, e.g. product_registered.")

    class Meta:
        model = Event
        fields = ("since", "product", "community", "verb")
