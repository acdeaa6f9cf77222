"""The PESO catalog file format: validation, upsert and export (docs/catalog-format.md).

One schema, written as YAML or JSON. ``load()`` parses and checks a file strictly (unknown
field, wrong type, bad choice, duplicate key — each error with file, line and column);
``import_catalog()`` then checks references against the file and the database and upserts
everything inside one transaction; ``export_catalog()`` writes the same format back,
deterministically ordered, so export → import → export is the identity.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from events import log as events
from products.importers.errors import ImportError_, Problem
from products.importers.locate import LocDict, LocList, Mark, parse
from products.importers.progress import Progress
from products.importers.summary import Summary
from products.models import (
    Area,
    Assessment,
    Dependency,
    Membership,
    Product,
    ProductUse,
    Stakeholder,
)
from spokes.models import Community, Policy, PolicySet

FORMAT = "peso-catalog/1"
MAX_ERRORS = 100
BATCH = 1000

# --- The schema ---------------------------------------------------------------------------


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

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_url = URLValidator()
_email = EmailValidator()


# --- Parsed, checked records ----------------------------------------------------------------


@dataclass
class Rec:
    """A record of the file: its checked values and where each came from."""

    values: dict[str, Any]
    mark: Mark
    marks: dict[str, Mark]
    children: list[Rec] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def where(self, key: str | None = None) -> Mark:
        return self.marks.get(key, self.mark) if key else self.mark


@dataclass
class Catalog:
    file: str
    sections: dict[str, list[Rec]]

    def __getattr__(self, name: str) -> list[Rec]:
        try:
            return self.__dict__["sections"][name]
        except KeyError:
            raise AttributeError(name) from None

    def product_slugs(self) -> set[str]:
        """Every product the file touches (records and references)."""
        slugs = {r["slug"] for r in self.sections["products"]}
        for name in ("dependencies", "memberships", "assessments", "uses"):
            slugs.update(r["product"] for r in self.sections[name])
        return slugs


class _Errors:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, mark: Mark, reason: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(Problem(self.file, mark[0], mark[1], reason))

    def raise_if_any(self) -> None:
        if self.items:
            self.items.sort(key=lambda p: (p.line or 0, p.column or 0))
            raise ImportError_(errors=self.items)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    if isinstance(value, datetime.date):
        return "a date"
    return type(value).__name__


def _json_safe(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    return False


def _plain(value: Any) -> Any:
    """LocDict/LocList → dict/list (for JSONField)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _check_value(name: str, spec: F, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, None) or (None, reason)."""
    kind = spec.kind
    if value is None:
        if spec.required:
            return None, f"'{name}' must not be empty"
        if kind in ("str", "text", "url", "email", "choice"):
            return "", None
        if kind in ("date", "datetime", "ref"):
            return None, None
        if kind == "strlist":
            return [], None
        if kind == "mapping":
            return {}, None
        return None, f"'{name}' must be {_expected(spec)}, not null"
    if kind in ("str", "text", "slug", "url", "email", "choice", "ref"):
        if not isinstance(value, str):
            hint = " (quote it)" if isinstance(value, int | float | datetime.date) else ""
            return None, f"'{name}' must be a string, not {_type_name(value)}{hint}"
        if spec.required and not value.strip():
            return None, f"'{name}' must not be empty"
        if spec.max_length and len(value) > spec.max_length:
            return None, f"'{name}' is longer than {spec.max_length} characters"
        if kind == "slug" and not _SLUG.match(value):
            return None, f"'{name}' {value!r} is not a slug (letters, digits, '-' and '_')"
        if kind == "url" and value:
            try:
                _url(value)
            except ValidationError:
                return None, f"'{name}' {value!r} is not a valid URL"
        if kind == "email" and value:
            try:
                _email(value)
            except ValidationError:
                return None, f"'{name}' {value!r} is not a valid email address"
        if kind == "choice" and value not in spec.choices:
            return None, f"'{name}' must be one of {', '.join(spec.choices)}, not {value!r}"
        return value, None
    if kind == "bool":
        if not isinstance(value, bool):
            return None, f"'{name}' must be true or false, not {_type_name(value)}"
        return value, None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return None, f"'{name}' must be a whole number ≥ 0, not {_type_name(value)}"
        return value, None
    if kind == "date":
        if isinstance(value, datetime.datetime):
            return None, f"'{name}' must be a date (YYYY-MM-DD), not a date-time"
        if isinstance(value, datetime.date):
            return value, None
        if isinstance(value, str):
            try:
                parsed = parse_date(value)
            except ValueError:
                parsed = None
            if parsed:
                return parsed, None
        return None, f"'{name}' must be a date (YYYY-MM-DD), not {value!r}"
    if kind == "datetime":
        parsed = value if isinstance(value, datetime.datetime) else None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
        if parsed is None:
            return None, f"'{name}' must be an ISO 8601 date-time, not {value!r}"
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed, datetime.UTC)
        return parsed, None
    if kind == "strlist":
        if not isinstance(value, list):
            return None, f"'{name}' must be a list of strings, not {_type_name(value)}"
        for item in value:
            if not isinstance(item, str) or not item.strip():
                return None, f"'{name}' must hold non-empty strings, not {_type_name(item)}"
        return list(value), None
    if kind == "mapping":
        if not isinstance(value, dict):
            return None, f"'{name}' must be a mapping, not {_type_name(value)}"
        if not _json_safe(value):
            return None, f"'{name}' must hold JSON values only (strings, numbers, lists ...)"
        return _plain(value), None
    raise AssertionError(kind)  # pragma: no cover


def _expected(spec: F) -> str:
    return {"bool": "true or false", "int": "a whole number", "records": "a list"}.get(
        spec.kind, "a value"
    )


def _check_record(raw: Any, mark: Mark, schema: dict[str, F], what: str, errors: _Errors):
    if not isinstance(raw, LocDict):
        errors.add(mark, f"each {what} must be a mapping, not {_type_name(raw)}")
        return None
    values: dict[str, Any] = {}
    marks: dict[str, Mark] = {}
    for key, value in raw.items():
        where = raw.value_mark(key)
        if key not in schema:
            errors.add(
                raw.key_mark(key),
                f"unknown field {key!r} in {what} (allowed: {', '.join(schema)})",
            )
            continue
        spec = schema[key]
        marks[key] = where
        if spec.kind == "records":
            continue
        checked, reason = _check_value(key, spec, value)
        if reason:
            errors.add(where, reason)
        else:
            values[key] = checked
    for key, spec in schema.items():
        if spec.required and key not in raw:
            errors.add(raw.mark, f"{what} is missing the required field {key!r}")
    return Rec(values=values, mark=raw.mark, marks=marks)


def _records(root: LocDict, name: str, schema: dict, what: str, errors: _Errors) -> list[Rec]:
    raw = root.get(name)
    if raw is None:
        return []
    if not isinstance(raw, LocList):
        errors.add(root.value_mark(name), f"'{name}' must be a list, not {_type_name(raw)}")
        return []
    out = []
    for index, item in enumerate(raw):
        rec = _check_record(item, raw.item_mark(index), schema, what, errors)
        if rec is not None:
            out.append(rec)
            if name == "policy_sets" and isinstance(item, LocDict) and "policies" in item:
                rec.children = _records(item, "policies", POLICY, "policy", errors)
    return out


def load(text: str, filename: str, fmt: str | None = None) -> Catalog:
    """Parse and check a catalog file; raise ImportError_ listing every problem found."""
    root = parse(text, filename, fmt)
    errors = _Errors(filename)
    if not isinstance(root, LocDict):
        mark = getattr(root, "mark", (1, 1))
        raise ImportError_(
            f"a catalog file must be a mapping with a 'format' key, not {_type_name(root)}",
            file=filename,
            line=mark[0],
            column=mark[1],
        )
    for key in root:
        if key not in TOP_LEVEL:
            errors.add(
                root.key_mark(key),
                f"unknown top-level key {key!r} (allowed: {', '.join(TOP_LEVEL)})",
            )
    if "format" not in root:
        errors.add(root.mark, f"missing 'format: {FORMAT}'")
    elif root["format"] != FORMAT:
        errors.add(
            root.value_mark("format"), f"'format' must be {FORMAT!r}, not {root['format']!r}"
        )
    what = {
        "communities": "community",
        "policy_sets": "policy set",
        "products": "product",
        "dependencies": "dependency",
        "memberships": "membership",
        "assessments": "assessment",
        "stakeholders": "stakeholder",
        "uses": "use",
    }
    sections = {name: _records(root, name, SECTIONS[name], what[name], errors) for name in SECTIONS}
    catalog = Catalog(file=filename, sections=sections)
    _check_within_file(catalog, errors)
    errors.raise_if_any()
    return catalog


def load_path(path: str, fmt: str | None = None) -> Catalog:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise ImportError_(f"not UTF-8 text ({exc.reason})", file=path, line=1) from None
    except OSError as exc:
        raise ImportError_(f"cannot read the file: {exc.strerror}", file=path) from None
    return load(text, path, fmt)


def _check_within_file(catalog: Catalog, errors: _Errors) -> None:
    """Rules that need only the file: duplicates, justification, one active membership."""

    def unique(records: Iterable[Rec], key, label: str) -> None:
        seen: dict = {}
        for rec in records:
            try:
                k = key(rec)
            except KeyError:
                continue
            if k in seen:
                errors.add(rec.mark, f"duplicate {label} (first at line {seen[k][0]})")
            else:
                seen[k] = rec.mark

    unique(catalog.communities, lambda r: r["slug"], "community slug")
    unique(catalog.policy_sets, lambda r: r["slug"], "policy set slug")
    unique(catalog.products, lambda r: r["slug"], "product slug")
    unique(catalog.stakeholders, lambda r: r["slug"], "stakeholder slug")
    unique(catalog.uses, lambda r: (r["product"], r["stakeholder"]), "use")
    for ps in catalog.policy_sets:
        unique(
            ps.children,
            lambda r, ps=ps: (r.get("version") or ps.get("version"), r["code"]),
            f"policy code in {ps.get('slug')}",
        )
    unique(catalog.dependencies, lambda r: (r["product"], r["depends_on"]), "dependency")
    unique(
        catalog.assessments,
        lambda r: (r["product"], r["policy_set"], r.get("version"), r["policy"]),
        "assessment",
    )
    unique(
        (m for m in catalog.memberships if m.get("state", "active") == "active"),
        lambda r: (r["product"], r["community"]),
        "active membership for this product and community",
    )
    for dep in catalog.dependencies:
        if dep.get("product") and dep.get("product") == dep.get("depends_on"):
            errors.add(dep.where("depends_on"), "a product cannot depend on itself")
    for a in catalog.assessments:
        if a.get("status") in ("partial", "na") and not (a.get("justification") or "").strip():
            errors.add(a.mark, f"an assessment with status {a['status']!r} needs a justification")


# --- Import ---------------------------------------------------------------------------------


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _split_ref(ref: str) -> tuple[str, str | None]:
    code, _, version = ref.partition("@")
    return code, version or None


class _Importer:
    def __init__(self, catalog: Catalog, *, actor, progress: Progress, summary: Summary):
        self.catalog = catalog
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.progress = progress
        self.summary = summary
        self.errors = _Errors(catalog.file)
        # slug → action, resolved at the end so an object changed twice counts once.
        self.actions: dict[str, dict[Any, str]] = defaultdict(dict)
        self.labels: dict[str, dict[Any, str]] = defaultdict(dict)
        self.now = timezone.now()

    def mark(self, kind: str, key: Any, action: str, label: str) -> None:
        current = self.actions[kind].get(key)
        if current == "created" or (current == "updated" and action == "unchanged"):
            return
        self.actions[kind][key] = action
        self.labels[kind][key] = label

    # -- references --

    def resolve_references(self) -> None:
        cat = self.catalog
        community_refs = {r["slug"] for r in cat.communities}
        for r in cat.memberships:
            community_refs.add(r["community"])
        for r in cat.policy_sets:
            if r.get("owner"):
                community_refs.add(r["owner"])
        self.communities = {c.slug: c for c in Community.objects.filter(slug__in=community_refs)}

        set_refs = {r["slug"] for r in cat.policy_sets}
        set_refs |= {r["policy_set"] for r in cat.communities if r.get("policy_set")}
        set_refs |= {r["base"] for r in cat.policy_sets if r.get("base")}
        set_refs |= {r["policy_set"] for r in cat.assessments}
        self.policy_sets = {p.slug: p for p in PolicySet.objects.filter(slug__in=set_refs)}

        product_refs = cat.product_slugs()
        product_refs |= {r["depends_on"] for r in cat.dependencies}
        product_refs |= {r["successor"] for r in cat.memberships if r.get("successor")}
        self.products: dict[str, Product] = {}
        for chunk in _chunks(sorted(product_refs), 5000):
            self.products.update({p.slug: p for p in Product.objects.filter(slug__in=chunk)})

        stakeholder_refs = {r["slug"] for r in cat.stakeholders} | {
            r["stakeholder"] for r in cat.uses
        }
        self.stakeholders: dict[str, Stakeholder] = {}
        if stakeholder_refs:
            self.stakeholders = {
                s.slug: s for s in Stakeholder.objects.filter(slug__in=stakeholder_refs)
            }

        usernames = {u for r in cat.products for u in r.get("maintainers", [])}
        usernames |= {r["assessed_by"] for r in cat.assessments if r.get("assessed_by")}
        User = get_user_model()
        self.users = {
            u.get_username(): u
            for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames})
        }

        file_communities = {r["slug"] for r in cat.communities}
        file_sets = {r["slug"]: r for r in cat.policy_sets}
        file_products = {r["slug"] for r in cat.products}

        def need(rec: Rec, key: str, known: Iterable[str], what: str) -> None:
            value = rec.get(key)
            if value and value not in known:
                self.errors.add(
                    rec.where(key), f"{what} {value!r} is neither in the file nor in the registry"
                )

        known_communities = file_communities | set(self.communities)
        known_sets = set(file_sets) | set(self.policy_sets)
        known_products = file_products | set(self.products)
        for r in cat.communities:
            need(r, "policy_set", known_sets, "policy set")
        for r in cat.policy_sets:
            need(r, "owner", known_communities, "community")
            need(r, "base", known_sets, "policy set")
            if r.get("base") == r["slug"]:
                self.errors.add(r.where("base"), "a policy set cannot be its own base")
        for r in cat.dependencies:
            need(r, "product", known_products, "product")
            need(r, "depends_on", known_products, "product")
        for r in cat.memberships:
            need(r, "product", known_products, "product")
            need(r, "community", known_communities, "community")
            need(r, "successor", known_products, "product")
        for r in cat.products:
            for username in r.get("maintainers", []):
                if username not in self.users:
                    self.errors.add(r.where("maintainers"), f"no user named {username!r}")
        for r in cat.assessments:
            need(r, "product", known_products, "product")
            need(r, "policy_set", known_sets, "policy set")
            need(r, "assessed_by", set(self.users), "user")
        known_stakeholders = {r["slug"] for r in cat.stakeholders} | set(self.stakeholders)
        for r in cat.uses:
            need(r, "product", known_products, "product")
            need(r, "stakeholder", known_stakeholders, "stakeholder")

        # Policies: (set slug, version, code) from the file and the database.
        self.set_versions = {slug: ps.version for slug, ps in self.policy_sets.items()}
        self.set_versions.update({slug: r["version"] for slug, r in file_sets.items()})
        self.known_policies: set[tuple[str, str, str]] = set(
            Policy.objects.filter(policy_set__slug__in=known_sets).values_list(
                "policy_set__slug", "version", "code"
            )
        )
        for slug, r in file_sets.items():
            for p in r.children:
                self.known_policies.add((slug, p.get("version") or r["version"], p["code"]))
        for r in cat.assessments:
            if r["policy_set"] not in known_sets:
                continue
            version = r.get("version") or self.set_versions[r["policy_set"]]
            if (r["policy_set"], version, r["policy"]) not in self.known_policies:
                self.errors.add(
                    r.where("policy"),
                    f"policy set {r['policy_set']!r} version {version} has no policy "
                    f"{r['policy']!r}",
                )
        for r in cat.policy_sets:
            base = r.get("base") or (
                self.policy_sets[r["slug"]].base.slug
                if r["slug"] in self.policy_sets and self.policy_sets[r["slug"]].base_id
                else None
            )
            for p in r.children:
                if not p.get("adapts"):
                    continue
                code, version = _split_ref(p["adapts"])
                if base is None:
                    self.errors.add(p.where("adapts"), "'adapts' needs a policy set with a base")
                elif base in known_sets:
                    version = version or self.set_versions.get(base)
                    if (base, version, code) not in self.known_policies:
                        self.errors.add(
                            p.where("adapts"),
                            f"base set {base!r} version {version} has no policy {code!r}",
                        )
        self.errors.raise_if_any()

    # -- generic helpers --

    @staticmethod
    def assign(obj, values: dict[str, Any], names: dict[str, str]) -> list[str]:
        """Set the given file fields on obj; return the model fields that changed."""
        changed = []
        for key, attr in names.items():
            if key in values and getattr(obj, attr) != values[key]:
                setattr(obj, attr, values[key])
                changed.append(attr)
        return changed

    # -- sections --

    def import_communities(self) -> None:
        names = {k: k for k in COMMUNITY if k not in ("slug", "policy_set")}
        for r in self.catalog.communities:
            obj = self.communities.get(r["slug"])
            created = obj is None
            if created:
                obj = Community(slug=r["slug"])
            changed = self.assign(obj, r.values, names)
            if created or changed:
                obj.save()
            self.communities[obj.slug] = obj
            action = "created" if created else ("updated" if changed else "unchanged")
            self.mark("communities", obj.slug, action, obj.slug)

    def import_policy_sets(self) -> None:
        names = {k: k for k in ("name", "version", "description", "adopted", "sources")}
        pending = list(self.catalog.policy_sets)
        file_slugs = {r["slug"] for r in pending}
        # Bases first: a set's base must exist before the set points at it.
        ordered: list[Rec] = []
        done: set[str] = set()
        while pending:
            ready = [r for r in pending if not r.get("base") or r["base"] not in file_slugs - done]
            if not ready:
                self.errors.add(pending[0].where("base"), "policy sets form a base cycle")
                self.errors.raise_if_any()
            for r in ready:
                ordered.append(r)
                done.add(r["slug"])
                pending.remove(r)
        for r in ordered:
            obj = self.policy_sets.get(r["slug"])
            created = obj is None
            if created:
                obj = PolicySet(slug=r["slug"])
            changed = self.assign(obj, r.values, names)
            for key in ("owner", "base"):
                if key in r:
                    target = r[key]
                    target_id = (
                        (self.communities if key == "owner" else self.policy_sets)[target].pk
                        if target
                        else None
                    )
                    if getattr(obj, f"{key}_id") != target_id:
                        setattr(obj, f"{key}_id", target_id)
                        changed.append(key)
            if created or changed:
                obj.save()
            self.policy_sets[obj.slug] = obj
            action = "created" if created else ("updated" if changed else "unchanged")
            self.mark("policy_sets", obj.slug, action, obj.slug)

        # Policies, then their 'adapts' links once every policy exists.
        sets = [self.policy_sets[r["slug"]] for r in ordered]
        existing = {
            (p.policy_set_id, p.version, p.code): p
            for p in Policy.objects.filter(policy_set__in=sets)
        }
        pnames = {"title": "title", "summary": "summary", "level": "level", "url": "source_url"}
        pnames["position"] = "position"
        touched: list[tuple[Policy, Rec, PolicySet]] = []
        for r in ordered:
            ps = self.policy_sets[r["slug"]]
            for index, p in enumerate(r.children):
                version = p.get("version") or ps.version
                obj = existing.get((ps.pk, version, p["code"]))
                created = obj is None
                if created:
                    obj = Policy(policy_set=ps, version=version, code=p["code"], position=index)
                changed = self.assign(obj, p.values, pnames)
                if created or changed:
                    obj.save()
                existing[(ps.pk, version, p["code"])] = obj
                touched.append((obj, p, ps))
                action = "created" if created else ("updated" if changed else "unchanged")
                self.mark(
                    "policies",
                    (ps.slug, version, obj.code),
                    action,
                    f"{ps.slug} {version} {obj.code}",
                )
        for obj, p, ps in touched:
            if "adapts" not in p:
                continue
            target_id = None
            if p["adapts"]:
                code, version = _split_ref(p["adapts"])
                base = self.policy_sets[ps.slug].base
                version = version or base.version
                target = existing.get((base.pk, version, code)) or Policy.objects.get(
                    policy_set=base, version=version, code=code
                )
                target_id = target.pk
            if obj.adapts_id != target_id:
                obj.adapts_id = target_id
                obj.save(update_fields=["adapts"])
                self.mark(
                    "policies",
                    (ps.slug, obj.version, obj.code),
                    "updated",
                    f"{ps.slug} {obj.version} {obj.code}",
                )

        # Communities' policy sets, now that every set exists.
        for r in self.catalog.communities:
            if "policy_set" not in r:
                continue
            obj = self.communities[r["slug"]]
            target_id = self.policy_sets[r["policy_set"]].pk if r["policy_set"] else None
            if obj.policy_set_id != target_id:
                obj.policy_set_id = target_id
                obj.save(update_fields=["policy_set", "updated_at"])
                self.mark("communities", obj.slug, "updated", obj.slug)

    def import_products(self) -> None:
        records = self.catalog.products
        names = {k: k for k in PRODUCT if k not in ("slug", "areas", "maintainers")}
        to_create: list[Product] = []
        to_update: list[Product] = []
        update_fields: set[str] = set()
        self.progress.start("products", len(records))
        for r in records:
            obj = self.products.get(r["slug"])
            created = obj is None
            if created:
                obj = Product(slug=r["slug"])
                self.assign(obj, r.values, names)
                to_create.append(obj)
                self.mark("products", obj.slug, "created", obj.slug)
            else:
                changed = self.assign(obj, r.values, names)
                if changed:
                    obj.updated_at = self.now
                    to_update.append(obj)
                    update_fields.update(changed)
                self.mark("products", obj.slug, "updated" if changed else "unchanged", obj.slug)
            self.progress.advance()
        self.progress.finish()
        if to_create:
            bulk_create_with_history(to_create, Product, batch_size=BATCH, default_user=self.actor)
            for obj in to_create:
                self.products[obj.slug] = obj
        if to_update:
            bulk_update_with_history(
                to_update,
                Product,
                sorted(update_fields | {"updated_at"}),
                batch_size=BATCH,
                default_user=self.actor,
            )
        self.import_areas()
        self.import_maintainers()

    def _m2m(self, through, column: str, wanted: dict[int, set[int]], label: str) -> None:
        """Make the product→X links of ``through`` match ``wanted`` (for listed products)."""
        current: dict[int, set[int]] = defaultdict(set)
        ids = list(wanted)
        for chunk in _chunks(ids, 5000):
            for product_id, other_id in through.objects.filter(product_id__in=chunk).values_list(
                "product_id", column
            ):
                current[product_id].add(other_id)
        add, remove = [], []
        slug_of = {p.pk: s for s, p in self.products.items()}
        for product_id, targets in wanted.items():
            have = current.get(product_id, set())
            if have != targets:
                add.extend(through(product_id=product_id, **{column: t}) for t in targets - have)
                remove.extend((product_id, t) for t in have - targets)
                slug = slug_of[product_id]
                self.mark("products", slug, "updated", f"{slug} ({label})")
        through.objects.bulk_create(add, batch_size=BATCH)
        by_product: dict[int, list[int]] = defaultdict(list)
        for product_id, t in remove:
            by_product[product_id].append(t)
        for product_id, targets in by_product.items():
            through.objects.filter(product_id=product_id, **{f"{column}__in": targets}).delete()

    def import_areas(self) -> None:
        records = [r for r in self.catalog.products if "areas" in r]
        if not records:
            return
        names = {name for r in records for name in r["areas"]}
        areas = {a.name: a for a in Area.objects.filter(name__in=names)}
        taken = set(Area.objects.values_list("slug", flat=True))
        for name in sorted(names - set(areas)):
            base = slugify(name)[:90] or "area"
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            areas[name] = Area.objects.create(slug=slug, name=name)
        wanted = {self.products[r["slug"]].pk: {areas[n].pk for n in r["areas"]} for r in records}
        self._m2m(Product.areas.through, "area_id", wanted, "areas")

    def import_maintainers(self) -> None:
        records = [r for r in self.catalog.products if "maintainers" in r]
        if not records:
            return
        wanted = {
            self.products[r["slug"]].pk: {self.users[u].pk for u in r["maintainers"]}
            for r in records
        }
        self._m2m(Product.maintainers.through, "user_id", wanted, "maintainers")

    def _existing_for_products(self, model, slugs: set[str]) -> list:
        ids = [self.products[s].pk for s in slugs if s in self.products and self.products[s].pk]
        rows = []
        for chunk in _chunks(ids, 5000):
            rows.extend(model.objects.filter(product_id__in=chunk))
        return rows

    def _sort_upserts(self, section: str, records, find, build, names, label, *, stamp=False):
        """Split `records` into new rows and changed rows (with the fields that changed),
        marking each in the summary. `find(record)` gives the existing row or None,
        `build(record)` a new unsaved one; `stamp` sets `updated_at` on changed rows
        (bulk updates skip auto_now)."""
        to_create, to_update, fields = [], [], set()
        self.progress.start(section, len(records))
        for r in records:
            obj, text = find(r), label(r)
            if obj is None:
                obj = build(r)
                self.assign(obj, r.values, names)
                to_create.append(obj)
                self.mark(section, text, "created", text)
            else:
                changed = self.assign(obj, r.values, names)
                if changed:
                    if stamp:
                        obj.updated_at = self.now
                    to_update.append(obj)
                    fields.update(changed)
                self.mark(section, text, "updated" if changed else "unchanged", text)
            self.progress.advance()
        self.progress.finish()
        return to_create, to_update, fields

    def _save_with_history(self, model, to_create: list, to_update: list, fields: set) -> None:
        if to_create:
            bulk_create_with_history(to_create, model, batch_size=BATCH, default_user=self.actor)
        if to_update:
            bulk_update_with_history(
                to_update,
                model,
                sorted(fields | {"updated_at"}),
                batch_size=BATCH,
                default_user=self.actor,
            )

    def import_dependencies(self) -> None:
        records = self.catalog.dependencies
        if not records:
            return
        existing = {
            (d.product_id, d.depends_on_id): d
            for d in self._existing_for_products(Dependency, {r["product"] for r in records})
        }
        names = {k: k for k in ("kind", "when", "source", "note")}

        def ends(r) -> tuple[Product, Product]:
            return self.products[r["product"]], self.products[r["depends_on"]]

        to_create, to_update, fields = self._sort_upserts(
            "dependencies",
            records,
            find=lambda r: existing.get(tuple(p.pk for p in ends(r))),
            build=lambda r: Dependency(product=ends(r)[0], depends_on=ends(r)[1]),
            names=names,
            label=lambda r: "{} → {}".format(*(p.slug for p in ends(r))),
        )
        Dependency.objects.bulk_create(to_create, batch_size=BATCH)
        if to_update:
            Dependency.objects.bulk_update(to_update, sorted(fields), batch_size=BATCH)

    def import_memberships(self) -> None:
        records = self.catalog.memberships
        if not records:
            return
        rows = self._existing_for_products(Membership, {r["product"] for r in records})
        by_key: dict[tuple, Membership] = {}
        active: dict[tuple, Membership] = {}
        for m in sorted(rows, key=lambda m: m.pk):
            by_key.setdefault((m.product_id, m.community_id, m.joined_at), m)
            if m.state == Membership.State.ACTIVE:
                active[(m.product_id, m.community_id)] = m
        names = {k: k for k in MEMBERSHIP if k not in ("product", "community", "successor")}
        used: set[int] = set()
        to_create, to_update, fields = [], [], set()
        self.progress.start("memberships", len(records))
        for r in records:
            product, community = self.products[r["product"]], self.communities[r["community"]]
            label = f"{product.slug} in {community.slug} ({r.get('joined_at') or 'no date'})"
            key = id(r)
            obj = by_key.get((product.pk, community.pk, r.get("joined_at")))
            if obj is None or obj.pk in used:
                candidate = active.get((product.pk, community.pk))
                obj = candidate if r.get("state", "active") == "active" else None
                if obj is not None and obj.pk in used:
                    obj = None
            if obj is None:
                obj = Membership(product=product, community=community)
                created, changed = True, []
                self.assign(obj, r.values, names)
            else:
                created = False
                used.add(obj.pk)
                changed = self.assign(obj, r.values, names)
            if "successor" in r:
                successor_id = self.products[r["successor"]].pk if r["successor"] else None
                if obj.successor_id != successor_id:
                    obj.successor_id = successor_id
                    changed.append("successor")
            if created:
                to_create.append(obj)
                self.mark("memberships", key, "created", label)
            else:
                if changed:
                    to_update.append(obj)
                    fields.update(changed)
                self.mark("memberships", key, "updated" if changed else "unchanged", label)
            self.progress.advance()
        self.progress.finish()
        # Updates first: a membership leaving 'active' frees its slot for a new active one.
        if to_update:
            bulk_update_with_history(
                to_update, Membership, sorted(fields), batch_size=BATCH, default_user=self.actor
            )
        if to_create:
            bulk_create_with_history(
                to_create, Membership, batch_size=BATCH, default_user=self.actor
            )

    def import_assessments(self) -> None:
        records = self.catalog.assessments
        if not records:
            return
        sets = {r["policy_set"] for r in records}
        policies = {
            (p.policy_set.slug, p.version, p.code): p
            for p in Policy.objects.filter(policy_set__slug__in=sets).select_related("policy_set")
        }
        existing = {
            (a.product_id, a.policy_id): a
            for a in self._existing_for_products(Assessment, {r["product"] for r in records})
        }
        names = {k: k for k in ("status", "justification", "evidence_url", "source")}
        to_create, to_update, fields = [], [], set()
        self.progress.start("assessments", len(records))
        for r in records:
            product = self.products[r["product"]]
            version = r.get("version") or self.policy_sets[r["policy_set"]].version
            policy = policies[(r["policy_set"], version, r["policy"])]
            label = f"{product.slug} {r['policy_set']} {version} {policy.code}"
            obj = existing.get((product.pk, policy.pk))
            created = obj is None
            if created:
                obj = Assessment(product=product, policy=policy, assessed_at=self.now)
            changed = self.assign(obj, r.values, names)
            if "assessed_by" in r:
                user_id = self.users[r["assessed_by"]].pk if r["assessed_by"] else None
                if obj.assessed_by_id != user_id:
                    obj.assessed_by_id = user_id
                    changed.append("assessed_by")
            if r.get("assessed_at") is not None:
                if obj.assessed_at != r["assessed_at"]:
                    obj.assessed_at = r["assessed_at"]
                    changed.append("assessed_at")
            elif changed and not created:
                obj.assessed_at = self.now
                changed.append("assessed_at")
            if created:
                to_create.append(obj)
                self.mark("assessments", label, "created", label)
            else:
                if changed:
                    to_update.append(obj)
                    fields.update(changed)
                self.mark("assessments", label, "updated" if changed else "unchanged", label)
            self.progress.advance()
        self.progress.finish()
        if to_create:
            bulk_create_with_history(
                to_create, Assessment, batch_size=BATCH, default_user=self.actor
            )
        if to_update:
            bulk_update_with_history(
                to_update, Assessment, sorted(fields), batch_size=BATCH, default_user=self.actor
            )

    def import_stakeholders(self) -> None:
        records = self.catalog.stakeholders
        if not records:
            return
        names = {k: k for k in STAKEHOLDER if k != "slug"}
        to_create, to_update, fields = self._sort_upserts(
            "stakeholders",
            records,
            find=lambda r: self.stakeholders.get(r["slug"]),
            build=lambda r: Stakeholder(slug=r["slug"]),
            names=names,
            label=lambda r: r["slug"],
            stamp=True,
        )
        self._save_with_history(Stakeholder, to_create, to_update, fields)
        for obj in to_create:
            self.stakeholders[obj.slug] = obj

    def import_uses(self) -> None:
        records = self.catalog.uses
        if not records:
            return
        existing = {
            (u.product_id, u.stakeholder_id): u
            for u in self._existing_for_products(ProductUse, {r["product"] for r in records})
        }
        names = {k: k for k in ("note", "contact", "source")}

        def ends(r) -> tuple[Product, Stakeholder]:
            return self.products[r["product"]], self.stakeholders[r["stakeholder"]]

        to_create, to_update, fields = self._sort_upserts(
            "uses",
            records,
            find=lambda r: existing.get(tuple(o.pk for o in ends(r))),
            build=lambda r: ProductUse(product=ends(r)[0], stakeholder=ends(r)[1]),
            names=names,
            label=lambda r: "{1} uses {0}".format(*(o.slug for o in ends(r))),
            stamp=True,
        )
        self._save_with_history(ProductUse, to_create, to_update, fields)

    def run(self) -> None:
        self.resolve_references()
        self.import_communities()
        self.import_policy_sets()
        self.import_products()
        self.import_dependencies()
        self.import_memberships()
        self.import_assessments()
        self.import_stakeholders()
        self.import_uses()
        order = (
            "communities",
            "policy_sets",
            "policies",
            "products",
            "dependencies",
            "memberships",
            "assessments",
            "stakeholders",
            "uses",
        )
        for kind in order:
            if kind == "policies" and not self.catalog.policy_sets:
                continue
            if kind != "policies" and not self.catalog.sections.get(kind):
                continue
            self.summary.ensure(kind)
            for key, action in self.actions.get(kind, {}).items():
                self.summary.count(kind, action, self.labels[kind][key])


def import_catalog(
    catalog: Catalog,
    *,
    actor=None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Summary:
    """Upsert everything in ``catalog`` in one transaction (rolled back on a dry run).

    Raises ImportError_ (nothing written) when a reference cannot be resolved.
    """
    summary = Summary(kind="catalog", dry_run=dry_run)
    with transaction.atomic():
        importer = _Importer(
            catalog, actor=actor, progress=progress or Progress.silent(), summary=summary
        )
        importer.run()
        if dry_run:
            transaction.set_rollback(True)
        else:
            events.record(
                events.Verb.CATALOG_IMPORTED,
                actor=actor,
                data={"kind": "catalog", "file": catalog.file, "changes": summary.changes},
            )
    return summary


# --- Export ---------------------------------------------------------------------------------


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


def export_catalog(*, community: str | None = None) -> dict:
    """The catalog (or one community's part of it) as plain data in the file format."""
    products = Product.objects.all()
    if community is not None:
        selected = Community.objects.select_related("policy_set").get(slug=community)
        products = products.filter(memberships__community=selected).distinct()
    products = list(products.prefetch_related("areas", "maintainers").order_by("slug"))
    product_ids = {p.pk for p in products}

    if community is not None:
        set_ids = set()
        ps = selected.policy_set
        while ps is not None and ps.pk not in set_ids:
            set_ids.add(ps.pk)
            ps = ps.base
        policy_sets = list(PolicySet.objects.filter(pk__in=set_ids))
        community_ids = {selected.pk} | {s.owner_id for s in policy_sets if s.owner_id}
        communities = list(Community.objects.filter(pk__in=community_ids))
    else:
        policy_sets = list(PolicySet.objects.all())
        communities = list(Community.objects.all())
    policy_sets.sort(key=lambda s: s.slug)
    communities.sort(key=lambda c: c.slug)
    set_slugs = {s.pk: s.slug for s in PolicySet.objects.all()}
    community_slugs = dict(Community.objects.values_list("pk", "slug"))

    policies_by_set: dict[int, list[Policy]] = defaultdict(list)
    for p in Policy.objects.filter(policy_set__in=policy_sets).select_related(
        "adapts", "policy_set__base"
    ):
        policies_by_set[p.policy_set_id].append(p)

    def adapts(p: Policy) -> str | None:
        if p.adapts is None:
            return None
        base = p.policy_set.base
        if base is not None and p.adapts.version == base.version:
            return p.adapts.code
        return f"{p.adapts.code}@{p.adapts.version}"

    slug_of = {p.pk: p.slug for p in products}

    def product_slug(pk: int | None) -> str | None:
        if pk is None:
            return None
        if pk not in slug_of:
            slug_of[pk] = Product.objects.values_list("slug", flat=True).get(pk=pk)
        return slug_of[pk]

    data: dict[str, Any] = {"format": FORMAT}
    data["communities"] = [
        {
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
            "policy_set": set_slugs.get(c.policy_set_id),
            "requires_interoperability": c.requires_interoperability,
            "sources": list(c.sources or []),
        }
        for c in communities
    ]
    data["policy_sets"] = [
        {
            "slug": s.slug,
            "name": s.name,
            "version": s.version,
            "owner": community_slugs.get(s.owner_id),
            "base": set_slugs.get(s.base_id),
            "description": s.description,
            "adopted": s.adopted,
            "sources": list(s.sources or []),
            "policies": [
                {
                    "code": p.code,
                    "version": p.version,
                    "title": p.title,
                    "summary": p.summary,
                    "level": p.level,
                    "url": p.source_url,
                    "adapts": adapts(p),
                    "position": p.position,
                }
                for p in sorted(
                    policies_by_set[s.pk], key=lambda p: (p.version, p.position, p.code)
                )
            ],
        }
        for s in policy_sets
    ]
    data["products"] = [
        {
            "slug": p.slug,
            "name": p.name,
            "summary": p.summary,
            "description": p.description,
            "homepage": p.homepage,
            "repository_url": p.repository_url,
            "documentation_url": p.documentation_url,
            "license": p.license,
            "spack_package": p.spack_package,
            "contact_email": p.contact_email,
            "areas": sorted(a.name for a in p.areas.all()),
            "maintainers": sorted(u.get_username() for u in p.maintainers.all()),
            "facts": _sorted_json(p.facts or {}),
        }
        for p in products
    ]

    deps = Dependency.objects.filter(product_id__in=product_ids, depends_on_id__in=product_ids)
    data["dependencies"] = sorted(
        (
            {
                "product": slug_of[d.product_id],
                "depends_on": slug_of[d.depends_on_id],
                "kind": d.kind,
                "when": d.when,
                "source": d.source,
                "note": d.note,
            }
            for d in deps
        ),
        key=lambda d: (d["product"], d["depends_on"]),
    )

    memberships = Membership.objects.filter(product_id__in=product_ids)
    if community is not None:
        memberships = memberships.filter(community=selected)
    data["memberships"] = sorted(
        (
            {
                "product": slug_of[m.product_id],
                "community": community_slugs[m.community_id],
                "state": m.state,
                "joined_at": _date(m.joined_at),
                "left_at": _date(m.left_at),
                "reason": m.reason,
                "support_organization": m.support_organization,
                "end_of_support": _date(m.end_of_support),
                "migration_notes": m.migration_notes,
                "successor": product_slug(m.successor_id),
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

    assessments = Assessment.objects.filter(product_id__in=product_ids).select_related(
        "policy__policy_set", "assessed_by"
    )
    if community is not None:
        assessments = assessments.filter(policy__policy_set__in=policy_sets)
    data["assessments"] = sorted(
        (
            {
                "product": slug_of[a.product_id],
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

    uses = ProductUse.objects.filter(product_id__in=product_ids)
    if community is None:
        stakeholders = list(Stakeholder.objects.order_by("slug"))
    else:
        # The stakeholders the exported products are recorded as used by.
        stakeholders = list(
            Stakeholder.objects.filter(uses__product_id__in=product_ids).distinct().order_by("slug")
        )
    stakeholder_slugs = {s.pk: s.slug for s in stakeholders}
    data["stakeholders"] = [
        {
            "slug": s.slug,
            "name": s.name,
            "kind": s.kind,
            "website": s.website,
            "summary": s.summary,
        }
        for s in stakeholders
    ]
    data["uses"] = sorted(
        (
            {
                "product": slug_of[u.product_id],
                "stakeholder": stakeholder_slugs[u.stakeholder_id],
                "note": u.note,
                "contact": u.contact,
                "source": u.source,
            }
            for u in uses
        ),
        key=lambda u: (u["product"], u["stakeholder"]),
    )
    return data


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


def dump(data: dict, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    header = f"# PESO registry catalog ({FORMAT}); see docs/catalog-format.md\n"
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
