"""Governance decisions and votes (lifecycle.decisions)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events.errors import TransitionNotAllowed
from events.models import Event
from lifecycle import decisions
from lifecycle.decisions import Tally
from lifecycle.models import Decision, Vote
from tests.conftest import make_body, make_user


@pytest.fixture
def seats(db):
    return [make_user(f"seat{i}") for i in range(4)]


@pytest.fixture
def decision(community, seats):
    make_body(community, seats=seats, requires_vote=True)
    return decisions.open_decision(community=community, subject="Onramp of X into Alpha")


def test_a_decision_is_opened_for_the_communitys_body(decision, community):
    assert decision.body == community.governance
    assert decision.outcome == "pending"


def test_a_community_without_a_body_gets_a_decision_without_one(other_community):
    decision = decisions.open_decision(community=other_community, subject="x")
    assert decision.body is None
    assert decisions.approval_blocker(decision) is None


def test_a_seat_holder_votes_once_and_a_new_vote_replaces_the_old(decision, seats):
    _vote, created = decisions.cast_vote(decision=decision, by=seats[0], choice="no")
    assert created
    _vote, created = decisions.cast_vote(
        decision=decision, by=seats[0], choice="yes", comment="Convinced."
    )
    assert not created
    assert Vote.objects.get(decision=decision).choice == "yes"
    assert Vote.objects.count() == 1
    events = Event.objects.filter(verb="vote_cast")
    assert events.count() == 2
    assert events.first().data["replaced"] is True


def test_someone_without_a_seat_cannot_vote(decision, stranger, lead):
    for user in (stranger, lead):
        with pytest.raises(PermissionDenied):
            decisions.cast_vote(decision=decision, by=user, choice="yes")
    assert not Vote.objects.exists()


def test_a_bad_choice_is_a_validation_error(decision, seats):
    with pytest.raises(ValidationError):
        decisions.cast_vote(decision=decision, by=seats[0], choice="maybe")


def test_no_vote_once_the_decision_is_closed(decision, seats, lead):
    decisions.close_decision(decision=decision, outcome="rejected", by=lead, rationale="No.")
    with pytest.raises(TransitionNotAllowed, match="rejected"):
        decisions.cast_vote(decision=decision, by=seats[0], choice="yes")


def test_close_records_outcome_rationale_time_and_who(decision, lead):
    decisions.close_decision(decision=decision, outcome="approved", by=lead, rationale="Yes.")
    decision.refresh_from_db()
    assert (decision.outcome, decision.rationale, decision.closed_by) == ("approved", "Yes.", lead)
    assert decision.closed_at is not None


def test_the_tally_counts_each_choice(decision, seats):
    for user, choice in zip(seats, ["yes", "yes", "no", "abstain"], strict=True):
        decisions.cast_vote(decision=decision, by=user, choice=choice)
    result = decisions.tally(Decision.objects.get(pk=decision.pk))
    assert result.as_dict() == {"yes": 2, "no": 1, "abstain": 1}
    assert result.seats == 4 and result.cast == 4


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "quorum_met", "threshold_met"),
    [
        (0, 0, 0, False, False),
        (1, 0, 0, False, True),  # 1 of 4 < 0.5
        (1, 1, 0, True, True),  # 2 of 4 = 0.5; 1/2 = 0.5
        (0, 0, 2, True, False),  # only abstentions: no yes-or-no, threshold not met
        (1, 2, 0, True, False),
        (3, 1, 0, True, True),
    ],
)
def test_quorum_and_threshold(yes, no, abstain, quorum_met, threshold_met):
    t = Tally(
        yes=yes,
        no=no,
        abstain=abstain,
        seats=4,
        quorum=Decimal("0.5"),
        threshold=Decimal("0.5"),
        requires_vote=True,
    )
    assert (t.quorum_met, t.threshold_met) == (quorum_met, threshold_met)


def test_a_body_with_no_seats_never_meets_quorum():
    assert not Tally(yes=0, seats=0, quorum=Decimal("0")).quorum_met


def test_the_blocker_explains_the_tally_and_what_is_needed(decision, seats):
    decisions.cast_vote(decision=decision, by=seats[0], choice="yes")
    message = decisions.approval_blocker(Decision.objects.get(pk=decision.pk))
    assert "1 of 4 seats voted" in message
    assert "50% of seats" in message and "not met" in message
    decisions.cast_vote(decision=decision, by=seats[1], choice="yes")
    assert decisions.approval_blocker(Decision.objects.get(pk=decision.pk)) is None


def test_no_blocker_where_the_body_does_not_require_a_vote(other_community):
    make_body(other_community, requires_vote=False)
    decision = decisions.open_decision(community=other_community, subject="x")
    assert decisions.approval_blocker(decision) is None


def test_a_seat_whose_term_has_ended_neither_votes_nor_counts_toward_quorum(decision, seats):
    import datetime

    from spokes.models import Seat

    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    Seat.objects.filter(user=seats[3]).update(term_end=yesterday)
    with pytest.raises(PermissionDenied):
        decisions.cast_vote(decision=decision, by=seats[3], choice="yes")
    assert decisions.tally(decision).seats == 3
    listed = Decision.objects.for_list().get(pk=decision.pk)
    assert listed.seat_count == 3
    # Two of the three current seats meet a quorum of one half.
    for user in seats[:2]:
        decisions.cast_vote(decision=decision, by=user, choice="yes")
    assert decisions.approval_blocker(decision) is None
