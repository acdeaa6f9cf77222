"""Recompute the stored compliance of every product (``products.compliance_store``).

Every write keeps the read model correct on its own; this is for rows written around the
application (a restored or hand-edited database, a bulk SQL load)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from products import compliance_store


class Command(BaseCommand):
    help = "Recompute the stored compliance summaries of every product."

    def handle(self, *args, **options) -> None:
        written = compliance_store.refresh()
        self.stdout.write(f"{written} compliance summaries stored.")
