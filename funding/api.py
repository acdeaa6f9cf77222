"""API for funding coordination (DESIGN §12): `funding-calls/` (+ `{slug}/ranking/` and the
call's transitions), `panel-members/`, `proposals/` (+ `submit/`, `withdraw/`,
`comments/`), `reviews/`, `funding-decisions/`.

Thin viewsets: every write goes through ``funding.services`` or ``funding.transitions``,
whose ``PermissionDenied`` / ``TransitionNotAllowed`` / ``ValidationError`` the exception
handler turns into 403 / 409 / 400. Writes on an object take the conditional-write path of
``ResourceViewSet`` (row lock, permission, If-Match, body, service).
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from accounts.roles import is_signed_in
from funding import access, ranking, services, transitions
from funding.filters import (
    FundingCallFilter,
    FundingDecisionFilter,
    PanelMemberFilter,
    ProposalFilter,
    ReviewFilter,
)
from funding.models import FundingCall, FundingDecision, PanelMember, Proposal, Review
from funding.permissions import (
    CanEditPanelMember,
    CanEditProposal,
    DecidesFunding,
    ManagesCalls,
    ReadOnly,
    Reviews,
)
from funding.serializers import (
    CommentSerializer,
    CommentWriteSerializer,
    FundingCallCreateSerializer,
    FundingCallSerializer,
    FundingCallUpdateSerializer,
    FundingDecisionSerializer,
    FundingDecisionWriteSerializer,
    PanelMemberCreateSerializer,
    PanelMemberSerializer,
    PanelMemberUpdateSerializer,
    ProposalCreateSerializer,
    ProposalSerializer,
    ProposalUpdateSerializer,
    RankingRowSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
)
from peso_registry.conditional import (
    ResourceViewSet,
    SlugResourceViewSet,
    check_if_match,
    with_etag,
)
from peso_registry.renderers import CSVRenderer

RENDERERS = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]
WRITE_ERRORS = "400: invalid fields; 401: not signed in; 403: not allowed; 412: stale If-Match."


def _conflicts(data: dict) -> dict:
    """The service arguments of a `conflicts` object (each list given replaces one)."""
    conflicts = data.pop("conflicts", None) or {}
    if "products" in conflicts:
        data["conflict_products"] = conflicts["products"]
    if "institutions" in conflicts:
        data["conflict_institutions"] = conflicts["institutions"]
    return data


class _WriteByAction:
    """Pick the write serializer by action (create and update take different fields)."""

    write_serializers: dict = {}

    def get_write_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return self.write_serializers[self.action](*args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary="List funding calls"),
    retrieve=extend_schema(
        summary="A funding call",
        description="Its envelope, dates, state, weighted criteria with their scoring "
        "guide, and its panel (usernames). Carries an ETag.",
    ),
    create=extend_schema(
        summary="Create a funding call",
        description="Hub admins only; the call starts as a draft. " + WRITE_ERRORS,
        request=FundingCallCreateSerializer,
    ),
    partial_update=extend_schema(
        summary="Change a funding call",
        description="Hub admins only; criteria only while a draft; 409 once decided. "
        + WRITE_ERRORS,
        request=FundingCallUpdateSerializer,
    ),
)
class FundingCallViewSet(_WriteByAction, SlugResourceViewSet):
    serializer_class = FundingCallSerializer
    write_serializers = {
        "create": FundingCallCreateSerializer,
        "partial_update": FundingCallUpdateSerializer,
    }
    filterset_class = FundingCallFilter
    permission_classes = [ReadOnly | ManagesCalls]
    renderer_classes = RENDERERS
    conflict_actions = ("partial_update", "open", "start_review", "decide")
    honours_if_match = conflict_actions

    def get_queryset(self):
        return (
            FundingCall.objects.visible_to(self.request.user).for_list().order_by("-year", "slug")
        )

    def perform_post(self, data: dict) -> FundingCall:
        return services.call_create(by=self.request.user, **data)

    def perform_patch(self, instance: FundingCall, data: dict) -> None:
        services.call_update(call=instance, by=self.request.user, **data)

    def _act(self, request: Request, name: str) -> Response:
        with transaction.atomic():
            self.lock_target()
            call = self.get_object()
            check_if_match(request, self.represent(call))
            transitions.call_transition(call=call, by=request.user, action=name)
        return self.respond(call)

    @extend_schema(request=None, responses=FundingCallSerializer)
    @action(detail=True, methods=["post"])
    def open(self, request: Request, slug=None) -> Response:
        """Open the call for proposals (draft → open; it needs criteria). Hub admins."""
        return self._act(request, "open")

    @extend_schema(request=None, responses=FundingCallSerializer)
    @action(detail=True, methods=["post"])
    def start_review(self, request: Request, slug=None) -> Response:
        """Close the call and start the panel's review (open → under review; it needs a
        panel): every submitted proposal goes under review. Hub admins."""
        return self._act(request, "start_review")

    @extend_schema(request=None, responses=FundingCallSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, slug=None) -> Response:
        """Publish the call (under review → decided) once every proposal under review has
        its funding decision: its scores, reviews and decisions become public. Hub admins."""
        return self._act(request, "decide")

    @extend_schema(request=None, responses=RankingRowSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def ranking(self, request: Request, slug=None) -> Response:
        """The call's proposals under review or decided, by weighted score (mean over the
        reviews of Σ weight * score / Σ weights), with each criterion's mean score. Public
        once the call is decided; before that, hub admins and the call's panel (401/403)."""
        call = self.get_object()
        if not access.can_see_scores(request.user, call):
            if not is_signed_in(request.user):
                raise NotAuthenticated("The ranking is published once the call is decided.")
            raise PermissionDenied("The ranking is published once the call is decided.")
        rows = ranking.rank(call)
        for row in rows:
            row.review_count = len(row.reviews)
            row.decision_or_none = getattr(row.proposal, "decision", None)
        return Response(RankingRowSerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List panel members"),
    retrieve=extend_schema(summary="A panel member", description="Carries an ETag."),
    create=extend_schema(
        summary="Appoint a panel member",
        description="Hub admins only, until the call is decided (409 after). " + WRITE_ERRORS,
        request=PanelMemberCreateSerializer,
    ),
    partial_update=extend_schema(
        summary="Change a panel member's expertise or declared conflicts",
        description="The member and hub admins, until the call is decided. " + WRITE_ERRORS,
        request=PanelMemberUpdateSerializer,
    ),
)
class PanelMemberViewSet(_WriteByAction, ResourceViewSet):
    lookup_value_regex = "[0-9]+"
    serializer_class = PanelMemberSerializer
    write_serializers = {
        "create": PanelMemberCreateSerializer,
        "partial_update": PanelMemberUpdateSerializer,
    }
    filterset_class = PanelMemberFilter
    permission_classes = [ReadOnly | CanEditPanelMember]
    renderer_classes = RENDERERS
    conflict_actions = ("create", "partial_update")
    honours_if_match = ("partial_update",)

    def get_queryset(self):
        return PanelMember.objects.for_list().order_by("call__slug", "user__username", "pk")

    def perform_post(self, data: dict) -> PanelMember:
        data = _conflicts(dict(data))
        call = data.pop("call")
        return services.panel_appoint(call=call, by=self.request.user, **data)

    def perform_patch(self, instance: PanelMember, data: dict) -> None:
        services.panel_update(member=instance, by=self.request.user, **_conflicts(dict(data)))


