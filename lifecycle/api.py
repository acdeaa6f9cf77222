"""API for onramp/offramp requests and governance decisions (DESIGN §6).

Thin viewsets: every write goes through ``lifecycle.transitions`` or ``lifecycle.decisions``,
whose ``PermissionDenied`` / ``TransitionNotAllowed`` the exception handler turns into 403 /
409. Permission is checked before the body is validated, so someone who may never take an
action gets 403 whatever they send.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from lifecycle import access as lifecycle_access
from lifecycle import decisions, transitions
from lifecycle.forms import DecisionFilter, RequestFilter
from lifecycle.models import Decision, LifecycleRequest
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
from peso_registry.conditional import check_if_match, with_etag
from peso_registry.renderers import CSVRenderer

RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]


class LifecycleRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Onramp/offramp requests. Drafts are visible only to their requester, the product's
    maintainers and the community's leads (others get 404)."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAuthenticatedOrReadOnly]
    serializer_class = LifecycleRequestSerializer
    # For the schema (peso_registry/schema.py): PATCH and the transitions check If-Match
    # (412), and a transition the current state does not allow answers 409.
    conflict_actions = ("submit", "start_review", "approve", "reject", "withdraw")
    honours_if_match = ("partial_update", *conflict_actions)
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

    def _read(self, obj: LifecycleRequest) -> dict:
        return LifecycleRequestSerializer(obj, context=self.get_serializer_context()).data

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return with_etag(request, Response(self._read(self.get_object())))

    @extend_schema(responses=LifecycleRequestSerializer)
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = transitions.request_create(by=request.user, **serializer.validated_data)
        data = self._read(obj)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    @extend_schema(responses=LifecycleRequestSerializer)
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        obj = self.get_object()
        if not lifecycle_access.can_edit_request(request.user, obj):
            raise PermissionDenied("You may not edit this request.")
        check_if_match(request, self._read(obj))
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        transitions.request_update(request=obj, by=request.user, **serializer.validated_data)
        return with_etag(request, Response(self._read(obj)))

    def _act(self, request: Request, name: str) -> Response:
        obj = self.get_object()
        if not transitions.may_take(request.user, obj, name):
            raise PermissionDenied(f"You may not {name.replace('_', ' ')} this request.")
        check_if_match(request, self._read(obj))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kwargs = dict(serializer.validated_data)
        if name == "approve":
            # The approve body may add a successor or the acknowledgement, never remove one
            # recorded on the request.
            if kwargs.get("successor") is None:
                kwargs.pop("successor", None)
            kwargs["acknowledge_dependents"] = (
                True if kwargs.get("acknowledge_dependents") else None
            )
        transitions.perform(name, request=obj, by=request.user, **kwargs)
        return Response(self._read(obj))

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
    """Governance decisions with their tally; seat holders vote at ``{id}/votes/``."""

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
