"""A catalog file as read: its records (checked values, and where each came from) and the
errors found on the way, each with its line and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from products.importers.errors import ImportError_, Problem
from products.importers.locate import Mark, value_part

MAX_ERRORS = 100


@dataclass(slots=True)
class Rec:
    """A record of the file: its checked values and where each came from (``marks``: the
    file mapping's ``LocDict.entry_marks``, read with ``where``)."""

    values: dict[str, Any]
    mark: Mark
    marks: dict[str, int]
    children: list[Rec] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def where(self, key: str | None = None) -> Mark:
        entry = self.marks.get(key) if key else None
        return self.mark if entry is None else value_part(entry)


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


class Errors:
    """The problems found so far in one file (the first MAX_ERRORS of them)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, mark: Mark, reason: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(Problem(self.file, mark[0], mark[1], reason))

    def raise_if_any(self) -> None:
        """Raise ImportError_ with every problem, in the order of the file."""
        if self.items:
            self.items.sort(key=lambda p: (p.line or 0, p.column or 0))
            raise ImportError_(errors=self.items)
