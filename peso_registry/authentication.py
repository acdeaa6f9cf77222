"""`Authorization: Token <key>` against hashed, expiring, revocable API tokens."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, hash_token


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("user").filter(digest=hash_token(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        reason = token.unusable_reason()
        if reason is not None:
            raise exceptions.AuthenticationFailed(reason)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        # Record use at most once a minute, so reads stay reads.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token.user, token)
