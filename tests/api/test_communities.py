"""communities/: representation (leads, governance, counts), filters, writes."""

from __future__ import annotations

import datetime

import pytest

from events.models import Event
from spokes.models import Community, GovernanceBody
from tests.conftest import grant, make_body, make_membership, make_product, make_user

URL = "/api/v1/communities/"


@pytest.mark.django_db
def test_a_community_embeds_leads_governance_and_counts(api_client, community, lead, product):
    seat_holder = make_user("seat")
    make_body(community, seats=[seat_holder], requires_vote=True)
    make_membership(make_product("gone"), community, state="offramped")
    make_membership(
        make_product("fading"),
        community,
        state="offramped",
        end_of_support=datetime.date.today() + datetime.timedelta(days=9),
    )
    grant(make_user("helper"), community, "reviewer")

    body = api_client.get(f"{URL}alpha/").json()

    for name in [
        "slug",
        "name",
        "summary",
        "area",
        "website",
        "charter",
        "status",
        "policy_set",
        "leads",
        "governance",
        "member_count",
    ]:
        assert name in body
    assert body["policy_set"] == "base"
    assert body["leads"] == ["lead"]
    assert body["member_count"] == 1
    assert body["member_counts"] == {"active": 1, "offramped": 1, "sunsetting": 1}
    governance = body["governance"]
    assert governance["name"] == "Alpha SDK council"
    assert governance["requires_vote"] is True
    assert governance["quorum"] == "0.500"
    assert [s["user"] for s in governance["seats"]] == ["seat"]
    assert {"user": "helper", "role": "reviewer"} in body["roles"]


@pytest.mark.django_db
def test_a_community_without_a_body_has_null_governance(api_client, community):
    assert api_client.get(f"{URL}alpha/").json()["governance"] is None


@pytest.mark.django_db
def test_communities_filter_by_status_and_words(api_client, community, other_community):
    Community.objects.filter(slug="beta").update(status="forming")
    rows = api_client.get(f"{URL}?status=forming").json()["results"]
    assert [r["slug"] for r in rows] == ["beta"]
    rows = api_client.get(f"{URL}?q=alpha").json()["results"]
    assert [r["slug"] for r in rows] == ["alpha"]


@pytest.mark.django_db
def test_a_hub_admin_creates_a_community_with_its_governance(client_for, hub_admin, policy_set):
    seat = make_user("seat")
    response = client_for(hub_admin).post(
        URL,
        {
            "slug": "gamma",
            "name": "Gamma",
            "policy_set": "base",
            "governance": {
                "name": "Gamma council",
                "quorum": "0.6",
                "seats": [{"user": "seat", "represents": "stakeholder"}],
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["policy_set"] == "base"
    assert body["governance"]["seats"][0]["user"] == "seat"
    body_row = GovernanceBody.objects.get(community__slug="gamma")
    assert body_row.seats.get().user == seat
    assert Event.objects.filter(verb="community_created", community__slug="gamma").exists()
    assert Community.history.filter(slug="gamma").first().history_user == hub_admin


@pytest.mark.django_db
def test_a_lead_updates_the_charter_and_replaces_the_seats(client_for, lead, community):
    make_body(community, seats=[make_user("old")])
    make_user("new")
    response = client_for(lead).patch(
        f"{URL}alpha/",
        {"charter": "# Charter", "governance": {"seats": [{"user": "new"}]}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["charter"] == "# Charter"
    assert [s["user"] for s in response.json()["governance"]["seats"]] == ["new"]
    event = Event.objects.get(verb="community_updated")
    assert event.data == {"fields": ["charter", "governance"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"status": "sleeping"},
        {"policy_set": "ghost"},
        {"governance": {"quorum": "1.5"}},
        {"governance": {"seats": [{"user": "ghost"}]}},
        {"slug": "renamed"},
    ],
)
def test_invalid_community_changes_are_field_errors(client_for, lead, community, payload):
    response = client_for(lead).patch(f"{URL}alpha/", payload, format="json")
    assert response.status_code == 400
    assert next(iter(payload)) in response.json()
    community.refresh_from_db()
    assert community.slug == "alpha"
