"""Sign-in throttling: failed sign-ins slow down, then lock, per account and per address.

Each failure is counted twice, under the account's name and under the client's address
(a guesser trying many accounts from one place is held by the second). After the free
failures each further one makes the next attempt wait twice as long as the last (2 s,
4 s, 8 s ...); at the limit the account or address is locked for ``lockout_seconds``.
While a wait runs, no password is checked at all, so guessing gets no faster by trying.
A failure-free ``lockout_seconds`` forgets the count; a successful sign-in forgets the
account's count (not the address's, so that signing in to one's own account does not
reset a guess run against others).

Counts live in the default cache: with CACHE_URL=db:// or redis:// every app process
shares it, so adding workers does not add attempts (README; the default, local memory,
holds for one process). The read-modify-write of a count is not atomic: concurrent failures may be
counted as fewer, by at most the number of requests in flight at once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limits:
    free: int  # failures with no wait
    lock: int  # failures that lock


def _now() -> float:
    return time.time()


def _limits() -> dict[str, Limits]:
    config = settings.SIGNIN_THROTTLE
    return {
        "account": Limits(*config["account"]),
        "address": Limits(*config["address"]),
    }


def _lockout_seconds() -> int:
    return settings.SIGNIN_THROTTLE["lockout_seconds"]


def _keys(*, username: str, address: str) -> dict[str, str]:
    # Hashed: the cache key stays short and of safe characters whatever was typed.
    name = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    place = hashlib.sha256(address.encode()).hexdigest()[:32]
    return {"account": f"signin:account:{name}", "address": f"signin:address:{place}"}


def _record(key: str, now: float) -> dict:
    record = cache.get(key)
    if not record or record["expires"] <= now:
        return {"failures": 0, "until": 0.0, "expires": 0.0}
    return record


def wait_seconds(*, username: str, address: str) -> int:
    """Seconds before the next attempt for this account from this address is checked
    (0: go ahead)."""
    now = _now()
    until = max(
        _record(key, now)["until"] for key in _keys(username=username, address=address).values()
    )
    return max(0, int(until - now + 0.999))


def is_locked(*, username: str, address: str) -> bool:
    now = _now()
    keys = _keys(username=username, address=address)
    limits = _limits()
    return any(_record(keys[kind], now)["failures"] >= limits[kind].lock for kind in keys)


def record_failure(*, username: str, address: str) -> None:
    now = _now()
    window = _lockout_seconds()
    limits = _limits()
    for kind, key in _keys(username=username, address=address).items():
        record = _record(key, now)
        failures = record["failures"] + 1
        until = now + _delay(failures, limits[kind], window)
        record = {"failures": failures, "until": until, "expires": max(until, now + window)}
        # The cache may forget a little after the record's own expiry, never before.
        cache.set(key, record, timeout=int(record["expires"] - now) + 60)


def record_success(*, username: str) -> None:
    cache.delete(_keys(username=username, address="")["account"])


def _delay(failures: int, limits: Limits, lockout_seconds: int) -> float:
    if failures >= limits.lock:
        return lockout_seconds
    if failures > limits.free:
        return min(2 ** (failures - limits.free), lockout_seconds)
    return 0
