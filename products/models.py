"""Products, their dependencies, stakeholders and uses, memberships and assessments."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from events.addresses import slug_url
from events.validation import validate_web_url

# Slugs that would collide with a page under /products/.
RESERVED_PRODUCT_SLUGS = frozenset({"new"})


def validate_product_slug(value: str) -> None:
    if value in RESERVED_PRODUCT_SLUGS:
        raise ValidationError(f"'{value}' is reserved; choose another slug.")


class Area(models.Model):
    """A subject area or keyword a product is filed under (faceted in the catalog)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductQuerySet(models.QuerySet):
    def for_list(self) -> ProductQuerySet:
        return self.prefetch_related(
            "areas",
            models.Prefetch("memberships", queryset=Membership.objects.select_related("community")),
        )


class Product(models.Model):
    slug = models.SlugField(
        max_length=100,
        unique=True,
        validators=[validate_product_slug],
        help_text="The Spack package name where there is one.",
    )
    name = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    homepage = models.URLField(blank=True, validators=[validate_web_url])
    repository_url = models.URLField(blank=True, validators=[validate_web_url])
    documentation_url = models.URLField(blank=True, validators=[validate_web_url])
    license = models.CharField(max_length=100, blank=True, help_text="SPDX identifier.")
    spack_package = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    areas = models.ManyToManyField(Area, blank=True, related_name="products")
    maintainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="maintained_products"
    )

    class Sponsorship(models.TextChoices):
        DOE = "doe", "DOE"
        COMMUNITY = "community", "Community"
        COMMERCIAL = "commercial", "Commercial"

    sponsorship = models.CharField(
        max_length=10,
        choices=Sponsorship.choices,
        blank=True,
        help_text="Who sponsors the product; empty when no source says.",
    )
    support_organization = models.CharField(
        max_length=200, blank=True, help_text="The organisation that supports the product."
    )

    class Distribution(models.TextChoices):
        """How the team distributes the product through E4S (DESIGN §12)."""

        E4S_FINAL = "e4s_final", "E4S as final destination"
        E4S_STAGING = "e4s_staging", "E4S as staging"
        BOTH = "both", "Both"
        NONE = "none", "None"
        UNKNOWN = "unknown", "Unknown"

    distribution = models.CharField(
        max_length=12,
        choices=Distribution.choices,
        default=Distribution.UNKNOWN,
        help_text="The distribution strategy; unknown until the team says.",
    )
    seed_ref = models.CharField(
        max_length=200, blank=True, help_text="The reference file and key this row was seeded from."
    )
    facts = models.JSONField(
        default=dict,
        blank=True,
        help_text="Sourced facts kept with the record (other Spack names, E4S catalog flags, "
        "where the license comes from ...).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["license"], name="product_license_idx"),
            models.Index(fields=["name"], name="product_name_idx"),
            # The order of every product list: by name as people read it, then by key.
            models.Index(Lower("name"), "id", name="product_lower_name_idx"),
            models.Index(fields=["updated_at"], name="product_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("products:detail", self.slug)


class Dependency(models.Model):
    class Kind(models.TextChoices):
        REQUIRED = "required", "Required"
        OPTIONAL = "optional", "Optional"

    class Source(models.TextChoices):
        SPACK = "spack", "Spack recipe"
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Imported"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="dependencies")
    depends_on = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="dependents")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REQUIRED)
    when = models.TextField(blank=True, help_text="Spack condition of an optional dependency.")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["product__name", "depends_on__name"]
        verbose_name_plural = "dependencies"
        constraints = [
            # One edge per ordered pair; its kind/source say how it is known.
            models.UniqueConstraint(
                fields=["product", "depends_on"], name="dependency_unique_edge"
            ),
            # A product never depends on itself.
            models.CheckConstraint(
                condition=~Q(product=models.F("depends_on")), name="dependency_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} → {self.depends_on}"


# Slugs that would collide with a page under /stakeholders/.
RESERVED_STAKEHOLDER_SLUGS = frozenset({"new"})


def validate_stakeholder_slug(value: str) -> None:
    if value in RESERVED_STAKEHOLDER_SLUGS:
        raise ValidationError(f"'{value}' is reserved; choose another slug.")


class Stakeholder(models.Model):
    """An organisation recorded as using products: a DOE computing facility, an
    application team, a vendor, another agency, industry or an international partner."""

    class Kind(models.TextChoices):
        FACILITY = "facility", "Computing facility"
        APPLICATION = "application", "Application team"
        VENDOR = "vendor", "Vendor"
        AGENCY = "agency", "Agency"
        INDUSTRY = "industry", "Industry"
        INTERNATIONAL = "international", "International partner"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=100, unique=True, validators=[validate_stakeholder_slug])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    website = models.URLField(blank=True, validators=[validate_web_url])
    summary = models.TextField(blank=True)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stakeholder_contacts",
        help_text="Registry users who speak for the stakeholder: each may record, change and "
        "remove the stakeholder's own uses, and edit its website and summary.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[contacts])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("hub:stakeholder-detail", self.slug)


class ProductUse(models.Model):
    """A stakeholder recorded as using a product: the offramp impact check lists it, and an
    offramp of a product a stakeholder marks critical waits for the approver to acknowledge
    it (``lifecycle.transitions.approval_check``)."""

    class Criticality(models.TextChoices):
        CRITICAL = "critical", "Critical"
        IMPORTANT = "important", "Important"
        CONVENIENCE = "convenience", "Convenience"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="uses")
    stakeholder = models.ForeignKey(Stakeholder, on_delete=models.CASCADE, related_name="uses")
    # Uses recorded before criticality existed read as important: recorded on purpose,
    # but never said to be critical (which would hold up an offramp) nor a convenience.
    criticality = models.CharField(
        max_length=12,
        choices=Criticality.choices,
        default=Criticality.IMPORTANT,
        help_text="How much the stakeholder relies on the product: critical (an offramp "
        "waits for the approver to acknowledge it), important, or a convenience.",
    )
    note = models.TextField(blank=True, help_text="How or what for it is used.")
    contact = models.CharField(
        max_length=300, blank=True, help_text="Whom to tell at the stakeholder."
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the fact comes from.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["product__name", "stakeholder__name"]
        constraints = [
            # One use per product and stakeholder; a change of note/contact/source updates
            # it (the previous values stay in its history).
            models.UniqueConstraint(fields=["product", "stakeholder"], name="productuse_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} uses {self.product}"


def display_state_q(state: str, prefix: str = "") -> Q:
    """A condition on Membership rows (``prefix`` reaches them from another model, e.g.
    ``"memberships__"``) for a displayed state: active, offramped, or *sunsetting* — an
    approved offramp whose end of support is still ahead. The one rule of sunsetting;
    ``Membership.display_state`` reads a row with it."""
    today = datetime.date.today()
    state_field, end_field = f"{prefix}state", f"{prefix}end_of_support__gt"
    if state == Membership.DisplayState.ACTIVE:
        return Q(**{state_field: Membership.State.ACTIVE})
    sunsetting = Q(**{state_field: Membership.State.OFFRAMPED, end_field: today})
    if state == Membership.DisplayState.SUNSETTING:
        return sunsetting
    return Q(**{state_field: Membership.State.OFFRAMPED}) & ~sunsetting


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(state=Membership.State.ACTIVE)

    def in_display_state(self, state: str) -> MembershipQuerySet:
        return self.filter(display_state_q(state))


class Membership(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        OFFRAMPED = "offramped", "Offramped"

    class DisplayState(models.TextChoices):
        """The states pages, filters and the API show (``display_state_q``)."""

        ACTIVE = "active", "Active"
        OFFRAMPED = "offramped", "Offramped"
        SUNSETTING = "sunsetting", "Sunsetting (offramped, end of support still ahead)"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="memberships")
    community = models.ForeignKey(
        "spokes.Community", on_delete=models.CASCADE, related_name="memberships"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    joined_at = models.DateField(null=True, blank=True)
    left_at = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was offramped.")
    support_organization = models.CharField(max_length=200, blank=True)
    end_of_support = models.DateField(null=True, blank=True)
    migration_notes = models.TextField(blank=True)
    successor = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="succeeds"
    )
    source = models.CharField(
        max_length=300, blank=True, help_text="Where the fact comes from; 'inferred' when ours."
    )
    inferred = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    seed_ref = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["community__name", "-joined_at"]
        constraints = [
            # At most one active membership per product and community; history rows stay.
            models.UniqueConstraint(
                fields=["product", "community"],
                condition=Q(state="active"),
                name="membership_one_active",
            ),
        ]
        indexes = [models.Index(fields=["community", "state"], name="membership_comm_state_idx")]

    def __str__(self) -> str:
        return f"{self.product} in {self.community} ({self.state})"

    @property
    def display_state(self) -> str:
        """active, offramped, or sunsetting: this row read by the rule of ``display_state_q``
        (offramped with the end of support after today)."""
        return self.display_state_of(self.state, self.end_of_support)

    @classmethod
    def display_state_of(
        cls, state: str, end_of_support: datetime.date | None, today: datetime.date | None = None
    ) -> str:
        """``display_state`` of a row's ``state`` and ``end_of_support`` read as plain
        values (lists built without model instances)."""
        if state == cls.State.ACTIVE:
            return cls.DisplayState.ACTIVE
        if end_of_support and end_of_support > (today or datetime.date.today()):
            return cls.DisplayState.SUNSETTING
        return cls.DisplayState.OFFRAMPED


class Assessment(models.Model):
    class Status(models.TextChoices):
        FULL = "full", "Full"
        PARTIAL = "partial", "Partial"
        NONE = "none", "None"
        NA = "na", "Not applicable"

    class Source(models.TextChoices):
        SELF = "self", "Self-assessed"
        REVIEWER = "reviewer", "Reviewer"
        AUTOMATED = "automated", "Automated"
        IMPORTED = "imported", "Imported"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="assessments")
    policy = models.ForeignKey(
        "spokes.Policy", on_delete=models.CASCADE, related_name="assessments"
    )
    status = models.CharField(max_length=8, choices=Status.choices)
    justification = models.TextField(blank=True)
    evidence_url = models.URLField(blank=True, max_length=500, validators=[validate_web_url])
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SELF)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assessed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "policy"]
        constraints = [
            # One current assessment per product and policy; older ones live in history.
            models.UniqueConstraint(fields=["product", "policy"], name="assessment_unique"),
            # Partial and not-applicable need a justification.
            models.CheckConstraint(
                condition=~Q(status__in=["partial", "na"]) | ~Q(justification=""),
                name="assessment_justified",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="assessment_status_idx")]

    def __str__(self) -> str:
        return f"{self.product} {self.policy.code}: {self.status}"


class WaiverQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None) -> WaiverQuerySet:
        """Waivers in force on ``on`` (today by default): not revoked, not yet expired."""
        return self.filter(current_waiver_q(on=on))


def current_waiver_q(prefix: str = "", on: datetime.date | None = None) -> Q:
    """Waivers in force on ``on``: the expiry date is still ahead or today, and no one has
    revoked it. The one rule for pages, API and compliance."""
    on = on or datetime.date.today()
    return Q(**{f"{prefix}expires_on__gte": on, f"{prefix}revoked_at__isnull": True})


def waiver_in_force(expires_on: datetime.date, revoked_at, on: datetime.date) -> bool:
    """``current_waiver_q`` for one row in hand (a waiver, or its history row as it stood
    on an earlier day)."""
    return revoked_at is None and expires_on >= on


class Waiver(models.Model):
    """A time-limited exemption from one policy for one product, granted by a lead of the
    community that owns the policy's set (DESIGN §10): while in force the policy counts as
    met, shown as *waived*; after ``expires_on`` the policy falls back to its assessment."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="waivers")
    policy = models.ForeignKey("spokes.Policy", on_delete=models.CASCADE, related_name="waivers")
    reason = models.TextField()
    expires_on = models.DateField(help_text="The last day the waiver is in force.")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expiry_recorded = models.BooleanField(
        default=False, help_text="The expiry has been written to the event log."
    )

    history = HistoricalRecords()
    objects = WaiverQuerySet.as_manager()

    class Meta:
        ordering = ["product", "policy", "-expires_on"]
        indexes = [
            models.Index(fields=["product", "policy"], name="waiver_product_policy_idx"),
            models.Index(fields=["expires_on"], name="waiver_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.policy.code} waived until {self.expires_on}"

    @property
    def in_force(self) -> bool:
        return waiver_in_force(self.expires_on, self.revoked_at, datetime.date.today())


class Interoperability(models.Model):
    """Interoperability of two products confirmed by a lead, with evidence: what xSDK's
    onramp asks for, beyond a recorded dependency."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="interoperability")
    partner = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    evidence_url = models.URLField(max_length=500, validators=[validate_web_url])
    note = models.TextField(blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "partner"]
        verbose_name_plural = "interoperability confirmations"
        constraints = [
            models.UniqueConstraint(fields=["product", "partner"], name="interop_unique_pair"),
            models.CheckConstraint(
                condition=~Q(product=models.F("partner")), name="interop_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} works with {self.partner}"


class StoredCompliance(models.Model):
    """The read model of compliance (DESIGN §10): a product's summary against one set it is
    held to, as ``products.compliance.Summary.as_dict()`` gives it, kept correct inside
    the transaction of every write that can change it (``products.compliance_store``).

    Lists, facets, the home page and the API read these rows instead of recomputing; a row
    counting a waiver is good until the waiver's last day (``valid_until``) and is
    recomputed on the first read after it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stored_compliance")
    policy_set = models.ForeignKey("spokes.PolicySet", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12)
    mandatory_met = models.BooleanField(help_text="Every mandatory policy met or waived.")
    own_met = models.BooleanField(help_text="Every own (not inherited) mandatory policy met.")
    summary = models.JSONField()
    valid_until = models.DateField(
        null=True, blank=True, help_text="The last day a waiver it counts is in force."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "policy_set"], name="stored_compliance_pair"
            ),
        ]
        indexes = [
            models.Index(fields=["policy_set", "status"], name="stored_compliance_set_status"),
            models.Index(fields=["valid_until"], name="stored_compliance_valid_until"),
            # The counts of the home page, facets and filters (status and own_met of each
            # pair) read from the index alone, never the wide rows with their summaries.
            models.Index(
                fields=["product", "policy_set", "status", "own_met"],
                name="stored_compliance_counts",
            ),
        ]

    def __str__(self) -> str:
        return f"product {self.product_id}, set {self.policy_set_id}: {self.status}"
