# ruff: noqa: F811
"""Waivers (products.waivers, products.access): who may grant and revoke, what a grant
checks, and the expiry events written by ``record_waiver_expiries``."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from events.errors import TransitionNotAllowed
from events.log import Verb
from events.models import Event
from products import access
from products.models import Waiver
from products.waivers import grant_waiver, held_policy_sets, record_expiries, revoke_waiver
from tests.conftest import make_policy, make_policy_set, make_product

# The shared world's fixtures, named again as test parameters (hence F811).
from tests.waiver_world import a1, e1, e4s, hub, hub_lead, in_days, owned_set  # noqa: F401

pytestmark = pytest.mark.django_db


def grant(product, policy, by, **overrides) -> Waiver:
    fields = {"reason": "Tests run on the vendor's machine only.", "expires_on": in_days(30)}
    fields.update(overrides)
    return grant_waiver(product=product, policy=policy, by=by, **fields)


@pytest.mark.parametrize(
    "persona, allowed",
    [
        ("stranger", False),
        ("maintainer", False),
        ("other_lead", False),
        ("hub_lead", False),
        ("lead", True),
        ("hub_admin", True),
    ],
)
def test_who_may_waive_a_policy_of_a_communitys_own_set(request, product, a1, persona, allowed):
    user = request.getfixturevalue(persona)
    assert access.can_grant_waiver(user, product, a1) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            grant(product, a1, user)
        assert not Waiver.objects.exists()
        assert not Event.objects.filter(verb=Verb.WAIVER_GRANTED).exists()
    else:
        assert grant(product, a1, user).granted_by == user


@pytest.mark.parametrize(
    "persona, allowed",
    [("stranger", False), ("lead", False), ("other_lead", False), ("hub_lead", True)],
)
def test_only_hub_leads_and_admins_waive_the_hubs_own_set(
    request, product, owned_set, e1, persona, allowed
):
    user = request.getfixturevalue(persona)
    assert access.can_grant_waiver(user, product, e1) is allowed


def test_anonymous_may_not_waive(product, a1):
    from django.contrib.auth.models import AnonymousUser

    assert not access.can_grant_waiver(AnonymousUser(), product, a1)
    assert not access.may_grant_waivers(AnonymousUser())


def test_a_grant_is_an_event_with_history(product, a1, lead):
    waiver = grant(product, a1, lead)
    assert waiver.in_force
    assert list(Waiver.objects.current()) == [waiver]
    event = Event.objects.get(verb=Verb.WAIVER_GRANTED)
    assert event.actor == lead and event.product == product
    assert event.data["policy"] == "A1" and event.data["policy_set"] == "alpha-set"
    assert event.data["expires_on"] == waiver.expires_on.isoformat()
    assert waiver.history.get().history_user == lead


def test_a_grant_needs_a_reason(product, a1, lead):
    with pytest.raises(ValidationError) as err:
        grant(product, a1, lead, reason="   ")
    assert "reason" in err.value.message_dict
    assert not Waiver.objects.exists()


@pytest.mark.parametrize("days", [0, -1])
def test_a_grant_must_expire_after_today(product, a1, lead, days):
    with pytest.raises(ValidationError) as err:
        grant(product, a1, lead, expires_on=in_days(days))
    assert "expires_on" in err.value.message_dict


def test_only_a_policy_the_product_is_held_to_may_be_waived(product, owned_set, lead):
    elsewhere = make_policy_set("elsewhere", owner=owned_set.owner)
    stray = make_policy(elsewhere, "Z1")
    with pytest.raises(ValidationError) as err:
        grant(product, stray, lead)
    assert "policy" in err.value.message_dict


def test_a_product_is_held_to_its_communities_sets_and_the_hubs(product, owned_set, e4s):
    assert [ps.slug for ps in held_policy_sets(product)] == ["alpha-set", "e4s"]
    assert [ps.slug for ps in held_policy_sets(make_product("loner"))] == ["e4s"]


def test_an_inherited_policy_is_held_to_and_waived_by_the_hub(product, owned_set, e1, hub_lead):
    waiver = grant(product, e1, hub_lead)
    assert waiver.policy.policy_set.slug == "e4s"


def test_one_waiver_in_force_per_product_and_policy(product, a1, lead):
    grant(product, a1, lead)
    with pytest.raises(TransitionNotAllowed):
        grant(product, a1, lead)
    assert Waiver.objects.count() == 1


def test_revoking_ends_the_waiver_and_is_an_event(product, a1, lead, other_lead, hub_admin):
    waiver = grant(product, a1, lead)
    with pytest.raises(PermissionDenied):
        revoke_waiver(waiver=waiver, by=other_lead)
    waiver.refresh_from_db()
    assert waiver.revoked_at is None
    revoke_waiver(waiver=waiver, by=hub_admin)
    waiver.refresh_from_db()
    assert waiver.revoked_at is not None and not waiver.in_force
    assert not Waiver.objects.current().exists()
    event = Event.objects.get(verb=Verb.WAIVER_REVOKED)
    assert event.actor == hub_admin and event.data["waiver"] == waiver.pk
    assert waiver.history.first().history_user == hub_admin
    with pytest.raises(TransitionNotAllowed):
        revoke_waiver(waiver=waiver, by=hub_admin)


def test_expiry_is_recorded_once_whatever_the_number_of_runs(product, a1, lead):
    waiver = grant(product, a1, lead, expires_on=in_days(10))
    expires = waiver.expires_on
    # On its last day it is still in force: nothing to record.
    assert record_expiries(on=expires) == 0
    assert Waiver.objects.current(on=expires).exists()
    # The day after, it has expired: one event, then none on later runs.
    day_after = expires + datetime.timedelta(days=1)
    assert not Waiver.objects.current(on=day_after).exists()
    assert record_expiries(on=day_after) == 1
    assert record_expiries(on=day_after) == 0
    assert record_expiries(on=day_after + datetime.timedelta(days=40)) == 0
    event = Event.objects.get(verb=Verb.WAIVER_EXPIRED)
    assert event.product == product and event.actor is None
    assert event.data["policy"] == "A1"
    waiver.refresh_from_db()
    assert waiver.expiry_recorded


def test_a_revoked_waiver_does_not_expire(product, a1, lead):
    waiver = grant(product, a1, lead, expires_on=in_days(2))
    revoke_waiver(waiver=waiver, by=lead)
    assert record_expiries(on=in_days(5)) == 0
    assert not Event.objects.filter(verb=Verb.WAIVER_EXPIRED).exists()


def test_the_daily_command_records_expiries_idempotently(product, a1, lead):
    grant(product, a1, lead, expires_on=in_days(3))
    on = in_days(4).isoformat()
    out = io.StringIO()
    call_command("record_waiver_expiries", "--on", on, stdout=out)
    assert "1 waiver expiry recorded" in out.getvalue()
    out = io.StringIO()
    call_command("record_waiver_expiries", "--on", on, stdout=out)
    assert "0 waiver expiries recorded" in out.getvalue()
    assert Event.objects.filter(verb=Verb.WAIVER_EXPIRED).count() == 1
    # Today the waiver is still in force: a plain run records nothing.
    call_command("record_waiver_expiries", stdout=io.StringIO())
    assert Event.objects.filter(verb=Verb.WAIVER_EXPIRED).count() == 1
