"""What an import changed (or would change), for the command line and the API alike."""

from __future__ import annotations

from dataclasses import dataclass, field

ACTIONS = ("created", "updated", "unchanged")


@dataclass
class Summary:
    kind: str
    dry_run: bool = False
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    details: list[tuple[str, str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    numbering: str | None = None
    numbering_evidence: list[str] = field(default_factory=list)

    def count(self, kind: str, action: str, label: str = "") -> None:
        counts = self.changes.setdefault(kind, dict.fromkeys(ACTIONS, 0))
        counts[action] += 1
        if label and action != "unchanged":
            self.details.append((kind, action, label))

    def ensure(self, *kinds: str) -> None:
        for kind in kinds:
            self.changes.setdefault(kind, dict.fromkeys(ACTIONS, 0))

    @property
    def written(self) -> int:
        return sum(c["created"] + c["updated"] for c in self.changes.values())

    def as_dict(self) -> dict:
        data: dict = {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "changes": self.changes,
            "warnings": self.warnings,
        }
        if self.numbering is not None or self.kind == "xsdk_compat":
            data["numbering"] = self.numbering
            data["numbering_evidence"] = self.numbering_evidence
            data["unplaced"] = self.unplaced
            data["skipped"] = self.skipped
        elif self.unplaced or self.skipped:
            data["unplaced"] = self.unplaced
            data["skipped"] = self.skipped
        return data

    def render(self, verbosity: int = 1) -> str:
        """Human-readable lines for the management commands."""
        lines = []
        if self.numbering is not None:
            evidence = "; ".join(self.numbering_evidence)
            lines.append(f"numbering: {self.numbering}" + (f" ({evidence})" if evidence else ""))
        for kind, counts in self.changes.items():
            lines.append(
                f"{kind}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged"
            )
        if verbosity >= 2:
            for kind, action, label in self.details:
                lines.append(f"  {action} {kind[:-1] if kind.endswith('s') else kind}: {label}")
        for row in self.skipped:
            lines.append(f"skipped: {_where(row)}: {row['reason']}")
        for row in self.unplaced:
            lines.append(f"not placed: {_where(row)}: {row['reason']}")
        for warning in self.warnings:
            lines.append(f"warning: {warning}")
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)


def _where(row: dict) -> str:
    if row.get("file"):
        return f"{row['file']}:{row['line']}"
    return f"line {row['line']}"
