"""Serializers for lifecycle requests, their checklist, decisions and votes (DESIGN §6).

Field names are the contract; read and write serializers are separate because the write
side takes slugs and hands validated data to ``lifecycle.transitions``, never saving itself.
"""

from __future__ import annotations

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lifecycle import decisions
from lifecycle.checklist import Checklist
from lifecycle.models import Decision, LifecycleRequest, Vote
from peso_registry.fields import AbsoluteURLField
from products.models import Product
from products.serializers import UsedBySerializer
from spokes.models import Community


class ToldStakeholderSerializer(serializers.Serializer):
    stakeholder = serializers.CharField(help_text="Slug.")
    name = serializers.CharField()
    kind = serializers.CharField()
    criticality = serializers.CharField()


class ToldSerializer(serializers.Serializer):
    """Whom an approved offramp was announced to, as it stood at approval (empty for any
    other request)."""

    dependents = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Slugs of dependent products."
    )
    stakeholders = ToldStakeholderSerializer(many=True, required=False)


class LifecycleRequestSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    community = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    successor = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    decision = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    told = serializers.SerializerMethodField()
    url = AbsoluteURLField(source="get_absolute_url", help_text="The request's page.")

    class Meta:
        model = LifecycleRequest
        fields = [
            "id",
            "kind",
            "product",
            "community",
            "state",
            "rationale",
            "requested_by",
            "reason",
            "successor",
            "support_organization",
            "end_of_support",
            "migration_notes",
            "acknowledge_dependents",
            "decision",
            "told",
            "created_at",
            "updated_at",
            "submitted_at",
            "decided_at",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(ToldSerializer)
    def get_told(self, obj: LifecycleRequest) -> dict:
        return obj.told or {}


class _PlanFields(serializers.Serializer):
    """The fields a requester may set and change until the request is decided."""

    rationale = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.ChoiceField(
        choices=LifecycleRequest.Reason.choices, required=False, allow_blank=True
    )
    successor = serializers.SlugRelatedField(
        slug_field="slug", queryset=Product.objects.all(), required=False, allow_null=True
    )
    support_organization = serializers.CharField(required=False, allow_blank=True, max_length=200)
    end_of_support = serializers.DateField(required=False, allow_null=True)
    migration_notes = serializers.CharField(required=False, allow_blank=True)
    acknowledge_dependents = serializers.BooleanField(required=False)


class LifecycleRequestCreateSerializer(_PlanFields):
    kind = serializers.ChoiceField(choices=LifecycleRequest.Kind.choices)
    product = serializers.SlugRelatedField(slug_field="slug", queryset=Product.objects.all())
    community = serializers.SlugRelatedField(slug_field="slug", queryset=Community.objects.spokes())

    def validate(self, attrs: dict) -> dict:
        if attrs.get("successor") is not None and attrs["successor"] == attrs["product"]:
            raise serializers.ValidationError({"successor": ["A product cannot succeed itself."]})
        return attrs


class LifecycleRequestUpdateSerializer(_PlanFields):
    pass


class ActionSerializer(serializers.Serializer):
    rationale = serializers.CharField(required=False, allow_blank=True, default="")


class ApproveSerializer(ActionSerializer):
    successor = serializers.SlugRelatedField(
        slug_field="slug", queryset=Product.objects.all(), required=False, allow_null=True
    )
    acknowledge_dependents = serializers.BooleanField(required=False, default=False)
    acknowledge_critical = serializers.BooleanField(
        required=False,
        default=False,
        help_text="An offramp of a product a stakeholder marks critical: the approver "
        "acknowledges the critical uses (without it, 409 naming the stakeholders).",
    )


def checklist_payload(
    req: LifecycleRequest, result: Checklist, *, as_of: datetime.datetime | None = None
) -> dict:
    """`as_of` is the approval time for an approved request (the checklist recorded then),
    null for a checklist computed now."""
    return {
        "request": req.pk,
        "kind": req.kind,
        "state": req.state,
        "as_of": as_of.isoformat() if as_of else None,
        "passed": result.passed,
        "items": [item.as_dict() for item in result.items],
        "dependents": [p.slug for p in result.dependents],
        "stakeholders": UsedBySerializer(result.uses, many=True).data,
    }


class VoteSerializer(serializers.ModelSerializer):
    voter = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Vote
        fields = ["voter", "choice", "comment", "cast_at"]
        read_only_fields = fields


class VoteWriteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Vote.Choice.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TallySerializer(serializers.Serializer):
    yes = serializers.IntegerField()
    no = serializers.IntegerField()
    abstain = serializers.IntegerField()


def _tally(decision: Decision) -> decisions.Tally:
    """The decision's tally, computed once from the prefetched votes."""
    cached = getattr(decision, "_tally", None)
    if cached is None:
        cached = decisions.tally(
            decision,
            votes=list(decision.votes.all()),
            seats=getattr(decision, "seat_count", None),
        )
        decision._tally = cached
    return cached


class DecisionSerializer(serializers.ModelSerializer):
    """A governance decision: its subject, outcome, votes and tally."""

    # Expects ``votes`` prefetched (with voters) and ``seat_count`` annotated
    # (``Decision.objects.for_list()``). (The docstring is the schema's description.)

    community = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    body = serializers.StringRelatedField(allow_null=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    request = serializers.SerializerMethodField()
    told = serializers.SerializerMethodField()
    votes = VoteSerializer(many=True, read_only=True)
    tally = serializers.SerializerMethodField()
    seats = serializers.SerializerMethodField()
    requires_vote = serializers.SerializerMethodField()
    quorum = serializers.SerializerMethodField()
    threshold = serializers.SerializerMethodField()
    quorum_met = serializers.SerializerMethodField()
    threshold_met = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "community",
            "body",
            "subject",
            "request",
            "outcome",
            "rationale",
            "told",
            "opened_at",
            "closed_at",
            "closed_by",
            "tally",
            "votes",
            "seats",
            "requires_vote",
            "quorum",
            "threshold",
            "quorum_met",
            "threshold_met",
        ]
        read_only_fields = fields

    def get_request(self, obj: Decision) -> int | None:
        try:
            return obj.request.pk
        except Decision.request.RelatedObjectDoesNotExist:
            return None

    @extend_schema_field(ToldSerializer)
    def get_told(self, obj: Decision) -> dict:
        """Its request's ``told``: whom an approved offramp was announced to."""
        try:
            return obj.request.told or {}
        except Decision.request.RelatedObjectDoesNotExist:
            return {}

    @extend_schema_field(TallySerializer)
    def get_tally(self, obj: Decision) -> dict:
        return _tally(obj).as_dict()

    def get_seats(self, obj: Decision) -> int:
        return _tally(obj).seats

    def get_requires_vote(self, obj: Decision) -> bool:
        return _tally(obj).requires_vote

    def get_quorum(self, obj: Decision) -> str:
        """Fraction of seats that must vote."""
        return str(_tally(obj).quorum)

    def get_threshold(self, obj: Decision) -> str:
        """Fraction of yes among yes and no votes needed."""
        return str(_tally(obj).threshold)

    def get_quorum_met(self, obj: Decision) -> bool:
        return _tally(obj).quorum_met

    def get_threshold_met(self, obj: Decision) -> bool:
        return _tally(obj).threshold_met


class VoteResultSerializer(VoteSerializer):
    """The vote just cast, with the decision as it now stands."""

    decision = DecisionSerializer(read_only=True)

    class Meta(VoteSerializer.Meta):
        fields = [*VoteSerializer.Meta.fields, "decision"]
        read_only_fields = fields


class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    passed = serializers.BooleanField()
    detail = serializers.CharField(allow_blank=True)


class ChecklistSerializer(serializers.Serializer):
    """The onramp or offramp checklist of a request."""

    # Documents ``checklist_payload`` (the payload is built directly).

    request = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    passed = serializers.BooleanField()
    items = ChecklistItemSerializer(many=True)
    dependents = serializers.ListField(
        child=serializers.CharField(), help_text="Offramp: active products depending on it."
    )
    stakeholders = UsedBySerializer(
        many=True, help_text="Offramp: stakeholders recorded as using it."
    )
