"""Filters over releases, shared by the API and the releases page."""

from __future__ import annotations

import django_filters

from hub import delivery
from hub.models import Release
from products.models import Product
from spokes.models import Community


class ReleaseFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=Release.Kind.choices, help_text="e4s (tags and the environment) or bundle."
    )
    community = django_filters.ModelChoiceFilter(
        queryset=Community.objects.all(),
        to_field_name="slug",
        help_text="Community slug: that spoke's bundle versions.",
    )
    product = django_filters.CharFilter(
        method="filter_product", help_text="Product slug: the releases that include it."
    )
    # A choice rather than a BooleanFilter, so `environment=maybe` is a 400, not ignored.
    environment = django_filters.ChoiceFilter(
        choices=(("true", "true"), ("false", "false")),
        method="filter_environment",
        help_text="true: the current E4S environment; false: tagged releases and bundles.",
    )

    class Meta:
        model = Release
        fields = ("kind", "community", "product", "environment")

    def filter_environment(self, queryset, name, value: str):
        return queryset.filter(environment=value == "true") if value else queryset

    def filter_product(self, queryset, name, value: str):
        return queryset.filter(items__product__slug=value).distinct()


class DeliveryHealthFilter(django_filters.FilterSet):
    missing = django_filters.ChoiceFilter(
        choices=[(c, delivery.CHECK_LABELS[c]) for c in delivery.CHECKS],
        method="filter_missing",
        help_text="Only the members missing this: spack_package, e4s_entry, smoke_test, testsuite.",
    )

    class Meta:
        model = Product
        fields = ("missing",)

    def filter_missing(self, queryset, name, value: str):
        return queryset.filter(delivery.missing_q(value)) if value else queryset
