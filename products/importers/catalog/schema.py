"""The catalog file format's schema: its sections, each record's fields, their kinds and limits.

docs/catalog-format.md describes the same format for people.
"""

from __future__ import annotations

from dataclasses import dataclass

from products.models import Assessment, Dependency, Membership, ProductUse, Stakeholder
from spokes.models import Community, Policy

FORMAT = "peso-catalog/1"


@dataclass(frozen=True)
class F:
    """One field of a record: its kind, whether it is required, and its limits."""

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None


def _choices(enum) -> tuple[str, ...]:
    return tuple(enum.values)


COMMUNITY = {
    "slug": F("slug", True, max_length=64),
    "name": F("str", True, max_length=200),
    "full_name": F("str", max_length=300),
    "kind": F("choice", choices=_choices(Community.Kind)),
    "summary": F("text"),
    "area": F("str", max_length=200),
    "website": F("url", max_length=200),
    "charter": F("text"),
    "status": F("choice", choices=_choices(Community.Status)),
    "status_note": F("text"),
    "policy_set": F("ref"),
    "requires_interoperability": F("bool"),
    "sources": F("strlist"),
}
POLICY_SET = {
    "slug": F("slug", True, max_length=64),
    "name": F("str", True, max_length=200),
    "version": F("str", True, max_length=32),
    "owner": F("ref"),
    "base": F("ref"),
    "description": F("text"),
    "adopted": F("str", max_length=32),
    "sources": F("strlist"),
    "policies": F("records"),
}
POLICY = {
    "code": F("str", True, max_length=16),
    "version": F("str", max_length=32),
    "title": F("str", True, max_length=300),
    "summary": F("text"),
    "level": F("choice", choices=_choices(Policy.Level)),
    "url": F("url", max_length=200),
    "adapts": F("ref"),
    "position": F("int"),
}
PRODUCT = {
    "slug": F("slug", True, max_length=100),
    "name": F("str", True, max_length=200),
    "summary": F("str", max_length=500),
    "description": F("text"),
    "homepage": F("url", max_length=200),
    "repository_url": F("url", max_length=200),
    "documentation_url": F("url", max_length=200),
    "license": F("str", max_length=100),
    "spack_package": F("str", max_length=100),
    "contact_email": F("email", max_length=254),
    "areas": F("strlist"),
    "maintainers": F("strlist"),
    "facts": F("mapping"),
}
DEPENDENCY = {
    "product": F("ref", True),
    "depends_on": F("ref", True),
    "kind": F("choice", choices=_choices(Dependency.Kind)),
    "when": F("text"),
    "source": F("choice", choices=_choices(Dependency.Source)),
    "note": F("text"),
}
MEMBERSHIP = {
    "product": F("ref", True),
    "community": F("ref", True),
    "state": F("choice", choices=_choices(Membership.State)),
    "joined_at": F("date"),
    "left_at": F("date"),
    "reason": F("str", max_length=200),
    "support_organization": F("str", max_length=200),
    "end_of_support": F("date"),
    "migration_notes": F("text"),
    "successor": F("ref"),
    "source": F("str", max_length=300),
    "inferred": F("bool"),
    "note": F("text"),
}
ASSESSMENT = {
    "product": F("ref", True),
    "policy_set": F("ref", True),
    "policy": F("ref", True),
    "version": F("str", max_length=32),
    "status": F("choice", True, choices=_choices(Assessment.Status)),
    "justification": F("text"),
    "evidence_url": F("url", max_length=500),
    "source": F("choice", choices=_choices(Assessment.Source)),
    "assessed_by": F("ref"),
    "assessed_at": F("datetime"),
}
STAKEHOLDER = {
    "slug": F("slug", True, max_length=100),
    "name": F("str", True, max_length=200),
    "kind": F("choice", choices=_choices(Stakeholder.Kind)),
    "website": F("url", max_length=200),
    "summary": F("text"),
}
USE = {
    "product": F("ref", True),
    "stakeholder": F("ref", True),
    "criticality": F("choice", choices=_choices(ProductUse.Criticality)),
    "note": F("text"),
    "contact": F("str", max_length=300),
    "source": F("str", max_length=300),
}
SECTIONS = {
    "communities": COMMUNITY,
    "policy_sets": POLICY_SET,
    "products": PRODUCT,
    "dependencies": DEPENDENCY,
    "memberships": MEMBERSHIP,
    "assessments": ASSESSMENT,
    "stakeholders": STAKEHOLDER,
    "uses": USE,
}
TOP_LEVEL = ("format", *SECTIONS)
# What one record of each section is called in error messages.
RECORD_NOUNS = {
    "communities": "community",
    "policy_sets": "policy set",
    "products": "product",
    "dependencies": "dependency",
    "memberships": "membership",
    "assessments": "assessment",
    "stakeholders": "stakeholder",
    "uses": "use",
}
