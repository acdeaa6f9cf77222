"""The decisions API and votes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Event
from lifecycle import decisions
from lifecycle.models import Decision, LifecycleRequest, Vote
from tests.conftest import make_body, make_product, make_user


@pytest.fixture
def seats(db):
    return [make_user(f"seat{i}") for i in range(3)]


@pytest.fixture
def decision(community, seats, maintainer):
    make_body(community, seats=seats, requires_vote=True)
    product = make_product("newbie", maintainers=[maintainer])
    req = LifecycleRequest.objects.create(
        kind="onramp", product=product, community=community, state="submitted"
    )
    decision = decisions.open_decision(community=community, subject=str(req))
    LifecycleRequest.objects.filter(pk=req.pk).update(decision=decision, state="in_review")
    return decision


def votes_url(decision):
    return reverse("api-decision-votes", args=[decision.pk])


def test_the_decision_payload(decision, seats, api_client):
    decisions.cast_vote(decision=decision, by=seats[0], choice="yes", comment="Good")
    data = api_client.get(reverse("api-decision-detail", args=[decision.pk])).data
    for name in ("id", "community", "request", "outcome", "rationale", "tally", "votes"):
        assert name in data
    assert data["community"] == "alpha"
    assert data["request"] == LifecycleRequest.objects.get().pk
    assert data["outcome"] == "pending"
    assert data["tally"] == {"yes": 1, "no": 0, "abstain": 0}
    assert data["seats"] == 3
    assert data["quorum_met"] is False  # 1 of 3 < 0.5
    assert data["threshold_met"] is True
    vote = data["votes"][0]
    assert (vote["voter"], vote["choice"], vote["comment"]) == ("seat0", "yes", "Good")
    assert "cast_at" in vote


def test_the_list_filters_by_community_and_outcome(decision, other_community, api_client):
    decisions.open_decision(community=other_community, subject="other")
    response = api_client.get(reverse("api-decision-list"), {"community": "alpha"})
    assert [d["id"] for d in response.data["results"]] == [decision.pk]
    response = api_client.get(reverse("api-decision-list"), {"outcome": "approved"})
    assert response.data["count"] == 0


def test_list_query_count_does_not_grow(community, seats, api_client):
    make_body(community, seats=seats)

    def count(n):
        for i in range(n):
            d = decisions.open_decision(community=community, subject=f"d{i}")
            decisions.cast_vote(decision=d, by=seats[i % 3], choice="yes")
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get(reverse("api-decision-list"), {"page_size": 100})
        assert response.status_code == 200
        return len(ctx)

    assert count(3) == count(12)


def test_a_seat_holder_votes_and_changes_the_vote(decision, seats, client_for):
    client = client_for(seats[0])
    response = client.post(votes_url(decision), {"choice": "no", "comment": "Not yet"})
    assert response.status_code == 201
    assert response.data["choice"] == "no"
    response = client.post(votes_url(decision), {"choice": "yes"})
    assert response.status_code == 200
    assert response.data["decision"]["tally"] == {"yes": 1, "no": 0, "abstain": 0}
    assert Vote.objects.count() == 1
    listed = client.get(votes_url(decision)).data
    assert [(v["voter"], v["choice"]) for v in listed] == [("seat0", "yes")]
    event = Event.objects.filter(verb="vote_cast").first()
    assert event.request == LifecycleRequest.objects.get()
    assert event.product.slug == "newbie" and event.community.slug == "alpha"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("stranger", 403),
        ("maintainer", 403),
        ("lead", 403),
        ("hub_admin", 403),
    ],
)
def test_only_seat_holders_vote(role, status, request, decision, client_for):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    response = client_for(user).post(votes_url(decision), {"choice": "yes"})
    assert response.status_code == status
    assert not Vote.objects.exists()


def test_a_non_seat_holder_with_a_bad_body_still_gets_403(decision, stranger, client_for):
    assert client_for(stranger).post(votes_url(decision), {"choice": "?"}).status_code == 403
    assert not Vote.objects.exists()


def test_a_bad_choice_is_400(decision, seats, client_for):
    response = client_for(seats[0]).post(votes_url(decision), {"choice": "maybe"})
    assert response.status_code == 400
    assert "choice" in response.data
    assert not Vote.objects.exists()
    assert not Event.objects.filter(verb="vote_cast").exists()


def test_no_votes_after_the_decision(decision, seats, lead, client_for):
    decisions.close_decision(decision=decision, outcome="rejected", by=lead)
    before = Decision.objects.values().get(pk=decision.pk)
    response = client_for(seats[0]).post(votes_url(decision), {"choice": "yes"})
    assert response.status_code == 409
    assert not Vote.objects.exists()
    assert not Event.objects.filter(verb="vote_cast").exists()
    assert Decision.objects.values().get(pk=decision.pk) == before
    assert before["outcome"] == "rejected"


def test_decisions_are_read_only(decision, lead, client_for):
    client = client_for(lead)
    before = list(Decision.objects.values())
    assert client.post(reverse("api-decision-list"), {}).status_code == 405
    url = reverse("api-decision-detail", args=[decision.pk])
    assert client.patch(url, {"outcome": "approved"}).status_code == 405
    assert list(Decision.objects.values()) == before
