"""The hub's services (DESIGN §12): delivery through Spack and E4S.

A ``Release`` is an E4S release tag, the current E4S environment, or a spoke's own Spack
bundle version. Its ``items`` are the Spack packages it includes, exactly as the source lists
them; an item names the catalog product that packages it where there is one, and
``Release.products`` reads those.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

# Release slugs keep the version's dots (e4s-25.11, xsdk-1.1.0), which a SlugField refuses.
validate_release_slug = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]*\Z",
    "Use lower-case letters, digits, dots, hyphens and underscores (e4s-25.11, xsdk-1.1.0).",
)


class ReleaseQuerySet(models.QuerySet):
    def for_list(self) -> ReleaseQuerySet:
        return self.select_related("community").prefetch_related(
            models.Prefetch(
                "items",
                queryset=ReleaseItem.objects.select_related("product").order_by("package"),
            )
        )

    def environments(self) -> ReleaseQuerySet:
        return self.filter(environment=True)


class Release(models.Model):
    class Kind(models.TextChoices):
        E4S = "e4s", "E4S"
        BUNDLE = "bundle", "Spack bundle"

    slug = models.CharField(
        max_length=100,
        unique=True,
        validators=[validate_release_slug],
        help_text="e4s-25.11, xsdk-1.1.0 ...",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    community = models.ForeignKey(
        "spokes.Community",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="releases",
        help_text="The spoke whose Spack bundle this is (bundles only).",
    )
    version = models.CharField(max_length=50)
    tag = models.CharField(max_length=50, blank=True, help_text="The release tag (E4S: v25.11).")
    date = models.DateField(null=True, blank=True, help_text="Empty where no source gives it.")
    environment = models.BooleanField(
        default=False,
        help_text="A Spack environment's root specs as they stand, not a tagged release.",
    )
    source = models.CharField(max_length=500, help_text="Where the release and its list come from.")
    note = models.TextField(blank=True)
    seed_ref = models.CharField(
        max_length=200, blank=True, help_text="The reference file and key this row was seeded from."
    )
    products = models.ManyToManyField(
        "products.Product",
        through="ReleaseItem",
        through_fields=("release", "product"),
        related_name="releases",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ReleaseQuerySet.as_manager()

    class Meta:
        # E4S first (its tags, then the environment), then the bundles.
        ordering = ["-kind", "environment", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="bundle", community__isnull=False)
                | models.Q(kind="e4s", community__isnull=True),
                name="release_bundle_has_community",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("hub:release-detail", kwargs={"slug": self.slug})

    @property
    def series(self) -> str:
        """What the versions are of: the Spack bundle (xsdk) or e4s; the slug's head."""
        return self.slug.removesuffix(f"-{self.version}")


class ReleaseItem(models.Model):
    """One Spack package a release includes, as its source lists it."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="items")
    package = models.CharField(max_length=100, help_text="The Spack package name.")
    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="release_items",
        help_text="The catalog product that packages it; empty when none does.",
    )
    seed_ref = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["package"]
        constraints = [
            models.UniqueConstraint(fields=["release", "package"], name="release_item_unique")
        ]
        indexes = [models.Index(fields=["product", "release"], name="release_item_product_idx")]

    def __str__(self) -> str:
        return f"{self.release.slug}: {self.package}"
