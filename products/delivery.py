"""A product's delivery facts (DESIGN §12), read from what the product already stores.

The seeded facts keep them as the reference gives them (``Product.facts``: the Spack
packages, ``in_e4s_catalog``, ``e4s_catalog_area``, ``e4s_spack_smoke_test`` and
``e4s_testsuite_test`` as "Present" / "Absent"); the distribution strategy is a column,
unknown until the team says. Each flag reads true, false, or None where no source says.
Whether the product is in the current E4S environment comes from the hub's releases, a
layer above: the callers pass it in.

``flag_q`` gives the filter condition of each flag for the API, the catalog and its facets.
"""

from __future__ import annotations

from django.db.models import Q

from products.models import Product

# The filter values of a flag: the same words on the API, the catalog and its facets.
TRUE, FALSE, UNKNOWN = "true", "false", "unknown"
FLAG_CHOICES = ((TRUE, "yes"), (FALSE, "no"), (UNKNOWN, "unknown"))

# The facts key each flag reads, and the stored value that means true and false.
FLAGS = {
    "in_e4s": ("in_e4s_catalog", True, False),
    "smoke_test": ("e4s_spack_smoke_test", "Present", "Absent"),
    "testsuite": ("e4s_testsuite_test", "Present", "Absent"),
}
FLAG_LABELS = {
    "in_e4s": "In the E4S catalog",
    "smoke_test": "Spack smoke test",
    "testsuite": "E4S testsuite test",
}
# The product columns ``delivery`` reads.
COLUMNS = ("facts", "spack_package", "distribution")


def flag(facts: dict, name: str) -> bool | None:
    key, yes, no = FLAGS[name]
    value = (facts or {}).get(key)
    return True if value == yes else False if value == no else None


def spack_packages(facts: dict, spack_package: str) -> list[str]:
    """Every Spack package of the product: those the facts list, else its one column."""
    return list((facts or {}).get("spack_packages") or ([spack_package] if spack_package else []))


def delivery(product, *, in_current_environment: bool | None) -> dict:
    """The delivery facts of a product (or any object with its ``COLUMNS``), no query."""
    facts = product.facts or {}
    return {
        "spack_packages": spack_packages(facts, product.spack_package),
        "in_e4s": flag(facts, "in_e4s"),
        "e4s_area": facts.get("e4s_catalog_area") or None,
        "smoke_test": flag(facts, "smoke_test"),
        "testsuite": flag(facts, "testsuite"),
        "in_current_environment": in_current_environment,
        "distribution": product.distribution,
    }


def flag_q(name: str, value: str) -> Q:
    """Products whose flag ``name`` reads ``value`` (true, false or unknown)."""
    key, yes, no = FLAGS[name]
    if value == TRUE:
        return Q(**{f"facts__{key}": yes})
    if value == FALSE:
        return Q(**{f"facts__{key}": no})
    known = Product.objects.filter(flag_q(name, TRUE) | flag_q(name, FALSE)).values("pk")
    return ~Q(pk__in=known)
