"""Annual planning, change management and the hub's meetings (DESIGN §12).

A spoke plans its year (``AnnualPlan``): ``Milestone``s with an owner, the products they
concern, a due date and a status. Every status a milestone has held is a dated
``ProgressUpdate`` (a drop approved by a change request writes one too), so the status on
any date is the last update on or before it (``MilestoneQuerySet.with_status_on``), which
the hub dashboard counts. ``ChangeRequest``s add, drop or re-scope milestones during the
cycle; the lead's approval applies the change (``planning.services``). At the end of the
year a ``PlanAssessment`` gives each milestone's outcome and a narrative.

A ``Meeting`` (the annual all-teams meeting, workshops, town halls) has its agenda items in
order and outcomes that name the milestones or change requests they produced.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from simple_history.models import HistoricalRecords

from events.addresses import slug_url
from products.models import Product
from spokes.models import Community


class Status(models.TextChoices):
    """A milestone's status."""

    PLANNED = "planned", "Planned"
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


# A milestone in one of these is finished: never overdue, never at risk.
CLOSED_STATUSES = (Status.DONE, Status.DROPPED)


class AnnualPlanQuerySet(models.QuerySet):
    def for_list(self) -> AnnualPlanQuerySet:
        return self.select_related("community").prefetch_related(
            models.Prefetch("milestones", queryset=Milestone.objects.for_list()),
            models.Prefetch(
                "assessment__outcomes",
                queryset=MilestoneOutcome.objects.select_related("milestone"),
            ),
        )


