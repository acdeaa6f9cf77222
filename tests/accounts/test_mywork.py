"""“My work” (/me/): what each role finds there, where sign-in lands, and the account page's
notification and feed settings."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Preferences
from lifecycle.models import Decision, LifecycleRequest, Vote
from products.models import Assessment
from spokes.models import Seat
from tests.conftest import (
    PASSWORD,
    make_assessment,
    make_body,
    make_community,
    make_membership,
    make_product,
    make_user,
)


def make_request(product, community, *, by=None, state="draft", kind="onramp"):
    req = LifecycleRequest.objects.create(
        kind=kind, product=product, community=community, requested_by=by
    )
    LifecycleRequest.objects.filter(pk=req.pk).update(state=state)
    req.refresh_from_db()
    return req


def open_decision(req, body) -> Decision:
    decision = Decision.objects.create(community=req.community, body=body, subject=str(req))
    LifecycleRequest.objects.filter(pk=req.pk).update(decision=decision)
    return decision


def page_of(client, user) -> str:
    client.force_login(user)
    response = client.get("/me/")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, heading_id: str) -> str:
    """The text of the <section> labelled by ``heading_id``."""
    match = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(1)


# --- who sees what --------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/me/"


def test_a_maintainer_sees_their_products_with_compliance_and_their_requests(
    client, maintainer, product, community, policy_set, other_product
):
    for policy in policy_set.own_policies():
        make_assessment(product, policy, "full")
    mine = make_request(product, community, by=maintainer, state="submitted")
    others = make_request(other_product, other_product.memberships.get().community)
    html = page_of(client, maintainer)
    products = section(html, "products-h")
    assert 'href="/products/widget/"' in products
    assert "gadget" not in products
    assert 'class="badge status-compliant"' in products and "base: compliant" in products
    requests = section(html, "requests-h")
    assert f'href="/requests/{mine.pk}/"' in requests
    assert "badge state-submitted" in requests
    assert f'href="/requests/{others.pk}/"' not in requests
    assert 'href="/products/new/"' in html  # Register a product
    assert "review queue" not in html.lower()  # not a lead


def test_a_seat_holder_sees_the_decisions_waiting_for_their_vote(client, community, product, lead):
    voter = make_user("voter")
    body = make_body(community, seats=[voter, lead], requires_vote=True)
    waiting = open_decision(make_request(product, community, state="in_review"), body)
    voted_product = make_product("voted")
    voted = open_decision(make_request(voted_product, community, state="in_review"), body)
    Vote.objects.create(
        decision=voted, seat=Seat.objects.get(user=voter), voter=voter, choice="yes"
    )
    closed = open_decision(make_request(make_product("closed"), community), body)
    Decision.objects.filter(pk=closed.pk).update(outcome=Decision.Outcome.APPROVED)
    # A body where the user's term has ended asks nothing of them.
    old_body = make_body(make_community("gamma"), seats=[voter])
    old_body.seats.update(term_end=datetime.date.today() - datetime.timedelta(days=1))
    open_decision(make_request(make_product("old"), old_body.community), old_body)

    votes = section(page_of(client, voter), "votes-h")
    assert f'href="/decisions/{waiting.pk}/"' in votes
    assert "Decisions awaiting my vote (1)" in votes
    assert f"/decisions/{voted.pk}/" not in votes
    assert f"/decisions/{closed.pk}/" not in votes
    assert "a vote is required before approval" in votes


def test_a_lead_sees_the_review_queue_of_their_communities(
    client, lead, product, community, other_product
):
    submitted = make_request(product, community, state="submitted")
    elsewhere = make_request(
        other_product, other_product.memberships.get().community, state="submitted"
    )
    draft = make_request(make_product("drafty"), community, state="draft")
    queue = section(page_of(client, lead), "queue-h")
    assert f'href="/requests/{submitted.pk}/"' in queue
    assert f'href="/requests/{elsewhere.pk}/"' not in queue
    assert f'href="/requests/{draft.pk}/"' not in queue


def test_a_maintainer_sees_assessments_due_for_re_review(client, maintainer, product, policy_set):
    p1, p2 = policy_set.own_policies()[:2]
    old = make_assessment(product, p1, "full")
    make_assessment(product, p2, "full")
    Assessment.objects.filter(pk=old.pk).update(
        assessed_at=timezone.now() - datetime.timedelta(days=500)
    )
    due = section(page_of(client, maintainer), "due-h")
    assert "Assessments due for re-review (1)" in due
    assert f"<strong>{p1.code}</strong>" in due
    assert f"<strong>{p2.code}</strong>" not in due


def test_a_stranger_sees_an_empty_state_in_every_section(client, stranger, product, community):
    make_request(product, community, state="submitted")
    html = page_of(client, stranger)
    assert "You do not maintain any product yet." in html
    assert "You have no requests." in html
    assert "No decision waits for your vote." in html
    assert "No assessment of your products is due for re-review." in html
    assert 'aria-labelledby="queue-h"' not in html
    assert "/requests/" not in section(html, "requests-h").replace("/requests/new/", "")


def test_names_are_escaped_on_the_page(client, maintainer, community):
    make_product("xss", name="<script>alert(1)</script>", maintainers=[maintainer])
    html = page_of(client, maintainer)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_costs_the_same_queries_for_few_rows_and_many(
    client, maintainer, community, policy_set
):
    lead_community = make_community("delta", policy_set=policy_set)
    from tests.conftest import grant

    grant(maintainer, lead_community)
    body = make_body(lead_community, seats=[maintainer])

    def add_rows(n: int, prefix: str) -> None:
        for i in range(n):
            p = make_product(f"{prefix}{i}", maintainers=[maintainer])
            make_membership(p, community)
            for policy in policy_set.own_policies():
                a = make_assessment(p, policy, "full")
                Assessment.objects.filter(pk=a.pk).update(
                    assessed_at=timezone.now() - datetime.timedelta(days=800)
                )
            req = make_request(p, lead_community, by=maintainer, state="in_review")
            open_decision(req, body)

    def count() -> int:
        client.force_login(maintainer)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/me/")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    add_rows(2, "few")
    few = count()
    add_rows(12, "many")
    many = count()
    assert many == few, (few, many)
    assert few <= 20, few


# --- sign-in lands here -----------------------------------------------------------------


def test_signing_in_lands_on_my_work(client, maintainer):
    response = client.post("/accounts/login/", {"username": "maintainer", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/me/"


def test_signing_in_honours_a_safe_next_and_refuses_an_external_one(client, maintainer):
    form = {"username": "maintainer", "password": PASSWORD}
    response = client.post("/accounts/login/", {**form, "next": "/requests/?state=draft"})
    assert response["Location"] == "/requests/?state=draft"
    client.logout()
    for outside in ("https://evil.example/", "//evil.example/me/", "http:///evil.example"):
        response = client.post("/accounts/login/", {**form, "next": outside})
        assert response.status_code == 302
        assert response["Location"] == "/me/", outside
        client.logout()


def test_the_navigation_links_my_work_for_signed_in_users_only(client, maintainer):
    assert 'href="/me/"' not in client.get("/products/").content.decode()
    client.force_login(maintainer)
    assert '<a href="/me/">My work</a>' in client.get("/products/").content.decode()


# --- the account page's settings --------------------------------------------------------


def test_notification_settings_are_saved_per_kind(client, maintainer):
    client.force_login(maintainer)
    page = client.get("/account/").content.decode()
    assert 'id="id_votes" checked' in page  # every kind on by default
    response = client.post("/account/notifications/", {"votes": "on", "offramps": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/account/#notifications"
    prefs = Preferences.objects.get(user=maintainer)
    assert (prefs.notify_votes, prefs.notify_requests, prefs.notify_offramps) == (
        True,
        False,
        True,
    )
    page = client.get("/account/").content.decode()
    assert 'id="id_requests" checked' not in page
    assert "Notification settings saved." in page


@pytest.mark.django_db
def test_settings_and_feed_changes_need_a_signed_in_post(client, maintainer):
    for url in ("/account/notifications/", "/account/feed/renew/", "/account/feed/revoke/"):
        response = client.post(url, {})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(maintainer)
    for url in ("/account/notifications/", "/account/feed/renew/", "/account/feed/revoke/"):
        assert client.get(url).status_code == 405
    assert not Preferences.objects.exists()


@pytest.mark.django_db
def test_the_sign_in_link_returns_to_the_page_but_from_home_lands_on_my_work(client):
    assert (
        'href="/accounts/login/?next=/products/%3Fq%3Dsolver"'
        in client.get("/products/?q=solver").content.decode()
    )
    home = client.get("/").content.decode()
    assert 'href="/accounts/login/">Sign in</a>' in home
    login = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/login/">Sign in</a>' in login


def test_hub_admins_see_preferences_in_the_admin_without_the_feed_secret(
    client, hub_admin, maintainer
):
    from accounts.services import renew_feed_key

    hub_admin.is_superuser = True
    hub_admin.save()
    key = renew_feed_key(user=maintainer)
    nonce = Preferences.objects.get(user=maintainer).feed_nonce
    client.force_login(hub_admin)
    listing = client.get("/admin/accounts/preferences/")
    assert listing.status_code == 200 and "maintainer" in listing.content.decode()
    change = client.get(f"/admin/accounts/preferences/{maintainer.pk}/change/").content.decode()
    assert 'name="notify_votes"' in change
    assert nonce not in change and key not in change
