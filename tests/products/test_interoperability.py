"""Interoperability confirmed by a lead with evidence (products.interoperability)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events.log import Verb
from events.models import Event
from products import access
from products.interoperability import confirm_interoperability
from products.models import Interoperability
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

EVIDENCE = "https://ci.example.org/widget-gadget/42"


def confirm(product, partner, by, **overrides):
    fields = {"evidence_url": EVIDENCE, "note": "Builds and runs together."}
    fields.update(overrides)
    return confirm_interoperability(product=product, partner=partner, by=by, **fields)


@pytest.mark.parametrize(
    "persona, allowed",
    [
        ("stranger", False),
        ("maintainer", False),
        ("lead", True),
        ("other_lead", True),  # leads the partner's community
        ("hub_admin", True),
    ],
)
def test_who_may_confirm(request, product, other_product, persona, allowed):
    user = request.getfixturevalue(persona)
    assert access.can_confirm_interoperability(user, product, other_product) is allowed
    if allowed:
        row, created = confirm(product, other_product, user)
        assert created and row.confirmed_by == user
    else:
        with pytest.raises(PermissionDenied):
            confirm(product, other_product, user)
        assert not Interoperability.objects.exists()


def test_a_lead_of_neither_community_may_not_confirm(product, other_lead):
    outsider = make_product("outsider")
    assert not access.can_confirm_interoperability(other_lead, product, outsider)


def test_a_confirmation_is_an_event_with_history(product, other_product, lead):
    row, _ = confirm(product, other_product, lead)
    event = Event.objects.get(verb=Verb.INTEROPERABILITY_CONFIRMED)
    assert event.product == product and event.actor == lead
    assert event.data == {"partner": "gadget", "evidence_url": EVIDENCE, "created": True}
    assert row.history.get().history_user == lead


def test_confirming_again_replaces_the_evidence(product, other_product, lead):
    confirm(product, other_product, lead)
    row, created = confirm(product, other_product, lead, evidence_url="https://example.org/2")
    assert not created and row.evidence_url == "https://example.org/2"
    assert Interoperability.objects.count() == 1
    assert row.history.count() == 2


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("evidence_url", {"evidence_url": ""}),
        ("evidence_url", {"evidence_url": "javascript:alert(1)"}),
        ("evidence_url", {"evidence_url": "ftp://example.org/x"}),
    ],
)
def test_bad_evidence_is_refused_naming_the_field(product, other_product, lead, field, overrides):
    with pytest.raises(ValidationError) as err:
        confirm(product, other_product, lead, **overrides)
    assert field in err.value.message_dict
    assert not Interoperability.objects.exists()


def test_a_product_does_not_interoperate_with_itself(product, lead):
    with pytest.raises(ValidationError) as err:
        confirm(product, product, lead)
    assert "partner" in err.value.message_dict
