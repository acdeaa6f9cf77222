"""Read replicas: which database each query goes to (`DATABASE_REPLICA_URLS`).

Installed only when replicas are configured (settings.py): the middleware decides once
per request where its reads go, and the router reads that choice from a context variable.

- Writes always go to the primary (``default``), and so does every read inside a
  transaction (``transaction.atomic``, ``select_for_update``): a service reads and writes
  one consistent database.
- Anonymous reads (``GET``, ``HEAD``, ``OPTIONS``) go to one replica, chosen per request.
- Read your writes: a request from a signed-in user (a session, or an ``Authorization``
  header: API tokens), any request with an unsafe method, and every request a client
  makes within ``REPLICA_PIN_SECONDS`` after its own unsafe request (a cookie that
  request sets: signing out is one) read from the primary, so nobody reads a replica
  that has not yet replayed their own change.
- Outside a request (management commands, the shell, daily jobs) everything reads from
  the primary.
- The database cache (``CACHE_URL=db://``: throttle counts) is always read on the
  primary, and only the primary is migrated.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

# The database this request's reads go to; the primary unless the middleware chose a replica.
_read_alias: ContextVar[str] = ContextVar("peso_read_alias", default=DEFAULT_DB_ALIAS)

PIN_COOKIE = "peso_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        alias = _read_alias.get()
        if (
            alias == DEFAULT_DB_ALIAS
            or model._meta.app_label == "django_cache"  # throttle counts: never stale
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # every alias holds the same rows

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS  # a replica follows the primary's schema by replication


def read_alias(request: HttpRequest) -> str:
    """Where the reads of `request` go: a replica for an anonymous read by a client that has
    not just written, else the primary."""
    replicas = settings.REPLICA_DATABASES
    if (
        not replicas
        or request.method not in SAFE_METHODS
        or "HTTP_AUTHORIZATION" in request.META  # API tokens count as signed in
        or _pinned(request)
        or request.user.is_authenticated  # read on the primary: the middleware's default
    ):
        return DEFAULT_DB_ALIAS
    return random.choice(replicas)


def _pinned(request: HttpRequest) -> bool:
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "")) > time.time()
    except ValueError:
        return False


class ReplicaMiddleware:
    """Sets where the request's reads go (`read_alias`), and after an unsafe request pins
    the client to the primary for ``REPLICA_PIN_SECONDS``. Placed after Django's
    AuthenticationMiddleware, so the session and the user are read on the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _read_alias.set(read_alias(request))
        try:
            response = self.get_response(request)
        finally:
            _read_alias.reset(token)
        if request.method not in SAFE_METHODS:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
