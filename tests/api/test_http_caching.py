"""HTTP caching of the API's reads: list validators from the catalog version, 304 on a
repeat, the detail's own representation ETag (which If-Match checks) kept, tokens
revalidated only once the view has vouched for them, and the shared anonymous list."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.throttling import AnonRateThrottle

from accounts.models import ApiToken
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/products/",
    "/api/v1/products/?format=csv",
    "/api/v1/communities/",
    "/api/v1/policy-sets/",
    "/api/v1/assessments/",
    "/api/v1/events/",
    "/api/v1/stakeholders/",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.mark.parametrize("url", LISTS)
def test_a_list_repeat_with_the_etag_answers_304(api_client, product, url):
    first = api_client.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert "Authorization" in first["Vary"]
    with CaptureQueriesContext(connection) as ctx:
        again = api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert len(ctx.captured_queries) == 1
    make_product("sprocket")
    assert api_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_the_detail_keeps_its_representation_etag_for_if_match(api_client, maintainer, product):
    first = api_client.get("/api/v1/products/widget/")
    tag = first["ETag"]
    assert not tag.startswith("W/")  # the hash of the representation, as before
    assert api_client.get("/api/v1/products/widget/", HTTP_IF_NONE_MATCH=tag).status_code == 304
    _, key = ApiToken.issue(user=maintainer, name="ci")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    changed = api_client.patch(
        "/api/v1/products/widget/", {"summary": "Better"}, format="json", HTTP_IF_MATCH=tag
    )
    assert changed.status_code == 200, changed.content
    stale = api_client.patch(
        "/api/v1/products/widget/", {"summary": "Again"}, format="json", HTTP_IF_MATCH=tag
    )
    assert stale.status_code == 412
    api_client.credentials()
    assert api_client.get("/api/v1/products/widget/", HTTP_IF_NONE_MATCH=tag).status_code == 200


def test_a_token_reader_gets_a_private_tag_of_its_own(api_client, maintainer, product):
    anonymous = api_client.get("/api/v1/products/")
    _, key = ApiToken.issue(user=maintainer, name="ci")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    mine = api_client.get("/api/v1/products/")
    assert mine["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert mine["ETag"] != anonymous["ETag"]
    assert api_client.get("/api/v1/products/", HTTP_IF_NONE_MATCH=mine["ETag"]).status_code == 304


def test_a_revoked_token_is_refused_not_answered_304(api_client, maintainer, product):
    token, key = ApiToken.issue(user=maintainer, name="ci")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    tag = api_client.get("/api/v1/products/")["ETag"]
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)  # no signal
    assert api_client.get("/api/v1/products/", HTTP_IF_NONE_MATCH=tag).status_code == 401


def test_the_anonymous_product_list_is_shared_until_a_write(api_client, product):
    assert api_client.get("/api/v1/products/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        cached = api_client.get("/api/v1/products/")
    assert [row["slug"] for row in cached.json()["results"]] == ["widget"]
    assert len(ctx.captured_queries) == 1
    make_product("sprocket")
    fresh = api_client.get("/api/v1/products/")
    assert {row["slug"] for row in fresh.json()["results"]} == {"widget", "sprocket"}


def test_answers_from_the_cache_count_against_the_anonymous_rate(api_client, product, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    statuses = [api_client.get("/api/v1/products/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
