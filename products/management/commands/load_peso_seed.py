"""``manage.py load_peso_seed``: load the real catalog shipped with the project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from events import version as catalog_version
from hub.seed_loader import load_releases, release_totals
from planning.seed_loader import load_meetings, meeting_totals
from products.seed_loader import (
    SEED_PATH,
    SeedError,
    catalog_totals,
    is_unchanged,
    load_seed,
)


class Command(BaseCommand):
    help = (
        "Load the seeded PESO catalog (hub, spokes, policy sets, products, memberships, "
        "dependencies, imported assessments) and the releases the hub delivers through "
        "(E4S tags, the current E4S environment, the spokes' Spack bundles) and the hub's "
        "meetings. "
        "Idempotent: safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            type=Path,
            default=None,
            help=f"Seed file to load (default: {SEED_PATH.relative_to(SEED_PATH.parents[2])}).",
        )

    def handle(self, *args: Any, path: Path | None, **options: Any) -> None:
        try:
            # Thousands of saves, one advance of the catalog version.
            with transaction.atomic(), catalog_version.batched():
                counts = load_seed(path=path, stdout=self.stdout)
                # Releases name products and spokes: they load after the catalog.
                counts |= load_releases()
                counts |= load_meetings()
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        for kind, outcomes in counts.items():
            detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
            self.stdout.write(f"  {kind}: {detail}")
        self.stdout.write("Catalog now holds:")
        for label, n in (catalog_totals() | release_totals() | meeting_totals()).items():
            self.stdout.write(f"  {label}: {n}")
        if is_unchanged(counts):
            self.stdout.write(self.style.SUCCESS("Seed already loaded: unchanged."))
        else:
            self.stdout.write(self.style.SUCCESS("Seed loaded."))
