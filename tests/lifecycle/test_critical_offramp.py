"""An offramp of a product a stakeholder marks critical (issue 16): refused at approval
unless the approver acknowledges the critical uses — through the API (409 naming the
stakeholders, nothing changed) and the request page (which says so before the click and
offers the acknowledgement) — and once approved, the request and its decision record whom
it was announced to (`told`), shown on the decision page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from events.log import Verb
from events.models import Event
from lifecycle import transitions
from lifecycle.models import Decision, LifecycleRequest
from products.models import Membership, ProductUse, Stakeholder
from tests.conftest import make_dependency, make_membership, make_product, make_user

pytestmark = pytest.mark.django_db

PLAN = {"support_organization": "E4S", "migration_notes": "Use the successor."}


@pytest.fixture
def facility(db) -> Stakeholder:
    return Stakeholder.objects.create(
        slug="olcf", name="Oak Ridge Leadership Computing Facility", kind="facility"
    )


@pytest.fixture
def vendor(db) -> Stakeholder:
    return Stakeholder.objects.create(slug="acme", name="Acme Computers", kind="vendor")


@pytest.fixture
def critical_offramp(product, community, maintainer, lead, facility, vendor, other_product):
    """An offramp of `widget` in review: the facility marks it critical, the vendor a
    convenience, and `gadget` (a member of beta) depends on it. The requester acknowledged
    the dependents."""
    ProductUse.objects.create(
        product=product, stakeholder=facility, criticality="critical", note="Frontier"
    )
    ProductUse.objects.create(product=product, stakeholder=vendor, criticality="convenience")
    make_dependency(other_product, product)
    req = transitions.request_create(
        by=maintainer,
        kind="offramp",
        product=product,
        community=community,
        acknowledge_dependents=True,
        **PLAN,
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)
    return req


def approve_url(req) -> str:
    return reverse("api-request-approve", args=[req.pk])


def unchanged(req: LifecycleRequest, product, community) -> None:
    req.refresh_from_db()
    assert req.state == "in_review" and req.told == {}
    assert Membership.objects.get(product=product, community=community).state == "active"
    assert not Event.objects.filter(request=req, verb=Verb.REQUEST_APPROVED).exists()
    assert Decision.objects.get(pk=req.decision_id).outcome == "pending"


def test_the_api_refuses_the_offramp_without_the_approvers_acknowledgement(
    critical_offramp, product, community, lead, client_for, mailoutbox
):
    reviewer = client_for(lead)
    for body in ({}, {"acknowledge_dependents": True}, {"acknowledge_critical": False}):
        response = reviewer.post(approve_url(critical_offramp), body, format="json")
        assert response.status_code == 409, response.content
        detail = response.json()["detail"]
        assert "Oak Ridge Leadership Computing Facility" in detail
        assert "acknowledge_critical" in detail
        assert "Acme" not in detail  # a convenience holds nothing up
        unchanged(critical_offramp, product, community)
    assert mailoutbox == []


def test_a_successor_does_not_stand_in_for_the_acknowledgement(
    critical_offramp, product, community, lead, client_for
):
    make_product("heir")
    response = client_for(lead).post(approve_url(critical_offramp), {"successor": "heir"})
    assert response.status_code == 409
    unchanged(critical_offramp, product, community)


def test_the_acknowledged_offramp_is_approved_and_records_whom_it_told(
    critical_offramp, product, community, lead, client_for, facility
):
    response = client_for(lead).post(
        approve_url(critical_offramp), {"acknowledge_critical": True}, format="json"
    )
    assert response.status_code == 200, response.content
    told = {
        "dependents": ["gadget"],
        "stakeholders": [
            {
                "stakeholder": "acme",
                "name": "Acme Computers",
                "kind": "vendor",
                "criticality": "convenience",
            },
            {
                "stakeholder": "olcf",
                "name": "Oak Ridge Leadership Computing Facility",
                "kind": "facility",
                "criticality": "critical",
            },
        ],
    }
    assert response.json()["told"] == told
    assert Membership.objects.get(product=product, community=community).state == "offramped"
    approved = Event.objects.get(request=critical_offramp, verb=Verb.REQUEST_APPROVED)
    assert approved.data["critical"] == ["olcf"]
    assert approved.data["acknowledge_critical"] is True
    assert approved.data["told"] == told
    critical_offramp.refresh_from_db()
    decision = client_for(None).get(
        reverse("api-decision-detail", args=[critical_offramp.decision_id])
    )
    assert decision.json()["told"] == told
    assert "Critical for: olcf; acknowledged by the approver." in decision.json()["rationale"]
    # The request keeps it, whatever is recorded later.
    ProductUse.objects.filter(stakeholder=facility).delete()
    again = client_for(None).get(reverse("api-request-detail", args=[critical_offramp.pk]))
    assert again.json()["told"] == told


def test_the_decision_page_lists_the_stakeholders_and_products_told(
    critical_offramp, lead, client_for
):
    client_for(lead).post(approve_url(critical_offramp), {"acknowledge_critical": True})
    critical_offramp.refresh_from_db()
    html = Client().get(reverse("lifecycle:decision-detail", args=[critical_offramp.decision_id]))
    text = html.content.decode()
    told = text[text.index('id="told-h"') :]
    assert 'href="/stakeholders/olcf/">Oak Ridge Leadership Computing Facility</a>' in told
    assert "criticality-critical" in told
    assert 'href="/stakeholders/acme/">Acme Computers</a>' in told
    assert 'href="/products/gadget/">gadget</a>' in told
    request_page = Client().get(reverse("lifecycle:request-detail", args=[critical_offramp.pk]))
    assert 'id="told-h"' in request_page.content.decode()


def test_an_onramp_or_an_undecided_request_told_nobody(critical_offramp, lead, client_for):
    body = client_for(None).get(reverse("api-request-detail", args=[critical_offramp.pk])).json()
    assert body["told"] == {}
    text = Client().get(reverse("lifecycle:request-detail", args=[critical_offramp.pk]))
    assert 'id="told-h"' not in text.content.decode()


def test_the_request_page_explains_the_acknowledgement_before_the_click(critical_offramp, lead):
    client = Client()
    client.force_login(lead)
    text = client.get(reverse("lifecycle:request-detail", args=[critical_offramp.pk]))
    text = text.content.decode()
    form = text[text.index('class="action action-approve"') :]
    form = form[: form.index("</form>")]
    assert "Critical for Oak Ridge Leadership Computing Facility (Computing facility)" in form
    assert 'name="acknowledge_critical"' in form
    assert "I acknowledge that Oak Ridge Leadership Computing Facility relies critically" in form
    assert "disabled" not in form  # the form itself can settle it


def test_the_page_refuses_the_approval_without_the_box_and_accepts_it_with(
    critical_offramp, product, community, lead
):
    client = Client()
    client.force_login(lead)
    url = reverse("lifecycle:request-action", args=[critical_offramp.pk, "approve"])
    refused = client.post(url, {"acknowledge_dependents": "on"}, follow=True)
    assert "Oak Ridge Leadership Computing Facility" in refused.content.decode()
    assert "Cannot approve" in refused.content.decode()
    unchanged(critical_offramp, product, community)
    accepted = client.post(url, {"acknowledge_critical": "on"})
    assert accepted.status_code == 302
    critical_offramp.refresh_from_db()
    assert critical_offramp.state == "approved"
    assert [s["stakeholder"] for s in critical_offramp.told["stakeholders"]] == ["acme", "olcf"]


def test_an_important_use_needs_no_acknowledgement_from_the_approver(
    product, community, maintainer, lead, facility, client_for
):
    ProductUse.objects.create(product=product, stakeholder=facility, criticality="important")
    req = transitions.request_create(
        by=maintainer,
        kind="offramp",
        product=product,
        community=community,
        acknowledge_dependents=True,
        **PLAN,
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)
    response = client_for(lead).post(approve_url(req))
    assert response.status_code == 200, response.content
    assert response.json()["told"]["stakeholders"][0]["criticality"] == "important"


def test_the_stakeholders_own_contacts_are_told(
    critical_offramp, lead, facility, mailoutbox, django_capture_on_commit_callbacks
):
    speaker = make_user("speaker")
    facility.contacts.add(speaker)
    with django_capture_on_commit_callbacks(execute=True):
        transitions.request_approve(request=critical_offramp, by=lead, acknowledge_critical=True)
    to_speaker = [m for m in mailoutbox if m.to == [speaker.email]]
    assert len(to_speaker) == 1
    assert "How much it relies on Widget: critical." in to_speaker[0].body


def test_an_onramp_never_asks_for_the_acknowledgement(
    policy_set, community, maintainer, lead, facility, other_community
):
    from tests.lifecycle.test_transitions import assess_all

    fresh = make_product("fresh", maintainers=[maintainer])
    assess_all(fresh, policy_set)
    make_membership(fresh, other_community)
    ProductUse.objects.create(product=fresh, stakeholder=facility, criticality="critical")
    req = transitions.request_create(
        by=type(maintainer).objects.get(pk=maintainer.pk),
        kind="onramp",
        product=fresh,
        community=community,
    )
    check = transitions.approval_check(req)
    assert check.critical == () and check.critical_missing is None
