"""Reads over releases: a spoke's bundle history and the releases that ship a product."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count, Q

from hub.models import Release, ReleaseItem


def version_key(version: str) -> tuple:
    """Versions in release order (1.0.0 < 1.1.0 < 1.10.0); text parts after numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"[.\-]", version)
    )


@dataclass
class BundleVersion:
    """A bundle version with what changed since the version before it."""

    release: Release
    items: list[ReleaseItem]
    added: list[ReleaseItem] = field(default_factory=list)
    dropped: list[ReleaseItem] = field(default_factory=list)
    first: bool = False


def bundle_history(community_id: int) -> list[BundleVersion]:
    """A spoke's bundle versions, newest first, each with the packages it added and the
    ones it dropped since the version before it (two queries)."""
    releases = sorted(
        Release.objects.filter(kind=Release.Kind.BUNDLE, community_id=community_id).for_list(),
        key=lambda r: (r.series, version_key(r.version)),
    )
    history: list[BundleVersion] = []
    previous: Release | None = None
    for release in releases:
        items = list(release.items.all())
        entry = BundleVersion(release, items)
        if previous is not None and previous.series == release.series:
            before = {i.package: i for i in previous.items.all()}
            now = {i.package for i in items}
            entry.added = [i for i in items if i.package not in before]
            entry.dropped = [i for p, i in sorted(before.items()) if p not in now]
        else:
            entry.first = True
        history.append(entry)
        previous = release
    return history[::-1]


def releases_of(product_id: int) -> list[Release]:
    """The releases that include a product, in the releases' order (one query)."""
    return list(
        Release.objects.filter(items__product_id=product_id)
        .select_related("community")
        .distinct()
        .order_by(*Release._meta.ordering)
    )


@dataclass
class Latest:
    """The newest release of each kind: the E4S tag, the current E4S environment and each
    spoke's bundle version, each annotated with ``n_products`` (catalog products it
    includes) and ``n_packages`` (Spack packages as its source lists them)."""

    e4s: Release | None = None
    environment: Release | None = None
    bundles: dict[int, Release] = field(default_factory=dict)  # community id -> release


def latest() -> Latest:
    """The newest E4S tag (by version: YY.MM), the current E4S environment and each
    community's newest bundle version (by ``version_key``); one query."""
    releases = Release.objects.select_related("community").annotate(
        n_packages=Count("items", distinct=True),
        n_products=Count("items", filter=Q(items__product__isnull=False), distinct=True),
    )
    found = Latest()
    for release in sorted(releases, key=lambda r: version_key(r.version)):
        if release.kind == Release.Kind.BUNDLE:
            found.bundles[release.community_id] = release
        elif release.environment:
            found.environment = release
        else:
            found.e4s = release
    return found
