"""API representations of plans, milestones, change requests and meetings (DESIGN §12).
Field names are the contract."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from peso_registry.fields import AbsoluteURLField
from planning.models import (
    AgendaItem,
    AnnualPlan,
    ChangeRequest,
    Meeting,
    MeetingOutcome,
    Milestone,
    MilestoneOutcome,
    PlanAssessment,
    ProgressUpdate,
)
from planning.services import PROGRESS_STATUSES
from products.models import Product
from spokes.models import Community

User = get_user_model()


def _products(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=Product.objects.all(), many=True, **kwargs
    )


class ProgressUpdateSerializer(serializers.ModelSerializer):
    """A dated progress update and the milestone's status after it."""

    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = ("id", "date", "status", "note", "author", "created_at")


class MilestoneSerializer(serializers.ModelSerializer):
    """A milestone of a plan, with its progress updates (oldest first)."""

    url = serializers.HyperlinkedIdentityField(view_name="api-milestone-detail")
    html_url = AbsoluteURLField(source="get_absolute_url")
    community = serializers.SlugRelatedField(
        source="plan.community", slug_field="slug", read_only=True
    )
    year = serializers.IntegerField(source="plan.year", read_only=True)
    owner = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="The owning user's username, if any."
    )
    products = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    updates = ProgressUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = Milestone
        fields = (
            "id",
            "plan",
            "community",
            "year",
            "title",
            "owner",
            "owner_name",
            "products",
            "due",
            "status",
            "updates",
            "url",
            "html_url",
        )


class PlanMilestoneSerializer(serializers.ModelSerializer):
    """A milestone as its plan lists it."""

    url = serializers.HyperlinkedIdentityField(view_name="api-milestone-detail")
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    products = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = Milestone
        fields = ("id", "title", "owner", "owner_name", "products", "due", "status", "url")


class MilestoneOutcomeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MilestoneOutcome
        fields = ("milestone", "outcome", "note")


class PlanAssessmentSerializer(serializers.ModelSerializer):
    """The end-of-year assessment: an outcome per milestone and a narrative."""

    assessed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    outcomes = MilestoneOutcomeSerializer(many=True, read_only=True)

    class Meta:
        model = PlanAssessment
        fields = ("narrative", "assessed_on", "assessed_by", "outcomes")


class PlanSerializer(serializers.ModelSerializer):
    """A community's plan for a year: its milestones and, once made, its assessment."""

    url = serializers.HyperlinkedIdentityField(view_name="api-plan-detail")
    html_url = AbsoluteURLField(source="get_absolute_url")
    community = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    milestones = PlanMilestoneSerializer(many=True, read_only=True)
    assessment = PlanAssessmentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = AnnualPlan
        fields = (
            "id",
            "community",
            "year",
            "summary",
            "milestones",
            "assessment",
            "created_at",
            "url",
            "html_url",
        )


class PlanWriteSerializer(serializers.ModelSerializer):
    community = serializers.SlugRelatedField(slug_field="slug", queryset=Community.objects.all())

    class Meta:
        model = AnnualPlan
        fields = ("community", "year", "summary")
        # The service says when a plan exists already (a 400 on `year`).
        validators = []

    def validate(self, attrs):
        if self.instance is not None:
            fixed = {"community", "year"} & set(attrs)
            if fixed:
                raise serializers.ValidationError(
                    {name: ["A plan's community and year cannot change."] for name in fixed}
                )
        return attrs


class MilestoneWriteSerializer(serializers.ModelSerializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=AnnualPlan.objects.all())
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Username of the owner, if they have an account.",
    )
    products = _products(required=False)

    class Meta:
        model = Milestone
        fields = ("plan", "title", "owner", "owner_name", "products", "due")


class ProgressWriteSerializer(serializers.Serializer):
    date = serializers.DateField()
    status = serializers.ChoiceField(
        choices=PROGRESS_STATUSES, help_text="The status after it (a change request drops)."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ChangeRequestSerializer(serializers.ModelSerializer):
    """A change to a plan: add, drop or re-scope a milestone, and the lead's decision."""

    url = serializers.HyperlinkedIdentityField(view_name="api-change-request-detail")
    html_url = AbsoluteURLField(source="get_absolute_url")
    community = serializers.SlugRelatedField(
        source="plan.community", slug_field="slug", read_only=True
    )
    products = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ChangeRequest
        fields = (
            "id",
            "plan",
            "community",
            "kind",
            "milestone",
            "title",
            "due",
            "products",
            "rescope_products",
            "reason",
            "state",
            "requested_by",
            "decided_by",
            "decided_on",
            "decision_note",
            "created_at",
            "url",
            "html_url",
        )


class ChangeRequestWriteSerializer(serializers.ModelSerializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=AnnualPlan.objects.all())
    milestone = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.all(),
        required=False,
        allow_null=True,
        help_text="The milestone to drop or re-scope (empty for an add).",
    )
    products = _products(
        required=False,
        help_text="Add: the new milestone's products. Re-scope: replaces the milestone's "
        "products (leave out to keep them).",
    )

    class Meta:
        model = ChangeRequest
        fields = ("plan", "kind", "milestone", "title", "due", "products", "reason")


class DecideSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    decided_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today when left out."
    )


class OutcomeWriteSerializer(serializers.Serializer):
    milestone = serializers.PrimaryKeyRelatedField(queryset=Milestone.objects.all())
    outcome = serializers.ChoiceField(choices=MilestoneOutcome.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PlanAssessmentWriteSerializer(serializers.Serializer):
    narrative = serializers.CharField()
    assessed_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today when left out."
    )
    outcomes = OutcomeWriteSerializer(many=True, help_text="One per milestone of the plan.")


class AgendaItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgendaItem
        fields = ("title", "note")


class MeetingOutcomeSerializer(serializers.ModelSerializer):
    milestone = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.all(), required=False, allow_null=True
    )
    change_request = serializers.PrimaryKeyRelatedField(
        queryset=ChangeRequest.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = MeetingOutcome
        fields = ("summary", "milestone", "change_request")


class MeetingSerializer(serializers.ModelSerializer):
    """A hub meeting (the annual all-teams meeting, a workshop, a town hall): its agenda in
    order and the outcomes, each linked to the milestone or change request it produced."""

    url = serializers.HyperlinkedIdentityField(view_name="api-meeting-detail", lookup_field="slug")
    html_url = AbsoluteURLField(source="get_absolute_url")
    communities = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    agenda = AgendaItemSerializer(source="agenda_items", many=True, read_only=True)
    outcomes = MeetingOutcomeSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = (
            "slug",
            "title",
            "kind",
            "format",
            "starts",
            "ends",
            "place",
            "communities",
            "summary",
            "agenda",
            "outcomes",
            "source",
            "seed_ref",
            "url",
            "html_url",
        )


class MeetingWriteSerializer(serializers.ModelSerializer):
    communities = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Community.objects.all(),
        many=True,
        required=False,
        help_text="Participating spokes and communities of practice (slugs).",
    )
    agenda = AgendaItemSerializer(many=True, required=False, help_text="In order.")
    outcomes = MeetingOutcomeSerializer(many=True, required=False)

    class Meta:
        model = Meeting
        fields = (
            "slug",
            "title",
            "kind",
            "format",
            "starts",
            "ends",
            "place",
            "communities",
            "summary",
            "agenda",
            "outcomes",
            "source",
        )

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError("A meeting's slug cannot be changed.")
        return value
