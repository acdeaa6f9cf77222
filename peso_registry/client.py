"""The client's address, as far as the deployment can vouch for it.

``X-Forwarded-For`` is written by whoever sends the request, so only the entries that
the deployment's own proxies appended are believed: with ``TRUSTED_PROXIES = n`` the
n-th address from the right (the one the outermost trusted proxy saw); with 0 (the
default, no proxy) the header is ignored and the socket's address is the client. Every
throttle (the API's anonymous rate, sign-in attempts) counts by this one rule.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(proxies, len(hops))]