@extend_schema_view(
    list=extend_schema(summary="List proposals"),
    retrieve=extend_schema(summary="A proposal", description="Carries an ETag."),
    create=extend_schema(
        summary="Open a proposal",
        description="A draft, to an open call (409 otherwise), by a lead of the spoke or a "
        "maintainer of one of its products. " + WRITE_ERRORS,
        request=ProposalCreateSerializer,
    ),
    partial_update=extend_schema(
        summary="Change a draft proposal",
        description="Its author; 409 once submitted. " + WRITE_ERRORS,
        request=ProposalUpdateSerializer,
    ),
)
class ProposalViewSet(_WriteByAction, ResourceViewSet):
    """Proposals to funding calls. Drafts are visible only to their author (others get 404)."""

    lookup_value_regex = "[0-9]+"
    serializer_class = ProposalSerializer
    write_serializers = {
        "create": ProposalCreateSerializer,
        "partial_update": ProposalUpdateSerializer,
    }
    filterset_class = ProposalFilter
    permission_classes = [ReadOnly | CanEditProposal]
    renderer_classes = RENDERERS
    conflict_actions = ("create", "partial_update", "submit", "withdraw", "comments")
    honours_if_match = ("partial_update", "submit", "withdraw")

    def get_queryset(self):
        visible = Proposal.objects.visible_to(self.request.user)
        return visible.for_list().order_by("call__slug", "pk")

    def get_serializer(self, *args, **kwargs):
        if args and self.action in ("list", "retrieve"):
            rows = args[0] if isinstance(args[0], list | tuple) else None
            if rows is not None:
                ranking.with_visible_scores(rows, self.request.user)
            elif isinstance(args[0], Proposal):
                ranking.with_visible_scores([args[0]], self.request.user)
        return super().get_serializer(*args, **kwargs)

    def represent(self, instance: Proposal) -> dict:
        ranking.with_visible_scores([instance], self.request.user)
        return ProposalSerializer(instance, context=self.get_serializer_context()).data

    def perform_post(self, data: dict) -> Proposal:
        return services.proposal_create(by=self.request.user, **data)

    def perform_patch(self, instance: Proposal, data: dict) -> None:
        services.proposal_update(proposal=instance, by=self.request.user, **data)

    def _act(self, request: Request, name: str) -> Response:
        with transaction.atomic():
            self.lock_target()
            proposal = self.get_object()
            check_if_match(request, self.represent(proposal))
            transitions.PROPOSAL_SERVICES[name](proposal=proposal, by=request.user)
        return self.respond(proposal)

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        """Submit a draft to its open call (it needs a work plan and a budget). Its author."""
        return self._act(request, "submit")

    @extend_schema(request=None, responses=ProposalSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk=None) -> Response:
        """Withdraw a proposal not yet decided. Its author."""
        return self._act(request, "withdraw")

    @extend_schema(methods=["GET"], responses=CommentSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=CommentWriteSerializer, responses={201: CommentSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filterset_class=None,
        pagination_class=None,
        renderer_classes=api_settings.DEFAULT_RENDERER_CLASSES,
    )
    def comments(self, request: Request, pk=None) -> Response:
        """Comments on the proposal; leads of its spoke, stakeholders' contacts and hub
        admins comment while it is submitted or under review (409 otherwise)."""
        proposal = self.get_object()
        if request.method == "GET":
            rows = proposal.comments.select_related("author")
            return Response(CommentSerializer(rows, many=True).data)
        if not access.can_comment(request.user, proposal):
            raise PermissionDenied("Leads of the proposal's spoke and stakeholders comment.")
        serializer = CommentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.comment_add(
            proposal=proposal, by=request.user, **serializer.validated_data
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class _VisibleProposalField:
    """Writes name a proposal the writer may see: a hidden draft is 'does not exist'."""

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        field = getattr(serializer, "fields", {}).get("proposal")
        if field is not None and not field.read_only:
            field.queryset = Proposal.objects.visible_to(self.request.user).select_related("call")
        return serializer


@extend_schema_view(
    list=extend_schema(summary="List reviews"),
    retrieve=extend_schema(summary="A review", description="Carries an ETag."),
    create=extend_schema(
        summary="Review a proposal",
        description="A member of the call's panel scores every criterion of a proposal "
        "under review; a second review by the same member replaces the first (200). 403 with "
        "the reason for a member who declared a conflict with the proposal (one of its "
        "products, or the team's institution); 409 for a proposal not under review. "
        "Reviews are public once the call is decided (hub admins and the panel see them "
        "before); `reviewer` is null unless the call publishes its reviewers.",
        request=ReviewWriteSerializer,
        responses={200: ReviewSerializer, 201: ReviewSerializer},
    ),
)
class ReviewViewSet(
    _VisibleProposalField,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = "[0-9]+"
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    permission_classes = [ReadOnly | Reviews]
    renderer_classes = RENDERERS
    conflict_actions = ("create",)

    def get_queryset(self):
        return Review.objects.visible_to(self.request.user).for_list().order_by("proposal", "pk")

    def get_serializer_class(self):
        return ReviewWriteSerializer if self.action == "create" else ReviewSerializer

    def get_serializer(self, *args, **kwargs):
        if args and self.action in ("list", "retrieve"):
            rows = args[0] if isinstance(args[0], list | tuple) else [args[0]]
            ranking.with_reviewers(rows, self.request.user)
        return super().get_serializer(*args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return with_etag(request, super().retrieve(request, *args, **kwargs))

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review, created = services.review_record(
            proposal=data["proposal"],
            by=request.user,
            scores=data["scores"],
            comment=data["comment"],
        )
        fresh = Review.objects.for_list().get(pk=review.pk)
        ranking.with_reviewers([fresh], request.user)
        body = ReviewSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="List funding decisions"),
    retrieve=extend_schema(summary="A funding decision", description="Carries an ETag."),
    create=extend_schema(
        summary="Take a funding decision",
        description="Hub admins who are not on the call's panel, on a proposal under review "
        "that every panel member without a conflict has scored (409 otherwise). 409 naming "
        "the total when the call's decided total would go over its envelope. Decisions are "
        "public once the call is decided. " + WRITE_ERRORS,
        request=FundingDecisionWriteSerializer,
        responses={201: FundingDecisionSerializer},
    ),
)
class FundingDecisionViewSet(
    _VisibleProposalField,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_value_regex = "[0-9]+"
    serializer_class = FundingDecisionSerializer
    filterset_class = FundingDecisionFilter
    permission_classes = [ReadOnly | DecidesFunding]
    renderer_classes = RENDERERS
    conflict_actions = ("create",)

    def get_queryset(self):
        visible = FundingDecision.objects.visible_to(self.request.user)
        return visible.for_list().order_by("-decided_at", "-pk")

    def get_serializer_class(self):
        if self.action == "create":
            return FundingDecisionWriteSerializer
        return FundingDecisionSerializer

    def retrieve(self, request, *args, **kwargs):
        return with_etag(request, super().retrieve(request, *args, **kwargs))

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = transitions.decide(by=request.user, **serializer.validated_data)
        fresh = FundingDecision.objects.for_list().get(pk=decision.pk)
        body = FundingDecisionSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
    router.register("funding-calls", FundingCallViewSet, basename="api-funding-call")
    router.register("panel-members", PanelMemberViewSet, basename="api-panel-member")
    router.register("proposals", ProposalViewSet, basename="api-proposal")
    router.register("reviews", ReviewViewSet, basename="api-review")
    router.register("funding-decisions", FundingDecisionViewSet, basename="api-funding-decision")
