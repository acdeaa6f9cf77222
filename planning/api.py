"""API for annual planning and meetings (DESIGN §12): `plans/`, `milestones/`,
`change-requests/` and `meetings/`.

Thin viewsets over ``planning.services``. Writes take the conditional-write path of every
resource (``peso_registry.conditional``): the row is locked, then permission (403), then
``If-Match`` (412), then the body (400), then the service (409 for a change request no
longer open, or progress on a dropped milestone).
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from peso_registry.conditional import ResourceViewSet, SlugResourceViewSet, check_if_match
from peso_registry.renderers import CSVRenderer
from planning import services
from planning.filters import ChangeRequestFilter, MeetingFilter, MilestoneFilter, PlanFilter
from planning.models import AnnualPlan, ChangeRequest, Meeting, Milestone
from planning.permissions import CanManageMeetings, CanPlan, ReadOnly
from planning.serializers import (
    ChangeRequestSerializer,
    ChangeRequestWriteSerializer,
    DecideSerializer,
    MeetingSerializer,
    MeetingWriteSerializer,
    MilestoneSerializer,
    MilestoneWriteSerializer,
    PlanAssessmentWriteSerializer,
    PlanSerializer,
    PlanWriteSerializer,
    ProgressWriteSerializer,
)

RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]
WRITE_ERRORS = "400: invalid fields; 401: not signed in; 403: not allowed; 412: stale If-Match."


class _ActionMixin:
    """A POST action on one object: lock it, check permission and If-Match, read the body,
    call the service, answer with the object's read representation."""

    def _act(self, request: Request, serializer_class, service, status: int = 200) -> Response:
        with transaction.atomic():
            self.lock_target()
            obj = self.get_object()
            check_if_match(request, self.represent(obj))
            serializer = serializer_class(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            service(obj, serializer.validated_data)
        return self.respond(obj, status=status)


@extend_schema_view(
    list=extend_schema(
        summary="List plans",
        description="Every community's annual plans, with their milestones and end-of-year "
        "assessment. Filterable, paginated.",
    ),
    retrieve=extend_schema(summary="A plan", description="Carries an ETag."),
    create=extend_schema(
        summary="Open a plan",
        description="A community's plan for a year (one per community and year). The "
        "community's leads and hub admins. " + WRITE_ERRORS,
        request=PlanWriteSerializer,
        responses={201: PlanSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a plan's summary",
        description="The community's leads and hub admins; the community and year cannot "
        "change. " + WRITE_ERRORS,
        request=PlanWriteSerializer,
        responses={200: PlanSerializer},
    ),
)
class PlanViewSet(_ActionMixin, ResourceViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = PlanSerializer
    write_serializer_class = PlanWriteSerializer
    filterset_class = PlanFilter
    permission_classes = [ReadOnly | CanPlan]
    renderer_classes = RENDERERS

    def get_queryset(self):
        return AnnualPlan.objects.for_list().order_by("-year", "community__name", "pk")

    def perform_post(self, data: dict) -> AnnualPlan:
        return services.create_plan(by=self.request.user, **data)

    def perform_patch(self, instance: AnnualPlan, data: dict) -> None:
        if "summary" in data:
            services.update_plan(plan=instance, by=self.request.user, summary=data["summary"])

    @extend_schema(
        summary="Record the plan's end-of-year assessment",
        description="A narrative and one outcome for every milestone of the plan; replaces "
        "an earlier assessment. The community's leads and hub admins. " + WRITE_ERRORS,
        request=PlanAssessmentWriteSerializer,
        responses=PlanSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def assessment(self, request: Request, pk=None) -> Response:
        def assess(plan, data):
            services.assess_plan(by=request.user, plan=plan, **data)

        return self._act(request, PlanAssessmentWriteSerializer, assess)


@extend_schema_view(
    list=extend_schema(
        summary="List milestones",
        description="Milestones of every plan, each with its progress updates. Filterable, "
        "paginated.",
    ),
    retrieve=extend_schema(summary="A milestone", description="Carries an ETag."),
    create=extend_schema(
        summary="Add a milestone to a plan",
        description="Planned until a progress update says otherwise. The plan's community's "
        "leads and hub admins; during the year, changes go through change requests. "
        + WRITE_ERRORS,
        request=MilestoneWriteSerializer,
        responses={201: MilestoneSerializer},
    ),
)
class MilestoneViewSet(_ActionMixin, ResourceViewSet):
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = "[0-9]+"
    serializer_class = MilestoneSerializer
    write_serializer_class = MilestoneWriteSerializer
    filterset_class = MilestoneFilter
    permission_classes = [ReadOnly | CanPlan]
    renderer_classes = RENDERERS
    # For the schema: progress on a dropped milestone answers 409.
    conflict_actions = ("progress",)
    honours_if_match = ("progress",)

    def get_queryset(self):
        return (
            Milestone.objects.for_list()
            .prefetch_related("updates__author")
            .order_by("due", "plan__community__name", "pk")
        )

    def perform_post(self, data: dict) -> Milestone:
        return services.add_milestone(by=self.request.user, **data)

    @extend_schema(
        summary="Post a progress update",
        description="A dated note and the milestone's status after it (planned, on_track, "
        "at_risk, done); the milestone takes the status of its latest update. The plan's "
        "leads, hub admins and maintainers of the milestone's products. 409 on a dropped "
        "milestone. " + WRITE_ERRORS,
        request=ProgressWriteSerializer,
        responses={201: MilestoneSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def progress(self, request: Request, pk=None) -> Response:
        def post(milestone, data):
            services.record_progress(by=request.user, milestone=milestone, **data)

        return self._act(request, ProgressWriteSerializer, post, status=201)


@extend_schema_view(
    list=extend_schema(
        summary="List change requests",
        description="Changes proposed to plans during their year (add, drop or re-scope a "
        "milestone) and their decisions. Filterable, paginated.",
    ),
    retrieve=extend_schema(summary="A change request", description="Carries an ETag."),
    create=extend_schema(
        summary="Propose a change to a plan",
        description="`add` (a title and due date, products), `drop` (a milestone) or "
        "`rescope` (a milestone and a new title, due date or products), with a reason. The "
        "plan's community's leads and hub admins. " + WRITE_ERRORS,
        request=ChangeRequestWriteSerializer,
        responses={201: ChangeRequestSerializer},
    ),
)
class ChangeRequestViewSet(_ActionMixin, ResourceViewSet):
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = "[0-9]+"
    serializer_class = ChangeRequestSerializer
    write_serializer_class = ChangeRequestWriteSerializer
    filterset_class = ChangeRequestFilter
    permission_classes = [ReadOnly | CanPlan]
    renderer_classes = RENDERERS
    # For the schema: deciding a request that is no longer open answers 409.
    conflict_actions = ("approve", "reject")
    honours_if_match = conflict_actions

    def get_queryset(self):
        return ChangeRequest.objects.for_list().order_by("-created_at", "-pk")

    def perform_post(self, data: dict) -> ChangeRequest:
        return services.request_change(by=self.request.user, **data)

    def _decide(self, request: Request, name: str) -> Response:
        def decide(change, data):
            services.DECISIONS[name](change=change, by=request.user, **data)

        return self._act(request, DecideSerializer, decide)

    @extend_schema(
        summary="Approve a change request",
        description="The change applies itself to the plan: an add creates its milestone, a "
        "drop drops the milestone, a re-scope changes it. The plan's community's leads and "
        "hub admins; 409 once decided. " + WRITE_ERRORS,
        request=DecideSerializer,
        responses=ChangeRequestSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request: Request, pk=None) -> Response:
        return self._decide(request, "approve")

    @extend_schema(
        summary="Reject a change request",
        description="The plan stays as it is. The plan's community's leads and hub admins; "
        "409 once decided. " + WRITE_ERRORS,
        request=DecideSerializer,
        responses=ChangeRequestSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reject(self, request: Request, pk=None) -> Response:
        return self._decide(request, "reject")


@extend_schema_view(
    list=extend_schema(
        summary="List meetings",
        description="The annual all-teams meeting and the hub's other meetings, with their "
        "agenda, participating communities and outcomes. Filterable, paginated.",
    ),
    retrieve=extend_schema(summary="A meeting", description="Carries an ETag."),
    create=extend_schema(
        summary="Record a meeting",
        description="Hub admins only. " + WRITE_ERRORS,
        request=MeetingWriteSerializer,
        responses={201: MeetingSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a meeting",
        description="Hub admins only; `communities`, `agenda` and `outcomes` sent replace "
        "them; the slug cannot change. " + WRITE_ERRORS,
        request=MeetingWriteSerializer,
        responses={200: MeetingSerializer},
    ),
)
class MeetingViewSet(SlugResourceViewSet):
    serializer_class = MeetingSerializer
    write_serializer_class = MeetingWriteSerializer
    filterset_class = MeetingFilter
    permission_classes = [ReadOnly | CanManageMeetings]
    renderer_classes = RENDERERS

    def get_queryset(self):
        return Meeting.objects.for_list().order_by("-starts", "slug")

    def perform_post(self, data: dict) -> Meeting:
        return services.create_meeting(by=self.request.user, **data)

    def perform_patch(self, instance: Meeting, data: dict) -> None:
        services.update_meeting(meeting=instance, by=self.request.user, **data)


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    router.register("plans", PlanViewSet, basename="api-plan")
    router.register("milestones", MilestoneViewSet, basename="api-milestone")
    router.register("change-requests", ChangeRequestViewSet, basename="api-change-request")
    router.register("meetings", MeetingViewSet, basename="api-meeting")
