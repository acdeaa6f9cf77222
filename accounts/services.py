"""API tokens: issue and revoke (used by the account page and the shell command)."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import is_hub_admin


def issue_token(*, user, name: str = "", expires_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the plain key (shown once, not stored)."""
    expires_at = None
    if expires_days is not None:
        if expires_days < 1:
            raise ValueError("expires_days must be at least 1")
        expires_at = timezone.now() + datetime.timedelta(days=expires_days)
    return ApiToken.issue(user=user, name=name, expires_at=expires_at)


@transaction.atomic
def revoke_token(*, token: ApiToken, by) -> None:
    """Revoke a token; its owner (or a hub admin) only. Revoking twice keeps the first time."""
    if token.user_id != by.pk and not is_hub_admin(by):
        raise PermissionDenied("Not your token.")
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
