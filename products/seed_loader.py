"""Load the real catalog shipped with the project (``products/seed/peso_seed.yaml``).

``load_seed`` upserts communities, governance bodies, policy sets and policies, areas,
products, memberships, dependencies and imported assessments by their natural keys, inside
one transaction. It is idempotent: a row is saved only when one of the fields the seed knows
about differs, so a second run writes nothing — no ``updated_at`` bump and no new
django-simple-history rows.

The seed sets only what it knows. Fields it has no fact for (join dates, contacts,
maintainers ...) are left alone on existing rows, and rows people recorded themselves — a
manual dependency, a reviewer's assessment, a membership offramped through the registry — are
never overwritten by a re-run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import yaml
from django.db import models, transaction
from django.utils.text import slugify

from products import compliance_store
from products.models import Area, Assessment, Dependency, Membership, Product
from spokes.models import Community, GovernanceBody, Policy, PolicySet

# The data file lives inside the project: the app never reads ../shared at run time.
SEED_PATH = Path(__file__).resolve().parent / "seed" / "peso_seed.yaml"
SEED_FORMAT = 1

# libyaml's loader when PyYAML was built with it: parsing the file is most of a no-op run.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# An existing row the seed leaves alone because someone else owns it now.
KEPT = "kept"
WRITES = (CREATED, UPDATED)


class SeedError(Exception):
    """The seed file is missing, malformed or inconsistent."""


class Writer(Protocol):
    def write(self, text: str) -> Any: ...


@dataclass
class Tally:
    """Outcome counts per kind of row, e.g. ``counts["products"]["created"]``."""

    counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts[kind][outcome] += n

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: dict(outcomes) for kind, outcomes in self.counts.items()}


def load_seed(*, path: Path | str | None = None, stdout: Writer | None = None) -> dict:
    """Load the seed file into the database; return outcome counts per kind of row.

    Counts are ``{kind: {"created"|"updated"|"unchanged"|"kept"|...: n}}``; a second run on
    the same data reports only ``unchanged`` and ``kept``.
    """
    data = read_seed(Path(path) if path else SEED_PATH)
    tally = Tally()
    with transaction.atomic(), compliance_store.deferred():
        sets = _load_policy_sets(data["policy_sets"], tally)
        communities = _load_communities(data["communities"], sets, tally)
        _load_policy_set_owners(data["policy_sets"], sets, communities, tally)
        policies = _load_policies(data["policy_sets"], sets, tally)
        _load_governance(data["communities"], communities, tally)
        areas = _load_areas(data["products"], tally)
        products = _load_products(data["products"], areas, tally)
        _load_memberships(data["products"], products, communities, tally)
        _load_dependencies(data["dependencies"], data["products"], products, tally)
        if "xsdk" not in policies:
            raise SeedError("the compatibility documents need the xsdk policy set")
        _load_assessments(
            data["compatibility_documents"], products, policies["xsdk"], tally, stdout
        )
    return tally.as_dict()


def is_unchanged(counts: dict[str, dict[str, int]]) -> bool:
    """True when a load wrote nothing."""
    return not any(outcomes.get(o) for outcomes in counts.values() for o in WRITES)


def catalog_totals() -> dict[str, int]:
    """Row counts of the seeded kinds, as the command's summary reports them."""
    totals = {
        "hub": Community.objects.filter(kind=Community.Kind.HUB).count(),
        "spokes": Community.objects.spokes().count(),
        "communities of practice": Community.objects.filter(kind=Community.Kind.PRACTICE).count(),
        "products": Product.objects.count(),
        "memberships active": Membership.objects.active().count(),
        "memberships offramped": Membership.objects.filter(
            state=Membership.State.OFFRAMPED
        ).count(),
        "dependencies": Dependency.objects.count(),
        "assessments": Assessment.objects.count(),
    }
    for policy_set in PolicySet.objects.all():
        key = f"policies {policy_set.slug} {policy_set.version}"
        totals[key] = policy_set.own_policies().count()
    return totals


# --- reading -------------------------------------------------------------------------------

SECTIONS = (
    "communities",
    "policy_sets",
    "products",
    "dependencies",
    "compatibility_documents",
)


