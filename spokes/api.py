"""API viewsets for communities and policy sets (DESIGN §6).

Registered on the api/v1/ router by `register`. Writes go through spokes.services;
permissions are in spokes.permissions; filters in spokes.filters.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import DefaultRouter

from peso_registry.conditional import SlugResourceViewSet
from products.models import Membership, display_state_q
from spokes import services
from spokes.filters import CommunityFilter, PolicySetFilter
from spokes.models import Community, CommunityRole, PolicySet, Seat
from spokes.permissions import CanCreateOrManageCommunity, CanEditPolicySet, ReadOnly
from spokes.serializers import (
    CommunitySerializer,
    CommunityWriteSerializer,
    PolicySetSerializer,
    PolicySetWriteSerializer,
)

WRITE_ERRORS = "400: invalid fields; 401: not signed in; 403: not allowed; 412: stale If-Match."


@extend_schema_view(
    list=extend_schema(
        summary="List communities (the hub, its spokes and communities of practice)",
        description="Every kind; `?kind=spoke` lists the Software Product Communities only.",
    ),
    retrieve=extend_schema(
        summary="A community",
        description="Embeds leads, roles, the governance body with its seats, the policy "
        "set slug and member counts. Carries an ETag.",
    ),
    create=extend_schema(
        summary="Create a community",
        description="Hub admins only. " + WRITE_ERRORS,
        request=CommunityWriteSerializer,
        responses={201: CommunitySerializer},
    ),
    partial_update=extend_schema(
        summary="Change a community",
        description="Leads of the community and hub admins. " + WRITE_ERRORS,
        request=CommunityWriteSerializer,
        responses={200: CommunitySerializer},
    ),
)
class CommunityViewSet(SlugResourceViewSet):
    serializer_class = CommunitySerializer
    write_serializer_class = CommunityWriteSerializer
    filterset_class = CommunityFilter
    permission_classes = [ReadOnly | CanCreateOrManageCommunity]

    def get_queryset(self):
        def members(state: str) -> Count:
            return Count(
                "memberships__product",
                filter=display_state_q(state, prefix="memberships__"),
                distinct=True,
            )

        return (
            Community.objects.select_related("policy_set", "governance")
            .prefetch_related(
                Prefetch("roles", queryset=CommunityRole.objects.select_related("user")),
                Prefetch("governance__seats", queryset=Seat.objects.select_related("user")),
            )
            .annotate(
                member_count=members(Membership.DisplayState.ACTIVE),
                offramped_count=members(Membership.DisplayState.OFFRAMPED),
                sunsetting_count=members(Membership.DisplayState.SUNSETTING),
            )
            .order_by("name", "pk")
        )

    def perform_post(self, data: dict) -> Community:
        return services.create_community(by=self.request.user, **data)

    def perform_patch(self, instance: Community, data: dict) -> None:
        services.update_community(community=instance, by=self.request.user, **data)


@extend_schema_view(
    list=extend_schema(summary="List policy sets"),
    retrieve=extend_schema(
        summary="A policy set",
        description="The version in force and its effective policies (own ones first, "
        "then the base set's that are not adapted, marked `inherited`). Carries an ETag.",
    ),
    create=extend_schema(
        summary="Create a policy set",
        description="Hub admins; or a lead, for a set owned by their community. " + WRITE_ERRORS,
        request=PolicySetWriteSerializer,
        responses={201: PolicySetSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a policy set",
        description="Hub admins; leads of the owning community. " + WRITE_ERRORS,
        request=PolicySetWriteSerializer,
        responses={200: PolicySetSerializer},
    ),
)
class PolicySetViewSet(SlugResourceViewSet):
    serializer_class = PolicySetSerializer
    write_serializer_class = PolicySetWriteSerializer
    filterset_class = PolicySetFilter
    permission_classes = [ReadOnly | CanEditPolicySet]

    def get_queryset(self):
        return PolicySet.objects.select_related("base", "owner").order_by("slug")

    def perform_post(self, data: dict) -> PolicySet:
        return services.create_policy_set(by=self.request.user, **data)

    def perform_patch(self, instance: PolicySet, data: dict) -> None:
        services.update_policy_set(policy_set=instance, by=self.request.user, **data)


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    router.register("communities", CommunityViewSet, basename="api-community")
    router.register("policy-sets", PolicySetViewSet, basename="api-policyset")
