"""Filters over requests and decisions, shared by the pages and the API."""

from __future__ import annotations

import django_filters

from lifecycle.models import Decision, LifecycleRequest


class RequestFilter(django_filters.FilterSet):
    """``kind``, ``state``, ``community`` (slug), ``product`` (slug)."""

    kind = django_filters.ChoiceFilter(choices=LifecycleRequest.Kind.choices)
    state = django_filters.ChoiceFilter(choices=LifecycleRequest.State.choices)
    community = django_filters.CharFilter(field_name="community__slug", label="Community (slug)")
    product = django_filters.CharFilter(field_name="product__slug", label="Product (slug)")

    class Meta:
        model = LifecycleRequest
        fields = ["kind", "state", "community", "product"]


class DecisionFilter(django_filters.FilterSet):
    """``community`` (slug), ``outcome``."""

    community = django_filters.CharFilter(field_name="community__slug", label="Community (slug)")
    outcome = django_filters.ChoiceFilter(choices=Decision.Outcome.choices)

    class Meta:
        model = Decision
        fields = ["community", "outcome"]
