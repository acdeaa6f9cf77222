"""The domain errors every layer may raise, beside Django's ``ValidationError`` (400) and
``PermissionDenied`` (403). ``peso_registry.exceptions`` maps them to HTTP in one place."""

from __future__ import annotations


class TransitionNotAllowed(Exception):
    """A state change that the current state does not allow (HTTP 409)."""
