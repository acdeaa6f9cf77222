"""Read an xSDK policy-compatibility Markdown file into assessments of the ``xsdk`` set.

The file (``<package>-policy-compatibility.md``) holds pipe tables with the columns
*Policy | Support | Notes*; the policy cell starts with the bold code (``**M7.**``) and the
title. The file does not say which version of the policies it follows; the rows do:

- **1.0.0** has an ``M17`` row, and its ``R1`` is the Spack smoke test;
- **0.6.x** has no ``M17``; its ``M10`` is "an xSDK team accessible repository" (no 1.0.0
  equivalent), ``R1`` "have a public repository" (→ 1.0.0 ``M10``) and ``R8`` documentation
  (→ ``M17``); 1.0.0's ``R1``/``R8`` stay unknown;
- **0.5.x** is 0.6.x with ``M1`` about Autoconf/CMake options and ``M16`` about installing
  with the xSDK tooling: together they became 1.0.0's ``M1``, which takes the weaker status.
  Some 0.6.x files keep that old ``M16`` row next to the debug-build ``M16``: it is ignored.

Every row that cannot be placed is reported, with its line; a row with no status is skipped
and reported; nothing is invented.
"""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from events import log as events
from events.validation import MESSAGE, web_url_problem
from products import compliance_store
from products.importers.errors import ImportError_
from products.importers.summary import Summary
from products.models import Assessment, Product
from spokes.models import Policy, PolicySet

_CODE = re.compile(r"^\s*([MR])\s*(\d+)\s*[.:)]?\s*(.*)$", re.S)
_SEPARATOR = re.compile(r"^:?-{2,}:?$")
_STATUS = re.compile(r"^(full|partial|none|not applicable|n/a|na|no)(?![a-z])")
_STATUS_MAP = {
    "full": "full",
    "partial": "partial",
    "none": "none",
    "no": "none",
    "not applicable": "na",
    "n/a": "na",
    "na": "na",
}
# Weakest first: when two old rows become one new policy, the weaker status wins.
_STRENGTH = {"none": 0, "partial": 1, "full": 2}


@dataclass
class Row:
    line: int
    code: str
    title: str
    status_text: str
    status: str | None  # full / partial / none / na, '' when empty, None when unreadable
    notes: str


def strip_html(text: str) -> str:
    """Light HTML removal for notes: line breaks become spaces, tags go, entities decode."""
    # "\s*(?:/\s*)?" rather than "\s*/?\s*": two runs of spaces that may split a long gap
    # any way are tried in every split before failing (quadratic).
    text = re.sub(r"<\s*br\s*(?:/\s*)?>", " ", text, flags=re.I)
    text = re.sub(r"<[^<>]+>", "", text)  # [^<>]: each '<' is scanned once, never twice
    return " ".join(html.unescape(text).split())


def normalise_status(cell: str) -> str | None:
    """'*Full*' → full, 'Not-Applicable' → na, 'No' → none; '' for empty; None if unknown."""
    text = strip_html(cell).replace("*", "").replace("_", " ").replace("`", "")
    text = " ".join(text.replace("-", " ").split()).lower().strip(" .")
    if not text:
        return ""
    match = _STATUS.match(text)
    return _STATUS_MAP[match.group(1)] if match else None


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", body)]


def parse_rows(text: str, filename: str) -> tuple[list[Row], list[dict]]:
    """The policy rows of every pipe table, and the table rows that could not be read."""
    rows: list[Row] = []
    unreadable: list[dict] = []
    first_table_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip().startswith("|"):
            continue
        first_table_line = first_table_line or number
        cells = _cells(line)
        if all(_SEPARATOR.match(c.replace(" ", "")) or not c for c in cells):
            continue
        plain_first = strip_html(cells[0]).replace("*", "").strip()
        if plain_first.lower().startswith("policy") and len(cells) > 1:
            continue  # a header row
        match = _CODE.match(plain_first)
        if not match:
            unreadable.append(
                {"line": number, "reason": f"could not read a policy code in {cells[0]!r}"}
            )
            continue
        if len(cells) < 2:
            unreadable.append({"line": number, "reason": "row has no Support column"})
            continue
        letter, digits, title = match.groups()
        status_text = cells[1]
        rows.append(
            Row(
                line=number,
                code=f"{letter}{int(digits)}",
                title=" ".join(title.split()).rstrip(" ."),
                status_text=status_text,
                status=normalise_status(status_text),
                notes=strip_html("|".join(cells[2:])),
            )
        )
    if not rows:
        raise ImportError_(
            "no readable policy table: expected pipe-table rows like "
            "'| **M1.** Support portable installation through Spack | Full | notes |'",
            file=filename,
            line=first_table_line or 1,
            column=1,
        )
    return rows, unreadable


def _about(row: Row, *words: str) -> bool:
    return any(re.search(w, row.title, re.I) for w in words)


def _is_debug_m16(row: Row) -> bool:
    return _about(row, r"debug")


def _is_old_m16(row: Row) -> bool:
    return row.code == "M16" and not _is_debug_m16(row) and bool(row.title)


