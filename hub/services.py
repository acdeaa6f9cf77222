"""Writes to the hub's releases (DESIGN §12): record, change and delete a release.

Each function checks who may write (``hub.access``) before anything else, validates, writes
inside one transaction, keeps the before/after rows (django-simple-history, on the release
and its items) and appends one event. The API and the releases pages call these; a refused
or invalid write changes nothing and records nothing.

A release's ``products`` are the catalog products it includes: each is an item named after
the product's Spack package. Setting them replaces the items that name a product; the
Spack packages the source lists with no catalog product stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from events.log import Verb, record
from hub import access
from hub.models import Release, ReleaseItem
from products import delivery
from products.models import Product

# The fields a write may set besides the slug and the products.
RELEASE_FIELDS = (
    "name",
    "kind",
    "community",
    "version",
    "tag",
    "date",
    "environment",
    "source",
    "note",
)

REFUSED = (
    "E4S releases are recorded by hub admins; a spoke's bundle versions by its leads and "
    "hub admins."
)


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown release fields: {sorted(unknown)}")


def _validate(release: Release) -> None:
    """The release's own rules, each error under its field (400 on the API, beside the
    field on the page)."""
    errors: dict[str, list[str]] = {}
    if release.kind == Release.Kind.BUNDLE and release.community_id is None:
        errors["community"] = ["A Spack bundle belongs to a community: name it."]
    if release.kind == Release.Kind.E4S and release.community_id is not None:
        errors["community"] = ["An E4S release belongs to no community: leave it empty."]
    try:
        # The check constraint's rule is the one above, with a message naming the field.
        release.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def package_of(product: Product) -> str:
    """The Spack package a product ships as: its first one, else its slug."""
    packages = delivery.spack_packages(product.facts, product.spack_package)
    return packages[0] if packages else product.slug


def _set_products(release: Release, products: Iterable[Product], by) -> tuple[list, list]:
    """Make the release's catalog products exactly ``products``; (added, removed) slugs."""
    wanted = {p.pk: p for p in products}
    items = list(release.items.select_related("product").select_for_update(of=("self",)))
    removed = []
    for item in items:
        if item.product_id is not None and item.product_id not in wanted:
            removed.append(item.product.slug)
            item._history_user = by
            item.delete()
    present = {i.product_id for i in items if i.product_id is not None}
    unnamed = {i.package: i for i in items if i.product_id is None}
    added = []
    for product in sorted(wanted.values(), key=lambda p: p.slug):
        if product.pk in present:
            continue
        package = package_of(product)
        item = unnamed.pop(package, None) or ReleaseItem(release=release, package=package)
        item.product = product
        item._history_user = by
        item.save()
        added.append(product.slug)
    return added, sorted(removed)


@transaction.atomic
def create_release(*, by, slug: str, products: Iterable[Product] = (), **fields: Any) -> Release:
    """Record a release: E4S by hub admins, a spoke's bundle by its leads and hub admins."""
    _check_fields(fields)
    release = Release(slug=slug, **fields)
    if not access.can_write_release(by, kind=release.kind, community=release.community):
        raise PermissionDenied(REFUSED)
    _validate(release)
    release._history_user = by
    release.save()
    added, _ = _set_products(release, products, by)
    record(
        Verb.RELEASE_CREATED,
        actor=by,
        community=release.community,
        data={"release": release.slug, "kind": release.kind, "products": added},
    )
    return release


@transaction.atomic
def update_release(
    *, release: Release, by, products: Iterable[Product] | None = None, **changes: Any
) -> Release:
    """Change a release; ``products``, when given, replaces its catalog products. Allowed
    when the user may write the release both as it is and as it would be."""
    if not access.can_edit_release(by, release):
        raise PermissionDenied(REFUSED)
    slug = changes.pop("slug", release.slug)
    if slug != release.slug:
        raise ValidationError({"slug": ["A release's slug cannot be changed."]})
    _check_fields(changes)
    kind = changes.get("kind", release.kind)
    community = changes.get("community", release.community)
    if not access.can_write_release(by, kind=kind, community=community):
        raise PermissionDenied(REFUSED)
    changed = sorted(k for k, v in changes.items() if getattr(release, k) != v)
    for key in changed:
        setattr(release, key, changes[key])
    added: list[str] = []
    removed: list[str] = []
    if changed:
        _validate(release)
        release._history_user = by
        release.save()
    if products is not None:
        added, removed = _set_products(release, products, by)
        if added or removed:
            changed = sorted([*changed, "products"])
    if changed:
        data: dict[str, Any] = {"release": release.slug, "fields": changed}
        if added or removed:
            data |= {"added": added, "removed": removed}
        record(Verb.RELEASE_UPDATED, actor=by, community=release.community, data=data)
    return release


@transaction.atomic
def delete_release(*, release: Release, by) -> None:
    """Delete a release and its items (their history stays)."""
    if not access.can_edit_release(by, release):
        raise PermissionDenied(REFUSED)
    data = {
        "release": release.slug,
        "name": release.name,
        "kind": release.kind,
        "version": release.version,
    }
    community = release.community
    for item in release.items.all():
        item._history_user = by
        item.delete()
    release._history_user = by
    release.delete()
    record(Verb.RELEASE_DELETED, actor=by, community=community, data=data)
