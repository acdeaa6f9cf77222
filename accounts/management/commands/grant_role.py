"""manage.py grant_role USERNAME COMMUNITY_SLUG ROLE (lead, co_lead or reviewer)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from spokes.models import Community, CommunityRole
from spokes.services import grant_role


class Command(BaseCommand):
    help = "Give a user a role in a community."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("community")
        parser.add_argument("role", choices=CommunityRole.Role.values)

    def handle(self, *args, username: str, community: str, role: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        target = Community.objects.filter(slug=community).first()
        if target is None:
            raise CommandError(f"No community {community!r}.")
        _, created = grant_role(user=user, community=target, role=role)
        verb = "is now" if created else "already was"
        self.stdout.write(f"{username} {verb} {role} of {target.slug}.")
