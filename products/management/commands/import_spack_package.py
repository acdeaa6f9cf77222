"""manage.py import_spack_package PATH [--community SLUG] [--dry-run]."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from products.importers import spack
from products.importers.errors import ImportError_
from products.importers.progress import Progress


class Command(BaseCommand):
    help = (
        "Read Spack package.py recipes statically (never executed): a single file or a "
        "directory of packages/*/package.py. Creates or fills in products, their Spack "
        "dependencies and, with --community, an active membership."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="a package.py file or a directory of packages")
        parser.add_argument("--community", help="also make each product an active member")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )

    def handle(self, *args, **options) -> None:
        progress = Progress(self.stderr._out, every=100)
        try:
            files = spack.find_package_files(options["path"])
            packages = spack.read_packages(files, progress)
            summary = spack.import_packages(
                packages,
                community=options.get("community"),
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportError_ as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"read {len(packages)} package{'s' if len(packages) != 1 else ''}")
        self.stdout.write(summary.render(options["verbosity"]))
