"""The anonymous API rate, attacked with a forged X-Forwarded-For."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle

ROOT = "/api/v1/"


@pytest.fixture(autouse=True)
def low_rate(monkeypatch):
    # Earlier tests in this process made anonymous requests at the suite's high rate; their
    # hits are still in the cache's history for this address, so start from none.
    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    yield
    cache.clear()


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_start_a_fresh_count(api_client):
    statuses = [
        api_client.get(ROOT, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(4)
    ]
    assert statuses == [200, 200, 429, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_it_saw_has_its_own_count(api_client, settings):
    settings.TRUSTED_PROXIES = 1
    # The client forged the first entry; the proxy appended the address it saw.
    seen = [
        api_client.get(ROOT, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9").status_code
        for n in range(3)
    ]
    assert seen == [200, 200, 429]
    assert api_client.get(ROOT, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200


@pytest.mark.django_db
def test_a_flood_of_fresh_addresses_does_not_evict_a_live_count(api_client):
    """The cache drops entries past its size limit: the limit must leave room for far
    more clients than a small flood brings, or the flood would reset the count."""
    assert [api_client.get(ROOT, REMOTE_ADDR="1.0.0.1").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    for n in range(400):
        api_client.get(ROOT, REMOTE_ADDR=f"9.0.{n // 250}.{n % 250}")
    assert api_client.get(ROOT, REMOTE_ADDR="1.0.0.1").status_code == 429
