"""The authorization matrix of every funding write (DESIGN §5, issue 17): each write tried
by every persona — anonymous (401), a stranger, a panel member, a conflicted panel member,
the lead of the proposal's spoke, the lead of another spoke, a stakeholder's contact, a hub
admin (and the proposal's author where it matters). Who may, succeeds; everyone else is
refused, and a refused write changes nothing. Then the transitions outside the graph
(409)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.forms.models import model_to_dict

from events.models import Event
from funding.models import (
    BudgetLine,
    Comment,
    Criterion,
    FundingCall,
    FundingDecision,
    PanelMember,
    Proposal,
    Review,
)

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "stranger",
    "panelist",
    "conflicted",
    "lead",
    "other_lead",
    "stakeholder_contact",
    "hub_admin",
    "maintainer",  # the author of the world's proposals
)
MODELS = (
    FundingCall,
    Criterion,
    PanelMember,
    Proposal,
    BudgetLine,
    Review,
    Comment,
    FundingDecision,
    Event,
)


@dataclass(frozen=True)
class Write:
    method: str
    path: str  # formatted with the world's objects
    body: dict = field(default_factory=dict)
    allowed: tuple[str, ...] = ()
    status: int = 200  # what an allowed persona gets


WRITES = {
    "create a call": Write(
        "post",
        "/api/v1/funding-calls/",
        {
            "slug": "new-call",
            "title": "New",
            "year": 2027,
            "envelope": "5000",
            "opens_at": "2027-01-01",
            "closes_at": "2027-02-01",
            "criteria": [{"name": "Impact", "weight": "1"}],
        },
        ("hub_admin",),
        201,
    ),
    "change a call": Write(
        "patch", "/api/v1/funding-calls/draft-call/", {"title": "Renamed"}, ("hub_admin",)
    ),
    "open a call": Write("post", "/api/v1/funding-calls/draft-call/open/", {}, ("hub_admin",)),
    "start a call's review": Write(
        "post", "/api/v1/funding-calls/open-call/start_review/", {}, ("hub_admin",)
    ),
    # Permission passes for a hub admin; the proposal still under review stops it (409).
    "publish a call": Write(
        "post", "/api/v1/funding-calls/review-call/decide/", {}, ("hub_admin",), 409
    ),
    "appoint a panel member": Write(
        "post",
        "/api/v1/panel-members/",
        {"call": "open-call", "user": "other_maintainer", "expertise": "Solvers"},
        ("hub_admin",),
        201,
    ),
    "change a panel member's declaration": Write(
        "patch",
        "/api/v1/panel-members/{seat}/",
        {"expertise": "Compilers", "conflicts": {"institutions": ["U9"]}},
        ("panelist", "hub_admin"),
    ),
    "open a proposal": Write(
        "post",
        "/api/v1/proposals/",
        {
            "call": "open-call",
            "title": "More",
            "team": "T",
            "community": "alpha",
            "products": ["widget"],
        },
        ("lead", "hub_admin", "maintainer"),
        201,
    ),
    "change a draft proposal": Write(
        "patch", "/api/v1/proposals/{draft}/", {"title": "Renamed"}, ("hub_admin", "maintainer")
    ),
    "submit a proposal": Write(
        "post", "/api/v1/proposals/{draft}/submit/", {}, ("hub_admin", "maintainer")
    ),
    "withdraw a proposal": Write(
        "post", "/api/v1/proposals/{submitted}/withdraw/", {}, ("hub_admin", "maintainer")
    ),
    "review a proposal": Write(
        "post",
        "/api/v1/reviews/",
        {"proposal": "{under_review}", "scores": {"Impact": 3, "Feasibility": 2}},
        ("panelist",),
        201,
    ),
    "comment on a proposal": Write(
        "post",
        "/api/v1/proposals/{submitted}/comments/",
        {"body": "Our users need this."},
        ("lead", "stakeholder_contact", "hub_admin"),
        201,
    ),
    "take a funding decision": Write(
        "post",
        "/api/v1/funding-decisions/",
        {"proposal": "{scored}", "outcome": "declined", "rationale": "Out of scope."},
        ("hub_admin",),
        201,
    ),
}


def snapshot() -> dict:
    """Every row of funding coordination and the event log, field by field."""
    return {
        model.__name__: [model_to_dict(row) for row in model.objects.order_by("pk")]
        for model in MODELS
    } | {"conflicts": list(PanelMember.conflict_products.through.objects.values_list())}


def _fill(value, names: dict):
    if isinstance(value, str):
        text = value.format(**names)
        return int(text) if value.startswith("{") and text.isdigit() else text
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


@pytest.fixture
def world(funding_world, panelist, stakeholder_contact, other_maintainer):
    names = {k: getattr(v, "pk", None) for k, v in funding_world.items()}
    names["seat"] = PanelMember.objects.get(call__slug="open-call", user=panelist).pk
    return names


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", WRITES)
def test_every_funding_write_by_every_persona(request, client_for, world, name, persona):
    write = WRITES[name]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = client_for(user)
    before = snapshot()
    response = getattr(client, write.method)(
        write.path.format(**world), _fill(write.body, world), format="json"
    )
    if persona in write.allowed:
        assert response.status_code == write.status, response.content
        return
    expected = {401} if persona == "anonymous" else {403, 404}
    assert response.status_code in expected, (response.status_code, response.content)
    assert snapshot() == before


def test_a_draft_is_hidden_from_others_and_a_refusal_says_why(client_for, world, lead):
    hidden = client_for(lead).patch(
        f"/api/v1/proposals/{world['draft']}/", {"title": "x"}, format="json"
    )
    assert hidden.status_code == 404


def test_a_hub_admin_on_the_panel_does_not_decide(client_for, funding_world, hub_admin):
    from tests.funding.conftest import seat

    seat(funding_world["review_call"], hub_admin)
    before = snapshot()
    response = client_for(hub_admin).post(
        "/api/v1/funding-decisions/",
        {"proposal": funding_world["scored"].pk, "outcome": "declined", "rationale": "No."},
        format="json",
    )
    assert response.status_code == 403
    assert "panel member never decides" in response.json()["detail"]
    assert snapshot() == before


def test_the_conflicted_member_is_told_why(client_for, world, conflicted):
    response = client_for(conflicted).post(
        "/api/v1/reviews/",
        {"proposal": world["under_review"], "scores": {"Impact": 3, "Feasibility": 2}},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "conflicted declared a conflict of interest with widget."


def test_a_declared_institution_is_a_conflict(client_for, funding_world, panelist):
    proposal = funding_world["under_review"]
    Proposal.objects.filter(pk=proposal.pk).update(institution="Lab One")
    PanelMember.objects.filter(user=panelist).update(conflict_institutions=["lab one"])
    response = client_for(panelist).post(
        "/api/v1/reviews/",
        {"proposal": proposal.pk, "scores": {"Impact": 3, "Feasibility": 2}},
        format="json",
    )
    assert response.status_code == 403
    assert "Lab One, the proposing team's institution" in response.json()["detail"]
    assert not Review.objects.filter(proposal=proposal).exists()


# --- Transitions outside the graph ------------------------------------------------------

OUTSIDE = {
    "submit a submitted proposal": (
        "maintainer",
        "post",
        "/api/v1/proposals/{submitted}/submit/",
        {},
    ),
    "change a submitted proposal": (
        "maintainer",
        "patch",
        "/api/v1/proposals/{submitted}/",
        {"title": "Late"},
    ),
    "review a proposal not under review": (
        "panelist",
        "post",
        "/api/v1/reviews/",
        {"proposal": "{submitted}", "scores": {"Impact": 3, "Feasibility": 2}},
    ),
    "decide before the panel has scored": (
        "hub_admin",
        "post",
        "/api/v1/funding-decisions/",
        {"proposal": "{under_review}", "outcome": "declined", "rationale": "No."},
    ),
    "decide on a submitted proposal": (
        "hub_admin",
        "post",
        "/api/v1/funding-decisions/",
        {"proposal": "{submitted}", "outcome": "declined", "rationale": "No."},
    ),
    "open an open call": ("hub_admin", "post", "/api/v1/funding-calls/open-call/open/", {}),
    "start the review of a draft call": (
        "hub_admin",
        "post",
        "/api/v1/funding-calls/draft-call/start_review/",
        {},
    ),
    "change the criteria of an open call": (
        "hub_admin",
        "patch",
        "/api/v1/funding-calls/open-call/",
        {"criteria": [{"name": "Other", "weight": "1"}]},
    ),
    "propose to a call under review": (
        "maintainer",
        "post",
        "/api/v1/proposals/",
        {
            "call": "review-call",
            "title": "Late",
            "team": "T",
            "community": "alpha",
            "products": ["widget"],
        },
    ),
    "comment on a draft": (
        "hub_admin",
        "post",
        "/api/v1/proposals/{draft}/comments/",
        {"body": "Hm."},
    ),
}


@pytest.mark.parametrize("name", OUTSIDE)
def test_a_transition_outside_the_graph_is_a_409_and_changes_nothing(
    request, client_for, world, name
):
    persona, method, path, body = OUTSIDE[name]
    client = client_for(request.getfixturevalue(persona))
    before = snapshot()
    response = getattr(client, method)(path.format(**world), _fill(body, world), format="json")
    assert response.status_code == 409, response.content
    assert response.json()["detail"]
    assert snapshot() == before


def test_withdrawing_twice_is_a_409(client_for, world, maintainer):
    client = client_for(maintainer)
    url = f"/api/v1/proposals/{world['submitted']}/withdraw/"
    assert client.post(url).status_code == 200
    again = client.post(url)
    assert again.status_code == 409
    assert "state 'withdrawn'" in again.json()["detail"]


def test_the_panel_missing_is_named(client_for, world, hub_admin):
    response = client_for(hub_admin).post(
        "/api/v1/funding-decisions/",
        {"proposal": world["under_review"], "outcome": "declined", "rationale": "No."},
        format="json",
    )
    assert response.json()["detail"] == "The panel has not scored this proposal yet: panelist."
