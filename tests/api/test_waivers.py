# ruff: noqa: F811
"""waivers/ and interoperability/ through the served API: the permission matrix (nothing
written on refusal), 400 naming the field, revoking with If-Match, filters, query cost."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.log import Verb
from events.models import Event
from products.models import Interoperability, Waiver
from products.waivers import grant_waiver
from tests.conftest import make_product

# The shared world's fixtures, named again as test parameters (hence F811).
from tests.waiver_world import a1, e1, e4s, hub, hub_lead, in_days, owned_set  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/waivers/"
INTEROP_URL = "/api/v1/interoperability/"
REFUSED = {"anonymous": 401, "stranger": 403, "maintainer": 403, "other_lead": 403}
ALLOWED = ("lead", "hub_admin")


def persona(request, name):
    return None if name == "anonymous" else request.getfixturevalue(name)


def payload(**overrides):
    data = {
        "product": "widget",
        "policy_set": "alpha-set",
        "policy": "A1",
        "reason": "Tests need hardware the CI lacks.",
        "expires_on": in_days(90).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("name, status", REFUSED.items())
def test_who_may_not_grant(request, client_for, product, a1, name, status):
    response = client_for(persona(request, name)).post(URL, payload(), format="json")
    assert response.status_code == status, response.content
    assert not Waiver.objects.exists()
    assert not Event.objects.filter(verb=Verb.WAIVER_GRANTED).exists()


def test_a_refusal_comes_before_the_body_is_read(client_for, stranger, product, a1):
    """A stranger is refused whatever the body: 403, not 400."""
    response = client_for(stranger).post(URL, {"nonsense": True}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("name", ALLOWED)
def test_who_may_grant(request, client_for, product, a1, name):
    user = request.getfixturevalue(name)
    response = client_for(user).post(URL, payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    for field in (
        "id",
        "product",
        "policy_set",
        "policy",
        "reason",
        "expires_on",
        "granted_by",
        "granted_at",
        "revoked_at",
        "in_force",
    ):
        assert field in body
    assert body["product"] == "widget" and body["policy_set"] == "alpha-set"
    assert body["policy"] == "A1" and body["granted_by"] == user.username
    assert body["in_force"] is True and body["revoked_at"] is None
    assert body["url"].startswith("http")
    assert response["ETag"]
    assert Event.objects.filter(verb=Verb.WAIVER_GRANTED, actor=user).count() == 1
    # One waiver in force per product and policy: a second is a conflict.
    again = client_for(user).post(URL, payload(), format="json")
    assert again.status_code == 409
    assert Waiver.objects.count() == 1


def test_the_hubs_set_is_waived_by_hub_leads_not_spoke_leads(
    client_for, product, e1, lead, hub_lead
):
    body = payload(policy_set="e4s", policy="E1")
    assert client_for(lead).post(URL, body, format="json").status_code == 403
    assert not Waiver.objects.exists()
    assert client_for(hub_lead).post(URL, body, format="json").status_code == 201


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("reason", {"reason": ""}),
        ("reason", {"reason": "   "}),
        ("expires_on", {"expires_on": datetime.date.today().isoformat()}),
        ("expires_on", {"expires_on": "2020-01-01"}),
        ("expires_on", {"expires_on": "not a date"}),
        ("product", {"product": "nope"}),
        ("policy_set", {"policy_set": "nope"}),
        ("policy", {"policy": "Z9"}),
        ("policy", {"policy_set": "base", "policy": "P1"}),  # not a set widget is held to
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, hub_admin, product, a1, field, overrides):
    response = client_for(hub_admin).post(URL, payload(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Waiver.objects.exists()


def waiver_for(product, a1, lead, **overrides) -> Waiver:
    fields = {"reason": "Vendor hardware.", "expires_on": in_days(30)}
    fields.update(overrides)
    return grant_waiver(product=product, policy=a1, by=lead, **fields)


def revoke_url(waiver) -> str:
    return f"{URL}{waiver.pk}/revoke/"


@pytest.mark.parametrize("name, status", REFUSED.items())
def test_who_may_not_revoke(request, client_for, product, a1, lead, name, status):
    waiver = waiver_for(product, a1, lead)
    response = client_for(persona(request, name)).post(revoke_url(waiver), format="json")
    assert response.status_code == status
    waiver.refresh_from_db()
    assert waiver.revoked_at is None
    assert not Event.objects.filter(verb=Verb.WAIVER_REVOKED).exists()


@pytest.mark.parametrize("name", ALLOWED)
def test_who_may_revoke(request, client_for, product, a1, lead, name):
    waiver = waiver_for(product, a1, lead)
    client = client_for(request.getfixturevalue(name))
    response = client.post(revoke_url(waiver), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["in_force"] is False and response.json()["revoked_at"]
    assert Event.objects.filter(verb=Verb.WAIVER_REVOKED).count() == 1
    assert client.post(revoke_url(waiver), format="json").status_code == 409


def test_revoking_honours_if_match(client_for, product, a1, lead):
    waiver = waiver_for(product, a1, lead)
    client = client_for(lead)
    etag = client.get(f"{URL}{waiver.pk}/")["ETag"]
    stale = client.post(revoke_url(waiver), format="json", HTTP_IF_MATCH='"stale"')
    assert stale.status_code == 412
    waiver.refresh_from_db()
    assert waiver.revoked_at is None
    assert client.post(revoke_url(waiver), format="json", HTTP_IF_MATCH=etag).status_code == 200


def test_delete_is_not_how_a_waiver_ends(client_for, product, a1, lead, hub_admin):
    waiver = waiver_for(product, a1, lead)
    assert client_for(hub_admin).delete(f"{URL}{waiver.pk}/").status_code == 405
    assert Waiver.objects.filter(pk=waiver.pk).exists()


def test_filters(client_for, product, other_product, a1, e1, lead, hub_admin):
    current = waiver_for(product, a1, lead)
    old = grant_waiver(product=product, policy=e1, by=hub_admin, reason="x", expires_on=in_days(5))
    Waiver.objects.filter(pk=old.pk).update(expires_on=in_days(-3))
    client = client_for(None)

    def ids(query: str) -> list[int]:
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return sorted(w["id"] for w in response.json()["results"])

    assert ids("") == sorted([current.pk, old.pk])
    assert ids("current=true") == [current.pk]
    assert ids("current=false") == [old.pk]
    assert ids("product=widget&policy_set=alpha-set") == [current.pk]
    assert ids("policy=E1") == [old.pk]
    assert ids("product=gadget") == []
    assert client.get(f"{URL}?current=maybe").status_code == 400


def test_the_list_costs_the_same_for_2_and_12_waivers(client_for, product, owned_set, lead):
    policies = [owned_set.policies.get(code="A1"), owned_set.policies.get(code="A2")]

    def grow(n: int) -> None:
        for _ in range(n):
            p = make_product()
            p.memberships.create(community=owned_set.owner)
            for policy in policies:
                grant_waiver(product=p, policy=policy, by=lead, reason="r", expires_on=in_days(9))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client_for(None).get(URL).status_code == 200
        return len(ctx.captured_queries)

    grow(1)
    small = count()
    grow(5)
    assert count() == small


# --- interoperability/ ----------------------------------------------------------------

EVIDENCE = "https://ci.example.org/runs/7"


def interop(**overrides):
    data = {"product": "widget", "partner": "gadget", "evidence_url": EVIDENCE, "note": "CI"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("name, status", {**REFUSED, "other_lead": None}.items())
def test_who_may_confirm(request, client_for, product, other_product, name, status):
    outsider = make_product("outsider")
    body = interop(partner=outsider.slug)
    response = client_for(persona(request, name)).post(INTEROP_URL, body, format="json")
    if status is None:  # other_lead leads neither widget's community nor outsider's
        status = 403
    assert response.status_code == status
    assert not Interoperability.objects.exists()
    assert not Event.objects.filter(verb=Verb.INTEROPERABILITY_CONFIRMED).exists()


@pytest.mark.parametrize("name", ("lead", "other_lead", "hub_admin"))
def test_leads_of_either_product_and_hub_admins_confirm(
    request, client_for, product, other_product, name
):
    user = request.getfixturevalue(name)
    client = client_for(user)
    response = client.post(INTEROP_URL, interop(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["product"] == "widget" and body["partner"] == "gadget"
    assert body["evidence_url"] == EVIDENCE and body["confirmed_by"] == user.username
    assert body["confirmed_at"] and body["note"] == "CI"
    again = client.post(INTEROP_URL, interop(note="again"), format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Event.objects.filter(verb=Verb.INTEROPERABILITY_CONFIRMED).count() == 2
    listed = client_for(None).get(f"{INTEROP_URL}?product=gadget").json()["results"]
    assert [r["id"] for r in listed] == [body["id"]]


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("evidence_url", {"evidence_url": ""}),
        ("evidence_url", {"evidence_url": "javascript:alert(1)"}),
        ("partner", {"partner": "nope"}),
        ("partner", {"partner": "widget"}),
        ("product", {"product": "nope"}),
    ],
)
def test_bad_confirmations_are_a_400_naming_the_field(
    client_for, hub_admin, product, other_product, field, overrides
):
    response = client_for(hub_admin).post(INTEROP_URL, interop(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Interoperability.objects.exists()
