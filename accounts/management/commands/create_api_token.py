"""manage.py create_api_token USERNAME [--expires-days N] [--name NAME]

Prints the new token alone on the last line of standard output, so that scripts can
capture it (`TOKEN=$(manage.py create_api_token ci | tail -1)`).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import issue_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it (the last line is the token alone)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default: never)."
        )
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username: str, expires_days: int | None, name: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        token, key = issue_token(user=user, name=name, expires_days=expires_days)
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stderr.write(f"Token {token.prefix}… for {username} (expires: {expiry}).")
        self.stdout.write(key)
