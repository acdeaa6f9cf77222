"""Change requests move open → approved | rejected once: a second decision is a 409 and
changes nothing; so is progress on a dropped milestone. Two decisions racing apply once."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from events.errors import TransitionNotAllowed
from events.models import Event
from planning import services
from planning.models import ChangeRequest, Milestone, ProgressUpdate

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def drop(plan, milestone, lead) -> ChangeRequest:
    return services.request_change(by=lead, plan=plan, kind="drop", milestone=milestone, reason="x")


@pytest.mark.parametrize(
    ("first", "second"), [("approve", "reject"), ("reject", "approve"), ("approve", "approve")]
)
def test_a_decided_change_request_cannot_be_decided_again(client_for, lead, drop, first, second):
    api = client_for(lead)
    assert (
        api.post(f"/api/v1/change-requests/{drop.pk}/{first}/", {}, format="json").status_code
        == 200
    )
    events = Event.objects.count()
    state = ChangeRequest.objects.get(pk=drop.pk).state
    response = api.post(f"/api/v1/change-requests/{drop.pk}/{second}/", {}, format="json")
    assert response.status_code == 409
    assert state in response.json()["detail"]
    assert ChangeRequest.objects.get(pk=drop.pk).state == state
    assert Event.objects.count() == events


def test_progress_on_a_dropped_milestone_is_a_409(client_for, lead, drop, milestone):
    services.approve_change(change=drop, by=lead, decided_on=D(2025, 4, 1))
    response = client_for(lead).post(
        f"/api/v1/milestones/{milestone.pk}/progress/",
        {"date": "2025-04-02", "status": "on_track"},
        format="json",
    )
    assert response.status_code == 409
    assert Milestone.objects.get(pk=milestone.pk).status == "dropped"
    assert ProgressUpdate.objects.filter(milestone=milestone).count() == 1


def test_a_change_to_a_dropped_milestone_is_refused(lead, plan, drop, milestone):
    other = services.request_change(
        by=lead, plan=plan, kind="rescope", milestone=milestone, title="Smaller", reason="y"
    )
    services.approve_change(change=drop, by=lead)
    with pytest.raises(TransitionNotAllowed):
        services.approve_change(change=other, by=lead)
    assert Milestone.objects.get(pk=milestone.pk).title == "Release 1.0"
    assert ChangeRequest.objects.get(pk=other.pk).state == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "add", "reason": "r"}, "title"),
        ({"kind": "drop", "reason": "r"}, "milestone"),
        ({"kind": "rescope", "reason": "r", "milestone": "M"}, "kind"),
        ({"kind": "add", "title": "T", "due": "2025-05-01", "reason": " "}, "reason"),
    ],
)
def test_a_change_request_missing_what_its_kind_needs_is_a_400(
    client_for, lead, plan, milestone, body, field
):
    body = {**body, "plan": plan.pk}
    if body.get("milestone") == "M":
        body["milestone"] = milestone.pk
    response = client_for(lead).post("/api/v1/change-requests/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ChangeRequest.objects.exists()


def test_progress_in_the_future_or_dropping_by_progress_is_a_400(client_for, lead, milestone):
    api = client_for(lead)
    url = f"/api/v1/milestones/{milestone.pk}/progress/"
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    assert api.post(url, {"date": future, "status": "done"}, format="json").status_code == 400
    assert (
        api.post(url, {"date": "2025-01-01", "status": "dropped"}, format="json").status_code == 400
    )
    assert not ProgressUpdate.objects.exists()


def test_a_second_plan_for_the_same_year_is_a_400(client_for, lead, plan):
    response = client_for(lead).post(
        "/api/v1/plans/", {"community": "alpha", "year": 2025}, format="json"
    )
    assert response.status_code == 400
    assert "year" in response.json()


def test_a_stale_if_match_on_a_decision_is_a_412(client_for, lead, drop):
    api = client_for(lead)
    response = api.post(
        f"/api/v1/change-requests/{drop.pk}/approve/", {}, format="json", HTTP_IF_MATCH='"stale"'
    )
    assert response.status_code == 412
    assert ChangeRequest.objects.get(pk=drop.pk).state == "open"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_decisions_apply_exactly_once(lead, plan, milestone):
    change = services.request_change(
        by=lead, plan=plan, kind="add", title="Racing", due=D(2025, 9, 1), reason="r"
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(name: str) -> None:
        try:
            barrier.wait()
            services.DECISIONS[name](change=ChangeRequest.objects.get(pk=change.pk), by=lead)
            outcomes.append("ok")
        except TransitionNotAllowed:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(n,)) for n in ("approve", "reject")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409", "ok"]
    state = ChangeRequest.objects.get(pk=change.pk).state
    added = Milestone.objects.filter(title="Racing").count()
    assert (state, added) in {("approved", 1), ("rejected", 0)}
    assert Event.objects.filter(verb__in=["change_approved", "change_rejected"]).count() == 1
