"""An approved request keeps the checklist it was approved on."""

from __future__ import annotations

import pytest

from lifecycle import transitions
from spokes.models import Policy
from tests.conftest import make_assessment, make_product


@pytest.fixture
def approved(community, maintainer, lead, policy_set):
    candidate = make_product("solverkit", maintainers=[maintainer])
    for code in ("P1", "P2"):
        make_assessment(candidate, Policy.objects.get(code=code), "full")
    req = transitions.request_create(
        by=maintainer, kind="onramp", product=candidate, community=community
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)
    return transitions.request_approve(request=req, by=lead)


def test_the_api_serves_the_checklist_recorded_at_approval(approved, client_for):
    body = client_for(None).get(f"/api/v1/requests/{approved.pk}/checklist/").json()
    assert body["state"] == "approved"
    assert body["as_of"] is not None
    assert body["passed"] is True
    assert all(item["passed"] for item in body["items"])


def test_an_open_request_gets_a_checklist_computed_now(community, maintainer, client_for):
    candidate = make_product("fresh", maintainers=[maintainer])
    req = transitions.request_create(
        by=maintainer, kind="onramp", product=candidate, community=community
    )
    body = client_for(maintainer).get(f"/api/v1/requests/{req.pk}/checklist/").json()
    assert body["as_of"] is None
    assert body["passed"] is False  # P1 and P2 are not assessed
