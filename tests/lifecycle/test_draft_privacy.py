"""A draft request is private: its events stay out of public timelines until submitted."""

from __future__ import annotations

import pytest
from django.test import Client

from lifecycle import transitions
from tests.conftest import make_community


@pytest.fixture
def draft(product, maintainer):
    target = make_community("gamma", name="Gamma SDK")
    return transitions.request_create(
        by=maintainer,
        kind="onramp",
        product=product,
        community=target,
        rationale="Secret plans for Gamma",
    )


def _api_verbs(client_for, user):
    response = client_for(user).get("/api/v1/events/")
    assert response.status_code == 200
    return [e["verb"] for e in response.json()["results"]]


def test_strangers_and_anonymous_visitors_do_not_see_a_drafts_events(draft, client_for, stranger):
    assert "request_created" not in _api_verbs(client_for, None)
    assert "request_created" not in _api_verbs(client_for, stranger)
    link = f"/requests/{draft.pk}/"
    for page in ("/events/", "/feeds/events.atom", f"/products/{draft.product.slug}/", "/"):
        assert link not in Client().get(page).content.decode(), page


def test_the_maintainer_and_a_hub_admin_see_the_drafts_events(
    draft, client_for, maintainer, hub_admin
):
    assert "request_created" in _api_verbs(client_for, maintainer)
    assert "request_created" in _api_verbs(client_for, hub_admin)


def test_once_submitted_the_request_and_its_history_are_public(draft, client_for, maintainer):
    transitions.request_submit(request=draft, by=maintainer)
    verbs = _api_verbs(client_for, None)
    assert "request_created" in verbs and "request_submitted" in verbs
    assert f"/requests/{draft.pk}/" in Client().get("/events/").content.decode()
