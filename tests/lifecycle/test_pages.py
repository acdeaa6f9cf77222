"""Pages for requests, the review queue and decisions."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecycle import decisions
from lifecycle.models import LifecycleRequest, Vote
from products.models import Membership
from spokes.models import Policy
from tests.conftest import make_assessment, make_body, make_dependency, make_product, make_user


def make_request(product, community, *, state="draft", kind="onramp", by=None, **fields):
    req = LifecycleRequest.objects.create(
        kind=kind, product=product, community=community, requested_by=by, **fields
    )
    if state != "draft":
        LifecycleRequest.objects.filter(pk=req.pk).update(
            state=state, submitted_at=datetime.datetime.now(datetime.UTC)
        )
        req.refresh_from_db()
    return req


@pytest.fixture
def newbie(maintainer, policy_set):
    product = make_product("newbie", maintainers=[maintainer])
    for policy in policy_set.own_policies().filter(level=Policy.Level.MANDATORY):
        make_assessment(product, policy)
    return product


@pytest.fixture
def browser():
    """browser(user) -> a Django test client signed in as user (None: anonymous)."""

    def _make(user=None) -> Client:
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return _make


def login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


# --- list -------------------------------------------------------------------------------


def test_the_list_is_public_and_hides_drafts(newbie, community, browser, maintainer):
    draft = make_request(newbie, community, by=maintainer)
    public = make_request(newbie, community, state="submitted")
    html = browser().get(reverse("lifecycle:request-list")).content.decode()
    assert f"/requests/{public.pk}/" in html
    assert f"/requests/{draft.pk}/" not in html
    html = browser(maintainer).get(reverse("lifecycle:request-list")).content.decode()
    assert f"/requests/{draft.pk}/" in html


def test_the_list_filters(newbie, product, community, browser):
    a = make_request(newbie, community, state="submitted")
    b = make_request(product, community, kind="offramp", state="in_review")
    html = browser().get(reverse("lifecycle:request-list"), {"kind": "offramp"}).content.decode()
    assert f"/requests/{b.pk}/" in html and f"/requests/{a.pk}/" not in html
    html = browser().get(reverse("lifecycle:request-list"), {"state": "submitted"}).content.decode()
    assert f"/requests/{a.pk}/" in html and f"/requests/{b.pk}/" not in html
    response = browser().get(reverse("lifecycle:request-list"), {"community": "alpha"})
    assert response.status_code == 200
    assert '<label for="id_kind">' in response.content.decode()


def _rows(n, product, community, by):
    LifecycleRequest.objects.all().delete()
    for _ in range(n):
        make_request(product, community, state="submitted", by=by)


def test_list_query_count_does_not_grow(newbie, community, browser, maintainer):
    client = browser(maintainer)

    def count(n):
        _rows(n, newbie, community, maintainer)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("lifecycle:request-list")).status_code == 200
        return len(ctx)

    assert count(3) == count(15)


# --- new --------------------------------------------------------------------------------


def test_new_requires_login(browser):
    assert login_redirect(browser().get(reverse("lifecycle:request-new")))


def test_new_is_prefilled_from_the_query(newbie, community, browser, maintainer):
    url = reverse("lifecycle:request-new") + "?product=newbie&community=alpha&kind=offramp"
    html = browser(maintainer).get(url).content.decode()
    # The picker (a select of the products the maintainer maintains) and the kind chosen.
    assert '<option value="newbie" selected>' in html
    assert '<option value="alpha" selected>' in html
    assert '<input type="hidden" name="kind" value="offramp"' in html
    assert '<label for="id_product">' in html


def test_creating_a_request_redirects_to_it(newbie, community, browser, maintainer):
    response = browser(maintainer).post(
        reverse("lifecycle:request-new"),
        {"kind": "onramp", "product": "newbie", "community": "alpha"},
    )
    req = LifecycleRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    assert req.requested_by == maintainer and req.state == "draft"


def test_the_form_reshows_with_errors_marked(newbie, community, browser, lead):
    response = browser(lead).post(
        reverse("lifecycle:request-new"),
        {"kind": "onramp", "product": "nope", "community": "alpha"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "No product with this slug." in html
    assert 'role="alert"' in html
    assert 'value="nope"' in html
    assert not LifecycleRequest.objects.exists()


def test_a_stranger_cannot_create_for_someone_elses_product(newbie, community, browser, stranger):
    response = browser(stranger).post(
        reverse("lifecycle:request-new"),
        {"kind": "onramp", "product": "newbie", "community": "alpha"},
    )
    assert response.status_code == 403
    assert "You may not open a request" in response.content.decode()
    assert not LifecycleRequest.objects.exists()


# --- detail -----------------------------------------------------------------------------


def test_detail_shows_the_checklist_as_text_and_symbol(community, browser, maintainer):
    bare = make_product("bare", maintainers=[maintainer])
    req = make_request(bare, community, state="submitted")
    html = browser().get(req.get_absolute_url()).content.decode()
    assert "Failed:" in html and "✗" in html
    assert "Passed:" in html and "✓" in html
    assert "P1 (unknown)" in html


def test_someone_elses_draft_is_404(newbie, community, browser, stranger, maintainer):
    req = make_request(newbie, community, by=maintainer)
    assert browser(stranger).get(req.get_absolute_url()).status_code == 404
    assert browser().get(req.get_absolute_url()).status_code == 404
    assert browser(maintainer).get(req.get_absolute_url()).status_code == 200


def _buttons(html):
    return {
        a
        for a in ("submit", "start_review", "approve", "reject", "withdraw")
        if f'value="{a}"' in html
    }


@pytest.mark.parametrize(
    ("role", "state", "expected"),
    [
        ("anonymous", "submitted", set()),
        ("stranger", "submitted", set()),
        ("maintainer", "draft", {"submit", "withdraw"}),
        ("maintainer", "in_review", {"withdraw"}),
        ("lead", "submitted", {"start_review", "withdraw"}),
        ("lead", "in_review", {"approve", "reject", "withdraw"}),
        ("other_lead", "in_review", set()),
        ("hub_admin", "approved", set()),
    ],
)
def test_only_the_actions_the_viewer_may_take_are_shown(
    role, state, expected, request, newbie, community, browser
):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    req = make_request(newbie, community, state=state)
    html = browser(user).get(req.get_absolute_url()).content.decode()
    assert _buttons(html) == expected


def test_an_action_moves_the_request_and_redirects(newbie, community, browser, maintainer):
    req = make_request(newbie, community, by=maintainer)
    url = reverse("lifecycle:request-action", args=[req.pk, "submit"])
    response = browser(maintainer).post(url, {"rationale": "Ready"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == "submitted"


def _refusal_redirects_back_with_a_message(client, url, req) -> str:
    """POST a refused action: a redirect to the request (POST/redirect/GET), whose page then
    shows the refusal as an error message; the request's state is unchanged."""
    state = req.state
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    html = client.get(response["Location"]).content.decode()
    assert '<ul class="messages"' in html and '<li class="error">' in html
    assert "Refused:" not in html
    req.refresh_from_db()
    assert req.state == state
    return html.split('<li class="error">', 1)[1].split("</li>", 1)[0]


