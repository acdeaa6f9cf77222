"""An unknown query parameter on a list is a 400 naming the valid ones (DESIGN §6),
not ignored: `?spoke=xsdk` used to answer every product."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LISTS = {
    "/api/v1/products/": "community",
    "/api/v1/assessments/": "policy_set",
    "/api/v1/stakeholders/": "kind",
    "/api/v1/communities/": "kind",
    "/api/v1/policy-sets/": "owner",
    "/api/v1/requests/": "state",
    "/api/v1/decisions/": "outcome",
    "/api/v1/events/": "verb",
    "/api/v1/waivers/": "current",
    "/api/v1/interoperability/": "partner",
    "/api/v1/funding-calls/": "state",
    "/api/v1/panel-members/": "call",
    "/api/v1/proposals/": "state",
    "/api/v1/reviews/": "call",
    "/api/v1/funding-decisions/": "outcome",
    "/api/v1/plans/": "year",
    "/api/v1/milestones/": "status",
    "/api/v1/change-requests/": "state",
    "/api/v1/meetings/": "kind",
}


def test_an_unknown_query_parameter_on_the_product_list_is_a_400_naming_the_valid_ones(
    api_client, product
):
    response = api_client.get("/api/v1/products/?spoke=xsdk")
    assert response.status_code == 400
    message = response.json()["spoke"][0]
    assert message.startswith("Unknown query parameter. Valid: ")
    valid = message.removeprefix("Unknown query parameter. Valid: ").rstrip(".").split(", ")
    assert valid == sorted(valid)
    assert {
        "community",
        "compliance",
        "membership_state",
        "q",
        "ordering",
        "page",
        "page_size",
        "format",
    } <= set(valid)
    assert "spoke" not in valid


@pytest.mark.parametrize("url", LISTS)
def test_every_list_refuses_an_unknown_query_parameter(api_client, url):
    response = api_client.get(url, {"nonsense": "1", "pagesize": "2"})
    assert response.status_code == 400, url
    body = response.json()
    assert set(body) == {"nonsense", "pagesize"}
    assert "page_size" in body["pagesize"][0]


@pytest.mark.parametrize(("url", "known"), LISTS.items())
def test_every_list_takes_its_filters_pagination_and_format(api_client, url, known):
    response = api_client.get(url, {known: "", "page": "1", "page_size": "5", "format": "json"})
    assert response.status_code == 200, (url, response.content)


def test_a_detail_and_an_action_keep_their_own_parameters(api_client, product, policy_set):
    assert api_client.get(f"/api/v1/products/{product.slug}/?format=json").status_code == 200
    response = api_client.get(
        f"/api/v1/products/{product.slug}/compliance/", {"policy_set": policy_set.slug}
    )
    assert response.status_code == 200
