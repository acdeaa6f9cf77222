"""manage.py export_catalog [--format yaml|json] [--community SLUG] [--output FILE]."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from products.importers import catalog
from spokes.models import Community


class Command(BaseCommand):
    help = (
        "Export the catalog (or one community's part of it) in the PESO catalog format, "
        "deterministically ordered; to standard output unless --output is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
        parser.add_argument("--community", help="only this community, its members and sets")
        parser.add_argument("--output", "-o", help="write to this file instead of stdout")

    def handle(self, *args, **options) -> None:
        slug = options.get("community")
        if slug and not Community.objects.filter(slug=slug).exists():
            raise CommandError(f"no community {slug!r}")
        text = catalog.dump(catalog.export_catalog(community=slug), options["format"])
        if options.get("output"):
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text)
            if options["verbosity"] >= 1:
                self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")
