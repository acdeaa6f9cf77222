"""Communities (spokes and the hub), their governance, and policy sets."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from events.addresses import slug_url
from events.validation import validate_web_url


class CommunityQuerySet(models.QuerySet):
    def spokes(self) -> CommunityQuerySet:
        return self.filter(kind=Community.Kind.SPOKE)

    def for_list(self) -> CommunityQuerySet:
        return self.select_related("policy_set")


class Community(models.Model):
    class Kind(models.TextChoices):
        HUB = "hub", "Hub"
        SPOKE = "spoke", "Software Product Community (SPC)"
        PRACTICE = "practice", "Community of practice"

    class Origin(models.TextChoices):
        """How a spoke came to the hub, as the seeds tell it."""

        FUNDED_SEED = "funded_seed", "Funded seed project"
        ECP_SDK = "ecp_sdk", "Existing ECP SDK"
        REINCORPORATION = "reincorporation", "Re-incorporation"
        UNINCORPORATED = "unincorporated", "Unincorporated product community"

    class Status(models.TextChoices):
        FORMING = "forming", "Forming"
        ACTIVE = "active", "Active"
        SUNSET = "sunset", "Sunset"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    full_name = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SPOKE)
    summary = models.TextField(blank=True, help_text="One or two sentences shown in lists.")
    area = models.CharField(max_length=200, blank=True)
    website = models.URLField(blank=True, validators=[validate_web_url])
    charter = models.TextField(blank=True, help_text="Markdown; rendered sanitised.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    status_note = models.TextField(
        blank=True, help_text="Why the community has this status, with its source."
    )
    status_source = models.CharField(
        max_length=500, blank=True, help_text="Where the status comes from (a URL or document)."
    )
    status_inferred = models.BooleanField(
        default=False, help_text="The status is our reading; no source states it outright."
    )
    policy_set = models.ForeignKey(
        "PolicySet",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communities",
        help_text="The policy set every member must meet; empty when no source gives one "
        "(the hub's E4S set then applies).",
    )
    policy_set_source = models.CharField(
        max_length=500, blank=True, help_text="Where the community's policy set comes from."
    )
    policy_set_inferred = models.BooleanField(default=False)
    origin = models.CharField(max_length=16, choices=Origin.choices, blank=True)
    origin_source = models.CharField(max_length=500, blank=True)
    category = models.CharField(
        max_length=64, blank=True, help_text="For communities of practice: what kind they are."
    )
    named_leads = models.JSONField(
        default=list,
        blank=True,
        help_text="Leads the sources name, as people (they may have no account here).",
    )
    seed_ref = models.CharField(
        max_length=200, blank=True, help_text="The reference file and key this row was seeded from."
    )
    requires_interoperability = models.BooleanField(
        default=False,
        help_text="Onramp requires a recorded dependency with at least one active member.",
    )
    sources = models.JSONField(default=list, blank=True, help_text="URLs the facts come from.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = CommunityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"
        indexes = [models.Index(fields=["status"], name="community_status_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("spokes:community-detail", self.slug)


class CommunityRole(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", "Lead"
        CO_LEAD = "co_lead", "Co-lead"
        REVIEWER = "reviewer", "Reviewer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_roles"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["community", "role", "user"]
        constraints = [
            # A user holds a given role in a community once.
            models.UniqueConstraint(
                fields=["user", "community", "role"], name="communityrole_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.community}"


LEAD_ROLES = (CommunityRole.Role.LEAD, CommunityRole.Role.CO_LEAD)


class GovernanceBody(models.Model):
    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="governance")
    name = models.CharField(max_length=200)
    quorum = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Fraction of seats that must vote for a decision to be valid.",
    )
    threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="Fraction of votes cast (yes / (yes + no)) needed to approve.",
    )
    requires_vote = models.BooleanField(
        default=False, help_text="Lifecycle approvals need a vote meeting quorum and threshold."
    )
    decision_rule = models.TextField(
        blank=True, help_text="How the body decides, in our words (the source is authoritative)."
    )
    source = models.URLField(blank=True, max_length=500, validators=[validate_web_url])

    history = HistoricalRecords()

    class Meta:
        ordering = ["community__name"]
        verbose_name_plural = "governance bodies"
        constraints = [
            # Quorum and threshold are fractions.
            models.CheckConstraint(
                condition=Q(quorum__gte=0, quorum__lte=1, threshold__gte=0, threshold__lte=1),
                name="governancebody_fractions",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def current_seat_q(prefix: str = "", on: datetime.date | None = None) -> Q:
    """Seats whose term covers ``on`` (today by default); open-ended terms count."""
    on = on or datetime.date.today()
    return (Q(**{f"{prefix}term_start__isnull": True}) | Q(**{f"{prefix}term_start__lte": on})) & (
        Q(**{f"{prefix}term_end__isnull": True}) | Q(**{f"{prefix}term_end__gte": on})
    )


class SeatQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None) -> SeatQuerySet:
        return self.filter(current_seat_q(on=on))


class Seat(models.Model):
    class Represents(models.TextChoices):
        PRODUCT_TEAM = "product_team", "Member product team"
        STAKEHOLDER = "stakeholder", "Stakeholder organisation"
        LEAD = "lead", "Lead"

    body = models.ForeignKey(GovernanceBody, on_delete=models.CASCADE, related_name="seats")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seats"
    )
    represents = models.CharField(max_length=16, choices=Represents.choices)
    represents_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The product team or organisation the seat stands for.",
    )
    term_start = models.DateField(null=True, blank=True)
    term_end = models.DateField(null=True, blank=True)

    history = HistoricalRecords()
    objects = SeatQuerySet.as_manager()

    class Meta:
        ordering = ["body", "id"]
        constraints = [
            # One seat per person on a body.
            models.UniqueConstraint(fields=["body", "user"], name="seat_unique_user_per_body"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.body}"


class PolicySet(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    version = models.CharField(
        max_length=32, help_text="The version in force; its policies are the ones that apply."
    )
    owner = models.ForeignKey(
        Community,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_policy_sets",
        help_text="The community that maintains the set; empty for the hub.",
    )
    base = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="extensions",
        help_text="The set this one encompasses.",
    )
    description = models.TextField(blank=True)
    adopted = models.CharField(max_length=32, blank=True)
    sources = models.JSONField(default=list, blank=True)
    review_interval_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="An assessment older than this is due for re-review.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]
        constraints = [
            # A set cannot encompass itself.
            models.CheckConstraint(
                condition=~Q(base=models.F("pk")), name="policyset_not_own_base"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"

    def get_absolute_url(self) -> str:
        return slug_url("spokes:policyset-detail", self.slug)

    def own_policies(self) -> models.QuerySet[Policy]:
        """The set's policies of the version in force."""
        return self.policies.filter(version=self.version)

    def effective_policies(self) -> list[Policy]:
        """Own policies plus the base set's, minus those an own policy adapts
        (``effective_policies_by_set`` is the rule). Each returned policy carries
        ``inherited`` (True when it comes from the base set). Own policies come first,
        mandatory before recommended, in code order.
        """
        policies = []
        for policy, inherited in effective_policies_by_set([self]).get(self.pk, []):
            policy.inherited = inherited
            policies.append(policy)
        return policies


