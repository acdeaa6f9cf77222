"""Every URL in a response is absolute (DESIGN §6)."""

from __future__ import annotations

import pytest

from lifecycle.models import LifecycleRequest
from tests.api.test_unknown_parameters import LISTS
from tests.conftest import make_membership, make_policy, make_product

pytestmark = pytest.mark.django_db


def _urls(value, where=""):
    """Every (path, value) in a JSON body whose key names a URL."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key.endswith("url") or key in ("next", "previous")):
                yield f"{where}.{key}", item
            else:
                yield from _urls(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _urls(item, f"{where}[{n}]")


@pytest.fixture
def world(product, community, policy_set, maintainer, lead):
    make_policy(policy_set, "M1")
    other = make_product("other")
    make_membership(other, community)
    request = LifecycleRequest.objects.create(
        kind="onramp", product=product, community=community, requested_by=maintainer
    )
    return {"request": request}


def test_every_url_in_every_response_is_absolute(client_for, maintainer, world, product):
    client = client_for(maintainer)
    seen = 0
    for url in LISTS:
        body = client.get(url, {"page_size": 1}).json()
        details = [r["url"] for r in body["results"] if "/api/v1/" in r.get("url", "")]
        for where, value in _urls(body):
            if value:
                seen += 1
                assert "://" in value, (url, where, value)
        for detail in details[:1]:
            for where, value in _urls(client.get(detail).json()):
                assert not value or "://" in value, (detail, where, value)
    assert seen >= 9
    body = client.get(f"/api/v1/products/{product.slug}/").json()
    assert body["html_url"] == f"http://testserver/products/{product.slug}/"
    request = client.get(f"/api/v1/requests/{world['request'].pk}/").json()
    assert request["url"] == f"http://testserver{world['request'].get_absolute_url()}"
    community = client.get("/api/v1/communities/").json()["results"][0]
    assert community["html_url"].startswith("http://testserver/")
    policy_set = client.get("/api/v1/policy-sets/").json()["results"][0]
    assert policy_set["html_url"].startswith("http://testserver/")


def test_a_created_request_is_located_by_an_absolute_url(
    client_for, maintainer, product, community
):
    response = client_for(maintainer).post(
        "/api/v1/requests/",
        {"kind": "onramp", "product": product.slug, "community": community.slug},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response["Location"].startswith("http://testserver/")