def read_seed(
    path: Path, *, kind: str = "PESO seed", sections=SECTIONS, version: int = SEED_FORMAT
) -> dict:
    """Parse and sanity-check a seed file: a mapping of its ``version`` holding each of
    ``sections`` as a list (the hub's seed file is read by the same rule)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise SeedError(f"{path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != version:
        raise SeedError(f"{path}: not a {kind} file (format {version})")
    missing = [s for s in sections if not isinstance(data.get(s), list)]
    if missing:
        raise SeedError(f"{path}: missing section(s): {', '.join(missing)}")
    return data


# --- the upsert primitive ------------------------------------------------------------------


def _index(queryset: models.QuerySet, *keys: str) -> dict[tuple, Any]:
    """Existing rows by natural key (attribute names), fetched in one query."""
    return {tuple(getattr(row, k) for k in keys): row for row in queryset.order_by()}


def _upsert(
    model: type[models.Model],
    current: models.Model | None,
    lookup: dict[str, Any],
    values: dict[str, Any],
) -> tuple[Any, str]:
    """Create the row ``lookup`` names, or update ``current``, so it holds ``values``.

    Keys are attribute names (``product_id`` for a foreign key), so values compare with
    what is loaded without extra queries. The row is saved only when a value differs: that
    keeps ``auto_now`` fields and history untouched on unchanged rows.
    """
    if current is not None and all(getattr(current, k) == v for k, v in values.items()):
        return current, UNCHANGED
    outcome = CREATED if current is None else UPDATED
    obj = current if current is not None else model(**lookup)
    for key, value in values.items():
        setattr(obj, key, value)
    _validate(obj)
    obj.save()
    return obj, outcome


def _validate(obj: models.Model) -> None:
    """Field-level checks (URLs, choices, lengths) the database may not enforce.

    Relations are excluded: they were just resolved from rows that exist, and checking them
    would cost a query each. Uniqueness and constraints are the database's job.
    """
    relations = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    obj.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)


# --- communities and policies --------------------------------------------------------------


def _load_policy_sets(entries: list[dict], tally: Tally) -> dict[str, PolicySet]:
    """Upsert the sets without their owner: the owning community may not exist yet."""
    existing = _index(PolicySet.objects.all(), "slug")
    sets: dict[str, PolicySet] = {}
    for entry in entries:
        base_slug = entry.get("base")
        if base_slug and base_slug not in sets:
            raise SeedError(f"policy set {entry['slug']}: base {base_slug} must come first")
        values = {
            "name": entry["name"],
            "version": str(entry["version"]),
            "base_id": sets[base_slug].pk if base_slug else None,
            "description": entry.get("description", ""),
            "adopted": str(entry.get("adopted") or ""),
            "sources": entry.get("sources", []),
        }
        slug = entry["slug"]
        current = existing.get((slug,))
        sets[slug], outcome = _upsert(PolicySet, current, {"slug": slug}, values)
        tally.add("policy_sets", outcome)
    return sets


def _load_communities(
    entries: list[dict], sets: dict[str, PolicySet], tally: Tally
) -> dict[str, Community]:
    existing = _index(Community.objects.all(), "slug")
    communities: dict[str, Community] = {}
    for entry in entries:
        set_slug = entry.get("policy_set")
        if set_slug and set_slug not in sets:
            raise SeedError(f"community {entry['slug']}: unknown policy set {set_slug}")
        values = {
            "name": entry["name"],
            "full_name": entry.get("full_name") or "",
            "kind": entry["kind"],
            "summary": entry.get("summary") or "",
            "area": entry.get("area") or "",
            "website": entry.get("website") or "",
            "charter": entry.get("charter") or "",
            "status": entry["status"],
            "status_note": entry.get("status_note") or "",
            "status_source": entry.get("status_source") or "",
            "status_inferred": bool(entry.get("status_inferred")),
            "policy_set_id": sets[set_slug].pk if set_slug else None,
            "policy_set_source": entry.get("policy_set_source") or "",
            "policy_set_inferred": bool(entry.get("policy_set_inferred")),
            "origin": entry.get("origin") or "",
            "origin_source": entry.get("origin_source") or "",
            "category": entry.get("category") or "",
            "named_leads": entry.get("named_leads") or [],
            "seed_ref": entry.get("seed_ref") or "",
            "requires_interoperability": bool(entry.get("requires_interoperability")),
            "sources": entry.get("sources", []),
        }
        slug = entry["slug"]
        current = existing.get((slug,))
        communities[slug], outcome = _upsert(Community, current, {"slug": slug}, values)
        tally.add("communities", outcome)
    return communities


def _load_policy_set_owners(
    entries: list[dict],
    sets: dict[str, PolicySet],
    communities: dict[str, Community],
    tally: Tally,
) -> None:
    for entry in entries:
        owner = entry.get("owner")
        if owner and owner not in communities:
            raise SeedError(f"policy set {entry['slug']}: unknown owner {owner}")
        owner_id = communities[owner].pk if owner else None
        policy_set = sets[entry["slug"]]
        _, outcome = _upsert(PolicySet, policy_set, {}, {"owner_id": owner_id})
        # Counted apart: on a first run the set was just created, not updated by a user.
        tally.add("policy_set_owners", outcome)


def _load_policies(
    entries: list[dict], sets: dict[str, PolicySet], tally: Tally
) -> dict[str, dict[str, Policy]]:
    """Upsert every set's policies (of its version); return them by set slug and code."""
    existing = _index(Policy.objects.all(), "policy_set_id", "version", "code")
    by_set: dict[str, dict[str, Policy]] = {}
    for entry in entries:
        policy_set = sets[entry["slug"]]
        base_policies = by_set.get(entry.get("base") or "", {})
        own: dict[str, Policy] = {}
        for position, item in enumerate(entry["policies"], start=1):
            adapts = item.get("adapts")
            if adapts and adapts not in base_policies:
                raise SeedError(f"{entry['slug']} {item['code']}: adapts unknown {adapts}")
            lookup = {
                "policy_set_id": policy_set.pk,
                "version": policy_set.version,
                "code": item["code"],
            }
            values = {
                "title": item["title"],
                "summary": item.get("summary") or "",
                "level": item["level"],
                "source_url": item.get("source_url") or "",
                "adapts_id": base_policies[adapts].pk if adapts else None,
                "position": position,
            }
            current = existing.get(tuple(lookup.values()))
            own[item["code"]], outcome = _upsert(Policy, current, lookup, values)
            tally.add("policies", outcome)
        by_set[entry["slug"]] = own
    return by_set


