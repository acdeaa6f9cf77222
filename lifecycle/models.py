"""Onramp and offramp requests, and the decisions and votes of the governance bodies that
take them (DESIGN §4).

Read rules live on the querysets: ``LifecycleRequest.objects.visible_to(user)`` is the one
rule of draft privacy (requests, their pages and their events all ask it) and
``for_list()`` bundles what a list needs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from accounts.roles import is_hub_admin, is_signed_in
from events.models import Event, EventQuerySet
from products.models import Product
from spokes.models import LEAD_ROLES, CommunityRole, current_seat_q


class LifecycleRequestQuerySet(models.QuerySet):
    def for_list(self) -> LifecycleRequestQuerySet:
        return self.select_related("product", "community", "requested_by", "successor", "decision")

    def visible_to(self, user) -> LifecycleRequestQuerySet:
        """Requests ``user`` may see: every non-draft; a draft only to its requester, the
        product's maintainers and the community's leads; everything to hub admins."""
        if is_hub_admin(user):
            return self.all()
        return self.filter(_visible_q(user))

    def hidden_from(self, user) -> LifecycleRequestQuerySet:
        """The drafts ``user`` may not see."""
        if is_hub_admin(user):
            return self.none()
        return self.exclude(_visible_q(user))


def _visible_q(user) -> Q:
    visible = ~Q(state=LifecycleRequest.State.DRAFT)
    if is_signed_in(user):
        visible |= (
            Q(requested_by=user)
            # Subqueries, not joins: a join over many-valued relations would repeat rows.
            | Q(product__in=Product.objects.filter(maintainers=user).values("pk"))
            | Q(
                community__in=CommunityRole.objects.filter(user=user, role__in=LEAD_ROLES).values(
                    "community_id"
                )
            )
        )
    return visible


def visible_events(user, events: EventQuerySet | None = None) -> EventQuerySet:
    """The events ``user`` may read: all but those of drafts hidden from them."""
    events = Event.objects.all() if events is None else events
    if is_hub_admin(user):
        return events
    return events.not_about(LifecycleRequest.objects.hidden_from(user).values("pk"))


class LifecycleRequest(models.Model):
    class Kind(models.TextChoices):
        ONRAMP = "onramp", "Onramp"
        OFFRAMP = "offramp", "Offramp"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Reason(models.TextChoices):
        UNMAINTAINED = "unmaintained", "Unmaintained"
        SUPERSEDED = "superseded", "Superseded"
        GRADUATED = "graduated", "Graduated to a support organisation"
        DEMAND_CHANGED = "demand_changed", "Demand changed"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="requests"
    )
    community = models.ForeignKey(
        "spokes.Community", on_delete=models.CASCADE, related_name="requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    rationale = models.TextField(blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    successor = models.ForeignKey(
        "products.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    support_organization = models.CharField(max_length=200, blank=True)
    end_of_support = models.DateField(null=True, blank=True)
    migration_notes = models.TextField(blank=True)
    acknowledge_dependents = models.BooleanField(default=False)
    told = models.JSONField(
        default=dict,
        blank=True,
        help_text="An approved offramp: whom it was announced to, as it stood at approval "
        "(`dependents`: slugs of the products depending on it; `stakeholders`: those recorded "
        "as using it, each with its criticality).",
    )
    decision = models.OneToOneField(
        "lifecycle.Decision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    # The tables keep the names they had when requests lived in the products app.
    history = HistoricalRecords(table_name="products_historicallifecyclerequest")
    objects = LifecycleRequestQuerySet.as_manager()

    class Meta:
        db_table = "products_lifecyclerequest"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="request_state_idx"),
            models.Index(fields=["kind"], name="request_kind_idx"),
        ]

    def __str__(self) -> str:
        direction = "into" if self.kind == self.Kind.ONRAMP else "out of"
        return f"{self.get_kind_display()} of {self.product} {direction} {self.community}"

    def get_absolute_url(self) -> str:
        return reverse("lifecycle:request-detail", kwargs={"pk": self.pk})


class DecisionQuerySet(models.QuerySet):
    def for_list(self) -> DecisionQuerySet:
        """Decisions with what their payload and pages need, in a fixed number of queries."""
        return (
            self.select_related("community", "body", "closed_by", "request")
            .prefetch_related(Prefetch("votes", queryset=Vote.objects.select_related("voter")))
            .annotate(
                seat_count=Count(
                    "body__seats", filter=current_seat_q("body__seats__"), distinct=True
                )
            )
        )


class Decision(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    community = models.ForeignKey(
        "spokes.Community", on_delete=models.CASCADE, related_name="decisions"
    )
    body = models.ForeignKey(
        "spokes.GovernanceBody",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    subject = models.CharField(max_length=300)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    rationale = models.TextField(blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()
    objects = DecisionQuerySet.as_manager()

    class Meta:
        # The tables keep the names they had when decisions lived in the spokes app.
        db_table = "spokes_decision"
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["outcome"], name="decision_outcome_idx")]

    def __str__(self) -> str:
        return self.subject


class Vote(models.Model):
    class Choice(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        ABSTAIN = "abstain", "Abstain"

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="votes")
    seat = models.ForeignKey("spokes.Seat", on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    choice = models.CharField(max_length=8, choices=Choice.choices)
    comment = models.TextField(blank=True)
    cast_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        db_table = "spokes_vote"
        ordering = ["cast_at"]
        constraints = [
            # One vote per seat per decision; changing a vote replaces the row.
            models.UniqueConstraint(fields=["decision", "seat"], name="vote_one_per_seat"),
        ]

    def __str__(self) -> str:
        return f"{self.voter}: {self.choice} on {self.decision}"
