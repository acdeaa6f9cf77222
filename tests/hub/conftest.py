from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from events.models import Event
from hub.models import Release, ReleaseItem
from hub.seed_loader import load_releases
from products.seed_loader import load_seed

REFERENCE = Path(__file__).resolve().parent / "reference"


def reference(name: str) -> dict:
    """A reference file, read as it is (not through the seed)."""
    return yaml.safe_load((REFERENCE / name).read_text(encoding="utf-8"))


def spack_to_product_name() -> dict[str, str]:
    """Spack package -> product name, from products.yaml (any of a product's packages)."""
    return {
        package: entry["name"]
        for entry in reference("products.yaml")["products"]
        for package in entry.get("spack") or []
    }


def bundle_members(bundle: str) -> dict[str, set[str]]:
    """Each bundle version's members, from the recipe's directives (not the summary).

    A directive without ``in_versions`` has no version condition: it is in every version.
    """
    deps = reference("dependencies.yaml")
    versions = deps["bundle_summary"][bundle]["versions"]
    members: dict[str, set[str]] = {v: set() for v in versions}
    for directive in deps["bundles"][bundle]:
        for version in directive.get("in_versions") or versions:
            members[version].add(directive["member"])
    return members


@pytest.fixture(scope="module")
def seed_loader():
    """The hub's tests share the catalog seed with the hub's releases."""
    return lambda: load_seed() | load_releases()


@pytest.fixture
def releases(community, product, other_product):
    """alpha's bundle 1.0 (widget and a package no catalog product packages) and an E4S
    tag seeded from the reference (gadget)."""
    bundle = Release.objects.create(
        slug="alpha-1.0",
        name="alpha@1.0",
        kind="bundle",
        community=community,
        version="1.0",
        source="https://example.org/alpha/package.py",
    )
    ReleaseItem.objects.create(release=bundle, package="widget", product=product)
    ReleaseItem.objects.create(release=bundle, package="py-helper")
    e4s = Release.objects.create(
        slug="e4s-25.11",
        name="E4S 25.11",
        kind="e4s",
        version="25.11",
        tag="v25.11",
        source="https://github.com/E4S-Project/e4s",
        seed_ref="e4s.yaml releases[v25.11]",
    )
    ReleaseItem.objects.create(release=e4s, package="gadget", product=other_product)
    return {"bundle": bundle, "e4s": e4s}


def snapshot() -> list:
    """Every release and item as stored, and the event log's length."""
    rows = list(Release.objects.order_by("slug").values())
    items = list(ReleaseItem.objects.order_by("pk").values())
    return [rows, items, Event.objects.count()]
