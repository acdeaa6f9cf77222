"""The one error every importer raises: where in which file, and why."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file. ``line``/``column`` are 1-based; None when unknown."""

    file: str
    line: int | None
    column: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict:
        return asdict(self)


class ImportError_(Exception):
    """An input file was rejected; nothing was written.

    Carries every problem found (``errors``), each naming file, line, column and reason.
    ``str()`` gives them one per line as ``FILE:LINE:COL: reason``.
    """

    def __init__(
        self,
        reason: str | None = None,
        *,
        file: str = "<input>",
        line: int | None = None,
        column: int | None = None,
        errors: list[Problem] | None = None,
    ) -> None:
        self.errors: list[Problem] = list(errors or [])
        if reason is not None:
            self.errors.insert(0, Problem(file, line, column, reason))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.errors)

    @property
    def detail(self) -> str:
        count = len(self.errors)
        first = str(self.errors[0]) if self.errors else "invalid input"
        if count > 1:
            return f"{first} (and {count - 1} more problem{'s' if count > 2 else ''})"
        return first


class ImportForbidden(Exception):
    """The user may not import this data (HTTP 403)."""
