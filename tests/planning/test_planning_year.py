"""A planning year on fixed dates, through the API: plan → milestones → a change approved
(the plan changes) and one rejected (it does not) → progress → the end-of-year assessment;
the dashboard's at-risk and overdue figures as of two dates, on the page and from
``planning.dashboard``."""

from __future__ import annotations

import datetime

import pytest

from events.models import Event
from planning import dashboard
from planning.models import AnnualPlan, ChangeRequest, Milestone, PlanAssessment

D = datetime.date
pytestmark = pytest.mark.django_db


def _post(client, url, body, status=201):
    response = client.post(url, body, format="json")
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def year(client_for, lead, community, product):
    """The year of the alpha spoke, built through the API as its lead."""
    api = client_for(lead)
    plan = _post(api, "/api/v1/plans/", {"community": "alpha", "year": 2025, "summary": "1.0"})
    ids = {}
    for title, due, products in [
        ("Release 1.0", "2025-03-31", ["widget"]),
        ("Spack smoke tests", "2025-06-30", []),
        ("GPU port", "2025-09-30", []),
    ]:
        body = {"plan": plan["id"], "title": title, "due": due, "products": products}
        ids[title] = _post(api, "/api/v1/milestones/", body)["id"]
    add = _post(
        api,
        "/api/v1/change-requests/",
        {
            "plan": plan["id"],
            "kind": "add",
            "title": "Documentation overhaul",
            "due": "2025-11-30",
            "products": ["widget"],
            "reason": "Users asked for it at the all-teams meeting.",
        },
    )
    approved = _post(
        api,
        f"/api/v1/change-requests/{add['id']}/approve/",
        {"note": "Agreed.", "decided_on": "2025-04-15"},
        status=200,
    )
    drop = _post(
        api,
        "/api/v1/change-requests/",
        {"plan": plan["id"], "kind": "drop", "milestone": ids["GPU port"], "reason": "No GPUs."},
    )
    rejected = _post(
        api,
        f"/api/v1/change-requests/{drop['id']}/reject/",
        {"note": "The machine arrives in June.", "decided_on": "2025-05-01"},
        status=200,
    )
    rescope = _post(
        api,
        "/api/v1/change-requests/",
        {
            "plan": plan["id"],
            "kind": "rescope",
            "milestone": ids["Spack smoke tests"],
            "due": "2025-08-31",
            "reason": "Waiting for the Spack release.",
        },
    )
    _post(api, f"/api/v1/change-requests/{rescope['id']}/approve/", {}, status=200)
    for title, date, status in [
        ("Release 1.0", "2025-02-01", "on_track"),
        ("Release 1.0", "2025-04-10", "done"),
        ("Spack smoke tests", "2025-05-20", "at_risk"),
        ("GPU port", "2025-06-01", "on_track"),
    ]:
        body = {"date": date, "status": status, "note": f"{title} on {date}"}
        _post(api, f"/api/v1/milestones/{ids[title]}/progress/", body)
    return {"api": api, "plan": plan, "ids": ids, "approved": approved, "rejected": rejected}


def test_an_approved_add_puts_the_milestone_in_the_plan(year):
    approved = year["approved"]
    assert approved["state"] == "approved"
    assert approved["decided_on"] == "2025-04-15"
    added = Milestone.objects.get(pk=approved["milestone"])
    assert (added.title, added.due, added.status) == (
        "Documentation overhaul",
        D(2025, 11, 30),
        "planned",
    )
    assert list(added.products.values_list("slug", flat=True)) == ["widget"]
    plan = year["api"].get(f"/api/v1/plans/{year['plan']['id']}/").json()
    assert [m["title"] for m in plan["milestones"]] == [
        "Release 1.0",
        "Spack smoke tests",
        "GPU port",
        "Documentation overhaul",
    ]


def test_a_rejected_drop_leaves_the_milestone_as_it_was(year):
    assert year["rejected"]["state"] == "rejected"
    gpu = Milestone.objects.get(pk=year["ids"]["GPU port"])
    assert gpu.status == "on_track"  # its own progress, not dropped
    assert not gpu.updates.filter(status="dropped").exists()
    assert Event.objects.filter(verb="change_rejected").count() == 1


def test_an_approved_rescope_moves_the_due_date_and_keeps_the_rest(year):
    smoke = Milestone.objects.get(pk=year["ids"]["Spack smoke tests"])
    assert smoke.due == D(2025, 8, 31)
    assert smoke.title == "Spack smoke tests"
    assert smoke.history.count() >= 2  # the change is in the milestone's history


