"""API representations of the hub's releases (DESIGN §12). Field names are the contract."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hub import delivery
from hub.models import Release
from peso_registry.fields import AbsoluteURLField
from products.models import Product
from spokes.models import Community


class ReleaseSerializer(serializers.ModelSerializer):
    """A release: an E4S tag, the current E4S environment, or a spoke's Spack bundle version."""

    url = serializers.HyperlinkedIdentityField(view_name="api-release-detail", lookup_field="slug")
    html_url = AbsoluteURLField(source="get_absolute_url")
    community = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="The spoke whose bundle it is (bundles)."
    )
    products = serializers.SerializerMethodField()
    packages = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = (
            "slug",
            "name",
            "kind",
            "community",
            "version",
            "tag",
            "date",
            "environment",
            "products",
            "packages",
            "source",
            "note",
            "seed_ref",
            "url",
            "html_url",
        )

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_products(self, obj: Release) -> list[str]:
        """Slugs of the catalog products it includes, sorted."""
        return sorted({i.product.slug for i in obj.items.all() if i.product_id is not None})

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_packages(self, obj: Release) -> list[str]:
        """Every Spack package it includes as its source lists it, catalog product or not."""
        return [i.package for i in obj.items.all()]


class ReleaseWriteSerializer(serializers.ModelSerializer):
    """The fields a client may send to record or change a release."""

    community = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Community.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of the spoke whose Spack bundle this is: required for a bundle, "
        "empty for an E4S release.",
    )
    products = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Product.objects.all(),
        many=True,
        required=False,
        help_text="Slugs of the catalog products it includes; replaces them (the Spack "
        "packages it lists with no catalog product stay).",
    )

    class Meta:
        model = Release
        fields = (
            "slug",
            "name",
            "kind",
            "community",
            "version",
            "tag",
            "date",
            "environment",
            "products",
            "source",
            "note",
        )

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError("A release's slug cannot be changed.")
        return value


CHECK_CHOICES = list(delivery.CHECK_STATES)


class DeliveryHealthSerializer(serializers.Serializer):
    """An active member of a spoke and its delivery checks: present, missing or unknown."""

    product = serializers.SlugField(source="product.slug")
    name = serializers.CharField(source="product.name")
    html_url = AbsoluteURLField(source="product.get_absolute_url")
    spack_package = serializers.ChoiceField(
        source="checks.spack_package", choices=CHECK_CHOICES, help_text="A Spack package."
    )
    e4s_entry = serializers.ChoiceField(
        source="checks.e4s_entry", choices=CHECK_CHOICES, help_text="An E4S catalog entry."
    )
    smoke_test = serializers.ChoiceField(
        source="checks.smoke_test",
        choices=CHECK_CHOICES,
        help_text="A Spack smoke test (E4S catalog); unknown outside the catalog.",
    )
    testsuite = serializers.ChoiceField(
        source="checks.testsuite",
        choices=CHECK_CHOICES,
        help_text="An E4S testsuite test (E4S catalog); unknown outside the catalog.",
    )
    gaps = serializers.ListField(
        child=serializers.ChoiceField(choices=delivery.CHECKS),
        help_text="The checks it misses.",
    )

    def to_representation(self, instance):
        if isinstance(instance, Product):
            instance = delivery.row(instance)
        return super().to_representation(instance)
