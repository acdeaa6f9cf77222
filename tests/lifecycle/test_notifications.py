"""Notification e-mails of the lifecycle (lifecycle.notifications): who is told, what, and
only once the step is committed."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction

from accounts.models import Preferences
from events.errors import TransitionNotAllowed
from lifecycle import transitions
from lifecycle.notifications import contact_address
from products.models import ProductUse, Stakeholder
from tests.conftest import (
    make_body,
    make_dependency,
    make_membership,
    make_product,
    make_user,
)
from tests.lifecycle.test_transitions import assess_all, make_request


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://registry.example.org"
    settings.DEFAULT_FROM_EMAIL = "PESO Registry <registry@example.org>"


@pytest.fixture
def commit(db, django_capture_on_commit_callbacks):
    """Run the code under test as if its transaction committed (on_commit callbacks run).

    Asked before ``mailoutbox``: the database fixture starts a fresh outbox, which
    ``mailoutbox`` must be the one of."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


@pytest.fixture
def newbie(maintainer, policy_set):
    product = make_product("newbie", maintainers=[maintainer])
    assess_all(product, policy_set)
    return product


def recipients(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_the_requester_is_told_each_state_their_request_reaches(
    commit, mailoutbox, newbie, community, maintainer, lead
):
    req = make_request(newbie, community, by=maintainer)
    commit(transitions.request_submit, request=req, by=maintainer)
    assert mailoutbox == []  # their own step
    commit(transitions.request_start_review, request=req, by=lead, rationale="Looks complete.")
    commit(transitions.request_approve, request=req, by=lead)
    assert [m.to for m in mailoutbox] == [[maintainer.email], [maintainer.email]]
    review, approval = mailoutbox
    subject = "Onramp of Newbie into Alpha SDK"
    assert review.subject == f"[PESO Registry] Your request is in review: {subject}"
    assert approval.subject == f"[PESO Registry] Your request was approved: {subject}"
    assert review.from_email == "PESO Registry <registry@example.org>"
    assert f"https://registry.example.org/requests/{req.pk}/" in approval.body
    assert "by lead" in approval.body
    assert "Looks complete." in review.body
    assert "https://registry.example.org/account/#notifications" in review.body
    assert review.content_subtype == "plain"


@pytest.mark.parametrize(
    ("action", "state", "words"),
    [("reject", "in_review", "was rejected"), ("withdraw", "submitted", "was withdrawn")],
)
def test_a_lead_rejecting_or_withdrawing_tells_the_requester(
    commit, mailoutbox, newbie, community, maintainer, lead, action, state, words
):
    req = make_request(newbie, community, by=maintainer, state=state)
    commit(transitions.perform, action, request=req, by=lead)
    assert recipients(mailoutbox) == [maintainer.email]
    assert words in mailoutbox[0].subject


def test_the_requester_withdrawing_their_own_request_gets_no_mail(
    commit, mailoutbox, newbie, community, maintainer
):
    req = make_request(newbie, community, by=maintainer, state="submitted")
    commit(transitions.request_withdraw, request=req, by=maintainer)
    assert mailoutbox == []


def test_seat_holders_are_asked_to_vote_when_the_review_opens_the_decision(
    commit, mailoutbox, newbie, community, maintainer, lead
):
    alice, bob, silent, noaddress = (make_user(n) for n in ("alice", "bob", "silent", "noaddr"))
    noaddress.email = ""
    noaddress.save()
    Preferences.objects.create(user=silent, notify_votes=False)
    body = make_body(community, seats=[alice, bob, lead, silent, noaddress], requires_vote=True)
    req = make_request(newbie, community, by=maintainer, state="submitted")
    commit(transitions.request_start_review, request=req, by=lead)
    # The seat holders (not the lead who opened it, not one who opted out, not one without
    # an address) and the requester; each on their own message.
    assert recipients(mailoutbox) == sorted([alice.email, bob.email, maintainer.email])
    assert all(len(m.to) == 1 for m in mailoutbox)
    vote = next(m for m in mailoutbox if m.to == [alice.email])
    assert vote.subject == "[PESO Registry] Your vote is requested: Onramp of Newbie into Alpha SDK"
    req.refresh_from_db()
    assert f"https://registry.example.org/decisions/{req.decision_id}/" in vote.body
    assert f"{body.name} requires a vote" in vote.body


def test_a_body_member_whose_term_has_ended_is_not_asked(
    commit, mailoutbox, newbie, community, lead
):
    former = make_user("former")
    body = make_body(community, seats=[former])
    body.seats.update(term_end=datetime.date.today() - datetime.timedelta(days=1))
    req = make_request(newbie, community, state="submitted")
    commit(transitions.request_start_review, request=req, by=lead)
    assert mailoutbox == []


def test_a_requester_who_turned_request_mail_off_is_not_told(
    commit, mailoutbox, newbie, community, maintainer, lead
):
    Preferences.objects.create(user=maintainer, notify_requests=False)
    req = make_request(newbie, community, by=maintainer, state="in_review")
    commit(transitions.request_reject, request=req, by=lead)
    assert mailoutbox == []


def test_a_refused_transition_sends_nothing(
    commit, mailoutbox, newbie, community, maintainer, lead
):
    make_body(community, seats=[make_user("voter")], requires_vote=True)
    req = make_request(newbie, community, by=maintainer, state="submitted")
    with pytest.raises(TransitionNotAllowed):
        commit(transitions.request_approve, request=req, by=lead)
    assert mailoutbox == []


def test_a_rolled_back_transition_sends_nothing(
    db, django_capture_on_commit_callbacks, mailoutbox, newbie, community, maintainer, lead
):
    make_body(community, seats=[make_user("voter")])
    req = make_request(newbie, community, by=maintainer, state="submitted")
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        transitions.request_start_review(request=req, by=lead)
        raise RuntimeError("a later write in the same transaction fails")
    assert mailoutbox == []
    req.refresh_from_db()
    assert req.state == "submitted"


def test_an_approved_offramp_tells_dependents_maintainers_and_stakeholder_contacts(
    commit, mailoutbox, product, community, lead, maintainer, other_community
):
    dep_one, dep_two, inactive_dep_owner = (make_user(n) for n in ("dep1", "dep2", "idle"))
    for slug, owner in (("consumer", dep_one), ("user-app", dep_two)):
        dependent = make_product(slug, name=slug.title(), maintainers=[owner, lead])
        make_membership(dependent, other_community)
        make_dependency(dependent, product)
    # A dependent that is no active member is not on the checklist's impact list, but its
    # team builds on the product too and is told.
    make_dependency(make_product("dormant", maintainers=[inactive_dep_owner]), product)
    facility = Stakeholder.objects.create(slug="olcf", name="OLCF")
    team = Stakeholder.objects.create(slug="app-team", name="App <Team> & Co")
    page_only = Stakeholder.objects.create(slug="web", name="Web only")
    ProductUse.objects.create(product=product, stakeholder=facility, contact="Ada <ada@olcf.gov>")
    ProductUse.objects.create(product=product, stakeholder=team, contact="ops@app.example")
    ProductUse.objects.create(product=product, stakeholder=page_only, contact="https://x.org/")
    req = make_request(
        product,
        community,
        by=maintainer,
        kind="offramp",
        state="in_review",
        support_organization="E4S",
        end_of_support=datetime.date(2027, 6, 30),
        migration_notes="Move to the successor.",
        acknowledge_dependents=True,
    )
    commit(transitions.request_approve, request=req, by=lead)
    assert recipients(mailoutbox) == sorted(
        [
            "ada@olcf.gov",
            "ops@app.example",
            dep_one.email,
            dep_two.email,
            inactive_dep_owner.email,
            maintainer.email,
        ]
    )
    to_dep = next(m for m in mailoutbox if m.to == [dep_one.email])
    assert to_dep.subject == (
        "[PESO Registry] Widget is offramped from Alpha SDK: Consumer depends on it"
    )
    assert "End of support: 2027-06-30" in to_dep.body
    assert "Move to the successor." in to_dep.body
    assert "https://registry.example.org/products/widget/" in to_dep.body
    to_team = next(m for m in mailoutbox if m.to == ["ops@app.example"])
    assert to_team.subject == (
        "[PESO Registry] Widget is offramped from Alpha SDK (used by App <Team> & Co)"
    )
    # Plain text: names are written as they are, never HTML-escaped.
    assert "App <Team> & Co is recorded in the registry as using it" in to_team.body
    assert "#notifications" not in to_team.body  # not an account holder


def test_offramp_mail_is_not_sent_to_those_who_opted_out(
    commit, mailoutbox, product, community, lead, other_community
):
    quiet = make_user("quiet")
    Preferences.objects.create(user=quiet, notify_offramps=False)
    dependent = make_product("consumer", maintainers=[quiet])
    make_membership(dependent, other_community)
    make_dependency(dependent, product)
    stakeholder = Stakeholder.objects.create(slug="olcf", name="OLCF")
    ProductUse.objects.create(product=product, stakeholder=stakeholder, contact=quiet.email)
    req = make_request(
        product,
        community,
        kind="offramp",
        state="in_review",
        support_organization="E4S",
        migration_notes="n",
        acknowledge_dependents=True,
    )
    commit(transitions.request_approve, request=req, by=lead)
    assert mailoutbox == []


def test_a_failing_mail_server_does_not_undo_the_step(
    commit, settings, newbie, community, maintainer, lead, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    req = make_request(newbie, community, by=maintainer, state="in_review")
    commit(transitions.request_reject, request=req, by=lead)
    req.refresh_from_db()
    assert req.state == "rejected"
    assert "Could not send 1 notification e-mail" in caplog.text


@pytest.mark.parametrize(
    ("contact", "address"),
    [
        ("Ada Lovelace <ada@lab.gov>", "ada@lab.gov"),
        ("ada@lab.gov", "ada@lab.gov"),
        ("Ada Lovelace", ""),
        ("https://lab.gov/contact", ""),
        ("", ""),
    ],
)
def test_a_contact_is_written_to_only_when_it_holds_an_address(contact, address):
    assert contact_address(contact) == address


def test_the_api_notifies_as_the_pages_do(
    commit, mailoutbox, client_for, newbie, community, maintainer, lead, stranger
):
    make_body(community, seats=[make_user("alice")])
    req = make_request(newbie, community, by=maintainer, state="submitted")
    # A refused call sends nothing.
    response = commit(client_for(stranger).post, f"/api/v1/requests/{req.pk}/start_review/")
    assert response.status_code == 403
    assert mailoutbox == []
    response = commit(client_for(lead).post, f"/api/v1/requests/{req.pk}/start_review/")
    assert response.status_code == 200
    assert recipients(mailoutbox) == ["alice@example.org", maintainer.email]
