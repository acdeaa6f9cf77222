"""manage.py import_xsdk_compat PATH --product SLUG [--evidence-url URL] [--dry-run]."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from products.importers.errors import ImportError_
from products.importers.xsdk_compat import import_compat_path


class Command(BaseCommand):
    help = (
        "Read an xSDK policy-compatibility Markdown file into assessments of the xsdk policy "
        "set (version in force): detects the numbering the file uses (1.0.0, 0.6.x, 0.5.x), "
        "maps it, and reports every row it could not place."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", help="a <package>-policy-compatibility.md file")
        parser.add_argument("--product", required=True, help="slug of the product it describes")
        parser.add_argument("--policy-set", default="xsdk", help="policy set slug (default xsdk)")
        parser.add_argument("--evidence-url", default="", help="where the file is published")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )

    def handle(self, *args, **options) -> None:
        try:
            summary = import_compat_path(
                options["path"],
                product=options["product"],
                policy_set=options["policy_set"],
                evidence_url=options["evidence_url"],
                dry_run=options["dry_run"],
            )
        except ImportError_ as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(summary.render(options["verbosity"]))
