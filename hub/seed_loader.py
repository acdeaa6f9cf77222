"""Load the releases shipped with the project (``hub/seed/hub_seed.yaml``).

``load_releases`` upserts every release by slug and its packages by (release, package), inside
one transaction, the way ``products.seed_loader`` upserts the catalog: a row is saved only
when a field the seed knows about differs, so a second run writes nothing. Each package names
the catalog product that lists it among its Spack packages (``Product.facts``
``spack_packages``), where one does. A package the seed no longer lists for a seeded release
is removed: the seed is the source of a seeded release's list.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.db import transaction

from hub.models import Release, ReleaseItem
from products import seed_loader as products_seed
from products.models import Product
from products.seed_loader import SeedError, Tally, _index, _upsert
from spokes.models import Community

# The data file lives inside the project: the app never reads ../shared at run time.
SEED_PATH = Path(__file__).resolve().parent / "seed" / "hub_seed.yaml"
SEED_FORMAT = 1


def read_seed(path: Path) -> dict:
    return products_seed.read_seed(
        path, kind="PESO hub seed", sections=("releases",), version=SEED_FORMAT
    )


def package_index() -> dict[str, int]:
    """Spack package name -> product id, over every package a product lists."""
    index: dict[str, int] = {}
    for pk, spack_package, facts in Product.objects.values_list("pk", "spack_package", "facts"):
        names = (facts or {}).get("spack_packages") or ([spack_package] if spack_package else [])
        for name in names:
            index.setdefault(name, pk)
    return index


def load_releases(*, path: Path | str | None = None) -> dict:
    """Load the releases into the database; return outcome counts per kind of row."""
    data = read_seed(Path(path) if path else SEED_PATH)
    tally = Tally()
    with transaction.atomic():
        communities = dict(Community.objects.values_list("slug", "pk"))
        packages = package_index()
        releases = _index(Release.objects.all(), "slug")
        items = _index(ReleaseItem.objects.all(), "release_id", "package")
        for entry in data["releases"]:
            release = _load_release(entry, releases.get((entry["slug"],)), communities, tally)
            wanted = set()
            for package in entry.get("packages") or []:
                wanted.add(package)
                lookup = {"release_id": release.pk, "package": package}
                values = {
                    "product_id": packages.get(package),
                    "seed_ref": f"{entry['seed_ref']}[{package}]",
                }
                current = items.get((release.pk, package))
                tally.add("release_items", _upsert(ReleaseItem, current, lookup, values)[1])
            stale = [
                item.pk
                for (release_id, package), item in items.items()
                if release_id == release.pk and package not in wanted
            ]
            if stale:
                # Row by row, so each removal keeps its history row.
                for item in ReleaseItem.objects.filter(pk__in=stale):
                    item.delete()
                tally.add("release_items", "removed", len(stale))
    return tally.as_dict()


def _load_release(
    entry: dict, current: Release | None, communities: dict[str, int], tally: Tally
) -> Release:
    community = entry.get("community")
    if community and community not in communities:
        raise SeedError(f"release {entry['slug']}: unknown community {community}")
    date = entry.get("date")
    values = {
        "name": entry["name"],
        "kind": entry["kind"],
        "community_id": communities[community] if community else None,
        "version": str(entry["version"]),
        "tag": entry.get("tag") or "",
        "date": datetime.date.fromisoformat(str(date)) if date else None,
        "environment": bool(entry.get("environment")),
        "source": entry["source"],
        "note": entry.get("note") or "",
        "seed_ref": entry["seed_ref"],
    }
    release, outcome = _upsert(Release, current, {"slug": entry["slug"]}, values)
    tally.add("releases", outcome)
    return release


def release_totals() -> dict[str, int]:
    return {
        "releases e4s": Release.objects.filter(kind=Release.Kind.E4S).count(),
        "releases bundle": Release.objects.filter(kind=Release.Kind.BUNDLE).count(),
        "release packages": ReleaseItem.objects.count(),
    }
