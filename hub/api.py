"""API for the hub's releases (`releases/`, DESIGN §12) and a spoke's delivery health.

Release writes go through hub.services; permissions are in hub.permissions."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from hub import delivery, services
from hub.filters import DeliveryHealthFilter, ReleaseFilter
from hub.models import Release
from hub.permissions import CanWriteRelease, ReadOnly
from hub.serializers import DeliveryHealthSerializer, ReleaseSerializer, ReleaseWriteSerializer
from peso_registry.conditional import SLUG_RE, ResourceViewSet, check_if_match
from products.models import Product
from spokes.models import Community

# Release slugs keep their version's dots (e4s-25.11).
RELEASE_SLUG_RE = "[-a-zA-Z0-9_.]+"


WRITE_ERRORS = "400: invalid fields; 401: not signed in; 403: not allowed; 412: stale If-Match."
WHO = (
    "E4S releases: hub admins; a spoke's Spack bundle versions: the leads of that community "
    "and hub admins."
)


@extend_schema_view(
    list=extend_schema(
        summary="List releases",
        description="E4S release tags, the current E4S environment and the spokes' Spack "
        "bundle versions, each with the products and Spack packages it includes where a "
        "source says so. Filterable, paginated.",
    ),
    retrieve=extend_schema(
        summary="A release",
        description="Carries an ETag; send it back as If-Match on PATCH or DELETE.",
    ),
    create=extend_schema(
        summary="Record a release",
        description=WHO
        + " A bundle names its `community`; an E4S release names none. "
        + WRITE_ERRORS,
        request=ReleaseWriteSerializer,
        responses={201: ReleaseSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a release",
        description=WHO + " Moving a release to another kind or community needs the right "
        "to both; the slug cannot change; `products` replaces its catalog products. "
        + WRITE_ERRORS,
        request=ReleaseWriteSerializer,
        responses={200: ReleaseSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a release",
        description=WHO + " Its history stays. 401: not signed in; 403: not allowed; "
        "412: stale If-Match.",
        responses={204: None},
    ),
)
class ReleaseViewSet(ResourceViewSet):
    lookup_field = "slug"
    lookup_value_regex = RELEASE_SLUG_RE
    serializer_class = ReleaseSerializer
    write_serializer_class = ReleaseWriteSerializer
    filterset_class = ReleaseFilter
    permission_classes = [ReadOnly | CanWriteRelease]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Release.objects.for_list().order_by(*Release._meta.ordering, "pk")

    def perform_post(self, data: dict) -> Release:
        return services.create_release(by=self.request.user, **data)

    def perform_patch(self, instance: Release, data: dict) -> None:
        services.update_release(release=instance, by=self.request.user, **data)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            self.lock_target()
            instance = self.get_object()  # 404, then 403
            check_if_match(request, self.represent(instance))
            services.delete_release(release=instance, by=request.user)
        return Response(status=204)


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
