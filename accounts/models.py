"""API tokens: stored as a SHA-256 digest, never in plain text; expire and can be revoked."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

TOKEN_PREFIX_LENGTH = 8


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(
        max_length=TOKEN_PREFIX_LENGTH, help_text="First characters, to recognise a token."
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(cls, *, user, name: str = "", expires_at=None) -> tuple[ApiToken, str]:
        """Create a token; returns the row and the plain key, shown once and never stored."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=key[:TOKEN_PREFIX_LENGTH],
            digest=hash_token(key),
            expires_at=expires_at,
        )
        return token, key

    def unusable_reason(self) -> str | None:
        """Why the token may not authenticate now, or None when it may: the one rule of
        token validity (the API's authentication and the account page both ask it)."""
        if self.revoked_at is not None:
            return "Token has been revoked."
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "Token has expired."
        return None

    @property
    def is_usable(self) -> bool:
        return self.unusable_reason() is None


class Preferences(models.Model):
    """A user's choices about what the registry sends them. No row: the defaults (every
    kind of e-mail on, no personal feed)."""

    class Kind(models.TextChoices):
        """The kinds of notification e-mail, each with its own switch."""

        VOTES = "votes", "A decision opens on a body where I hold a seat"
        REQUESTS = "requests", "A request I opened changes state"
        OFFRAMPS = "offramps", "A product one of mine depends on is offramped"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preferences",
    )
    notify_votes = models.BooleanField(default=True, help_text=Kind.VOTES.label)
    notify_requests = models.BooleanField(default=True, help_text=Kind.REQUESTS.label)
    notify_offramps = models.BooleanField(default=True, help_text=Kind.OFFRAMPS.label)
    feed_nonce = models.CharField(
        max_length=64,
        blank=True,
        help_text="Random value the personal feed's secret is derived from (with the site's "
        "secret key); empty: no personal feed. A new value retires the old address.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "preferences"

    def __str__(self) -> str:
        return f"preferences of {self.user}"

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, f"notify_{kind}"))

    def feed_key(self) -> str:
        """The secret of the personal feed's address ('' when there is no feed).

        Derived, not stored: a copy of the database alone does not give the addresses."""
        if not self.feed_nonce:
            return ""
        return feed_key_for(self.user_id, self.feed_nonce)


def feed_key_for(user_id: int, nonce: str) -> str:
    return salted_hmac("accounts.personal-feed", f"{user_id}:{nonce}").hexdigest()[:40]


def new_feed_nonce() -> str:
    return secrets.token_urlsafe(24)