def _load_governance(entries: list[dict], communities: dict[str, Community], tally: Tally) -> None:
    """Governance bodies without seats: seats need user accounts, and we create none.

    Only bodies a source describes are in the seed, each with how it decides and its
    source. Quorum and threshold are written only when the seed states them (they matter
    only to a body whose decisions require a vote); otherwise they keep their defaults.
    """
    existing = _index(GovernanceBody.objects.all(), "community_id")
    for entry in entries:
        body = entry.get("governance")
        if not body:
            continue
        values = {
            "name": body["name"],
            "requires_vote": bool(body.get("requires_vote")),
            "decision_rule": body.get("decision_rule") or "",
            "source": body.get("source") or "",
        }
        values |= {key: Decimal(str(body[key])) for key in ("quorum", "threshold") if key in body}
        community_id = communities[entry["slug"]].pk
        current = existing.get((community_id,))
        lookup = {"community_id": community_id}
        _, outcome = _upsert(GovernanceBody, current, lookup, values)
        tally.add("governance_bodies", outcome)


# --- products ------------------------------------------------------------------------------


def _load_areas(entries: list[dict], tally: Tally) -> dict[str, Area]:
    names = sorted({name for entry in entries for name in entry.get("areas", [])})
    existing = _index(Area.objects.all(), "slug")
    areas: dict[str, Area] = {}
    for name in names:
        slug = slugify(name)
        current = existing.get((slug,))
        areas[name], outcome = _upsert(Area, current, {"slug": slug}, {"name": name})
        tally.add("areas", outcome)
    return areas


