"""“My work” and notifications in a real browser: (c) a seat holder signs in, lands on
/me/, finds the decision waiting and votes, and the lead approves; (d) an offramp of a
product with dependents is approved and those who rely on it are e-mailed."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import Preferences
from lifecycle import transitions
from lifecycle.models import Decision, Vote
from products.models import Membership, ProductUse, Stakeholder
from spokes.models import Policy
from tests.conftest import (
    make_assessment,
    make_body,
    make_dependency,
    make_membership,
    make_product,
    make_user,
)
from tests.e2e.test_guided_journey import shots
from tests.e2e.test_onramp_journey import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def outbox(settings, live_server):
    """The messages the live server sends (it runs in this process: the in-memory backend
    collects them), with links on the live server's address."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = live_server.url
    mail.outbox = []
    return mail.outbox


def test_a_seat_holder_lands_on_my_work_votes_and_the_lead_approves(
    live_server, browser, page, shot, outbox, community, lead, maintainer, policy_set
):
    voter = make_user("voter")
    make_body(community, seats=[voter], requires_vote=True)
    candidate = make_product("solverkit", maintainers=[maintainer])
    for code in ("P1", "P2"):
        make_assessment(candidate, Policy.objects.get(code=code), "full")
    req = transitions.request_create(
        by=maintainer, kind="onramp", product=candidate, community=community
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)
    req.refresh_from_db()
    # Opening the review asked the seat holder to vote, by e-mail, with the link.
    ask = next(m for m in outbox if m.to == [voter.email])
    assert f"{live_server.url}/decisions/{req.decision_id}/" in ask.body

    # The seat holder signs in (no ?next=) and lands on "My work".
    sign_in(page, live_server.url, voter)
    assert page.url == live_server.url + "/me/"
    votes = page.locator("section[aria-labelledby=votes-h]")
    assert "Decisions awaiting my vote (1)" in votes.inner_text()
    shots(page, shot, "my-work-seat-holder")

    votes.get_by_role("link", name=re.compile(r"^Vote on")).click()
    page.wait_for_url(f"**/decisions/{req.decision_id}/")
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Cast vote").click()
    page.wait_for_load_state()
    assert "Vote recorded." in page.locator("ul.messages").inner_text()
    assert Vote.objects.get(voter=voter).choice == "yes"
    page.goto(live_server.url + "/me/")
    assert "No decision waits for your vote." in page.locator("main").inner_text()

    # The lead finds the request in their review queue on "My work" and approves it.
    lead_context = browser.new_context(viewport={"width": 1366, "height": 900})
    lead_page = lead_context.new_page()
    sign_in(lead_page, live_server.url, lead)
    assert lead_page.url == live_server.url + "/me/"
    queue = lead_page.locator("section[aria-labelledby=queue-h]")
    shots(lead_page, shot, "my-work-lead")
    queue.locator(f'a[href="/requests/{req.pk}/"]').click()
    lead_page.wait_for_url(f"**/requests/{req.pk}/")
    lead_page.get_by_role("button", name="Approve", exact=True).click()
    lead_page.wait_for_load_state()
    assert "Approved" in lead_page.locator("main").inner_text()
    lead_context.close()
    assert Decision.objects.get(pk=req.decision_id).outcome == "approved"
    assert Membership.objects.active().filter(product=candidate, community=community).exists()
    told = [m for m in outbox if m.to == [maintainer.email]]
    assert [m.subject for m in told][-1] == (
        "[PESO Registry] Your request was approved: Onramp of Solverkit into Alpha SDK"
    )


def test_an_approved_offramp_emails_dependents_maintainers_and_stakeholder_contacts(
    live_server, page, shot, outbox, product, community, lead, maintainer, other_community
):
    consumers = []
    for slug in ("consumer", "harness"):
        owner = make_user(f"{slug}-owner")
        dependent = make_product(slug, maintainers=[owner])
        make_membership(dependent, other_community)
        make_dependency(dependent, product)
        consumers.append(owner)
    facility = Stakeholder.objects.create(slug="olcf", name="OLCF")
    ProductUse.objects.create(
        product=product, stakeholder=facility, contact="Ada Lovelace <ada@olcf.example>"
    )
    req = transitions.request_create(
        by=maintainer,
        kind="offramp",
        product=product,
        community=community,
        reason="superseded",
        support_organization="E4S",
        migration_notes="Move to the successor's API.",
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)
    outbox.clear()

    sign_in(page, live_server.url, lead)
    page.goto(live_server.url + req.get_absolute_url())
    checklist = page.locator("section[aria-labelledby=checklist]").inner_text()
    assert "consumer" in checklist and "OLCF" in checklist
    page.get_by_label("Acknowledge the impact on dependent products").check()
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_load_state()
    assert "Approved" in page.locator("main").inner_text()
    shots(page, shot, "offramp-approved")

    addresses = sorted(address for m in outbox for address in m.to)
    assert addresses == sorted(
        [*(owner.email for owner in consumers), "ada@olcf.example", maintainer.email]
    )
    to_facility = next(m for m in outbox if m.to == ["ada@olcf.example"])
    assert to_facility.subject == (
        "[PESO Registry] Widget is offramped from Alpha SDK (used by OLCF)"
    )
    assert "Move to the successor's API." in to_facility.body
    assert f"{live_server.url}/products/widget/" in to_facility.body
    to_owner = next(m for m in outbox if m.to == [consumers[0].email])
    assert "Consumer, which you maintain, depends on it" in to_owner.body


def test_a_user_turns_an_email_off_and_follows_their_personal_feed(
    live_server, page, shot, maintainer, product
):
    sign_in(page, live_server.url, maintainer)
    page.get_by_role("link", name="your account page").click()
    page.wait_for_url("**/account/#notifications")
    page.get_by_label("A request I opened changes state").uncheck()
    page.get_by_role("button", name="Save notification settings").click()
    page.wait_for_url("**/account/#notifications")
    assert "Notification settings saved." in page.locator("ul.messages").inner_text()
    assert not page.get_by_label("A request I opened changes state").is_checked()
    assert page.get_by_label("A decision opens on a body where I hold a seat").is_checked()
    prefs = Preferences.objects.get(user=maintainer)
    assert (prefs.notify_votes, prefs.notify_requests, prefs.notify_offramps) == (
        True,
        False,
        True,
    )

    page.get_by_role("button", name="Create my personal feed").click()
    page.wait_for_url("**/account/#feed")
    assert "Your personal feed is ready" in page.locator("ul.messages").inner_text()
    address = page.get_by_label("Your feed's address").input_value()
    assert address.startswith(f"{live_server.url}/feeds/me/{maintainer.pk}/")
    shots(page, shot, "account-settings")
    # A feed reader (no session) reads it; the page advertises it.
    feed = page.context.request.get(address)
    assert feed.status == 200 and "<feed" in feed.text()
    page.goto(live_server.url + "/me/")
    advertised = page.locator('link[rel=alternate][title="My PESO Registry events"]')
    assert advertised.get_attribute("href") == address
    page.goto(live_server.url + "/account/#feed")
    page.get_by_role("button", name="Turn the feed off").click()
    page.wait_for_url("**/account/#feed")
    assert page.context.request.get(address).status == 404