def detect_numbering(rows: list[Row]) -> tuple[str, list[str]]:
    """('1.0.0' | '0.6.x' | '0.5.x', the evidence)."""
    by_code: dict[str, list[Row]] = {}
    for row in rows:
        by_code.setdefault(row.code, []).append(row)
    if "M17" in by_code:
        return "1.0.0", [f"has an M17 row (line {by_code['M17'][0].line})"]
    r1 = by_code.get("R1", [None])[0]
    if r1 and _about(r1, r"smoke", r"spack", r"validation"):
        return "1.0.0", [f"R1 is the Spack smoke test (line {r1.line})"]
    evidence = ["no M17 row"]
    m1 = by_code.get("M1", [None])[0]
    m16s = by_code.get("M16", [])
    old_m1 = bool(m1 and _about(m1, r"autoconf", r"cmake") and not _about(m1, r"spack"))
    only_old_m16 = bool(m16s) and not any(_is_debug_m16(r) for r in m16s)
    if old_m1 or only_old_m16:
        if old_m1:
            evidence.append(f"M1 is about Autoconf/CMake options (line {m1.line})")
        if only_old_m16:
            evidence.append(f"M16 is about installing with xSDK tooling (line {m16s[0].line})")
        return "0.5.x", evidence
    m10 = by_code.get("M10", [None])[0]
    if m10 and _about(m10, r"accessible"):
        evidence.append(f"M10 is the xSDK-team-accessible repository (line {m10.line})")
    if r1 and _about(r1, r"public"):
        evidence.append(f"R1 is the public repository (line {r1.line})")
    r8 = by_code.get("R8", [None])[0]
    if r8 and _about(r8, r"documentation"):
        evidence.append(f"R8 is documentation (line {r8.line})")
    if len(evidence) == 1:
        evidence.append("titles give no other clue; 0.6.x is what most filed documents use")
    return "0.6.x", evidence


@dataclass
class Placement:
    code: str  # 1.0.0 code
    rows: list[Row]


def place_rows(rows: list[Row], numbering: str, summary: Summary) -> dict[str, Placement]:
    """Map rows to 1.0.0 codes; report (in ``summary``) every row that cannot be placed."""
    placed: dict[str, Placement] = {}
    for row in rows:
        if row.status == "":
            summary.skipped.append(
                {"line": row.line, "code": row.code, "reason": f"{row.code} has no status"}
            )
        elif row.status is None:
            _unplaced(summary, row, f"{row.code}: unreadable status {row.status_text!r}")
        else:
            target = _target_code(row, numbering, summary)
            if target is not None:
                _place(placed, target, row, numbering, summary)
    if numbering == "0.5.x" and "M1" in placed and len(placed["M1"].rows) == 1:
        summary.warnings.append(
            "0.5.x file: 1.0.0's M1 combines the old M1 and M16, but only "
            f"{placed['M1'].rows[0].code} is present; its status was used alone"
        )
    return placed


def _unplaced(summary: Summary, row: Row, reason: str) -> None:
    summary.unplaced.append({"line": row.line, "code": row.code, "reason": reason})


def _target_code(row: Row, numbering: str, summary: Summary) -> str | None:
    """The 1.0.0 code a row of this numbering stands for; None (reported) when none."""
    if numbering == "1.0.0":
        return row.code
    if row.code == "M10":
        _unplaced(
            summary,
            row,
            f"M10 of {numbering} (an xSDK-team-accessible repository) has no 1.0.0 equivalent",
        )
        return None
    if row.code == "R1":
        return "M10"
    if row.code == "R8":
        return "M17"
    if row.code == "M16" and _is_old_m16(row):
        if numbering == "0.6.x":
            _unplaced(
                summary,
                row,
                "old M16 (installing with xSDK tooling) next to the debug-build M16: ignored",
            )
            return None
        return "M1"  # 0.5.x: merged with the old M1 (see _place)
    return row.code


def _place(
    placed: dict[str, Placement], target: str, row: Row, numbering: str, summary: Summary
) -> None:
    """Place the row at ``target``: a second row for a code is reported, except 0.5.x's
    old M1 and M16, which together make 1.0.0's M1."""
    if target not in placed:
        placed[target] = Placement(code=target, rows=[row])
        return
    first = placed[target].rows
    merging = (
        numbering == "0.5.x"
        and target == "M1"
        and len(first) == 1
        and {first[0].code, row.code} == {"M1", "M16"}
    )
    if merging:
        first.append(row)
    else:
        _unplaced(summary, row, f"a second row for {target} (first at line {first[0].line})")


def combined_status(rows: list[Row]) -> str:
    statuses = [r.status for r in rows if r.status != "na"]
    if not statuses:
        return "na"
    return min(statuses, key=lambda s: _STRENGTH[s])


