"""`Authorization: Token <key>` (or `Bearer <key>`) against hashed, expiring, revocable API
tokens."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, hash_token

SCHEMES = ("Token", "Bearer")
HOW = "Send `Authorization: Token <key>` or `Authorization: Bearer <key>`."


class HashedTokenAuthentication(authentication.TokenAuthentication):
    """The key after either scheme, `Token` or `Bearer` (any case). Any other
    `Authorization` header — another scheme, no key, more than one word after the scheme —
    is a 401 naming the schemes that work, never an anonymous request: a script whose
    credentials are ignored would read the public view and not know it."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        schemes = {s.lower().encode() for s in SCHEMES}
        if not parts or parts[0].lower() not in schemes:
            raise exceptions.AuthenticationFailed(f"Unknown authorization scheme. {HOW}")
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                f"Malformed Authorization header: one key after the scheme. {HOW}"
            )
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                f"Malformed Authorization header: the key is not text. {HOW}"
            ) from None
        return self.authenticate_credentials(key)

    def authenticate_header(self, request) -> str:
        return ", ".join(SCHEMES)

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
