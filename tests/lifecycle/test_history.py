"""Decisions and votes keep their history: opening and closing a decision and casting or
replacing a vote (lifecycle.decisions, and the transitions that call it) leave history
rows saying who did it and what changed."""

from __future__ import annotations

import pytest

from lifecycle import decisions, transitions
from lifecycle.models import Decision, LifecycleRequest, Vote
from products.models import Membership
from spokes.models import Policy
from tests.conftest import make_assessment, make_body, make_product, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def seats(db):
    return [make_user(f"seat{i}") for i in range(3)]


@pytest.fixture
def decision(community, seats, lead):
    make_body(community, seats=seats, requires_vote=True)
    return decisions.open_decision(community=community, subject="Onramp of X", by=lead)


def history_of(model, pk) -> list:
    """The object's history rows, oldest first."""
    return list(model.history.filter(id=pk).order_by("history_date", "history_id"))


def test_opening_a_decision_records_who_opened_it(decision, lead):
    [entry] = history_of(Decision, decision.pk)
    assert (entry.history_type, entry.history_user) == ("+", lead)
    assert (entry.subject, entry.outcome) == ("Onramp of X", "pending")


def test_closing_a_decision_records_the_outcome_and_who_closed_it(decision, hub_admin):
    decisions.close_decision(decision=decision, outcome="rejected", by=hub_admin, rationale="No.")
    opened, closed = history_of(Decision, decision.pk)
    assert (closed.history_type, closed.history_user) == ("~", hub_admin)
    assert (closed.outcome, closed.rationale, closed.closed_by) == ("rejected", "No.", hub_admin)
    assert closed.closed_at == decision.closed_at
    delta = closed.diff_against(opened)
    assert {"outcome", "rationale", "closed_at", "closed_by"} <= set(delta.changed_fields)


def test_closing_a_closed_decision_changes_nothing_and_records_nothing(decision, lead, hub_admin):
    decisions.close_decision(decision=decision, outcome="approved", by=lead, rationale="Yes.")
    decisions.close_decision(decision=decision, outcome="rejected", by=hub_admin)
    assert [h.history_type for h in history_of(Decision, decision.pk)] == ["+", "~"]
    assert Decision.history.filter(id=decision.pk).latest().outcome == "approved"


def test_a_vote_records_who_cast_it_and_a_new_vote_records_the_change(decision, seats):
    vote, _ = decisions.cast_vote(decision=decision, by=seats[0], choice="no")
    decisions.cast_vote(decision=decision, by=seats[0], choice="yes", comment="Convinced.")
    cast, replaced = history_of(Vote, vote.pk)
    assert (cast.history_type, cast.history_user, cast.choice) == ("+", seats[0], "no")
    assert (replaced.history_type, replaced.history_user) == ("~", seats[0])
    assert (replaced.choice, replaced.comment) == ("yes", "Convinced.")
    assert (replaced.decision_id, replaced.seat_id) == (decision.pk, vote.seat_id)
    assert set(replaced.diff_against(cast).changed_fields) >= {"choice", "comment"}


def test_each_seat_holders_vote_has_its_own_history(decision, seats):
    for user, choice in zip(seats, ["yes", "no", "abstain"], strict=True):
        decisions.cast_vote(decision=decision, by=user, choice=choice)
    entries = Vote.history.filter(decision_id=decision.pk)
    assert {(h.history_user, h.choice, h.history_type) for h in entries} == {
        (seats[0], "yes", "+"),
        (seats[1], "no", "+"),
        (seats[2], "abstain", "+"),
    }


# --- Through the request's transitions --------------------------------------------------


@pytest.fixture
def newbie(maintainer, policy_set):
    product = make_product("newbie", maintainers=[maintainer])
    for policy in policy_set.own_policies().filter(level=Policy.Level.MANDATORY):
        make_assessment(product, policy, "full")
    return product


@pytest.fixture
def in_review(newbie, community, maintainer, lead):
    req = transitions.request_create(
        kind="onramp", product=newbie, community=community, by=maintainer
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)
    return req


def test_a_review_opens_a_decision_in_the_reviewers_name(in_review, lead):
    [entry] = history_of(Decision, in_review.decision_id)
    assert (entry.history_type, entry.history_user, entry.outcome) == ("+", lead, "pending")


def test_a_request_records_who_opened_and_moved_it(in_review, maintainer, lead):
    entries = history_of(LifecycleRequest, in_review.pk)
    assert [(h.history_type, h.history_user, h.state) for h in entries] == [
        ("+", maintainer, "draft"),
        ("~", maintainer, "submitted"),
        ("~", lead, "in_review"),
    ]


def test_approval_records_the_decision_and_the_membership_in_the_approvers_name(
    in_review, hub_admin, newbie
):
    transitions.request_approve(request=in_review, by=hub_admin, rationale="Welcome.")
    _opened, closed = history_of(Decision, in_review.decision_id)
    assert (closed.history_type, closed.history_user, closed.outcome) == (
        "~",
        hub_admin,
        "approved",
    )
    membership = Membership.objects.get(product=newbie, state="active")
    [entry] = history_of(Membership, membership.pk)
    assert (entry.history_type, entry.history_user) == ("+", hub_admin)


def test_a_withdrawal_closes_the_decision_in_the_withdrawers_name(in_review, maintainer):
    transitions.request_withdraw(request=in_review, by=maintainer, rationale="Not ready.")
    _opened, closed = history_of(Decision, in_review.decision_id)
    assert (closed.history_type, closed.history_user) == ("~", maintainer)
    assert (closed.outcome, closed.rationale) == ("withdrawn", "Not ready.")


def test_a_deleted_vote_leaves_a_removal_row(decision, seats):
    """Votes are never deleted by a service; a cascade (the decision deleted in the admin)
    still goes through the history signals."""
    vote, _ = decisions.cast_vote(decision=decision, by=seats[0], choice="yes")
    decision_id = decision.pk
    decision.delete()
    assert [h.history_type for h in history_of(Vote, vote.pk)] == ["+", "-"]
    assert [h.history_type for h in history_of(Decision, decision_id)] == ["+", "-"]
