"""Filters over communities and policy sets (API and pages)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from spokes.models import Community, PolicySet


class CommunityFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Community.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Community.Kind.choices)
    policy_set = django_filters.CharFilter(
        field_name="policy_set__slug", help_text="Policy set slug."
    )
    q = django_filters.CharFilter(
        method="filter_q", help_text="Words in the slug, name, full name, summary or area."
    )

    class Meta:
        model = Community
        fields = ("status", "kind", "policy_set", "q")

    def filter_q(self, queryset, name, value: str):
        for word in value.split():
            queryset = queryset.filter(
                Q(slug__icontains=word)
                | Q(name__icontains=word)
                | Q(full_name__icontains=word)
                | Q(summary__icontains=word)
                | Q(area__icontains=word)
            )
        return queryset


class PolicySetFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(
        field_name="owner__slug", help_text="Slug of the owning community."
    )
    base = django_filters.CharFilter(field_name="base__slug", help_text="Slug of the base set.")

    class Meta:
        model = PolicySet
        fields = ("owner", "base")
