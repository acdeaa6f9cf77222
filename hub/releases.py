"""Reads over releases: a spoke's bundle history and the releases that ship a product."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
