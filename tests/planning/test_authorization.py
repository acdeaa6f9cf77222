"""Every planning and meeting write, tried by each persona: the plan's leads and hub admins
plan and decide, maintainers of a milestone's products post its progress, hub admins record
meetings; anyone else is refused (403; 401 when not signed in), and a refused write changes
nothing and writes no event."""

from __future__ import annotations

import datetime

import pytest

from events.models import Event
from planning.models import (
    AgendaItem,
    AnnualPlan,
    ChangeRequest,
    Meeting,
    Milestone,
    PlanAssessment,
    ProgressUpdate,
)

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "stranger", "plain_user", "lead", "other_lead", "maintainer", "hub_admin")
PLANNERS = {"lead", "hub_admin"}


@pytest.fixture
def open_change(plan, milestone, lead) -> ChangeRequest:
    return ChangeRequest.objects.create(
        plan=plan, kind="drop", milestone=milestone, reason="Out of scope.", requested_by=lead
    )


@pytest.fixture
def meeting(db) -> Meeting:
    return Meeting.objects.create(
        slug="all-teams-2025",
        title="All-teams meeting 2025",
        kind="all_teams",
        starts=datetime.date(2025, 6, 10),
        ends=datetime.date(2025, 6, 11),
    )


def _snapshot() -> tuple:
    """Everything a planning write could change."""
    return (
        Event.objects.count(),
        list(AnnualPlan.objects.values_list("pk", "summary")),
        list(Milestone.objects.values_list("pk", "title", "due", "status")),
        ProgressUpdate.objects.count(),
        list(ChangeRequest.objects.values_list("pk", "state")),
        PlanAssessment.objects.count(),
        list(Meeting.objects.values_list("slug", "title")),
        AgendaItem.objects.count(),
    )


# write -> (method, url, body, who may, status when allowed)
def _writes(plan, milestone, open_change, meeting, community) -> dict:
    return {
        "create plan": (
            "post",
            "/api/v1/plans/",
            {"community": community.slug, "year": 2026},
            PLANNERS,
            201,
        ),
        "change plan": ("patch", f"/api/v1/plans/{plan.pk}/", {"summary": "New."}, PLANNERS, 200),
        "add milestone": (
            "post",
            "/api/v1/milestones/",
            {"plan": plan.pk, "title": "More", "due": "2025-12-01"},
            PLANNERS,
            201,
        ),
        "post progress": (
            "post",
            f"/api/v1/milestones/{milestone.pk}/progress/",
            {"date": "2025-02-01", "status": "on_track"},
            PLANNERS | {"maintainer"},
            201,
        ),
        "request change": (
            "post",
            "/api/v1/change-requests/",
            {"plan": plan.pk, "kind": "add", "title": "New", "due": "2025-10-01", "reason": "Why."},
            PLANNERS,
            201,
        ),
        "approve change": (
            "post",
            f"/api/v1/change-requests/{open_change.pk}/approve/",
            {},
            PLANNERS,
            200,
        ),
        "reject change": (
            "post",
            f"/api/v1/change-requests/{open_change.pk}/reject/",
            {},
            PLANNERS,
            200,
        ),
        "assess plan": (
            "post",
            f"/api/v1/plans/{plan.pk}/assessment/",
            {
                "narrative": "Fine.",
                "outcomes": [{"milestone": milestone.pk, "outcome": "achieved"}],
            },
            PLANNERS,
            200,
        ),
        "record meeting": (
            "post",
            "/api/v1/meetings/",
            {
                "slug": "town-hall",
                "title": "Town hall",
                "kind": "town_hall",
                "starts": "2025-03-01",
                "ends": "2025-03-01",
                "agenda": [{"title": "Welcome"}],
            },
            {"hub_admin"},
            201,
        ),
        "change meeting": (
            "patch",
            f"/api/v1/meetings/{meeting.slug}/",
            {"title": "Renamed"},
            {"hub_admin"},
            200,
        ),
    }


WRITES = (
    "create plan",
    "change plan",
    "add milestone",
    "post progress",
    "request change",
    "approve change",
    "reject change",
    "assess plan",
    "record meeting",
    "change meeting",
)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("write", WRITES)
def test_each_write_is_allowed_to_exactly_its_personas(
    write,
    persona,
    request,
    client_for,
    plan,
    milestone,
    open_change,
    meeting,
    community,
    stranger,
    plain_user,
    lead,
    other_lead,
    maintainer,
    hub_admin,
):
    method, url, body, allowed, ok = _writes(plan, milestone, open_change, meeting, community)[
        write
    ]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    before = _snapshot()
    response = getattr(client_for(user), method)(url, body, format="json")
    if persona in allowed:
        assert response.status_code == ok, response.content
        assert Event.objects.count() > before[0]
    else:
        assert response.status_code == (401 if user is None else 403), response.content
        assert _snapshot() == before


def test_a_lead_of_another_spoke_cannot_open_a_plan_for_this_one_through_the_page(
    client, other_lead, community
):
    client.force_login(other_lead)
    response = client.post("/plans/new/", {"community": community.slug, "year": 2026})
    assert response.status_code in (400, 403)
    assert not AnnualPlan.objects.exists()
    assert not Event.objects.exists()


def test_a_maintainer_posts_progress_on_the_page_and_a_stranger_is_refused(
    client, maintainer, stranger, milestone
):
    url = f"/plans/alpha/2025/milestones/{milestone.pk}/progress/"
    client.force_login(stranger)
    assert client.post(url, {"date": "2025-02-01", "status": "at_risk"}).status_code == 403
    assert not ProgressUpdate.objects.exists()
    client.force_login(maintainer)
    response = client.post(url, {"date": "2025-02-01", "status": "at_risk"})
    assert response.status_code == 302
    assert Milestone.objects.get(pk=milestone.pk).status == "at_risk"


def test_the_lead_decides_on_the_page_and_the_other_lead_is_refused(
    client, lead, other_lead, open_change, milestone
):
    url = f"/plans/alpha/2025/changes/{open_change.pk}/approve/"
    client.force_login(other_lead)
    assert client.post(url, {}).status_code == 403
    assert ChangeRequest.objects.get(pk=open_change.pk).state == "open"
    client.force_login(lead)
    page = client.get("/plans/alpha/2025/").content.decode()
    assert ">Approve</button>" in page and ">Reject</button>" in page
    assert client.post(url, {"decided_on": "2025-05-02"}).status_code == 302
    assert Milestone.objects.get(pk=milestone.pk).status == "dropped"
    dropped = ProgressUpdate.objects.get(milestone=milestone)
    assert (dropped.status, dropped.date) == ("dropped", datetime.date(2025, 5, 2))
