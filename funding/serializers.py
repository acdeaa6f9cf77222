"""API representations of funding coordination (DESIGN §12). Field names are the contract.

Read and write serializers are separate: the write side takes slugs, usernames and ids and
hands validated data to ``funding.services`` / ``funding.transitions``, never saving itself.
What a reader may see of scores and decisions (``access.can_see_scores``) and of reviewers
(anonymous unless the call publishes them) is decided by the viewsets, which put it on the
rows before they are serialized (no query inside a method field).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from funding.models import (
    SCORE_MAX,
    SCORE_MIN,
    BudgetLine,
    Comment,
    Criterion,
    FundingCall,
    FundingDecision,
    PanelMember,
    Proposal,
    Review,
)
from peso_registry.fields import AbsoluteURLField
from products.models import Product
from spokes.models import Community

User = get_user_model()
SCORE_HELP = f"Criterion name → a whole score from {SCORE_MIN} to {SCORE_MAX}."
MONEY = {"max_digits": 14, "decimal_places": 2}


# --- Calls ------------------------------------------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    weight = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0.01"), help_text="More than 0."
    )

    class Meta:
        model = Criterion
        fields = ["name", "weight", "guide"]


class FundingCallSerializer(serializers.ModelSerializer):
    """A funding call: its envelope, dates, weighted criteria with their scoring guide, and
    its panel."""

    criteria = CriterionSerializer(many=True, read_only=True)
    panel = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api-funding-call-detail", lookup_field="slug"
    )
    html_url = AbsoluteURLField(source="get_absolute_url", help_text="The call's page.")

    class Meta:
        model = FundingCall
        fields = [
            "slug",
            "title",
            "year",
            "summary",
            "envelope",
            "opens_at",
            "closes_at",
            "state",
            "criteria",
            "panel",
            "reviewers_public",
            "created_at",
            "url",
            "html_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_panel(self, obj: FundingCall) -> list[str]:
        """Usernames of the panel members."""
        return [m.user.username for m in obj.panel.all()]


class FundingCallCreateSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=100)
    title = serializers.CharField(max_length=200)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    envelope = serializers.DecimalField(min_value=0, **MONEY)
    opens_at = serializers.DateField()
    closes_at = serializers.DateField(help_text="On or after `opens_at`.")
    reviewers_public = serializers.BooleanField(required=False, default=False)
    criteria = CriterionSerializer(
        many=True,
        allow_empty=False,
        min_length=1,
        help_text="At least one; names unique within the call.",
    )


class FundingCallUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    envelope = serializers.DecimalField(min_value=0, required=False, **MONEY)
    opens_at = serializers.DateField(required=False)
    closes_at = serializers.DateField(required=False)
    reviewers_public = serializers.BooleanField(required=False)
    criteria = CriterionSerializer(
        many=True,
        allow_empty=False,
        min_length=1,
        required=False,
        help_text="Replaces the criteria; only while the call is a draft (409 after).",
    )


class RankedScoresField(serializers.DictField):
    child = serializers.DecimalField(max_digits=4, decimal_places=2)


class RankedDecisionSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FundingDecision.Outcome.choices)
    amount = serializers.DecimalField(**MONEY)
    rationale = serializers.CharField()


class RankingRowSerializer(serializers.Serializer):
    """A proposal in the call's ranking."""

    rank = serializers.IntegerField(allow_null=True, help_text="Null until reviewed.")
    proposal = serializers.IntegerField(source="proposal.pk")
    title = serializers.CharField(source="proposal.title")
    community = serializers.CharField(source="proposal.community.slug")
    requested_total = serializers.DecimalField(source="proposal.requested_total", **MONEY)
    score = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    reviews = serializers.IntegerField(source="review_count")
    scores = RankedScoresField(source="means", help_text="Each criterion's mean score.")
    decision = RankedDecisionSerializer(allow_null=True, source="decision_or_none")


# --- The panel --------------------------------------------------------------------------


class ConflictsSerializer(serializers.Serializer):
    products = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        queryset=Product.objects.all(),
        required=False,
        help_text="Slugs of the products the member declares a conflict with.",
    )
    institutions = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="Names of the institutions the member declares a conflict with.",
    )


class PanelMemberSerializer(serializers.ModelSerializer):
    """A member of a call's review panel, their expertise and declared conflicts."""

    call = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    conflicts = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-panel-member-detail")

    class Meta:
        model = PanelMember
        fields = ["id", "call", "user", "expertise", "conflicts", "appointed_at", "url"]
        read_only_fields = fields

    @extend_schema_field(ConflictsSerializer)
    def get_conflicts(self, obj: PanelMember) -> dict:
        return {
            "products": sorted(p.slug for p in obj.conflict_products.all()),
            "institutions": list(obj.conflict_institutions),
        }


class PanelMemberCreateSerializer(serializers.Serializer):
    call = serializers.SlugRelatedField(slug_field="slug", queryset=FundingCall.objects.all())
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    expertise = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    conflicts = ConflictsSerializer(required=False)


class PanelMemberUpdateSerializer(serializers.Serializer):
    expertise = serializers.CharField(max_length=300, required=False, allow_blank=True)
    conflicts = ConflictsSerializer(
        required=False, help_text="Each list given replaces the declared one."
    )


