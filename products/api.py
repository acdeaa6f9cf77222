"""API viewsets (registered on the api/v1/ router by `register`)."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Add this module's viewsets to the router."""
