"""The onramp/offramp state machine at the service level (lifecycle.transitions)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from events.errors import TransitionNotAllowed
from events.models import Event
from lifecycle import transitions
from lifecycle.models import Decision, LifecycleRequest
from products.models import Membership
from spokes.models import Policy
from tests.conftest import (
    make_assessment,
    make_body,
    make_dependency,
    make_membership,
    make_product,
    make_user,
)
from tests.lifecycle.expectations import ACTIONS, ALLOWED, MAY, ROLES, STATES

State = LifecycleRequest.State


def assess_all(product, policy_set, status="full"):
    for policy in policy_set.own_policies():
        if policy.level == Policy.Level.MANDATORY:
            make_assessment(product, policy, status)


@pytest.fixture
def newbie(maintainer, policy_set):
    """A product maintained by ``maintainer``, not yet a member, every mandatory policy met."""
    product = make_product("newbie", maintainers=[maintainer])
    assess_all(product, policy_set)
    return product


def make_request(product, community, *, by=None, state="draft", kind="onramp", **fields):
    req = LifecycleRequest.objects.create(
        kind=kind, product=product, community=community, requested_by=by, **fields
    )
    if state != "draft":
        LifecycleRequest.objects.filter(pk=req.pk).update(state=state)
        req.refresh_from_db()
    return req


@pytest.fixture
def persona(request):
    def _get(role):
        if role == "anonymous":
            return AnonymousUser()
        return request.getfixturevalue(role)

    return _get


# --- state x action -------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_and_action_follows_the_diagram(state, action, newbie, community, hub_admin):
    req = make_request(newbie, community, state=state)
    target = ALLOWED.get((state, action))
    if target:
        transitions.perform(action, request=req, by=hub_admin)
        req.refresh_from_db()
        assert req.state == target
    else:
        with pytest.raises(TransitionNotAllowed, match=f"in state '{state}'"):
            transitions.perform(action, request=req, by=hub_admin)
        req.refresh_from_db()
        assert req.state == state


def test_the_refusal_names_the_action_and_the_state(newbie, community, lead):
    req = make_request(newbie, community)
    with pytest.raises(TransitionNotAllowed, match="Cannot approve a request in state 'draft'"):
        transitions.request_approve(request=req, by=lead)


# --- role x action (permission before state) ------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_role_for_every_action(role, action, persona, newbie, community, other_product):
    user = persona(role)
    source = next(s for (s, a) in ALLOWED if a == action)
    req = make_request(newbie, community, state=source)
    if role in MAY[action]:
        transitions.perform(action, request=req, by=user)
        req.refresh_from_db()
        assert req.state == ALLOWED[(source, action)]
    else:
        with pytest.raises(PermissionDenied):
            transitions.perform(action, request=req, by=user)
        req.refresh_from_db()
        assert req.state == source


@pytest.mark.parametrize("role", ["stranger", "other_maintainer", "other_lead", "maintainer"])
def test_permission_is_checked_before_state(role, persona, newbie, community, other_product):
    # A closed request: the state would refuse, but the role is refused first.
    req = make_request(newbie, community, state="approved")
    with pytest.raises(PermissionDenied):
        transitions.request_approve(request=req, by=persona(role))


def test_a_lead_of_another_spoke_cannot_approve(newbie, community, other_lead):
    req = make_request(newbie, community, state="in_review")
    with pytest.raises(PermissionDenied):
        transitions.request_approve(request=req, by=other_lead)


# --- create and update ----------------------------------------------------------------


def test_a_maintainer_opens_a_draft_and_an_event_is_written(maintainer, newbie, community):
    req = transitions.request_create(
        by=maintainer, kind="onramp", product=newbie, community=community, rationale="Ready."
    )
    assert req.state == "draft"
    assert req.requested_by == maintainer
    event = Event.objects.get(verb="request_created")
    assert (event.actor, event.product, event.community, event.request) == (
        maintainer,
        newbie,
        community,
        req,
    )


def test_a_stranger_cannot_open_a_request(stranger, newbie, community):
    with pytest.raises(PermissionDenied):
        transitions.request_create(by=stranger, kind="onramp", product=newbie, community=community)
    assert not LifecycleRequest.objects.exists()


def test_a_product_cannot_succeed_itself(maintainer, product, community):
    with pytest.raises(ValidationError):
        transitions.request_create(
            by=maintainer, kind="offramp", product=product, community=community, successor=product
        )


def test_the_plan_can_be_updated_until_decided(maintainer, lead, product, community):
    successor = make_product("successor")
    req = make_request(product, community, kind="offramp", state="in_review")
    transitions.request_update(
        request=req, by=lead, successor=successor, acknowledge_dependents=True
    )
    req.refresh_from_db()
    assert req.successor == successor and req.acknowledge_dependents
    assert Event.objects.filter(verb="request_updated", request=req).exists()
    LifecycleRequest.objects.filter(pk=req.pk).update(state="rejected")
    with pytest.raises(TransitionNotAllowed, match="state 'rejected'"):
        transitions.request_update(request=req, by=maintainer, migration_notes="Too late")


def test_a_stranger_cannot_update_a_request(stranger, product, community):
    req = make_request(product, community, kind="offramp", state="submitted")
    with pytest.raises(PermissionDenied):
        transitions.request_update(request=req, by=stranger, migration_notes="x")


# --- effects ----------------------------------------------------------------------------


def test_start_review_opens_a_decision_for_the_governance_body(newbie, community, lead):
    body = make_body(community)
    req = make_request(newbie, community, state="submitted")
    transitions.request_start_review(request=req, by=lead)
    req.refresh_from_db()
    assert req.decision.body == body
    assert req.decision.outcome == "pending"
    assert req.decision.subject == str(req)


def test_approving_an_onramp_opens_a_membership_and_closes_the_decision(newbie, community, lead):
    req = make_request(newbie, community, state="submitted")
    transitions.request_start_review(request=req, by=lead)
    transitions.request_approve(request=req, by=lead, rationale="Welcome.")
    membership = Membership.objects.get(product=newbie, community=community)
    assert membership.state == "active"
    assert membership.joined_at == datetime.date.today()
    assert membership.source == f"onramp request #{req.pk}"
    decision = Decision.objects.get(pk=req.decision_id)
    assert decision.outcome == "approved"
    assert decision.rationale == "Welcome."
    assert decision.closed_by == lead and decision.closed_at is not None
    verbs = list(Event.objects.filter(request=req).order_by("id").values_list("verb", flat=True))
    assert verbs == ["review_started", "request_approved", "decision_taken", "onramped"]


def test_approval_requires_every_checklist_item(maintainer, community, lead):
    bare = make_product("bare", maintainers=[maintainer])  # nothing assessed
    req = make_request(bare, community, state="in_review")
    with pytest.raises(TransitionNotAllowed, match="P1"):
        transitions.request_approve(request=req, by=lead)
    req.refresh_from_db()
    assert req.state == "in_review"
    assert not Membership.objects.filter(product=bare).exists()


def test_submitting_with_failing_items_is_allowed(maintainer, community):
    bare = make_product("bare", maintainers=[maintainer])
    req = make_request(bare, community)
    transitions.request_submit(request=req, by=maintainer)
    event = Event.objects.get(verb="request_submitted")
    assert event.data["checklist_passed"] is False
    assert "policies" in event.data["failing"]


def test_approval_waits_for_the_vote_where_the_body_requires_one(newbie, community, lead):
    seats = [make_user(f"seat{i}") for i in range(3)]
    make_body(community, seats=seats, requires_vote=True)
    req = make_request(newbie, community, state="submitted")
    transitions.request_start_review(request=req, by=lead)
    with pytest.raises(TransitionNotAllowed, match="0 of 3 seats voted"):
        transitions.request_approve(request=req, by=lead)
    from lifecycle import decisions

    decision = Decision.objects.get(pk=req.decision_id)
    decisions.cast_vote(decision=decision, by=seats[0], choice="yes")
    decisions.cast_vote(decision=decision, by=seats[1], choice="yes")
    transitions.request_approve(request=req, by=lead)
    assert req.state == "approved"


def test_rejection_needs_no_vote(newbie, community, lead):
    make_body(community, seats=[make_user("s")], requires_vote=True)
    req = make_request(newbie, community, state="submitted")
    transitions.request_start_review(request=req, by=lead)
    transitions.request_reject(request=req, by=lead, rationale="Not yet.")
    req.refresh_from_db()
    assert req.state == "rejected"
    assert req.decision.outcome == "rejected"
    assert req.decision.rationale == "Not yet."


def test_withdrawing_in_review_closes_the_decision_as_withdrawn(
    newbie, community, lead, maintainer
):
    req = make_request(newbie, community, state="submitted")
    transitions.request_start_review(request=req, by=lead)
    transitions.request_withdraw(request=req, by=maintainer)
    req.refresh_from_db()
    assert req.decision.outcome == "withdrawn"
    assert req.decision.closed_by == maintainer


def test_approving_an_offramp_closes_the_membership_with_the_plan(product, community, lead):
    successor = make_product("successor")
    eos = datetime.date.today() + datetime.timedelta(days=365)
    req = make_request(
        product,
        community,
        kind="offramp",
        state="in_review",
        reason="superseded",
        support_organization="E4S",
        end_of_support=eos,
        migration_notes="Move to successor.",
        successor=successor,
    )
    transitions.request_approve(request=req, by=lead)
    membership = Membership.objects.get(product=product, community=community)
    assert membership.state == "offramped"
    assert membership.left_at == datetime.date.today()
    assert membership.support_organization == "E4S"
    assert membership.end_of_support == eos
    assert membership.migration_notes == "Move to successor."
    assert membership.successor == successor
    assert membership.reason == "Superseded"
    assert membership.display_state == "sunsetting"
    assert Event.objects.filter(verb="offramped", request=req).exists()


def test_offramp_is_refused_while_dependents_are_unacknowledged(product, community, lead):
    dependent = make_product("dependent")
    make_membership(dependent, community)
    make_dependency(dependent, product)
    req = make_request(
        product,
        community,
        kind="offramp",
        state="in_review",
        support_organization="Team",
        migration_notes="Notes",
    )
    with pytest.raises(TransitionNotAllowed, match="dependent"):
        transitions.request_approve(request=req, by=lead)
    transitions.request_approve(request=req, by=lead, acknowledge_dependents=True)
    req.refresh_from_db()
    assert req.acknowledge_dependents is True
    event = Event.objects.get(verb="request_approved", request=req)
    assert event.data["dependents"] == ["dependent"]
    assert event.data["acknowledge_dependents"] is True
    assert "acknowledged" in req.decision.rationale


def test_reonramping_an_offramped_product_adds_a_new_row(product, community, lead, policy_set):
    assess_all(product, policy_set)
    off = make_request(
        product,
        community,
        kind="offramp",
        state="in_review",
        support_organization="Team",
        migration_notes="Notes",
    )
    transitions.request_approve(request=off, by=lead)
    on = make_request(product, community, state="in_review")
    transitions.request_approve(request=on, by=lead)
    rows = Membership.objects.filter(product=product, community=community)
    assert sorted(rows.values_list("state", flat=True)) == ["active", "offramped"]


def test_a_transition_writes_history(newbie, community, maintainer):
    req = make_request(newbie, community)
    transitions.request_submit(request=req, by=maintainer)
    assert req.history.first().state == "submitted"