def _load_products(entries: list[dict], areas: dict[str, Area], tally: Tally) -> dict[str, Product]:
    existing = _index(Product.objects.all(), "slug")
    current_areas: dict[int, set[int]] = defaultdict(set)
    for product_id, area_id in Product.areas.through.objects.values_list("product_id", "area_id"):
        current_areas[product_id].add(area_id)
    products: dict[str, Product] = {}
    for entry in entries:
        values = {
            "name": entry["name"],
            "summary": entry.get("summary") or "",
            "homepage": entry.get("homepage") or "",
            "repository_url": entry.get("repository_url") or "",
            "license": entry.get("license") or "",
            "spack_package": entry.get("spack_package") or "",
            "facts": entry.get("facts") or {},
            "seed_ref": entry.get("seed_ref") or "",
        }
        # Sponsorship and support organisation only where a source states them: no reference
        # entry does yet, and a value recorded here since is someone's, not the seed's.
        values |= {
            key: entry[key] for key in ("sponsorship", "support_organization") if entry.get(key)
        }
        slug = entry["slug"]
        product, outcome = _upsert(Product, existing.get((slug,)), {"slug": slug}, values)
        wanted = {areas[name].pk for name in entry.get("areas", [])}
        if current_areas[product.pk] != wanted:
            product.areas.set(wanted)
            outcome = UPDATED if outcome == UNCHANGED else outcome
        products[entry["slug"]] = product
        tally.add("products", outcome)
    return products


def _load_memberships(
    entries: list[dict],
    products: dict[str, Product],
    communities: dict[str, Community],
    tally: Tally,
) -> None:
    by_pair: dict[tuple[int, int], list[Membership]] = defaultdict(list)
    for membership in Membership.objects.order_by("pk"):
        by_pair[membership.product_id, membership.community_id].append(membership)
    for entry in entries:
        product = products[entry["slug"]]
        for item in entry.get("memberships", []):
            community = communities.get(item["community"])
            if community is None:
                raise SeedError(f"{entry['slug']}: unknown community {item['community']}")
            rows = by_pair[product.pk, community.pk]
            tally.add("memberships", _upsert_membership(product, community, item, rows))


def _upsert_membership(
    product: Product, community: Community, item: dict, rows: list[Membership]
) -> str:
    """Upsert by (product, community, state, joined_at); ``rows`` are the pair's rows."""
    state = item.get("state", Membership.State.ACTIVE)
    joined_at = item.get("joined_at")
    if state == Membership.State.ACTIVE:
        # The active row is the one membership (one active per pair); its join date may
        # have been filled in since. No active row but other rows means the product was
        # offramped through the registry: do not bring it back.
        current = next((m for m in rows if m.state == state), None)
        if current is None and rows:
            return KEPT
    else:
        current = next((m for m in rows if m.state == state and m.joined_at == joined_at), None)
    lookup = {
        "product_id": product.pk,
        "community_id": community.pk,
        "state": state,
        "joined_at": joined_at,
    }
    values = {
        "source": item.get("source") or "",
        "inferred": bool(item.get("inferred")),
        "seed_ref": item.get("seed_ref") or "",
    }
    # A reason or note is the seed's only when it gives one; otherwise it may be someone's.
    values |= {key: item[key] for key in ("reason", "note") if item.get(key)}
    return _upsert(Membership, current, lookup, values)[1]


# --- dependencies --------------------------------------------------------------------------


def _spack_index(entries: list[dict]) -> dict[str, str]:
    """Spack package name -> product slug, over every package a product lists."""
    index: dict[str, str] = {}
    for entry in entries:
        for name in (entry.get("facts") or {}).get("spack_packages", []):
            index[name] = entry["slug"]
    return index


def product_edges(edges: list[dict], entries: list[dict]) -> dict[tuple[str, str], dict]:
    """Map Spack-package edges onto product pairs.

    Edges inside one product (flux-sched -> flux-core) are dropped; several package edges
    between the same two products (vtk-m and viskores -> kokkos) become one, required if any
    of them is. Returns ``{(product slug, depends-on slug): {kind, when, note}}``.
    """
    index = _spack_index(entries)
    merged: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for edge in edges:
        try:
            pair = (index[edge["from"]], index[edge["to"]])
        except KeyError as exc:
            raise SeedError(
                f"dependency {edge['from']} -> {edge['to']}: no product lists {exc}"
            ) from exc
        if pair[0] != pair[1]:
            merged[pair].append(edge)
    return {pair: _merge_edges(group) for pair, group in merged.items()}


