"""manage.py record_waiver_expiries [--on YYYY-MM-DD]: run daily (cron)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from products.waivers import record_expiries


class Command(BaseCommand):
    help = (
        "Write a waiver_expired event for each waiver that ran out before today (or --on) "
        "and has none yet. Idempotent: run it daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--on", help="the day to check as of (YYYY-MM-DD; default today)")

    def handle(self, *args, **options) -> None:
        on = None
        if options.get("on"):
            try:
                on = datetime.date.fromisoformat(options["on"])
            except ValueError as exc:
                raise CommandError(f"--on: {exc}") from exc
        count = record_expiries(on=on)
        if options["verbosity"] >= 1:
            self.stdout.write(f"{count} waiver expir{'y' if count == 1 else 'ies'} recorded")
