"""API tokens: issue and revoke (used by the account page and the shell command); a user's
notification preferences and personal feed address."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import ApiToken, Preferences, feed_key_for, new_feed_nonce
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


def preferences_of(user) -> Preferences:
    """``user``'s preferences: the stored row, or the defaults (unsaved) when there is none."""
    try:
        return Preferences.objects.get(user=user)
    except Preferences.DoesNotExist:
        return Preferences(user=user)


@transaction.atomic
def set_notifications(*, user, votes: bool, requests: bool, offramps: bool) -> Preferences:
    """Turn each kind of notification e-mail on or off for ``user``."""
    prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
    prefs.notify_votes, prefs.notify_requests, prefs.notify_offramps = votes, requests, offramps
    prefs.save()
    return prefs


@transaction.atomic
def renew_feed_key(*, user) -> str:
    """A new secret address for ``user``'s personal feed (the previous one stops working);
    returns the new key."""
    prefs, _ = Preferences.objects.select_for_update().get_or_create(user=user)
    prefs.feed_nonce = new_feed_nonce()
    prefs.save(update_fields=["feed_nonce", "updated_at"])
    return prefs.feed_key()


@transaction.atomic
def revoke_feed_key(*, user) -> None:
    """Turn ``user``'s personal feed off: its address answers 404 from now on."""
    Preferences.objects.filter(user=user).update(feed_nonce="", updated_at=timezone.now())


def user_for_feed_key(user_id: int, key: str):
    """The active user whose personal feed ``key`` opens, or None. The key is compared in
    constant time; a revoked or renewed key opens nothing."""
    prefs = (
        Preferences.objects.select_related("user")
        .filter(user_id=user_id, user__is_active=True)
        .exclude(feed_nonce="")
        .first()
    )
    if prefs is None:
        # Compare anyway, so a missing user takes as long as a wrong key.
        constant_time_compare(key, feed_key_for(user_id, "absent"))
        return None
    if not constant_time_compare(key, prefs.feed_key()):
        return None
    return prefs.user
