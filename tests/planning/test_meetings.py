"""Meetings through the API and their pages: agenda in order, participating communities,
outcomes linked to the milestones and change requests they produced."""

from __future__ import annotations

import pytest

from events.models import Event
from planning.models import ChangeRequest, Meeting

pytestmark = pytest.mark.django_db


def test_a_hub_admin_records_the_all_teams_meeting_with_its_outcomes(
    client_for, client, hub_admin, community, milestone, lead, plan
):
    change = ChangeRequest.objects.create(plan=plan, kind="add", title="Docs", reason="Asked.")
    body = {
        "slug": "all-teams-2025",
        "title": "All-teams meeting 2025",
        "kind": "all_teams",
        "format": "in_person",
        "starts": "2025-06-10",
        "ends": "2025-06-11",
        "place": "Argonne National Laboratory",
        "communities": [community.slug],
        "agenda": [{"title": "Welcome"}, {"title": "Spoke plans", "note": "Each spoke, 10 min"}],
        "outcomes": [
            {"summary": "Release 1.0 confirmed", "milestone": milestone.pk},
            {"summary": "Docs requested", "change_request": change.pk},
        ],
    }
    response = client_for(hub_admin).post("/api/v1/meetings/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert [a["title"] for a in data["agenda"]] == ["Welcome", "Spoke plans"]
    assert data["communities"] == ["alpha"]
    assert data["outcomes"][0]["milestone"] == milestone.pk
    assert response["Location"].startswith("http://testserver/api/v1/meetings/all-teams-2025/")
    assert Event.objects.filter(verb="meeting_created").count() == 1
    html = client.get("/meetings/all-teams-2025/").content.decode()
    assert html.index("Welcome") < html.index("Spoke plans")
    assert "Release 1.0" in html and f"change request #{change.pk}" in html
    assert "All-teams meeting 2025" in client.get("/meetings/").content.decode()


def test_a_meeting_ending_before_it_starts_is_a_400(client_for, hub_admin):
    body = {
        "slug": "x",
        "title": "X",
        "kind": "other",
        "starts": "2025-06-10",
        "ends": "2025-06-09",
    }
    response = client_for(hub_admin).post("/api/v1/meetings/", body, format="json")
    assert response.status_code == 400
    assert "ends" in response.json()
    assert not Meeting.objects.exists()


def test_the_meetings_list_exports_csv_with_its_header(api_client):
    response = api_client.get("/api/v1/meetings/?format=csv")
    assert response.status_code == 200
    header = response.content.decode().splitlines()[0]
    assert header.startswith("slug,title,kind,format,starts,ends,place,communities")


def test_a_hub_admin_records_a_meeting_on_its_page(client, hub_admin, community):
    client.force_login(hub_admin)
    response = client.post(
        "/meetings/new/",
        {
            "slug": "town-hall-2025",
            "title": "Town hall",
            "kind": "town_hall",
            "starts": "2025-03-01",
            "ends": "2025-03-01",
            "communities": [community.slug],
            "agenda": "Welcome\n\nQuestions\n",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(slug="town-hall-2025")
    assert list(meeting.agenda_items.values_list("position", "title")) == [
        (1, "Welcome"),
        (2, "Questions"),
    ]


def test_a_planning_write_advances_the_catalog_version(client_for, hub_admin):
    from events import version

    before = version.current()[0]
    body = {
        "slug": "v",
        "title": "V",
        "kind": "other",
        "starts": "2025-01-01",
        "ends": "2025-01-01",
    }
    assert client_for(hub_admin).post("/api/v1/meetings/", body, format="json").status_code == 201
    assert version.current()[0] > before
