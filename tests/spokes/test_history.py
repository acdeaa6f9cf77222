"""Roles and seats keep their history: each grant, revoke and seat change made through
spokes.services leaves a history row saying who did it, what the row was, and how it
changed ('+' created, '~' changed, '-' removed)."""

from __future__ import annotations

import datetime

import pytest

from spokes import services
from spokes.models import CommunityRole, Seat
from tests.conftest import make_body, make_user

pytestmark = pytest.mark.django_db

REVIEWER = CommunityRole.Role.REVIEWER


def test_granting_a_role_records_who_gave_it_to_whom(lead, community):
    reviewer = make_user("reviewer")
    row, created = services.grant_role(user=reviewer, community=community, role=REVIEWER, by=lead)
    assert created
    [entry] = CommunityRole.history.filter(id=row.pk)
    assert (entry.history_type, entry.history_user) == ("+", lead)
    assert (entry.user, entry.community, entry.role) == (reviewer, community, REVIEWER)


def test_granting_a_role_already_held_records_nothing(lead, community):
    reviewer = make_user("reviewer")
    services.grant_role(user=reviewer, community=community, role=REVIEWER, by=lead)
    _row, created = services.grant_role(user=reviewer, community=community, role=REVIEWER, by=lead)
    assert not created
    assert CommunityRole.history.filter(user=reviewer).count() == 1


def test_a_role_granted_at_the_shell_has_no_history_user(community):
    reviewer = make_user("reviewer")
    row, _ = services.grant_role(user=reviewer, community=community, role=REVIEWER)
    entry = CommunityRole.history.get(id=row.pk)
    assert (entry.history_type, entry.history_user) == ("+", None)


def test_revoking_a_role_leaves_a_removal_row_with_who_lost_what(lead, hub_admin, community):
    reviewer = make_user("reviewer")
    row, _ = services.grant_role(user=reviewer, community=community, role=REVIEWER, by=lead)
    role_id = row.pk
    services.revoke_role(role=row, by=hub_admin)
    assert not CommunityRole.objects.filter(pk=role_id).exists()
    removal, grant = CommunityRole.history.filter(id=role_id)  # newest first
    assert (grant.history_type, grant.history_user) == ("+", lead)
    assert (removal.history_type, removal.history_user) == ("-", hub_admin)
    assert (removal.user, removal.community, removal.role) == (reviewer, community, REVIEWER)


# --- Seats -----------------------------------------------------------------------------


@pytest.fixture
def holders(db):
    return [make_user(f"holder{i}") for i in range(3)]


def set_seats(community, by, seats: list[dict]) -> None:
    services.update_community(community=community, by=by, governance={"seats": seats})


def seat_history(user) -> list:
    """The history rows of ``user``'s seat, oldest first."""
    return list(Seat.history.filter(user=user).order_by("history_date", "history_id"))


def test_new_seats_are_recorded_as_created_by_whoever_set_them(lead, community, holders):
    make_body(community)
    set_seats(community, lead, [{"user": u, "represents": "stakeholder"} for u in holders[:2]])
    for holder in holders[:2]:
        [entry] = seat_history(holder)
        assert (entry.history_type, entry.history_user) == ("+", lead)
        assert entry.id == Seat.objects.get(user=holder).pk
        assert (entry.body_id, entry.represents) == (community.governance.pk, "stakeholder")


def test_a_changed_seat_records_the_change_and_keeps_the_old_values(lead, community, holders):
    body = make_body(community, seats=holders[:1])
    seat = Seat.objects.get(body=body, user=holders[0])
    end = datetime.date(2030, 6, 30)
    set_seats(
        community,
        lead,
        [{"user": holders[0], "represents": "lead", "represents_name": "ACME", "term_end": end}],
    )
    created, changed = seat_history(holders[0])
    assert created.history_type == "+"
    assert (changed.history_type, changed.history_user, changed.id) == ("~", lead, seat.pk)
    assert (changed.represents, changed.represents_name, changed.term_end) == ("lead", "ACME", end)
    delta = changed.diff_against(created)
    assert set(delta.changed_fields) == {"represents", "represents_name", "term_end"}
    assert created.term_end is None


def test_an_unchanged_seat_records_nothing(lead, community, holders):
    make_body(community, seats=holders[:1])
    set_seats(community, lead, [{"user": holders[0], "represents": "product_team"}])
    assert [h.history_type for h in seat_history(holders[0])] == ["+"]


def test_a_removed_seat_leaves_a_removal_row(lead, community, holders):
    body = make_body(community, seats=holders[:2])
    gone = Seat.objects.get(body=body, user=holders[1])
    set_seats(community, lead, [{"user": holders[0]}])
    assert not Seat.objects.filter(pk=gone.pk).exists()
    created, removed = seat_history(holders[1])
    assert created.history_type == "+"
    assert (removed.history_type, removed.history_user, removed.id) == ("-", lead, gone.pk)
    assert removed.body_id == body.pk
    # The kept seat did not change.
    assert [h.history_type for h in seat_history(holders[0])] == ["+"]
