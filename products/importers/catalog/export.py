"""Write the registry (or one community's part of it) in the catalog file format.

The output is deterministic — records sorted by their natural keys, mappings by key — so
export → import into an empty database → export gives the same bytes.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import yaml

from products.importers.catalog.schema import FORMAT
from products.models import (
    Assessment,
    Dependency,
    Membership,
    Product,
    ProductUse,
    Stakeholder,
)
from products.representation import public_fields
from spokes.models import Community, Policy, PolicySet


def export_catalog(*, community: str | None = None) -> dict:
    """The catalog (or one community's part of it) as plain data in the file format.

    Raises Community.DoesNotExist for an unknown ``community``.
    """
    scope = _Scope.of(community)
    return {
        "format": FORMAT,
        "communities": [_community(c, scope) for c in scope.communities],
        "policy_sets": _policy_sets(scope),
        "products": [_product(p) for p in scope.products],
        "dependencies": _dependencies(scope),
        "memberships": _memberships(scope),
        "assessments": _assessments(scope),
        **_stakeholders_and_uses(scope),
    }


def dump(data: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    header = f"# PESO registry catalog ({FORMAT}); see docs/catalog-format.md\n"
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


# --- What is exported ------------------------------------------------------------------------


@dataclass
class _Scope:
    """The rows an export covers, and the slugs its records refer to other rows by.

    The whole registry; or for one community its member products, its policy set with
    the sets that set is based on, and the communities owning those sets.
    """

    selected: Community | None
    products: list[Product]
    policy_sets: list[PolicySet]
    communities: list[Community]
    set_slugs: dict[int, str]
    community_slugs: dict[int, str]
    slug_of: dict[int, str]  # product pk → slug

    @classmethod
    def of(cls, community: str | None) -> _Scope:
        selected = None
        products = Product.objects.all()
        if community is not None:
            selected = Community.objects.select_related("policy_set").get(slug=community)
            products = products.filter(memberships__community=selected).distinct()
        products = list(products.prefetch_related("areas", "maintainers").order_by("slug"))
        policy_sets, communities = _sets_and_communities(selected)
        return cls(
            selected=selected,
            products=products,
            policy_sets=sorted(policy_sets, key=lambda s: s.slug),
            communities=sorted(communities, key=lambda c: c.slug),
            set_slugs={s.pk: s.slug for s in PolicySet.objects.all()},
            community_slugs=dict(Community.objects.values_list("pk", "slug")),
            slug_of={p.pk: p.slug for p in products},
        )

    @property
    def product_ids(self) -> set[int]:
        return {p.pk for p in self.products}

    def product_slug(self, pk: int | None) -> str | None:
        """The slug of any product (one outside the export is looked up once)."""
        if pk is None:
            return None
        if pk not in self.slug_of:
            self.slug_of[pk] = Product.objects.values_list("slug", flat=True).get(pk=pk)
        return self.slug_of[pk]


def _sets_and_communities(
    selected: Community | None,
) -> tuple[list[PolicySet], list[Community]]:
    if selected is None:
        return list(PolicySet.objects.all()), list(Community.objects.all())
    set_ids = set()
    ps = selected.policy_set
    while ps is not None and ps.pk not in set_ids:
        set_ids.add(ps.pk)
        ps = ps.base
    policy_sets = list(PolicySet.objects.filter(pk__in=set_ids))
    community_ids = {selected.pk} | {s.owner_id for s in policy_sets if s.owner_id}
    return policy_sets, list(Community.objects.filter(pk__in=community_ids))


# --- One helper per section of the file --------------------------------------------------------


def _community(c: Community, scope: _Scope) -> dict:
    return {
        "slug": c.slug,
        "name": c.name,
        "full_name": c.full_name,
        "kind": c.kind,
        "summary": c.summary,
        "area": c.area,
        "website": c.website,
        "charter": c.charter,
        "status": c.status,
        "status_note": c.status_note,
        "policy_set": scope.set_slugs.get(c.policy_set_id),
        "requires_interoperability": c.requires_interoperability,
        "sources": list(c.sources or []),
    }


def _policy_sets(scope: _Scope) -> list[dict]:
    policies_by_set: dict[int, list[Policy]] = defaultdict(list)
    for p in Policy.objects.filter(policy_set__in=scope.policy_sets).select_related(
        "adapts", "policy_set__base"
    ):
        policies_by_set[p.policy_set_id].append(p)
    return [
        {
            "slug": s.slug,
            "name": s.name,
            "version": s.version,
            "owner": scope.community_slugs.get(s.owner_id),
            "base": scope.set_slugs.get(s.base_id),
            "description": s.description,
            "adopted": s.adopted,
            "sources": list(s.sources or []),
            "policies": [
                _policy(p)
                for p in sorted(
                    policies_by_set[s.pk], key=lambda p: (p.version, p.position, p.code)
                )
            ],
        }
        for s in scope.policy_sets
    ]


def _policy(p: Policy) -> dict:
    return {
        "code": p.code,
        "version": p.version,
        "title": p.title,
        "summary": p.summary,
        "level": p.level,
        "url": p.source_url,
        "adapts": _adapts(p),
        "position": p.position,
    }


def _adapts(p: Policy) -> str | None:
    """The adapted policy's code; CODE@VERSION unless it is of the base's version in force."""
    if p.adapts is None:
        return None
    base = p.policy_set.base
    if base is not None and p.adapts.version == base.version:
        return p.adapts.code
    return f"{p.adapts.code}@{p.adapts.version}"


def _product(p: Product) -> dict:
    row = public_fields(p)
    # Sorted here rather than by the database, so the bytes do not depend on its collation.
    row["areas"] = sorted(row["areas"])
    row["facts"] = _sorted_json(p.facts or {})
    return row


def _dependencies(scope: _Scope) -> list[dict]:
    ids = scope.product_ids
    deps = Dependency.objects.filter(product_id__in=ids, depends_on_id__in=ids)
    return sorted(
        (
            {
                "product": scope.slug_of[d.product_id],
                "depends_on": scope.slug_of[d.depends_on_id],
                "kind": d.kind,
                "when": d.when,
                "source": d.source,
                "note": d.note,
            }
            for d in deps
        ),
        key=lambda d: (d["product"], d["depends_on"]),
    )


def _memberships(scope: _Scope) -> list[dict]:
    memberships = Membership.objects.filter(product_id__in=scope.product_ids)
    if scope.selected is not None:
        memberships = memberships.filter(community=scope.selected)
    return sorted(
        (
            {
                "product": scope.slug_of[m.product_id],
                "community": scope.community_slugs[m.community_id],
                "state": m.state,
                "joined_at": _date(m.joined_at),
                "left_at": _date(m.left_at),
                "reason": m.reason,
                "support_organization": m.support_organization,
                "end_of_support": _date(m.end_of_support),
                "migration_notes": m.migration_notes,
                "successor": scope.product_slug(m.successor_id),
                "source": m.source,
                "inferred": m.inferred,
                "note": m.note,
            }
            for m in memberships
        ),
        key=lambda m: (
            m["product"],
            m["community"],
            m["joined_at"] or "",
            m["left_at"] or "",
            m["state"],
        ),
    )


def _assessments(scope: _Scope) -> list[dict]:
    assessments = Assessment.objects.filter(product_id__in=scope.product_ids).select_related(
        "policy__policy_set", "assessed_by"
    )
    if scope.selected is not None:
        assessments = assessments.filter(policy__policy_set__in=scope.policy_sets)
    return sorted(
        (
            {
                "product": scope.slug_of[a.product_id],
                "policy_set": a.policy.policy_set.slug,
                "policy": a.policy.code,
                "version": a.policy.version,
                "status": a.status,
                "justification": a.justification,
                "evidence_url": a.evidence_url,
                "source": a.source,
                "assessed_by": a.assessed_by.get_username() if a.assessed_by else None,
                "assessed_at": _datetime(a.assessed_at),
            }
            for a in assessments
        ),
        key=lambda a: (a["product"], a["policy_set"], a["version"], _code_key(a["policy"])),
    )


def _stakeholders_and_uses(scope: _Scope) -> dict[str, list[dict]]:
    """Every stakeholder; for one community's export, those using its products."""
    ids = scope.product_ids
    if scope.selected is None:
        stakeholders = list(Stakeholder.objects.order_by("slug"))
    else:
        stakeholders = list(
            Stakeholder.objects.filter(uses__product_id__in=ids).distinct().order_by("slug")
        )
    stakeholder_slugs = {s.pk: s.slug for s in stakeholders}
    uses = ProductUse.objects.filter(product_id__in=ids)
    return {
        "stakeholders": [
            {
                "slug": s.slug,
                "name": s.name,
                "kind": s.kind,
                "website": s.website,
                "summary": s.summary,
            }
            for s in stakeholders
        ],
        "uses": sorted(
            (
                {
                    "product": scope.slug_of[u.product_id],
                    "stakeholder": stakeholder_slugs[u.stakeholder_id],
                    "criticality": u.criticality,
                    "note": u.note,
                    "contact": u.contact,
                    "source": u.source,
                }
                for u in uses
            ),
            key=lambda u: (u["product"], u["stakeholder"]),
        ),
    }


# --- Writing values ---------------------------------------------------------------------------


def _date(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _datetime(value: datetime.datetime | None) -> str | None:
    return value.astimezone(datetime.UTC).isoformat() if value else None


def _sorted_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_json(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_json(v) for v in value]
    return value


def _code_key(code: str) -> tuple:
    """M2 before M10."""
    match = re.match(r"^([A-Za-z]*)(\d*)(.*)$", code)
    letters, digits, rest = match.groups()
    return (letters, int(digits) if digits else -1, rest)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


def _represent_str(dumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)
