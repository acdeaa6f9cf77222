"""Sign-in throttling, attacked through the sign-in pages as a guesser would."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from accounts import signin
from tests.conftest import PASSWORD, make_user

LOGIN = "/accounts/login/"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(signin, "_now", clock)
    return clock


@pytest.fixture(autouse=True)
def fresh_counts(db, settings):
    settings.SIGNIN_THROTTLE = {"account": (3, 6), "address": (5, 10), "lockout_seconds": 900}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def carol(db):
    return make_user("carol")


def attempt(client, username="carol", password="wrong guess", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_failures_on_one_account_slow_down_then_lock_and_a_later_sign_in_works(
    client, carol, clock
):
    for _ in range(3):  # the free failures: the usual message, no wait
        response = attempt(client)
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
        assert "Too many failed sign-ins" not in response.content.decode()

    response = attempt(client)  # the 4th failure: the next attempt must wait 2 s
    assert "Too many failed sign-ins: wait 2 seconds" in response.content.decode()

    # Within the wait even the right password is not checked.
    response = attempt(client, password=PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "2"
    assert "wait 2 seconds" in response.content.decode()
    assert not signed_in(client)

    clock.now += 2
    attempt(client)  # 5th: wait 4 s
    clock.now += 4
    response = attempt(client)  # 6th: locked
    page = response.content.decode()
    assert "locked for 15 minutes" in page

    clock.now += 600  # still locked: the right password is refused
    response = attempt(client, password=PASSWORD)
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert not signed_in(client)

    clock.now += 301  # the lock has run out
    response = attempt(client, password=PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_success_forgets_the_accounts_failures(client, carol, clock):
    for _ in range(3):
        attempt(client)
    assert attempt(client, password=PASSWORD).status_code == 302
    client.logout()
    for _ in range(3):  # (from another address: this one's count is not forgotten)
        response = attempt(client, REMOTE_ADDR="10.7.7.7")
        assert "Too many failed sign-ins" not in response.content.decode()


def test_the_lock_holds_the_account_from_every_address(client, carol, clock):
    for n in range(6):
        attempt(client, REMOTE_ADDR=f"10.0.0.{n}")
        clock.now += 64
    response = attempt(client, password=PASSWORD, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert not signed_in(client)


def test_guessing_many_accounts_from_one_address_locks_the_address(client, carol, clock):
    for n in range(10):
        attempt(client, username=f"someone{n}")
        clock.now += 64
    response = attempt(client, password=PASSWORD)  # carol's own, right password
    assert response.status_code == 429
    assert not signed_in(client)
    # From another address carol signs in.
    assert attempt(client, password=PASSWORD, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_a_forged_x_forwarded_for_does_not_dodge_the_address_count(client, carol, clock):
    """No proxy is trusted (TRUSTED_PROXIES = 0): the header is the client's own words."""
    for n in range(10):
        attempt(client, username=f"someone{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        clock.now += 64
    response = attempt(client, password=PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429
    assert not signed_in(client)


def test_behind_a_trusted_proxy_the_address_it_saw_is_counted(client, carol, clock, settings):
    settings.TRUSTED_PROXIES = 1
    for n in range(10):
        # The client forges a first entry; the proxy appends the address it saw.
        attempt(client, username=f"someone{n}", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9")
        clock.now += 64
    forged = attempt(client, password=PASSWORD, HTTP_X_FORWARDED_FOR="1.2.3.99, 203.0.113.9")
    assert forged.status_code == 429
    elsewhere = attempt(client, password=PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert elsewhere.status_code == 302


def test_the_admin_sign_in_counts_the_same_failures(client, db, clock):
    make_user("root", is_staff=True, is_superuser=True)
    for _ in range(4):
        client.post("/admin/login/", {"username": "root", "password": "nope"})
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert "Too many failed sign-ins" in response.content.decode()
    assert not signed_in(client)
    # The site's own sign-in page shares the count.
    assert attempt(client, username="root", password=PASSWORD).status_code == 429