def test_progress_sets_each_milestone_to_its_latest_update(year):
    statuses = dict(Milestone.objects.values_list("title", "status"))
    assert statuses == {
        "Release 1.0": "done",
        "Spack smoke tests": "at_risk",
        "GPU port": "on_track",
        "Documentation overhaul": "planned",
    }
    release = year["api"].get(f"/api/v1/milestones/{year['ids']['Release 1.0']}/").json()
    assert [(u["date"], u["status"]) for u in release["updates"]] == [
        ("2025-02-01", "on_track"),
        ("2025-04-10", "done"),
    ]


@pytest.mark.parametrize(
    ("as_of", "at_risk", "overdue"),
    [
        # Release 1.0 was due 31 March and done only on 10 April.
        (D(2025, 4, 5), [], ["Release 1.0"]),
        # Smoke tests at risk since 20 May and due 31 August; the GPU port due 30 September.
        (D(2025, 10, 15), ["Spack smoke tests"], ["Spack smoke tests", "GPU port"]),
    ],
)
def test_at_risk_and_overdue_as_of_a_date(year, client, as_of, at_risk, overdue):
    assert [m.title for m in dashboard.at_risk(as_of)] == at_risk
    assert [m.title for m in dashboard.overdue(as_of)] == overdue
    page = client.get("/plans/", {"year": 2025, "as_of": as_of.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<span class="count-at-risk">{len(at_risk)}</span>' in html
    assert f'<span class="count-overdue">{len(overdue)}</span>' in html


def test_the_year_s_plans_count_their_milestones_by_status(year, other_community, hub_admin):
    AnnualPlan.objects.create(community=other_community, year=2025)
    AnnualPlan.objects.create(community=other_community, year=2024)
    rows = dashboard.plans_for(2025)
    assert [r.plan.community.slug for r in rows] == ["alpha", "beta"]
    assert rows[0].milestones == 4
    assert rows[0].by_status == {
        "planned": 1,
        "on_track": 1,
        "at_risk": 1,
        "done": 1,
        "dropped": 0,
    }
    assert rows[1].milestones == 0


def test_the_end_of_year_assessment_gives_each_milestone_an_outcome(year):
    ids = dict(Milestone.objects.values_list("title", "pk"))
    body = {
        "narrative": "1.0 shipped; the GPU port slipped.",
        "assessed_on": "2025-12-15",
        "outcomes": [
            {"milestone": ids["Release 1.0"], "outcome": "achieved"},
            {"milestone": ids["Spack smoke tests"], "outcome": "partly_achieved"},
            {"milestone": ids["GPU port"], "outcome": "not_achieved", "note": "Next year."},
            {"milestone": ids["Documentation overhaul"], "outcome": "achieved"},
        ],
    }
    plan = _post(year["api"], f"/api/v1/plans/{year['plan']['id']}/assessment/", body, 200)
    assert plan["assessment"]["narrative"] == "1.0 shipped; the GPU port slipped."
    assert plan["assessment"]["assessed_on"] == "2025-12-15"
    assert {o["milestone"]: o["outcome"] for o in plan["assessment"]["outcomes"]} == {
        ids["Release 1.0"]: "achieved",
        ids["Spack smoke tests"]: "partly_achieved",
        ids["GPU port"]: "not_achieved",
        ids["Documentation overhaul"]: "achieved",
    }
    page = year["api"].get("/plans/alpha/2025/")
    assert "1.0 shipped; the GPU port slipped." in page.content.decode()
    assert "Partly achieved" in page.content.decode()


def test_an_assessment_missing_a_milestone_is_refused(year):
    ids = dict(Milestone.objects.values_list("title", "pk"))
    body = {
        "narrative": "Partial.",
        "outcomes": [{"milestone": ids["Release 1.0"], "outcome": "achieved"}],
    }
    response = year["api"].post(
        f"/api/v1/plans/{year['plan']['id']}/assessment/", body, format="json"
    )
    assert response.status_code == 400
    assert "GPU port" in response.json()["outcomes"][0]
    assert not PlanAssessment.objects.exists()


def test_every_step_wrote_its_event(year):
    verbs = list(Event.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs.count("plan_created") == 1
    assert verbs.count("milestone_added") == 3
    assert verbs.count("change_requested") == 3
    assert verbs.count("change_approved") == 2
    assert verbs.count("progress_recorded") == 4
    assert set(
        Event.objects.filter(verb__startswith="change").values_list("community__slug", flat=True)
    ) == {"alpha"}


def test_the_plan_page_shows_milestones_progress_and_changes(year, client):
    html = client.get("/plans/alpha/2025/").content.decode()
    assert "Documentation overhaul" in html
    assert "2025-08-31" in html  # the re-scoped due date
    assert "The machine arrives in June." in html  # the rejection's note
    assert ">Approve</button>" not in html  # decided, and anonymous: nothing to decide
    assert ChangeRequest.objects.filter(state="open").count() == 0
