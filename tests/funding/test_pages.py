"""The funding pages: the calls, a call (results published once decided), a proposal with
the panel's review form and the comments, and a panel member's assignments on "My work"."""

from __future__ import annotations

import pytest
from django.test import Client

from events.models import Event
from funding.models import Comment, FundingCall, Proposal, Review
from tests.conftest import make_community, make_user
from tests.funding.conftest import make_call, make_proposal, seat

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_calls_page_hides_draft_calls_but_from_hub_admins(funding_world, hub_admin):
    public = _client().get("/funding/").content.decode()
    assert "Call open-call" in public and "Call review-call" in public
    assert "Call draft-call" not in public
    assert "Call draft-call" in _client(hub_admin).get("/funding/").content.decode()
    assert _client().get("/funding/draft-call/").status_code == 404


def test_before_the_call_is_decided_only_the_panel_sees_the_ranking(funding_world, panelist, lead):
    public = _client(lead).get("/funding/review-call/").content.decode()
    assert "Impact" in public and "Build systems" in public  # criteria and panel
    assert 'id="results-h"' not in public
    assert _client(lead).get("/funding/review-call/?export=csv").status_code == 403
    panel = _client(panelist).get("/funding/review-call/").content.decode()
    assert "Ranking so far" in panel and "3.60" in panel  # (3*4 + 2*3) / 5


def test_a_panel_member_scores_a_proposal_on_its_page(funding_world, panelist):
    proposal = funding_world["under_review"]
    client = _client(panelist)
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert "Score each criterion from 0 to 5" in page and "5: used across facilities" in page
    response = client.post(
        f"/funding/proposals/{proposal.pk}/review/",
        {"score_0": "5", "score_1": "2", "comment": "Solid."},
    )
    assert response.status_code == 302
    review = Review.objects.get(proposal=proposal)
    assert review.scores == {"Impact": 5, "Feasibility": 2}
    assert Event.objects.filter(verb="proposal_reviewed").count() == 1


def test_a_review_missing_a_score_is_shown_again_with_the_error_marked(funding_world, panelist):
    proposal = funding_world["under_review"]
    response = _client(panelist).post(
        f"/funding/proposals/{proposal.pk}/review/", {"score_0": "5", "comment": "Half."}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "This field is required." in html
    assert "Half." in html
    assert not Review.objects.filter(proposal=proposal).exists()


def test_a_conflicted_member_sees_why_and_is_refused(funding_world, conflicted):
    proposal = funding_world["under_review"]
    client = _client(conflicted)
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert "declared a conflict of interest with widget" in page
    assert "Save review" not in page
    response = client.post(
        f"/funding/proposals/{proposal.pk}/review/", {"score_0": "5", "score_1": "5"}
    )
    assert response.status_code == 403
    assert not Review.objects.filter(proposal=proposal).exists()


def test_the_lead_of_the_spoke_comments_and_another_lead_may_not(funding_world, lead, other_lead):
    proposal = funding_world["submitted"]
    url = f"/funding/proposals/{proposal.pk}/comment/"
    assert _client(other_lead).post(url, {"body": "No."}).status_code == 403
    assert _client(lead).post(url, {"body": "Our users need it."}).status_code == 302
    assert list(Comment.objects.values_list("body", flat=True)) == ["Our users need it."]
    assert "Our users need it." in _client().get(proposal.get_absolute_url()).content.decode()


def test_a_draft_is_private_to_its_author(funding_world, maintainer, stranger):
    draft = funding_world["draft"]
    assert _client(stranger).get(draft.get_absolute_url()).status_code == 404
    page = _client(maintainer).get(draft.get_absolute_url()).content.decode()
    assert "<h1>Better builds</h1>" in page and "<h2>Plan</h2>" in page  # Markdown rendered
    assert _client(maintainer).post(f"/funding/proposals/{draft.pk}/submit/").status_code == 302
    assert Proposal.objects.get(pk=draft.pk).state == "submitted"


def test_my_work_lists_the_proposals_assigned_to_a_panel_member(
    funding_world, panelist, conflicted
):
    page = _client(panelist).get("/me/").content.decode()
    assert "Proposals to review (2)" in page and "To score" in page and "Scored" in page
    # The conflicted member declared a conflict with both proposals' product.
    assert "Proposals to review" not in _client(conflicted).get("/me/").content.decode()


def test_the_pages_read_a_fixed_number_of_queries(
    funding_world, community, maintainer, panelist, django_assert_max_num_queries
):
    call = funding_world["review_call"]
    member = call.panel.get(user=panelist)
    for n in range(6):
        p = make_proposal(call, community, maintainer, title=f"P{n}", state="under_review")
        Review.objects.create(proposal=p, panel_member=member, scores={"Impact": n % 6})
    FundingCall.objects.filter(pk=call.pk).update(state="decided")
    client = _client(panelist)
    with django_assert_max_num_queries(16):
        assert client.get("/funding/review-call/").status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get("/me/").status_code == 200
    for path in (
        "/api/v1/proposals/",
        "/api/v1/reviews/",
        "/api/v1/funding-calls/",
        "/api/v1/panel-members/",
        "/api/v1/funding-decisions/",
    ):
        with django_assert_max_num_queries(10):
            assert client.get(path).status_code == 200, path


def test_reviewers_are_named_where_the_call_says_so(community, maintainer, api_client):
    call = make_call("open-book", "decided", reviewers_public=True)
    member = seat(call, make_user("named", first_name="Nora", last_name="Named"))
    proposal = make_proposal(call, make_community("gamma"), maintainer, state="decided")
    Review.objects.create(proposal=proposal, panel_member=member, scores={"Impact": 3})
    assert api_client.get("/api/v1/reviews/").json()["results"][0]["reviewer"] == "named"
    assert "Nora Named" in api_client.get("/funding/open-book/").content.decode()


def test_a_calls_events_have_an_atom_feed(client_for, funding_world, maintainer):
    client_for(maintainer).post(f"/api/v1/proposals/{funding_world['draft'].pk}/submit/")
    feed = _client().get("/feeds/events.atom", {"call": "open-call"}).content.decode()
    assert "funding call open-call" in feed
    assert "Proposal submitted" in feed
    assert f"/funding/proposals/{funding_world['draft'].pk}/" in feed
    other = _client().get("/feeds/events.atom", {"call": "review-call"}).content.decode()
    assert "Proposal submitted" not in other
