"""Filters over plans, milestones, change requests and meetings (API and pages)."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from planning.models import AnnualPlan, ChangeRequest, Meeting, Milestone, Status
from spokes.models import Community


def _community(help_text: str, field_name: str = "community") -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        queryset=Community.objects.all(),
        to_field_name="slug",
        field_name=field_name,
        help_text=help_text,
    )


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(django_filters.NumberFilter):
    """A year: a whole number (not one is a 400)."""

    field_class = forms.IntegerField


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class PlanFilter(django_filters.FilterSet):
    community = _community("Community slug.")
    year = YearFilter()

    class Meta:
        model = AnnualPlan
        fields = ("community", "year")


class MilestoneFilter(django_filters.FilterSet):
    plan = IdFilter(field_name="plan_id", help_text="Plan id.")
    community = _community("Community slug: its plans' milestones.", "plan__community")
    year = YearFilter(field_name="plan__year")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    product = django_filters.CharFilter(
        field_name="products__slug", distinct=True, help_text="Product slug."
    )

    class Meta:
        model = Milestone
        fields = ("plan", "community", "year", "status", "product")


class ChangeRequestFilter(django_filters.FilterSet):
    plan = IdFilter(field_name="plan_id", help_text="Plan id.")
    community = _community("Community slug.", "plan__community")
    kind = django_filters.ChoiceFilter(choices=ChangeRequest.Kind.choices)
    state = django_filters.ChoiceFilter(choices=ChangeRequest.State.choices)

    class Meta:
        model = ChangeRequest
        fields = ("plan", "community", "kind", "state")


class MeetingFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Meeting.Kind.choices)
    community = _community("Community slug: the meetings it took part in.", "communities")
    year = YearFilter(method="filter_year", help_text="The year it starts in.")

    class Meta:
        model = Meeting
        fields = ("kind", "community", "year")

    def filter_year(self, queryset, name, value):
        if value is None:
            return queryset
        if not 1 <= value <= 9999:  # no date falls in it
            return queryset.none()
        return queryset.filter(starts__year=value)