class Policy(models.Model):
    class Level(models.TextChoices):
        MANDATORY = "mandatory", "Mandatory"
        RECOMMENDED = "recommended", "Recommended"

    policy_set = models.ForeignKey(PolicySet, on_delete=models.CASCADE, related_name="policies")
    version = models.CharField(
        max_length=32,
        help_text="Version of the set this policy belongs to. Codes are not stable across "
        "versions, so an assessment stays tied to the policy of the version it was made against.",
    )
    code = models.CharField(max_length=16)
    title = models.CharField(max_length=300)
    summary = models.TextField(
        blank=True, help_text="Our own summary; the source is authoritative."
    )
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.MANDATORY)
    source_url = models.URLField(blank=True, validators=[validate_web_url])
    adapts = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="adapted_by",
        help_text="The base set's policy this one replaces in the effective list.",
    )
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["policy_set", "position", "code"]
        verbose_name_plural = "policies"
        constraints = [
            # A code names one policy within a version of a set.
            models.UniqueConstraint(
                fields=["policy_set", "version", "code"], name="policy_code_unique_in_set"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_set.slug} {self.code}: {self.title}"

    @property
    def is_mandatory(self) -> bool:
        return self.level == self.Level.MANDATORY


def effective_policies_by_set(
    policy_sets: Iterable[PolicySet],
) -> dict[int, list[tuple[Policy, bool]]]:
    """{set pk: [(policy, inherited), ...]}: the effective policies of each given set, in
    the order of PolicySet.effective_policies(), in two queries for any number of sets
    (the set table is small; only the policies of the versions in force are used).
    """
    wanted = {ps.pk for ps in policy_sets}
    if not wanted:
        return {}
    sets = {ps.pk: ps for ps in PolicySet.objects.all()}
    # Only the wanted sets and the base sets they reach, at their versions in force:
    # old versions and unrelated sets never leave the database.
    needed: set[int] = set()
    for pk in wanted:
        while pk is not None and pk in sets and pk not in needed:
            needed.add(pk)
            pk = sets[pk].base_id
    by_set: dict[int, list[Policy]] = {pk: [] for pk in sets}
    in_force = Q(pk__in=[])
    for pk in needed:
        in_force |= Q(policy_set_id=pk, version=sets[pk].version)
    policies = Policy.objects.filter(in_force).select_related("adapts", "policy_set")
    for policy in policies:
        by_set[policy.policy_set_id].append(policy)

    def effective(pk: int, seen: frozenset[int]) -> list[tuple[Policy, bool]]:
        own = [(p, False) for p in by_set[pk]]
        base_pk = sets[pk].base_id
        if base_pk is None or base_pk in seen:
            return own
        adapted = {p.adapts.code for p, _ in own if p.adapts_id}
        inherited = [(p, True) for p, _ in effective(base_pk, seen | {pk}) if p.code not in adapted]
        return own + inherited

    return {pk: effective(pk, frozenset({pk})) for pk in wanted if pk in sets}
