"""Funding coordination (DESIGN §12): calls with weighted criteria, proposals with their
budget, the expert panel and its reviews, comments, and the funding decisions.

Read rules live on the querysets: ``Proposal.objects.visible_to(user)`` is the one rule of
draft privacy (a draft is seen by its author and hub admins); reviews, scores and decisions
are published with the call (``FundingCall.is_published``) and seen before that only by hub
admins and the call's panel (``FundingCallQuerySet.scored_by`` names the calls a user sees
the scores of).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.urls import reverse
from simple_history.models import HistoricalRecords

from accounts.roles import is_hub_admin, is_signed_in

# Each criterion is scored on this scale (its guide says what each score means).
SCORE_MIN = 0
SCORE_MAX = 5


class FundingCallQuerySet(models.QuerySet):
    def for_list(self) -> FundingCallQuerySet:
        return self.prefetch_related(
            "criteria", models.Prefetch("panel", queryset=PanelMember.objects.for_list())
        )

    def visible_to(self, user) -> FundingCallQuerySet:
        """Every call but drafts; drafts to hub admins, who prepare them."""
        return self.all() if is_hub_admin(user) else self.exclude(state=FundingCall.State.DRAFT)

    def scored_by(self, user) -> FundingCallQuerySet:
        """The calls whose reviews, scores and decisions ``user`` may read: every decided
        call; the others only to hub admins and the call's panel members."""
        if is_hub_admin(user):
            return self.all()
        visible = Q(state=FundingCall.State.DECIDED)
        if is_signed_in(user):
            visible |= Q(pk__in=PanelMember.objects.filter(user=user).values("call_id"))
        return self.filter(visible)


