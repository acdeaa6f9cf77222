"""The append-only event log: everything that happened, with its actor and its objects.

The bottom of the domain layers (DESIGN §13): every app records here, and this module
imports no domain app (its foreign keys name the models they point at by label).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventQuerySet(models.QuerySet):
    def for_list(self) -> EventQuerySet:
        return self.select_related("actor", "product", "community", "request")

    def not_about(self, requests: models.QuerySet) -> EventQuerySet:
        """Events other than those of the given lifecycle requests."""
        return self.exclude(request__in=requests)


class Event(models.Model):
    """Append-only log of everything that happened."""

    verb = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey(
        "products.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    community = models.ForeignKey(
        "spokes.Community", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    request = models.ForeignKey(
        "lifecycle.LifecycleRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had when the log lived in the products app.
        db_table = "products_event"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at"], name="event_created_idx"),
            models.Index(fields=["verb", "-created_at"], name="event_verb_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb}"


class CatalogVersion(models.Model):
    """One row counting the writes to the catalog: every write advances it, inside the
    write's own transaction (events/version.py), so every app process reads the same
    number, and a page or list cached under one number is never served after a write.

    The HTTP validators (ETag, Last-Modified) and the shared cache of anonymous responses
    (peso_registry/middleware.py) are derived from it.
    """

    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One row: the version of the whole catalog.
            models.CheckConstraint(condition=models.Q(id=1), name="catalog_version_single_row"),
        ]

    def __str__(self) -> str:
        return f"catalog version {self.version} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