# --- Proposals --------------------------------------------------------------------------


class BudgetLineSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    amount = serializers.DecimalField(min_value=0, **MONEY)

    class Meta:
        model = BudgetLine
        fields = ["category", "year", "amount"]


class ProposalDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=FundingDecision.Outcome.choices)
    amount = serializers.DecimalField(**MONEY)
    rationale = serializers.CharField()


class ProposalSerializer(serializers.ModelSerializer):
    """A proposal to a funding call. Drafts are seen only by their author (404 for others);
    `score` and `decision` once the reader may see the call's scores (hub admins and the
    panel; everyone once the call is decided)."""

    call = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    community = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    products = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    budget = BudgetLineSerializer(source="budget_lines", many=True, read_only=True)
    requested_total = serializers.DecimalField(read_only=True, **MONEY)
    score = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-proposal-detail")
    html_url = AbsoluteURLField(source="get_absolute_url", help_text="The proposal's page.")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "call",
            "title",
            "team",
            "institution",
            "community",
            "products",
            "work_plan",
            "budget",
            "requested_total",
            "state",
            "score",
            "decision",
            "author",
            "created_at",
            "submitted_at",
            "url",
            "html_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True))
    def get_score(self, obj: Proposal) -> str | None:
        """Weighted score (mean over its reviews), once reviewed and visible to the reader."""
        score = getattr(obj, "visible_score", None)
        return None if score is None else str(score)

    @extend_schema_field(ProposalDecisionSerializer(allow_null=True))
    def get_decision(self, obj: Proposal) -> dict | None:
        """The funding decision, once taken and visible to the reader."""
        decision = getattr(obj, "visible_decision", None)
        if decision is None:
            return None
        return ProposalDecisionSerializer(decision).data


class ProposalCreateSerializer(serializers.Serializer):
    call = serializers.SlugRelatedField(slug_field="slug", queryset=FundingCall.objects.all())
    title = serializers.CharField(max_length=200)
    team = serializers.CharField(max_length=200)
    institution = serializers.CharField(max_length=200, required=False, allow_blank=True)
    community = serializers.SlugRelatedField(slug_field="slug", queryset=Community.objects.spokes())
    products = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Product.objects.all(), required=False
    )
    work_plan = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    budget = BudgetLineSerializer(many=True, required=False)


class ProposalUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    team = serializers.CharField(max_length=200, required=False)
    institution = serializers.CharField(max_length=200, required=False, allow_blank=True)
    products = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Product.objects.all(), required=False
    )
    work_plan = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    budget = BudgetLineSerializer(many=True, required=False, help_text="Replaces the budget.")


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = fields


class CommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField()


# --- Reviews and decisions --------------------------------------------------------------


class ReviewSerializer(serializers.ModelSerializer):
    """A panel member's scores of a proposal. `reviewer` is null where the call keeps its
    reviewers anonymous (to everyone but hub admins and the reviewer)."""

    reviewer = serializers.SerializerMethodField()
    call = serializers.CharField(source="proposal.call.slug", read_only=True)
    scores = serializers.DictField(child=serializers.IntegerField(), help_text=SCORE_HELP)
    weighted = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api-review-detail")

    class Meta:
        model = Review
        fields = [
            "id",
            "proposal",
            "call",
            "reviewer",
            "scores",
            "weighted",
            "comment",
            "updated_at",
            "url",
        ]
        read_only_fields = fields

    def get_reviewer(self, obj: Review) -> str | None:
        """Username, or null when the call keeps reviewers anonymous."""
        return obj.panel_member.user.username if getattr(obj, "reviewer_shown", False) else None

    @extend_schema_field(serializers.DecimalField(max_digits=4, decimal_places=2))
    def get_weighted(self, obj: Review) -> str:
        """Σ weight * score / Σ weights over the call's criteria."""
        return str(obj.weighted_score)


class ReviewWriteSerializer(serializers.Serializer):
    proposal = serializers.PrimaryKeyRelatedField(queryset=Proposal.objects.all())
    scores = serializers.DictField(
        child=serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX),
        help_text=SCORE_HELP + " Every criterion of the call, nothing else.",
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FundingDecisionSerializer(serializers.ModelSerializer):
    """A funding decision: the outcome, amount awarded and rationale."""

    call = serializers.CharField(source="proposal.call.slug", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    url = serializers.HyperlinkedIdentityField(view_name="api-funding-decision-detail")

    class Meta:
        model = FundingDecision
        fields = [
            "id",
            "proposal",
            "call",
            "outcome",
            "amount",
            "rationale",
            "decided_by",
            "decided_at",
            "url",
        ]
        read_only_fields = fields


class FundingDecisionWriteSerializer(serializers.Serializer):
    proposal = serializers.PrimaryKeyRelatedField(queryset=Proposal.objects.all())
    outcome = serializers.ChoiceField(choices=FundingDecision.Outcome.choices)
    amount = serializers.DecimalField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Funded: the requested total (may be left out); partially funded: more "
        "than 0 and less than it; declined: 0 (may be left out).",
        **MONEY,
    )
    rationale = serializers.CharField()