def test_a_refused_transition_redirects_back_with_the_message(newbie, community, browser, lead):
    req = make_request(newbie, community, state="submitted")
    client = browser(lead)
    url = reverse("lifecycle:request-action", args=[req.pk, "approve"])
    message = _refusal_redirects_back_with_a_message(client, url, req)
    assert message == "Cannot approve a request in state &#x27;submitted&#x27;."
    # The message is shown once: a reload does not show it again, nor post again.
    assert "Cannot approve" not in client.get(req.get_absolute_url()).content.decode()


def test_a_refused_approval_lists_the_failing_items(community, browser, lead, maintainer):
    bare = make_product("bare", maintainers=[maintainer])
    req = make_request(bare, community, state="in_review")
    url = reverse("lifecycle:request-action", args=[req.pk, "approve"])
    message = _refusal_redirects_back_with_a_message(browser(lead), url, req)
    assert "P1 (unknown)" in message


def test_actions_are_refused_to_others(newbie, community, browser, stranger, maintainer):
    req = make_request(newbie, community, state="in_review")
    url = reverse("lifecycle:request-action", args=[req.pk, "approve"])
    assert login_redirect(browser().post(url))
    assert browser(stranger).post(url).status_code == 403
    assert browser(maintainer).post(url).status_code == 403
    assert browser(maintainer).get(url).status_code == 405
    req.refresh_from_db()
    assert req.state == "in_review"


def test_the_csrf_token_is_required(newbie, community, lead):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    req = make_request(newbie, community, state="submitted")
    response = client.post(reverse("lifecycle:request-action", args=[req.pk, "start_review"]))
    assert response.status_code == 403
    req.refresh_from_db()
    assert req.state == "submitted"


def test_offramp_page_shows_the_impact_and_approves_with_acknowledgement(
    product, other_product, community, browser, lead
):
    make_dependency(other_product, product)
    req = make_request(
        product,
        community,
        kind="offramp",
        state="in_review",
        support_organization="E4S",
        migration_notes="Notes",
    )
    html = browser().get(req.get_absolute_url()).content.decode()
    assert "Impact" in html and "/products/gadget/" in html
    url = reverse("lifecycle:request-action", args=[req.pk, "approve"])
    message = _refusal_redirects_back_with_a_message(browser(lead), url, req)
    assert "name a successor or acknowledge the dependents" in message
    response = browser(lead).post(url, {"acknowledge_dependents": "on"})
    assert response.status_code == 302
    assert Membership.objects.get(product=product, community=community).state == "offramped"