class FundingCall(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        UNDER_REVIEW = "under_review", "Under review"
        DECIDED = "decided", "Decided"

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    year = models.PositiveIntegerField()
    summary = models.TextField(blank=True, help_text="What the call funds (Markdown).")
    envelope = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="The total the call may award.",
    )
    opens_at = models.DateField()
    closes_at = models.DateField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    reviewers_public = models.BooleanField(
        default=False, help_text="Publish who wrote each review (anonymous otherwise)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = FundingCallQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "slug"]
        constraints = [
            # A call closes after it opens.
            models.CheckConstraint(
                condition=Q(closes_at__gte=models.F("opens_at")), name="funding_call_dates"
            ),
            models.CheckConstraint(condition=Q(envelope__gte=0), name="funding_call_envelope"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("funding:call-detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.state == self.State.DECIDED

    def decided_total(self) -> Decimal:
        """The amount the call's decisions award (one query)."""
        total = FundingDecision.objects.filter(proposal__call=self).aggregate(t=Sum("amount"))["t"]
        return total or Decimal("0")


class Criterion(models.Model):
    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=100)
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, help_text="Its share of the weighted score."
    )
    guide = models.TextField(blank=True, help_text="The scoring guide: what each score means.")
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            # Reviews name criteria by name: one of each per call.
            models.UniqueConstraint(fields=["call", "name"], name="criterion_unique_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class PanelMemberQuerySet(models.QuerySet):
    def for_list(self) -> PanelMemberQuerySet:
        return self.select_related("call", "user").prefetch_related("conflict_products")


class PanelMember(models.Model):
    """A community expert appointed to a call's review panel, with the conflicts of interest
    they declare: products they work on or with, and institutions."""

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="panel")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="panel_seats"
    )
    expertise = models.CharField(max_length=300, blank=True)
    conflict_products = models.ManyToManyField(
        "products.Product", blank=True, related_name="+", help_text="Products declared."
    )
    conflict_institutions = models.JSONField(
        default=list, blank=True, help_text="Institution names declared (a list of strings)."
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointed_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(m2m_fields=[conflict_products])
    objects = PanelMemberQuerySet.as_manager()

    class Meta:
        ordering = ["call", "user__username"]
        constraints = [
            # One seat per person on a panel.
            models.UniqueConstraint(fields=["call", "user"], name="panel_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.call}"


class ProposalQuerySet(models.QuerySet):
    def for_list(self) -> ProposalQuerySet:
        return self.select_related(
            "call", "community", "author", "decision", "decision__decided_by"
        ).prefetch_related("products", "budget_lines")

    def visible_to(self, user) -> ProposalQuerySet:
        """Every proposal but drafts; a draft only to its author (and hub admins)."""
        if is_hub_admin(user):
            return self.all()
        visible = ~Q(state=Proposal.State.DRAFT)
        if is_signed_in(user):
            visible |= Q(author=user)
        return self.filter(visible)


class Proposal(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        UNDER_REVIEW = "under_review", "Under review"
        DECIDED = "decided", "Decided"
        WITHDRAWN = "withdrawn", "Withdrawn"

    call = models.ForeignKey(FundingCall, on_delete=models.CASCADE, related_name="proposals")
    title = models.CharField(max_length=200)
    team = models.CharField(max_length=200, help_text="The team proposing the work.")
    institution = models.CharField(
        max_length=200, blank=True, help_text="The team's institution (conflicts of interest)."
    )
    community = models.ForeignKey(
        "spokes.Community", on_delete=models.PROTECT, related_name="proposals"
    )
    products = models.ManyToManyField("products.Product", blank=True, related_name="proposals")
    work_plan = models.TextField(blank=True, help_text="Markdown.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[products], excluded_fields=["updated_at"])
    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["call", "pk"]
        indexes = [models.Index(fields=["call", "state"], name="proposal_call_state_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("funding:proposal-detail", kwargs={"pk": self.pk})

    @property
    def requested_total(self) -> Decimal:
        """The sum of its budget lines (from prefetched lines when there are)."""
        return sum((line.amount for line in self.budget_lines.all()), Decimal("0"))


class BudgetLine(models.Model):
    class Category(models.TextChoices):
        PERSONNEL = "personnel", "Personnel"
        COMPUTING = "computing", "Computing"
        EQUIPMENT = "equipment", "Equipment"
        TRAVEL = "travel", "Travel"
        OTHER = "other", "Other"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(max_length=12, choices=Category.choices)
    year = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "category", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_line_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.category}: {self.amount}"


class ReviewQuerySet(models.QuerySet):
    def for_list(self) -> ReviewQuerySet:
        return self.select_related("proposal__call", "panel_member__user")

    def visible_to(self, user) -> ReviewQuerySet:
        """Published with the call; before that, hub admins and the call's panel."""
        return self.filter(proposal__call__in=FundingCall.objects.scored_by(user).values("pk"))


class Review(models.Model):
    """A panel member's scores of one proposal, one per criterion (criterion name → score
    on ``SCORE_MIN``…``SCORE_MAX``). One per member and proposal; a new one replaces it."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="reviews")
    panel_member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="reviews")
    scores = models.JSONField(default=dict)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["proposal", "pk"]
        constraints = [
            # One review per member and proposal; changing it replaces the row.
            models.UniqueConstraint(fields=["proposal", "panel_member"], name="review_once"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.proposal} by {self.panel_member.user}"


class Comment(models.Model):
    """A comment on a proposal from a lead of its spoke or a stakeholder."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.proposal} by {self.author}"


class FundingDecisionQuerySet(models.QuerySet):
    def for_list(self) -> FundingDecisionQuerySet:
        return self.select_related("proposal", "proposal__call", "decided_by")

    def visible_to(self, user) -> FundingDecisionQuerySet:
        """Published with the call; before that, hub admins and the call's panel."""
        return self.filter(proposal__call__in=FundingCall.objects.scored_by(user).values("pk"))


class FundingDecision(models.Model):
    class Outcome(models.TextChoices):
        FUNDED = "funded", "Funded"
        PARTIALLY_FUNDED = "partially_funded", "Partially funded"
        DECLINED = "declined", "Declined"

    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    rationale = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = FundingDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="funding_decision_amount"),
            # A declined proposal is awarded nothing.
            models.CheckConstraint(
                condition=~Q(outcome="declined") | Q(amount=0), name="funding_declined_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.proposal}"
