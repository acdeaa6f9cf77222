"""API for onramp/offramp requests and governance decisions (DESIGN §6).

Thin viewsets: every write goes through ``lifecycle.transitions`` or ``lifecycle.decisions``,
whose ``PermissionDenied`` / ``TransitionNotAllowed`` the exception handler turns into 403 /
409. Permission is checked before the body is validated, so someone who may never take an
action gets 403 whatever they send.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from lifecycle import access as lifecycle_access
from lifecycle import decisions, transitions
from lifecycle.filters import DecisionFilter, RequestFilter
from lifecycle.models import Decision, LifecycleRequest
from lifecycle.permissions import CanActOnRequest, ReadOnly
from lifecycle.serializers import (
    ActionSerializer,
    ApproveSerializer,
    ChecklistSerializer,
    DecisionSerializer,
    LifecycleRequestCreateSerializer,
    LifecycleRequestSerializer,
    LifecycleRequestUpdateSerializer,
    VoteResultSerializer,
    VoteSerializer,
    VoteWriteSerializer,
    checklist_payload,
)
from peso_registry.conditional import ResourceViewSet, check_if_match, with_etag
from peso_registry.renderers import CSVRenderer

RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]


class LifecycleRequestViewSet(ResourceViewSet):
    """Onramp/offramp requests. Drafts are visible only to their requester, the product's
    maintainers and the community's leads (others get 404)."""

    # Writes take the conditional-write path of every resource (``ResourceViewSet``): the
    # row is locked, then permission (403), then ``If-Match`` (412), then the body (400),
    # then the service (409 for a transition the state does not allow). (A comment, not
    # the docstring: the docstring is the operations' description in the schema.)

    lookup_value_regex = "[0-9]+"
    permission_classes = [ReadOnly | CanActOnRequest]
    serializer_class = LifecycleRequestSerializer
    # For the schema (peso_registry/schema.py): PATCH and the transitions check If-Match
    # (412); a transition the current state does not allow answers 409, and so does a
    # PATCH of a request already decided or withdrawn.
    conflict_actions = ("partial_update", "submit", "start_review", "approve", "reject", "withdraw")
    honours_if_match = conflict_actions
    filterset_class = RequestFilter
    renderer_classes = RENDERERS

    def get_queryset(self):
        visible = LifecycleRequest.objects.visible_to(self.request.user)
        return visible.for_list().order_by("-created_at", "-id")

    def get_serializer_class(self):
        return {
            "create": LifecycleRequestCreateSerializer,
            "partial_update": LifecycleRequestUpdateSerializer,
            "approve": ApproveSerializer,
            "submit": ActionSerializer,
            "start_review": ActionSerializer,
            "reject": ActionSerializer,
            "withdraw": ActionSerializer,
        }.get(self.action, LifecycleRequestSerializer)

    def get_write_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return self.get_serializer_class()(*args, **kwargs)

    def represent(self, instance: LifecycleRequest) -> dict:
        return LifecycleRequestSerializer(instance, context=self.get_serializer_context()).data

    def perform_post(self, data: dict) -> LifecycleRequest:
        return transitions.request_create(by=self.request.user, **data)

    def perform_patch(self, instance: LifecycleRequest, data: dict) -> None:
        transitions.request_update(request=instance, by=self.request.user, **data)

    def _act(self, request: Request, name: str) -> Response:
        with transaction.atomic():
            self.lock_target()
            obj = self.get_object()
            check_if_match(request, self.represent(obj))
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            arguments = transitions.action_arguments(name, **serializer.validated_data)
            transitions.perform(name, request=obj, by=request.user, **arguments)
        return self.respond(obj)

    @extend_schema(responses=LifecycleRequestSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        return self._act(request, "submit")

    @extend_schema(responses=LifecycleRequestSerializer)
    @action(detail=True, methods=["post"])
    def start_review(self, request: Request, pk=None) -> Response:
        return self._act(request, "start_review")

    @extend_schema(responses=LifecycleRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        return self._act(request, "approve")

    @extend_schema(responses=LifecycleRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        return self._act(request, "reject")

    @extend_schema(responses=LifecycleRequestSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        return self._act(request, "withdraw")

    @extend_schema(request=None, responses=ChecklistSerializer)
    @action(detail=True, methods=["get"])
    def checklist(self, request: Request, pk=None) -> Response:
        obj = self.get_object()
        result, as_of = transitions.checklist_of(obj)
        return Response(checklist_payload(obj, result, as_of=as_of))


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    """Governance decisions with their tally; seat holders vote at `{id}/votes/`."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = DecisionSerializer
    # For the schema: a vote on a decision that is no longer pending answers 409.
    conflict_actions = ("votes",)
    filterset_class = DecisionFilter
    renderer_classes = RENDERERS

    def get_queryset(self):
        return Decision.objects.for_list().order_by("-opened_at", "-id")

    def get_serializer_class(self):
        if self.action == "votes" and self.request.method == "POST":
            return VoteWriteSerializer
        return super().get_serializer_class()

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return with_etag(request, super().retrieve(request, *args, **kwargs))

    @extend_schema(methods=["GET"], responses=VoteSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=VoteWriteSerializer,
        responses={200: VoteResultSerializer, 201: VoteResultSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def votes(self, request: Request, pk=None) -> Response:
        decision = self.get_object()
        if request.method == "GET":
            return Response(VoteSerializer(decision.votes.all(), many=True).data)
        if not lifecycle_access.can_vote(request.user, decision):
            raise PermissionDenied("Only seat holders of the governance body may vote.")
        serializer = VoteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vote, created = decisions.cast_vote(
            decision=decision, by=request.user, **serializer.validated_data
        )
        vote.decision = self.get_queryset().get(pk=decision.pk)
        data = VoteResultSerializer(vote).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    # "api-" prefix: the router's URL names must not shadow the pages' (request-detail ...).
    router.register("requests", LifecycleRequestViewSet, basename="api-request")
    router.register("decisions", DecisionViewSet, basename="api-decision")
