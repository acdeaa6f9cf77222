"""The catalog version: one number every write to the catalog advances.

Every save or delete of a catalog row (communities, roles, policy sets, products,
memberships, assessments, waivers, requests, decisions, events, API tokens and users'
names) advances it with one ``UPDATE … SET version = version + 1`` in the same
transaction as the write, so the new number and the new rows become visible together to
every process. Bulk writes send no signals: each of them also appends an ``Event`` (which
does), or runs inside ``batched()``, which advances the version once for the whole batch.

Readers (peso_registry/middleware.py) read the version once per request, *before* they
read anything else: a response built from rows newer than its version is harmless (the
next request sees a newer version and builds it again); one built from rows older than
its version cannot happen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.apps import apps
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from events.models import CatalogVersion

# The apps whose rows pages and the API show.
CATALOG_APPS = (
    "accounts",
    "events",
    "spokes",
    "products",
    "lifecycle",
    "hub",
    "funding",
    "planning",
)
# Rows derived from other rows, written only beside a write that advances the version
# (a receiver on them would also turn their bulk deletes into row-by-row deletes).
DERIVED = {"products.storedcompliance"}

_batch = threading.local()


def current() -> tuple[int, datetime | None]:
    """The version and when it last advanced (one query); (0, None) before any write."""
    row = CatalogVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
    return row if row is not None else (0, None)


def advance() -> None:
    """Advance the version, in the caller's transaction (or once at the end of a batch)."""
    if getattr(_batch, "depth", 0):
        _batch.dirty = True
        return
    now = timezone.now()
    if not CatalogVersion.objects.filter(pk=1).update(
        version=models.F("version") + 1, changed_at=now
    ):
        # No row yet (a database emptied by a test flush): make it.
        CatalogVersion.objects.bulk_create(
            [CatalogVersion(pk=1, version=1, changed_at=now)], ignore_conflicts=True
        )


@contextmanager
def batched() -> Iterator[None]:
    """One transaction in which the writes advance the version once, at the end (the
    seed loader: thousands of saves, one ``UPDATE``)."""
    with transaction.atomic():
        _batch.depth = getattr(_batch, "depth", 0) + 1
        try:
            yield
        finally:
            _batch.depth -= 1
        if not _batch.depth and getattr(_batch, "dirty", False):
            _batch.dirty = False
            advance()


def _on_write(sender, raw: bool = False, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a sign-in: nothing any page shows changed
    advance()


def _on_m2m(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        advance()


def _is_catalog_model(model: type[models.Model]) -> bool:
    if model._meta.label_lower in DERIVED or model._meta.proxy:
        return False
    # django-simple-history's rows are written beside the row they copy.
    return not hasattr(model, "instance_type")


def connect() -> None:
    """Advance the version on every save and delete of the catalog's models, and of users
    (a name shown on pages); idempotent."""
    watched = [apps.get_model("auth", "User")]
    for label in CATALOG_APPS:
        watched.extend(m for m in apps.get_app_config(label).get_models() if _is_catalog_model(m))
    for model in watched:
        uid = f"catalog-version-{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + "-delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _on_m2m, sender=field.remote_field.through, dispatch_uid=f"{uid}-{field.name}"
            )