def _merge_edges(group: list[dict]) -> dict:
    required = any(edge["kind"] == Dependency.Kind.REQUIRED for edge in group)
    whens = list(dict.fromkeys(e["when"] for e in group if e.get("when")))
    notes = [note for note in map(_edge_note, group) if note]
    if len(group) > 1:
        names = " and ".join(edge["from"] for edge in group)
        notes.append(f"Merged from the {names} recipes (one product).")
    return {
        "kind": Dependency.Kind.REQUIRED if required else Dependency.Kind.OPTIONAL,
        "when": "" if required else " | ".join(whens),
        "note": " ".join(notes),
    }


def _edge_note(edge: dict) -> str:
    """The derived readings of an edge (not Spack concepts), in words."""
    parts = []
    if edge.get("effectively_required"):
        parts.append(f"Effectively required: {edge['why']}.")
    elif edge.get("why"):
        parts.append(f"{edge['why'][0].upper()}{edge['why'][1:]}.")
    if edge.get("unconditional_for_versions"):
        versions = ", ".join(edge["unconditional_for_versions"])
        parts.append(f"Needed whatever the variants in versions {versions}.")
    if edge.get("type"):
        parts.append(f"Spack dependency type: {edge['type']}.")
    return " ".join(parts)


def _load_dependencies(
    edges: list[dict], entries: list[dict], products: dict[str, Product], tally: Tally
) -> None:
    pairs = product_edges(edges, entries)
    # Package edges inside one product, or merged into another edge.
    tally.add("dependencies", "folded", len(edges) - len(pairs))
    existing = _index(Dependency.objects.all(), "product_id", "depends_on_id")
    for (slug, depends_on), edge in pairs.items():
        lookup = {"product_id": products[slug].pk, "depends_on_id": products[depends_on].pk}
        current = existing.get(tuple(lookup.values()))
        if current and current.source != Dependency.Source.SPACK:
            tally.add("dependencies", KEPT)  # recorded by hand or another import
            continue
        values = {**edge, "source": Dependency.Source.SPACK}
        tally.add("dependencies", _upsert(Dependency, current, lookup, values)[1])


# --- assessments ---------------------------------------------------------------------------


def _load_assessments(
    documents: list[dict],
    products: dict[str, Product],
    xsdk_policies: dict[str, Policy],
    tally: Tally,
    stdout: Writer | None,
) -> None:
    """Imported statuses from the xSDK compatibility documents teams filed; nothing else."""
    existing = _index(Assessment.objects.all(), "product_id", "policy_id")
    for doc in documents:
        product = products.get(doc.get("product") or "")
        if product is None:
            tally.add("compatibility_documents", "skipped")
            if stdout is not None:
                stdout.write(
                    f"Skipped compatibility document for {doc['spack']}: "
                    f"not in the catalog ({doc['url']})\n"
                )
            continue
        tally.add("compatibility_documents", "imported")
        for code, row in doc["statuses"].items():
            if code not in xsdk_policies:
                raise SeedError(f"{doc['url']}: no xSDK policy {code}")
            policy = xsdk_policies[code]
            current = existing.get((product.pk, policy.pk))
            tally.add("assessments", _upsert_assessment(product, policy, current, doc, row))


def _upsert_assessment(
    product: Product, policy: Policy, current: Assessment | None, doc: dict, row: dict
) -> str:
    if current and current.source != Assessment.Source.IMPORTED:
        return KEPT  # someone assessed it since; the import does not overwrite them
    values = {
        "status": row["status"],
        "justification": _justification(policy.code, doc, row),
        "evidence_url": doc["url"],
        "source": Assessment.Source.IMPORTED,
    }
    lookup = {"product_id": product.pk, "policy_id": policy.pk}
    return _upsert(Assessment, current, lookup, values)[1]


def _justification(code: str, doc: dict, row: dict) -> str:
    """What the row said, then the document it comes from (the same for every row of a
    document, so pages can show that part once)."""
    filed = f"As filed: '{row['as_filed']}'."
    if row.get("filed_as"):
        filed = f"Filed under {row['filed_as']} as '{row['as_filed']}', mapped to {code}."
    return (
        f"{filed} Imported from the xSDK policy-compatibility document filed by the team "
        f"(numbering {doc['numbering']}): {doc['url']}"
    )
