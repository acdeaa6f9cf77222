# ruff: noqa: F811
"""The product page's waivers and interoperability panels and the forms they post to:
who sees the forms, who may write (nothing written on refusal), errors re-shown, CSRF,
revoking, and a query cost that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.log import Verb
from events.models import Event
from products.interoperability import confirm_interoperability
from products.models import Interoperability, Waiver
from products.waivers import grant_waiver, revoke_waiver
from tests.conftest import make_product

# The shared world's fixtures, named again as test parameters (hence F811).
from tests.waiver_world import a1, e1, e4s, hub, hub_lead, in_days, owned_set  # noqa: F401

pytestmark = pytest.mark.django_db

REFUSED = ("stranger", "maintainer", "other_lead")


def detail(product) -> str:
    return reverse("products:detail", args=[product.slug])


def grant_url(product) -> str:
    return reverse("products:waiver-new", args=[product.slug])


def form_data(policy, **overrides) -> dict:
    data = {"policy": policy.pk, "reason": "Needs a GPU.", "expires_on": in_days(60).isoformat()}
    data.update(overrides)
    return data


def test_the_product_page_lists_waivers_with_their_state(client, product, a1, e1, lead, hub_admin):
    grant_waiver(product=product, policy=a1, by=lead, reason="Needs a GPU.", expires_on=in_days(9))
    gone = grant_waiver(
        product=product, policy=e1, by=hub_admin, reason="Old.", expires_on=in_days(9)
    )
    revoke_waiver(waiver=gone, by=hub_admin)
    html = client.get(detail(product)).content.decode()
    assert 'id="waivers-h"' in html
    assert "Needs a GPU." in html and in_days(9).isoformat() in html
    assert "in force" in html and "revoked" in html and ">lead<" not in html
    assert "lead" in html
    # Anonymous: no form, no revoke button.
    assert "Grant a waiver" not in html and "Revoke" not in html


def test_an_expired_waiver_is_shown_as_expired(client, product, a1, lead):
    waiver = grant_waiver(product=product, policy=a1, by=lead, reason="r", expires_on=in_days(3))
    Waiver.objects.filter(pk=waiver.pk).update(expires_on=in_days(-1))
    assert "status-expired" in client.get(detail(product)).content.decode()


@pytest.mark.parametrize("name", REFUSED)
def test_only_granters_see_the_form(request, client_as, product, a1, name):
    html = client_as(request.getfixturevalue(name)).get(detail(product)).content.decode()
    assert "Grant a waiver" not in html


def test_the_form_offers_only_the_policies_the_lead_may_waive(client_as, product, a1, e1, lead):
    html = client_as(lead).get(detail(product)).content.decode()
    assert "Grant a waiver" in html
    assert f'value="{a1.pk}"' in html
    assert f'value="{e1.pk}"' not in html  # E4S: the hub's to waive


def test_hub_admins_may_waive_every_policy_the_product_is_held_to(
    client_as, product, a1, e1, hub_admin
):
    html = client_as(hub_admin).get(detail(product)).content.decode()
    assert f'value="{a1.pk}"' in html and f'value="{e1.pk}"' in html


def test_anonymous_is_sent_to_sign_in(client, product, a1):
    response = client.post(grant_url(product), form_data(a1))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not Waiver.objects.exists()


@pytest.mark.parametrize("name", REFUSED)
def test_who_may_not_grant_through_the_page(request, client_as, product, a1, name):
    response = client_as(request.getfixturevalue(name)).post(grant_url(product), form_data(a1))
    assert response.status_code == 403
    assert not Waiver.objects.exists()
    assert not Event.objects.filter(verb=Verb.WAIVER_GRANTED).exists()


def test_a_lead_may_not_post_a_policy_outside_their_set(client_as, product, a1, e1, lead):
    response = client_as(lead).post(grant_url(product), form_data(e1))
    assert response.status_code == 200  # re-shown: not a choice offered to them
    assert "policy" in response.context["form"].errors
    assert not Waiver.objects.exists()


@pytest.mark.parametrize("name", ("lead", "hub_admin"))
def test_granting_through_the_page(request, client_as, product, a1, name):
    user = request.getfixturevalue(name)
    response = client_as(user).post(grant_url(product), form_data(a1))
    assert response.status_code == 302
    assert response["Location"].startswith(detail(product))
    waiver = Waiver.objects.get()
    assert waiver.granted_by == user and waiver.policy == a1
    assert Event.objects.filter(verb=Verb.WAIVER_GRANTED, actor=user).count() == 1


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("reason", {"reason": ""}),
        ("expires_on", {"expires_on": in_days(0).isoformat()}),
        ("expires_on", {"expires_on": "soon"}),
    ],
)
def test_errors_are_shown_on_the_form(client_as, product, a1, lead, field, overrides):
    response = client_as(lead).post(grant_url(product), form_data(a1, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="errorlist"' in response.content.decode()
    assert not Waiver.objects.exists()


def test_a_second_waiver_in_force_is_refused_on_the_form(client_as, product, a1, lead):
    client = client_as(lead)
    assert client.post(grant_url(product), form_data(a1)).status_code == 302
    response = client.post(grant_url(product), form_data(a1))
    assert response.status_code == 200 and "policy" in response.context["form"].errors
    assert Waiver.objects.count() == 1


def test_the_forms_need_csrf(product, a1, lead):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    assert client.post(grant_url(product), form_data(a1)).status_code == 403
    assert not Waiver.objects.exists()


def test_revoking_through_the_page(client_as, product, a1, lead, other_lead):
    waiver = grant_waiver(product=product, policy=a1, by=lead, reason="r", expires_on=in_days(9))
    url = reverse("products:waiver-revoke", args=[product.slug, waiver.pk])
    html = client_as(lead).get(detail(product)).content.decode()
    assert url in html
    assert client_as(other_lead).post(url).status_code == 403
    assert Client().post(url).status_code == 302
    waiver.refresh_from_db()
    assert waiver.revoked_at is None
    response = client_as(lead).post(url)
    assert response.status_code == 302
    waiver.refresh_from_db()
    assert waiver.revoked_at is not None
    assert Event.objects.filter(verb=Verb.WAIVER_REVOKED, actor=lead).count() == 1
    assert client_as(lead).get(url).status_code == 405


# --- Interoperability -----------------------------------------------------------------


def confirm_url(product) -> str:
    return reverse("products:interoperability-new", args=[product.slug])


EVIDENCE = "https://ci.example.org/runs/1"


def test_confirmations_are_listed_on_both_products(client, product, other_product, lead):
    confirm_interoperability(product=product, partner=other_product, by=lead, evidence_url=EVIDENCE)
    for page in (product, other_product):
        html = client.get(detail(page)).content.decode()
        assert 'id="interoperability-h"' in html and EVIDENCE in html


@pytest.mark.parametrize("name", ("stranger", "maintainer", "other_lead"))
def test_who_may_not_confirm_through_the_page(request, client_as, product, name):
    outsider = make_product("outsider")
    client = client_as(request.getfixturevalue(name))
    response = client.post(
        confirm_url(product), {"partner": outsider.slug, "evidence_url": EVIDENCE}
    )
    assert response.status_code == 403
    assert not Interoperability.objects.exists()


def test_confirming_through_the_page(client_as, product, other_product, lead):
    client = client_as(lead)
    assert "Confirm interoperability" in client.get(detail(product)).content.decode()
    bad = client.post(confirm_url(product), {"partner": "gadget", "evidence_url": "javascript:x"})
    assert bad.status_code == 200 and "evidence_url" in bad.context["form"].errors
    missing = client.post(confirm_url(product), {"partner": "nope", "evidence_url": EVIDENCE})
    assert missing.status_code == 200 and "partner" in missing.context["form"].errors
    assert not Interoperability.objects.exists()
    response = client.post(confirm_url(product), {"partner": "gadget", "evidence_url": EVIDENCE})
    assert response.status_code == 302
    assert Interoperability.objects.get().confirmed_by == lead


def test_the_product_page_costs_the_same_for_2_and_10_waivers(client_as, product, owned_set, lead):
    a1, a2 = owned_set.policies.get(code="A1"), owned_set.policies.get(code="A2")
    client = client_as(lead)

    def grow(n: int) -> None:
        for _ in range(n):
            for policy in (a1, a2):
                w = grant_waiver(
                    product=product, policy=policy, by=lead, reason="r", expires_on=in_days(9)
                )
                revoke_waiver(waiver=w, by=lead)
            partner = make_product()
            confirm_interoperability(
                product=product, partner=partner, by=lead, evidence_url=EVIDENCE
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(detail(product)).status_code == 200
        return len(ctx.captured_queries)

    grow(1)
    small = count()
    grow(4)
    assert count() == small
