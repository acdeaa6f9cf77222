"""The API's throttle for anonymous clients, counted by the one client-address rule."""

from __future__ import annotations

from rest_framework import throttling

from peso_registry.client import client_address


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's anonymous rate (settings ``API_ANON_RATE``), keyed by the address that
    peso_registry/client.py vouches for: a client-sent X-Forwarded-For counts only
    through the configured trusted proxies, so a forged one cannot start a fresh count."""

    def get_ident(self, request) -> str:
        return client_address(request)
