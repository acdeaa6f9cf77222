"""manage.py import_catalog FILE [--dry-run] [--create-accounts]: upsert a catalog file
(docs/catalog-format.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from products.importers import catalog
from products.importers.errors import ImportError_
from products.importers.progress import Progress


class Command(BaseCommand):
    help = (
        "Import a PESO catalog file (YAML or JSON): upsert communities, policy sets, products, "
        "dependencies, memberships and assessments in one transaction. A bad file is rejected "
        "with FILE:LINE:COL: reason and nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a .yaml/.yml or .json catalog file")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )
        parser.add_argument(
            "--format", choices=("yaml", "json"), help="override the format guessed from the name"
        )
        parser.add_argument(
            "--create-accounts",
            action="store_true",
            help=(
                "create each user the file names (maintainers, assessors) that the registry "
                "lacks, inactive and with an unusable password (restoring into an empty "
                "registry); without it an unknown username is an error"
            ),
        )

    def handle(self, *args, **options) -> None:
        progress = Progress(self.stderr._out, every=1000)
        try:
            parsed = catalog.load_path(options["file"], options.get("format"))
            summary = catalog.import_catalog(
                parsed,
                dry_run=options["dry_run"],
                progress=progress,
                create_accounts=options["create_accounts"],
            )
        except ImportError_ as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary.render(options["verbosity"]))
