"""Read a catalog file strictly: parse it, check every record against the schema and the
rules that need only the file, and report every problem at once with its line and column.

References to other records (in the file or the registry) are checked when importing
(``references.py``), since they need the database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from products.importers.catalog.records import Catalog, Errors, Rec
from products.importers.catalog.schema import (
    FORMAT,
    POLICY,
    RECORD_NOUNS,
    SECTIONS,
    TOP_LEVEL,
    F,
)
from products.importers.catalog.values import check_value, type_name
from products.importers.errors import ImportError_
from products.importers.locate import LocDict, LocList, Mark, parse


def load(text: str, filename: str, fmt: str | None = None) -> Catalog:
    """Parse and check a catalog file; raise ImportError_ listing every problem found."""
    root = parse(text, filename, fmt)
    errors = Errors(filename)
    if not isinstance(root, LocDict):
        mark = getattr(root, "mark", (1, 1))
        raise ImportError_(
            f"a catalog file must be a mapping with a 'format' key, not {type_name(root)}",
            file=filename,
            line=mark[0],
            column=mark[1],
        )
    _check_top_level(root, errors)
    sections = {
        name: _records(root, name, SECTIONS[name], RECORD_NOUNS[name], errors) for name in SECTIONS
    }
    catalog = Catalog(file=filename, sections=sections)
    _check_duplicates(catalog, errors)
    _check_record_rules(catalog, errors)
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


def _check_top_level(root: LocDict, errors: Errors) -> None:
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


def _records(root: LocDict, name: str, schema: dict, what: str, errors: Errors) -> list[Rec]:
    raw = root.get(name)
    if raw is None:
        return []
    if not isinstance(raw, LocList):
        errors.add(root.value_mark(name), f"'{name}' must be a list, not {type_name(raw)}")
        return []
    out = []
    for index, item in enumerate(raw):
        rec = _check_record(item, raw.item_mark(index), schema, what, errors)
        if rec is not None:
            out.append(rec)
            if name == "policy_sets" and isinstance(item, LocDict) and "policies" in item:
                rec.children = _records(item, "policies", POLICY, "policy", errors)
        raw[index] = None  # read: the parsed mapping is no longer needed
    return out


def _check_record(
    raw: Any, mark: Mark, schema: dict[str, F], what: str, errors: Errors
) -> Rec | None:
    if not isinstance(raw, LocDict):
        errors.add(mark, f"each {what} must be a mapping, not {type_name(raw)}")
        return None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in schema:
            errors.add(
                raw.key_mark(key),
                f"unknown field {key!r} in {what} (allowed: {', '.join(schema)})",
            )
            continue
        spec = schema[key]
        if spec.kind == "records":
            continue
        checked, reason = check_value(key, spec, value)
        if reason:
            errors.add(raw.value_mark(key), reason)
        else:
            values[key] = checked
    for key, spec in schema.items():
        if spec.required and key not in raw:
            errors.add(raw.mark, f"{what} is missing the required field {key!r}")
    # The record shares the mapping's marks (no copy: a large file has millions of them).
    return Rec(values=values, mark=raw.mark, marks=raw.entry_marks)


# --- Rules that need only the file -----------------------------------------------------------


def _check_duplicates(catalog: Catalog, errors: Errors) -> None:
    """No two records of a section with the same key; one active membership per pair."""
    _unique(catalog.communities, lambda r: r["slug"], "community slug", errors)
    _unique(catalog.policy_sets, lambda r: r["slug"], "policy set slug", errors)
    _unique(catalog.products, lambda r: r["slug"], "product slug", errors)
    _unique(catalog.stakeholders, lambda r: r["slug"], "stakeholder slug", errors)
    _unique(catalog.uses, lambda r: (r["product"], r["stakeholder"]), "use", errors)
    for ps in catalog.policy_sets:
        _unique(
            ps.children,
            lambda r, ps=ps: (r.get("version") or ps.get("version"), r["code"]),
            f"policy code in {ps.get('slug')}",
            errors,
        )
    _unique(catalog.dependencies, lambda r: (r["product"], r["depends_on"]), "dependency", errors)
    _unique(
        catalog.assessments,
        lambda r: (r["product"], r["policy_set"], r.get("version"), r["policy"]),
        "assessment",
        errors,
    )
    _unique(
        (m for m in catalog.memberships if m.get("state", "active") == "active"),
        lambda r: (r["product"], r["community"]),
        "active membership for this product and community",
        errors,
    )


def _unique(
    records: Iterable[Rec], key: Callable[[Rec], Hashable], label: str, errors: Errors
) -> None:
    """Report each record whose key an earlier one has (records missing a key field are
    reported as such already)."""
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


def _check_record_rules(catalog: Catalog, errors: Errors) -> None:
    """No product depends on itself; a partial or n/a assessment says why."""
    for dep in catalog.dependencies:
        if dep.get("product") and dep.get("product") == dep.get("depends_on"):
            errors.add(dep.where("depends_on"), "a product cannot depend on itself")
    for a in catalog.assessments:
        if a.get("status") in ("partial", "na") and not (a.get("justification") or "").strip():
            errors.add(a.mark, f"an assessment with status {a['status']!r} needs a justification")