def _justification(placement: Placement, numbering: str, status: str, source_name: str) -> str:
    parts = []
    for row in placement.rows:
        if row.notes:
            prefix = f"{row.code}: " if len(placement.rows) > 1 else ""
            parts.append(prefix + row.notes)
    text = " ".join(parts)
    filed = [r.code for r in placement.rows]
    if filed != [placement.code]:
        provenance = f"Filed as {' and '.join(filed)} under the xSDK {numbering} numbering"
        if len(filed) > 1:
            provenance += "; the weaker status was kept"
        text = f"{text} ({provenance}.)" if text else f"{provenance}."
    if not text and status in ("partial", "na"):
        word = {"partial": "Partial", "na": "Not applicable"}[status]
        text = f"Marked {word} in {source_name}, which gives no notes."
    return text


def import_compat(
    text: str,
    *,
    filename: str,
    product: str,
    policy_set: str = "xsdk",
    evidence_url: str = "",
    actor=None,
    dry_run: bool = False,
) -> Summary:
    """Read the file and upsert one assessment per placed policy (source ``imported``)."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    if web_url_problem(evidence_url):
        raise ImportError_(f"evidence_url {evidence_url!r}: {MESSAGE}", file=filename)
    summary = Summary(kind="xsdk_compat", dry_run=dry_run)
    placed = _read_placements(text, filename, summary)
    target, ps = _registry_rows(product, policy_set, filename)
    writer = _AssessmentWriter(
        product=target,
        policy_set=ps,
        policies={p.code: p for p in ps.own_policies()},
        numbering=summary.numbering,
        evidence_url=evidence_url,
        source_name=evidence_url or Path(filename).name,
        actor=actor,
        now=timezone.now(),
        summary=summary,
    )
    summary.ensure("assessments")
    with transaction.atomic(), compliance_store.deferred():
        writer.write(placed)
        summary.unplaced.sort(key=lambda u: u["line"])
        if dry_run:
            transaction.set_rollback(True)
        else:
            events.record(
                events.Verb.CATALOG_IMPORTED,
                actor=actor,
                product=target,
                data={
                    "kind": "xsdk_compat",
                    "file": filename,
                    "numbering": summary.numbering,
                    "changes": summary.changes,
                },
            )
    return summary


def _registry_rows(product: str, policy_set: str, filename: str) -> tuple[Product, PolicySet]:
    target = Product.objects.filter(slug=product).first()
    if target is None:
        raise ImportError_(f"no product {product!r} in the registry", file=filename)
    ps = PolicySet.objects.filter(slug=policy_set).first()
    if ps is None:
        raise ImportError_(f"no policy set {policy_set!r} in the registry", file=filename)
    return target, ps


def _read_placements(text: str, filename: str, summary: Summary) -> dict[str, Placement]:
    """The file's rows placed at 1.0.0 codes; its numbering, and each row that could not
    be read or placed, go to ``summary``."""
    rows, unreadable = parse_rows(text, filename)
    summary.numbering, summary.numbering_evidence = detect_numbering(rows)
    summary.unplaced.extend({**u, "code": None} for u in unreadable)
    return place_rows(rows, summary.numbering, summary)


@dataclass
class _AssessmentWriter:
    """Writes the placed rows of one file as the product's assessments of the set's own
    policies (source ``imported``, assessed by the importing user, now)."""

    product: Product
    policy_set: PolicySet
    policies: dict[str, Policy]  # the set's own policies, by code
    numbering: str
    evidence_url: str
    source_name: str  # how a justification names the file
    actor: Any
    now: datetime.datetime
    summary: Summary

    def write(self, placed: dict[str, Placement]) -> None:
        existing = {
            a.policy_id: a
            for a in Assessment.objects.filter(
                product=self.product, policy__in=self.policies.values()
            )
        }
        for code in sorted(placed, key=lambda c: (c[0], int(c[1:]))):
            policy = self.policies.get(code)
            if policy is None:
                self._report_missing(placed[code])
            else:
                self._upsert(placed[code], policy, existing.get(policy.pk))

    def _report_missing(self, placement: Placement) -> None:
        reason = f"{self.policy_set.slug} {self.policy_set.version} has no policy {placement.code}"
        for row in placement.rows:
            self.summary.unplaced.append({"line": row.line, "code": row.code, "reason": reason})

    def _upsert(self, placement: Placement, policy: Policy, assessment: Assessment | None) -> None:
        status = combined_status(placement.rows)
        values = {
            "status": status,
            "justification": _justification(placement, self.numbering, status, self.source_name),
            "evidence_url": self.evidence_url,
            "source": Assessment.Source.IMPORTED,
        }
        label = f"{self.product.slug} {placement.code}"
        if assessment is None:
            assessment = Assessment(product=self.product, policy=policy, **values)
            action = "created"
        elif any(getattr(assessment, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(assessment, k, v)
            action = "updated"
        else:
            self.summary.count("assessments", "unchanged", label)
            return
        assessment.assessed_by = self.actor
        assessment.assessed_at = self.now
        assessment._history_user = self.actor
        assessment.save()
        self.summary.count("assessments", action, label)


def import_compat_path(path: str, **kwargs) -> Summary:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ImportError_(f"not UTF-8 text ({exc.reason})", file=path, line=1) from None
    except OSError as exc:
        raise ImportError_(f"cannot read the file: {exc.strerror}", file=path) from None
    return import_compat(text, filename=path, **kwargs)