def test_the_edit_page(product, community, browser, maintainer, stranger):
    req = make_request(product, community, kind="offramp", state="submitted")
    url = reverse("lifecycle:request-edit", args=[req.pk])
    assert login_redirect(browser().get(url))
    assert browser(stranger).get(url).status_code == 403
    assert browser(maintainer).get(url).status_code == 200
    make_product("heir")
    response = browser(maintainer).post(
        url, {"successor": "heir", "migration_notes": "Go", "acknowledge_dependents": "on"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.successor.slug == "heir" and req.acknowledge_dependents


# --- decision and votes -----------------------------------------------------------------


@pytest.fixture
def reviewed(newbie, community, lead):
    seats = [make_user(f"seat{i}") for i in range(3)]
    make_body(community, seats=seats, requires_vote=True)
    req = make_request(newbie, community, state="submitted")
    from lifecycle import transitions

    transitions.request_start_review(request=req, by=lead)
    return req, seats


def test_the_vote_form_is_shown_to_seat_holders_only(reviewed, browser, lead):
    req, seats = reviewed
    assert "Cast vote" in browser(seats[0]).get(req.get_absolute_url()).content.decode()
    assert "Cast vote" not in browser(lead).get(req.get_absolute_url()).content.decode()
    assert "Cast vote" not in browser().get(req.get_absolute_url()).content.decode()


def test_voting_from_the_request_page(reviewed, browser, stranger):
    req, seats = reviewed
    url = reverse("lifecycle:decision-vote", args=[req.decision_id])
    response = browser(seats[0]).post(url, {"choice": "yes", "next": req.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    assert Vote.objects.get().choice == "yes"
    assert browser(stranger).post(url, {"choice": "yes"}).status_code == 403
    assert login_redirect(browser().post(url, {"choice": "yes"}))
    html = browser().get(req.get_absolute_url()).content.decode()
    assert "seat0" in html and "0 of 3" not in html and "1 of 3 seats voted" in html


def test_an_external_next_is_ignored(reviewed, browser):
    req, seats = reviewed
    url = reverse("lifecycle:decision-vote", args=[req.decision_id])
    response = browser(seats[0]).post(url, {"choice": "no", "next": "https://evil.example/"})
    assert response["Location"] == reverse("lifecycle:decision-detail", args=[req.decision_id])


def test_the_decision_page(reviewed, browser):
    req, seats = reviewed
    decisions.cast_vote(decision=req.decision, by=seats[1], choice="no", comment="Wait")
    response = browser().get(reverse("lifecycle:decision-detail", args=[req.decision_id]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wait" in html and f"/requests/{req.pk}/" in html
    assert browser().get(reverse("lifecycle:decision-detail", args=[999999])).status_code == 404


# --- review queue -----------------------------------------------------------------------


def test_the_review_queue_requires_login(browser):
    assert login_redirect(browser().get(reverse("lifecycle:review-queue")))


def test_the_queue_lists_the_leads_open_requests_oldest_first(
    newbie, community, other_community, browser, lead, hub_admin, stranger
):
    first = make_request(newbie, community, state="submitted")
    second = make_request(newbie, community, state="in_review")
    make_request(newbie, community)  # draft
    make_request(newbie, community, state="approved")
    elsewhere = make_request(newbie, other_community, state="submitted")
    LifecycleRequest.objects.filter(pk=first.pk).update(
        submitted_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    html = browser(lead).get(reverse("lifecycle:review-queue")).content.decode()
    shown = [
        pk
        for pk in LifecycleRequest.objects.values_list("pk", flat=True)
        if f"/requests/{pk}/" in html
    ]
    assert sorted(shown) == sorted([first.pk, second.pk])
    assert html.index(f"/requests/{first.pk}/") < html.index(f"/requests/{second.pk}/")
    html = browser(hub_admin).get(reverse("lifecycle:review-queue")).content.decode()
    assert f"/requests/{elsewhere.pk}/" in html
    response = browser(stranger).get(reverse("lifecycle:review-queue"))
    assert response.status_code == 200
    assert "Nothing awaits review." in response.content.decode()


def test_queue_query_count_does_not_grow(newbie, community, browser, lead):
    client = browser(lead)

    def count(n):
        _rows(n, newbie, community, None)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("lifecycle:review-queue")).status_code == 200
        return len(ctx)

    assert count(3) == count(15)