class AnnualPlan(models.Model):
    """A community's plan for one year."""

    community = models.ForeignKey(
        "spokes.Community", on_delete=models.PROTECT, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    summary = models.TextField(blank=True, help_text="What the year is for (plain text).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AnnualPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "community__name"]
        constraints = [
            # One plan per community and year: milestones and change requests hang on it.
            models.UniqueConstraint(fields=["community", "year"], name="plan_one_per_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="plan_year_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} plan {self.year}"

    def get_absolute_url(self) -> str:
        return reverse(
            "planning:plan-detail", kwargs={"community": self.community.slug, "year": self.year}
        )


class MilestoneQuerySet(models.QuerySet):
    def for_list(self) -> MilestoneQuerySet:
        return self.select_related("plan__community", "owner").prefetch_related(
            models.Prefetch("products", queryset=_products_by_name())
        )

    def with_status_on(self, day: datetime.date) -> MilestoneQuerySet:
        """Annotate ``status_then``: the status of the last progress update dated on or
        before ``day`` (the later one written, for two on the same day); planned before
        the first."""
        last = (
            ProgressUpdate.objects.filter(milestone=OuterRef("pk"), date__lte=day)
            .order_by("-date", "-pk")
            .values("status")[:1]
        )
        return self.annotate(status_then=Coalesce(Subquery(last), Value(Status.PLANNED.value)))


def _products_by_name():
    return Product.objects.order_by("name")


class Milestone(models.Model):
    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_milestones",
        help_text="The registry user who owns it, if they have an account.",
    )
    owner_name = models.CharField(
        max_length=200, blank=True, help_text="Who owns it, where they have no account."
    )
    products = models.ManyToManyField("products.Product", blank=True, related_name="milestones")
    due = models.DateField()
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.PLANNED,
        help_text="The status of its latest progress update (planned before the first).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[products])
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["due", "status"], name="milestone_due_status_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{self.plan.get_absolute_url()}#milestone-{self.pk}"

    @property
    def owner_display(self) -> str:
        if self.owner_id is not None:
            return self.owner.get_full_name() or self.owner.username
        return self.owner_name

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class ProgressUpdate(models.Model):
    """A dated note on a milestone and its status after it."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="updates")
    date = models.DateField()
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, help_text="The milestone's status after it."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["milestone", "date"], name="progress_milestone_date_idx")]

    def __str__(self) -> str:
        return f"{self.milestone}: {self.get_status_display()} on {self.date}"


class ChangeRequestQuerySet(models.QuerySet):
    def for_list(self) -> ChangeRequestQuerySet:
        return self.select_related(
            "plan__community", "milestone__plan__community", "requested_by", "decided_by"
        ).prefetch_related(models.Prefetch("products", queryset=_products_by_name()))


class ChangeRequest(models.Model):
    """A change to a plan during its year: add, drop or re-scope a milestone."""

    class Kind(models.TextChoices):
        ADD = "add", "Add a milestone"
        DROP = "drop", "Drop a milestone"
        RESCOPE = "rescope", "Re-scope a milestone"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    milestone = models.ForeignKey(
        Milestone,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
        help_text="The milestone dropped or re-scoped; for an approved add, the one it made.",
    )
    title = models.CharField(
        max_length=300, blank=True, help_text="Proposed title (add; re-scope: blank keeps it)."
    )
    due = models.DateField(
        null=True, blank=True, help_text="Proposed due date (add; re-scope: empty keeps it)."
    )
    products = models.ManyToManyField(
        "products.Product",
        blank=True,
        related_name="+",
        help_text="Proposed products (add; re-scope: replaces them when rescope_products).",
    )
    rescope_products = models.BooleanField(
        default=False, help_text="A re-scope that replaces the milestone's products."
    )
    reason = models.TextField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[products])
    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A drop or a re-scope names the milestone it changes.
            models.CheckConstraint(
                condition=Q(kind="add") | Q(milestone__isnull=False),
                name="change_request_names_milestone",
            ),
            # A decided request says when; an open one has no decision.
            models.CheckConstraint(
                condition=Q(state="open", decided_on__isnull=True)
                | (~Q(state="open") & Q(decided_on__isnull=False)),
                name="change_request_decided_on",
            ),
        ]

    def __str__(self) -> str:
        return f"Change request #{self.pk} ({self.get_kind_display().lower()})"

    def get_absolute_url(self) -> str:
        return f"{self.plan.get_absolute_url()}#change-{self.pk}"


class PlanAssessment(models.Model):
    """The end-of-year assessment: an outcome per milestone and a narrative."""

    plan = models.OneToOneField(AnnualPlan, on_delete=models.CASCADE, related_name="assessment")
    narrative = models.TextField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_on = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    def __str__(self) -> str:
        return f"Assessment of {self.plan}"


class MilestoneOutcome(models.Model):
    class Outcome(models.TextChoices):
        ACHIEVED = "achieved", "Achieved"
        PARTLY = "partly_achieved", "Partly achieved"
        NOT_ACHIEVED = "not_achieved", "Not achieved"
        DROPPED = "dropped", "Dropped"

    assessment = models.ForeignKey(
        PlanAssessment, on_delete=models.CASCADE, related_name="outcomes"
    )
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="outcomes")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["milestone__due", "milestone_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "milestone"], name="milestone_outcome_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone}: {self.get_outcome_display()}"


# --- Meetings --------------------------------------------------------------------------


class MeetingQuerySet(models.QuerySet):
    def for_list(self) -> MeetingQuerySet:
        return self.prefetch_related(
            models.Prefetch("communities", queryset=Community.objects.order_by("name")),
            "agenda_items",
            models.Prefetch(
                "outcomes",
                queryset=MeetingOutcome.objects.select_related(
                    "milestone__plan__community", "change_request__plan__community"
                ),
            ),
        )


class Meeting(models.Model):
    class Kind(models.TextChoices):
        ALL_TEAMS = "all_teams", "Annual all-teams meeting"
        WORKSHOP = "workshop", "Workshop"
        TOWN_HALL = "town_hall", "Town hall"
        OTHER = "other", "Other meeting"

    class Format(models.TextChoices):
        UNKNOWN = "", "Not stated"
        IN_PERSON = "in_person", "In person"
        ONLINE = "online", "Online"
        HYBRID = "hybrid", "Hybrid"

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    format = models.CharField(max_length=10, choices=Format.choices, blank=True, default="")
    starts = models.DateField()
    ends = models.DateField()
    place = models.CharField(max_length=300, blank=True, help_text="Empty where none is given.")
    communities = models.ManyToManyField(
        "spokes.Community",
        blank=True,
        related_name="meetings",
        help_text="Participating spokes and communities of practice, where a source says.",
    )
    summary = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="Where the facts come from.")
    seed_ref = models.CharField(
        max_length=200, blank=True, help_text="The reference file and key this row was seeded from."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[communities])
    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts", "slug"]
        constraints = [
            # A meeting ends on or after the day it starts.
            models.CheckConstraint(condition=Q(ends__gte=models.F("starts")), name="meeting_dates")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return slug_url("planning:meeting-detail", self.slug)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_item_position")
        ]

    def __str__(self) -> str:
        return self.title


class MeetingOutcome(models.Model):
    """Something a meeting produced, linked to the milestone or change request it led to."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="outcomes")
    summary = models.TextField()
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="meeting_outcomes"
    )
    change_request = models.ForeignKey(
        ChangeRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="meeting_outcomes",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.summary[:80]
