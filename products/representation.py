"""A product's public representation: the fields anyone may read, in order, and how each
is written.

One definition for every place that shows a product as data: the API
(``ProductSerializer``: these fields, then its own links and computed ones), the catalog
file export (``products.importers.catalog``: these fields, then ``facts``), and the
catalog page's CSV/JSON export (``products.catalog``), which can pick its columns from
``PRODUCT_PUBLIC_FIELDS``.

Reading ``areas`` and ``maintainers`` uses ``product.areas.all()`` and
``product.maintainers.all()``: prefetch them for a list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from products.models import Product

# Stored on the product as text and shown as stored.
PRODUCT_TEXT_FIELDS = (
    "slug",
    "name",
    "summary",
    "description",
    "homepage",
    "repository_url",
    "documentation_url",
    "license",
    "spack_package",
    "contact_email",
)
PRODUCT_PUBLIC_FIELDS = (*PRODUCT_TEXT_FIELDS, "areas", "maintainers")


def area_names(product: Product) -> list[str]:
    """The names of the product's areas, in the areas' order (by name, as the database
    sorts them)."""
    return [a.name for a in product.areas.all()]


def maintainer_usernames(product: Product) -> list[str]:
    """The usernames of the product's maintainers, sorted."""
    return sorted(u.get_username() for u in product.maintainers.all())


_WRITERS: dict[str, Callable[[Product], Any]] = {
    "areas": area_names,
    "maintainers": maintainer_usernames,
}


def public_fields(product: Product, fields: Iterable[str] = PRODUCT_PUBLIC_FIELDS) -> dict:
    """The product's public ``fields`` (default: all of them), in the order given."""
    return {
        name: _WRITERS[name](product) if name in _WRITERS else getattr(product, name)
        for name in fields
    }


def provenance(product: Product) -> dict:
    """Where the product's facts come from (DESIGN §11), read from the row alone (no query):
    the reference key it was seeded from, its license source and conflicting sources, whether
    its areas are our reading, its sponsorship and support organisation. Empty text means
    unknown: nothing is filled in that no source states."""
    facts = product.facts or {}
    return {
        "seed_ref": product.seed_ref,
        "license_source": facts.get("license_source", ""),
        "license_conflict": list(facts.get("license_conflict", [])),
        "area_inferred": bool(facts.get("area_source")),
        "sponsorship": product.sponsorship,
        "support_organization": product.support_organization,
    }
