"""API for the hub's releases (`releases/`, DESIGN §12): read-only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.routers import DefaultRouter

from hub import delivery
from hub.filters import DeliveryHealthFilter, ReleaseFilter
from hub.models import Release
from hub.serializers import DeliveryHealthSerializer, ReleaseSerializer
from peso_registry.conditional import SLUG_RE, with_etag
from products.models import Product
from spokes.models import Community

# Release slugs keep their version's dots (e4s-25.11).
RELEASE_SLUG_RE = "[-a-zA-Z0-9_.]+"


@extend_schema_view(
    list=extend_schema(
        summary="List releases",
        description="E4S release tags, the current E4S environment and the spokes' Spack "
        "bundle versions, each with the products and Spack packages it includes where a "
        "source says so. Filterable, paginated.",
    ),
    retrieve=extend_schema(summary="A release", description="Carries an ETag."),
)
class ReleaseViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = RELEASE_SLUG_RE
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter

    def get_queryset(self):
        return Release.objects.for_list().order_by(*Release._meta.ordering, "pk")

    def retrieve(self, request, *args, **kwargs):
        return with_etag(request, super().retrieve(request, *args, **kwargs))


@extend_schema_view(
    list=extend_schema(
        summary="Delivery health of a community's members",
        description="The hub's delivery work list: one row per active member, each check "
        "(Spack package, E4S catalog entry, Spack smoke test, E4S testsuite test) present, "
        "missing, or unknown where no source says. `?missing=` keeps the members missing "
        "one check. 404 for an unknown community.",
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The community's slug."
            )
        ],
    ),
)
class DeliveryHealthViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = DeliveryHealthSerializer
    filterset_class = DeliveryHealthFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema reads the model only
            return Product.objects.none()
        community = get_object_or_404(Community, slug=self.kwargs["slug"])
        return delivery.members(community)


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    router.register("releases", ReleaseViewSet, basename="api-release")
    router.register(
        rf"communities/(?P<slug>{SLUG_RE})/delivery",
        DeliveryHealthViewSet,
        basename="api-delivery-health",
    )
