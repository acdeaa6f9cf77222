from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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
