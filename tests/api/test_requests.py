"""The requests API: CRUD, transitions (state x action, role x action), the checklist,
the onramp and offramp journeys, and concurrent approvals."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from events.models import Event
from lifecycle.models import Decision, LifecycleRequest
from products.models import Membership
from spokes.models import Policy
from tests.conftest import make_assessment, make_body, make_dependency, make_product, make_user
from tests.lifecycle.expectations import ACTIONS, ALLOWED, MAY, ROLES, STATES

# Who may see someone else's draft (the others get 404 for it).
SEES_DRAFTS = {"maintainer", "lead", "hub_admin"}


def list_url():
    return reverse("api-request-list")


def detail_url(req):
    return reverse("api-request-detail", args=[req.pk])


def action_url(req, action):
    return reverse(f"api-request-{action.replace('_', '-')}", args=[req.pk])


def make_request(product, community, *, state="draft", kind="onramp", by=None, **fields):
    req = LifecycleRequest.objects.create(
        kind=kind, product=product, community=community, requested_by=by, **fields
    )
    if state != "draft":
        LifecycleRequest.objects.filter(pk=req.pk).update(state=state)
        req.refresh_from_db()
    return req


def assess(product, policy_set, status="full"):
    for policy in policy_set.own_policies().filter(level=Policy.Level.MANDATORY):
        make_assessment(product, policy, status)


@pytest.fixture
def newbie(maintainer, policy_set):
    product = make_product("newbie", maintainers=[maintainer])
    assess(product, policy_set)
    return product


@pytest.fixture
def as_role(request, client_for):
    def _client(role):
        user = None if role == "anonymous" else request.getfixturevalue(role)
        return client_for(user)

    return _client


# --- state x action through the API ---------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_state_x_action(state, action, newbie, community, hub_admin, client_for):
    req = make_request(newbie, community, state=state)
    response = client_for(hub_admin).post(action_url(req, action), {"rationale": "r"})
    target = ALLOWED.get((state, action))
    if target:
        assert response.status_code == 200, response.data
        assert response.data["state"] == target
    else:
        assert response.status_code == 409
        assert f"in state '{state}'" in response.data["detail"]
        req.refresh_from_db()
        assert req.state == state


def test_a_409_message_names_the_state(newbie, community, lead, client_for):
    req = make_request(newbie, community, state="submitted")
    response = client_for(lead).post(action_url(req, "approve"))
    assert response.status_code == 409
    assert response.data["detail"] == "Cannot approve a request in state 'submitted'."


# --- role x action through the API (permission before state) ---------------------------


def expected_status(role, action, state):
    if role == "anonymous":
        return 401
    if role in MAY[action]:
        return 200 if (state, action) in ALLOWED else 409
    if state == "draft" and role not in SEES_DRAFTS:
        return 404
    return 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_x_action_from_the_source_state(role, action, as_role, newbie, community):
    source = "submitted" if action == "withdraw" else next(s for s, a in ALLOWED if a == action)
    req = make_request(newbie, community, state=source)
    response = as_role(role).post(action_url(req, action))
    assert response.status_code == expected_status(role, action, source), response.data
    if response.status_code != 200:
        req.refresh_from_db()
        assert req.state == source


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_x_action_on_a_closed_request(role, action, as_role, newbie, community):
    req = make_request(newbie, community, state="approved")
    response = as_role(role).post(action_url(req, action))
    assert response.status_code == expected_status(role, action, "approved")


# --- create, read, update -------------------------------------------------------------


def test_a_maintainer_creates_a_request(maintainer, newbie, community, client_for):
    response = client_for(maintainer).post(
        list_url(),
        {"kind": "onramp", "product": "newbie", "community": "alpha", "rationale": "Ready"},
    )
    assert response.status_code == 201, response.data
    data = response.data
    for name in (
        "id",
        "kind",
        "product",
        "community",
        "state",
        "rationale",
        "requested_by",
        "reason",
        "successor",
        "support_organization",
        "end_of_support",
        "migration_notes",
        "acknowledge_dependents",
        "decision",
        "created_at",
        "updated_at",
    ):
        assert name in data
    assert (data["product"], data["community"], data["state"]) == ("newbie", "alpha", "draft")
    assert data["requested_by"] == "maintainer"
    assert response["Location"] == f"http://testserver/requests/{data['id']}/"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "onramp", "product": "nope", "community": "alpha"}, "product"),
        ({"kind": "onramp", "product": "newbie", "community": "nope"}, "community"),
        ({"kind": "sideways", "product": "newbie", "community": "alpha"}, "kind"),
        ({"product": "newbie", "community": "alpha"}, "kind"),
        (
            {"kind": "offramp", "product": "newbie", "community": "alpha", "successor": "newbie"},
            "successor",
        ),
        (
            {"kind": "offramp", "product": "newbie", "community": "alpha", "end_of_support": "x"},
            "end_of_support",
        ),
    ],
)
def test_bad_input_is_a_400_with_field_errors(
    body, field, maintainer, newbie, community, client_for
):
    response = client_for(maintainer).post(list_url(), body)
    assert response.status_code == 400
    assert field in response.data
    assert not LifecycleRequest.objects.exists()


def test_an_offramp_from_a_community_without_membership_is_created_but_fails(
    maintainer, newbie, community, client_for
):
    client = client_for(maintainer)
    response = client.post(
        list_url(), {"kind": "offramp", "product": "newbie", "community": "alpha"}
    )
    assert response.status_code == 201
    checklist = client.get(reverse("api-request-checklist", args=[response.data["id"]])).data
    assert not checklist["passed"]
    failing = {i["key"] for i in checklist["items"] if not i["passed"]}
    assert "active_membership" in failing


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("stranger", 403), ("other_lead", 403)]
)
def test_only_maintainers_leads_and_admins_create(role, status, as_role, newbie, community):
    response = as_role(role).post(
        list_url(), {"kind": "onramp", "product": "newbie", "community": "alpha"}
    )
    assert response.status_code == status
    assert not LifecycleRequest.objects.exists()


@pytest.mark.parametrize("role", ["lead", "hub_admin"])
def test_a_lead_or_admin_may_open_a_request(role, request, as_role, newbie, community):
    user = request.getfixturevalue(role)
    response = as_role(role).post(
        list_url(), {"kind": "onramp", "product": "newbie", "community": "alpha"}
    )
    assert response.status_code == 201, response.data
    created = LifecycleRequest.objects.get()
    assert created.pk == response.data["id"]
    assert (created.kind, created.product, created.community, created.state) == (
        "onramp",
        newbie,
        community,
        "draft",
    )
    assert created.requested_by == user
    event = Event.objects.get(request=created)
    assert (event.verb, event.actor) == ("request_created", user)


def test_drafts_are_hidden_from_others(
    newbie, community, maintainer, stranger, client_for, api_client
):
    draft = make_request(newbie, community, by=maintainer)
    public = make_request(newbie, community, state="submitted")
    for client in (api_client, client_for(stranger)):
        ids = [r["id"] for r in client.get(list_url()).data["results"]]
        assert ids == [public.pk]
        assert client.get(detail_url(draft)).status_code == 404
    ids = [r["id"] for r in client_for(maintainer).get(list_url()).data["results"]]
    assert sorted(ids) == sorted([draft.pk, public.pk])


def test_the_requester_sees_their_own_draft(newbie, community, client_for):
    requester = make_user("requester")
    draft = make_request(newbie, community, by=requester)
    assert client_for(requester).get(detail_url(draft)).status_code == 200


def test_filters(newbie, product, community, other_community, api_client):
    a = make_request(newbie, community, state="submitted")
    b = make_request(product, community, kind="offramp", state="in_review")
    c = make_request(newbie, other_community, state="approved")

    def ids(query):
        response = api_client.get(list_url(), query)
        assert response.status_code == 200
        return sorted(r["id"] for r in response.data["results"])

    assert ids({"kind": "offramp"}) == [b.pk]
    assert ids({"state": "approved"}) == [c.pk]
    assert ids({"community": "alpha"}) == sorted([a.pk, b.pk])
    assert ids({"product": "newbie"}) == sorted([a.pk, c.pk])
    assert api_client.get(list_url(), {"state": "bogus"}).status_code == 400


def test_csv_export(newbie, community, api_client):
    make_request(newbie, community, state="submitted")
    response = api_client.get(list_url(), {"format": "csv"})
    assert response.status_code == 200
    assert response.content.decode().splitlines()[0].startswith("id,kind,product,community,state")


def test_list_query_count_does_not_grow_with_rows(newbie, community, api_client, maintainer):
    def count(n):
        LifecycleRequest.objects.all().delete()
        for _ in range(n):
            make_request(newbie, community, state="submitted", by=maintainer)
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get(list_url(), {"page_size": 100})
        assert response.status_code == 200
        assert len(response.data["results"]) == n
        return len(ctx)

    assert count(3) == count(15)


def test_patch_sets_the_successor_and_the_acknowledgement(
    product, community, maintainer, client_for
):
    make_product("heir")
    req = make_request(product, community, kind="offramp", state="submitted")
    response = client_for(maintainer).patch(
        detail_url(req), {"successor": "heir", "acknowledge_dependents": True}
    )
    assert response.status_code == 200, response.data
    assert response.data["successor"] == "heir"
    assert response.data["acknowledge_dependents"] is True
    req.refresh_from_db()
    assert (req.successor.slug, req.acknowledge_dependents) == ("heir", True)


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("stranger", 403), ("other_lead", 403)]
)
def test_patch_is_refused_to_others(role, status, as_role, product, community):
    req = make_request(product, community, kind="offramp", state="submitted")
    response = as_role(role).patch(detail_url(req), {"migration_notes": "x"})
    assert response.status_code == status
    req.refresh_from_db()
    assert req.migration_notes == ""


def test_patch_after_the_decision_is_409(product, community, lead, client_for):
    req = make_request(product, community, kind="offramp", state="approved")
    before = LifecycleRequest.objects.values().get(pk=req.pk)
    response = client_for(lead).patch(detail_url(req), {"migration_notes": "x"})
    assert response.status_code == 409
    assert LifecycleRequest.objects.values().get(pk=req.pk) == before
    assert before["migration_notes"] == ""
    assert not Event.objects.filter(request=req).exists()


def test_patch_with_an_unknown_successor_is_400(product, community, lead, client_for):
    req = make_request(product, community, kind="offramp", state="submitted")
    before = LifecycleRequest.objects.values().get(pk=req.pk)
    response = client_for(lead).patch(detail_url(req), {"successor": "nope"})
    assert response.status_code == 400
    assert "successor" in response.data
    assert LifecycleRequest.objects.values().get(pk=req.pk) == before
    assert not Event.objects.filter(request=req).exists()


def test_put_is_not_offered(product, community, lead, client_for):
    req = make_request(product, community, kind="offramp", state="submitted")
    assert client_for(lead).put(detail_url(req), {}).status_code == 405


def test_a_stale_if_match_is_412(product, community, lead, client_for):
    req = make_request(product, community, kind="offramp", state="submitted")
    client = client_for(lead)
    etag = client.get(detail_url(req))["ETag"]
    assert (
        client.patch(detail_url(req), {"migration_notes": "a"}, HTTP_IF_MATCH=etag).status_code
        == 200
    )
    response = client.patch(detail_url(req), {"migration_notes": "b"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412


# --- journeys ---------------------------------------------------------------------------


def test_full_onramp_journey(maintainer, lead, community, policy_set, client_for, stranger):
    seats = [make_user(f"seat{i}") for i in range(3)]
    make_body(community, seats=seats, requires_vote=True)  # quorum 0.5, threshold 0.5
    product = make_product("newbie", maintainers=[maintainer])
    owner, reviewer = client_for(maintainer), client_for(lead)

    # 1. The maintainer opens a draft; nothing is assessed yet, so the checklist fails.
    response = owner.post(list_url(), {"kind": "onramp", "product": "newbie", "community": "alpha"})
    assert response.status_code == 201
    req_id = response.data["id"]
    checklist_url = reverse("api-request-checklist", args=[req_id])
    checklist = owner.get(checklist_url).data
    assert checklist["passed"] is False
    policies = next(i for i in checklist["items"] if i["key"] == "policies")
    assert "P1" in policies["detail"] and "P2" in policies["detail"]

    # 2. Submitting with failing items is allowed; the lead starts review.
    req = LifecycleRequest.objects.get(pk=req_id)
    assert owner.post(action_url(req, "submit"), {"rationale": "Please"}).status_code == 200
    response = reviewer.post(action_url(req, "start_review"))
    assert response.status_code == 200
    decision_id = response.data["decision"]
    assert decision_id is not None

    # 3. Approval is refused while the checklist fails ...
    response = reviewer.post(action_url(req, "approve"))
    assert response.status_code == 409
    assert "checklist" in response.data["detail"] and "P1" in response.data["detail"]

    # 4. ... the team completes the assessments: the checklist passes ...
    assess(product, policy_set)
    assert owner.get(checklist_url).data["passed"] is True

    # 5. ... but the body requires a vote: refused with the tally until quorum is met.
    response = reviewer.post(action_url(req, "approve"))
    assert response.status_code == 409
    assert "0 of 3 seats voted" in response.data["detail"]
    votes_url = reverse("api-decision-votes", args=[decision_id])
    assert client_for(stranger).post(votes_url, {"choice": "yes"}).status_code == 403
    assert client_for(seats[0]).post(votes_url, {"choice": "yes"}).status_code == 201
    assert reviewer.post(action_url(req, "approve")).status_code == 409  # 1 of 3 < 50%
    assert client_for(seats[1]).post(votes_url, {"choice": "no"}).status_code == 201
    changed = client_for(seats[1]).post(votes_url, {"choice": "yes", "comment": "Convinced"})
    assert changed.status_code == 200  # replaced
    decision = client_for(None).get(reverse("api-decision-detail", args=[decision_id])).data
    assert decision["tally"] == {"yes": 2, "no": 0, "abstain": 0}
    assert decision["quorum_met"] and decision["threshold_met"]

    # 6. Approve: the membership is active.
    response = reviewer.post(action_url(req, "approve"), {"rationale": "Welcome"})
    assert response.status_code == 200
    assert response.data["state"] == "approved"
    membership = Membership.objects.get(product=product, community=community)
    assert membership.state == "active"
    assert membership.joined_at == datetime.date.today()
    assert membership.source == f"onramp request #{req_id}"
    decision = Decision.objects.get(pk=decision_id)
    assert (decision.outcome, decision.rationale, decision.closed_by) == (
        "approved",
        "Welcome",
        lead,
    )
    # Voting is now closed.
    assert client_for(seats[2]).post(votes_url, {"choice": "no"}).status_code == 409

    # 7. The events tell the story in order, each tied to actor, product, community, request.
    events = Event.objects.filter(request_id=req_id).order_by("created_at", "id")
    assert [e.verb for e in events] == [
        "request_created",
        "request_submitted",
        "review_started",
        "vote_cast",
        "vote_cast",
        "vote_cast",
        "request_approved",
        "decision_taken",
        "onramped",
    ]
    assert all(e.product == product and e.community == community for e in events)
    assert [e.actor.username for e in events] == [
        "maintainer",
        "maintainer",
        "lead",
        "seat0",
        "seat1",
        "seat1",
        "lead",
        "lead",
        "lead",
    ]


def test_full_offramp_journey_with_an_active_dependent(
    product, other_product, community, maintainer, lead, client_for, api_client
):
    make_dependency(other_product, product)  # gadget (active in beta) needs widget
    heir = make_product("heir")
    owner, reviewer = client_for(maintainer), client_for(lead)
    eos = (datetime.date.today() + datetime.timedelta(days=180)).isoformat()

    response = owner.post(
        list_url(),
        {
            "kind": "offramp",
            "product": "widget",
            "community": "alpha",
            "reason": "superseded",
            "support_organization": "E4S",
            "end_of_support": eos,
            "migration_notes": "Switch to heir.",
        },
    )
    assert response.status_code == 201, response.data
    req = LifecycleRequest.objects.get(pk=response.data["id"])
    checklist = owner.get(reverse("api-request-checklist", args=[req.pk])).data
    assert checklist["dependents"] == ["gadget"]
    assert owner.post(action_url(req, "submit")).status_code == 200
    assert reviewer.post(action_url(req, "start_review")).status_code == 200

    # Refused without a successor or an acknowledgement.
    response = reviewer.post(action_url(req, "approve"))
    assert response.status_code == 409
    assert "gadget" in response.data["detail"]
    assert Membership.objects.get(product=product, community=community).state == "active"

    # Accepted with a successor named in the approve body.
    response = reviewer.post(action_url(req, "approve"), {"successor": "heir", "rationale": "OK"})
    assert response.status_code == 200, response.data
    assert response.data["successor"] == "heir"

    membership = Membership.objects.get(product=product, community=community)
    assert membership.state == "offramped"
    assert membership.left_at == datetime.date.today()
    assert membership.support_organization == "E4S"
    assert membership.end_of_support.isoformat() == eos
    assert membership.migration_notes == "Switch to heir."
    assert membership.successor == heir
    assert membership.display_state == "sunsetting"
    req.refresh_from_db()
    decision = Decision.objects.get(pk=req.decision_id)
    assert "Successor: heir." in decision.rationale and "gadget" in decision.rationale
    approved = Event.objects.get(verb="request_approved", request=req)
    assert approved.data["successor"] == "heir" and approved.data["dependents"] == ["gadget"]
    assert Event.objects.filter(verb="offramped", request=req).exists()

    # The history row stays: in the product API and on the product page.
    assert Membership.objects.filter(product=product).count() == 1
    api = api_client.get(reverse("api-product-detail", args=["widget"]))
    assert api.status_code == 200
    row = next(m for m in api.data["memberships"] if m["community"] == "alpha")
    assert row["state"] == "sunsetting"  # offramped, end of support still ahead
    assert str(row["left_at"]) == datetime.date.today().isoformat()
    page = api_client.get(reverse("products:detail", args=["widget"]))
    assert page.status_code == 200
    assert "Alpha SDK" in page.content.decode()


def test_offramp_accepted_with_an_acknowledgement_set_by_patch(
    product, other_product, community, maintainer, lead, client_for
):
    make_dependency(other_product, product)
    req = make_request(
        product,
        community,
        kind="offramp",
        state="in_review",
        support_organization="Team",
        migration_notes="Notes",
    )
    assert client_for(lead).post(action_url(req, "approve")).status_code == 409
    patch = client_for(maintainer).patch(detail_url(req), {"acknowledge_dependents": True})
    assert patch.status_code == 200
    assert client_for(lead).post(action_url(req, "approve")).status_code == 200


def test_approve_body_with_an_unknown_successor_is_400(product, community, lead, client_for):
    req = make_request(product, community, kind="offramp", state="in_review")
    response = client_for(lead).post(action_url(req, "approve"), {"successor": "nope"})
    assert response.status_code == 400
    assert "successor" in response.data


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_approvals_apply_once(newbie, community, lead):
    req = make_request(newbie, community, state="in_review")
    url = action_url(req, "approve")
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def approve():
        try:
            client = APIClient()
            client.force_authenticate(lead)
            barrier.wait()
            response = client.post(url, {"rationale": "go"})
            with lock:
                statuses.append(response.status_code)
        except BaseException as exc:  # surfaced below; a thread must not die silently
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(statuses) == [200] + [409] * 19
    assert Membership.objects.filter(product=newbie, community=community).count() == 1
    assert Event.objects.filter(verb="onramped").count() == 1
    assert Decision.objects.filter(outcome="approved").count() == 1
