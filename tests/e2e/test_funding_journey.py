"""Journey: a panel member signs in, finds the proposals assigned to them on "My work",
scores one, and sees it counted in the call's ranking."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from funding.models import Review
from tests.conftest import PASSWORD, make_user
from tests.funding.conftest import make_call, make_proposal, seat

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_panel_member_scores_an_assigned_proposal_and_sees_it_ranked(
    live_server, page, shot, community, product, maintainer
):
    panelist, conflicted = make_user("panelist"), make_user("conflicted")
    call = make_call("sustain", "under_review", title="Sustainability 2026")
    seat(call, panelist, expertise="Build systems")
    seat(call, conflicted, products=[product])
    make_proposal(call, community, maintainer, title="Faster solvers", state="under_review")
    make_proposal(
        call, community, maintainer, title="Widget upkeep", products=[product], state="under_review"
    )

    page.goto(live_server.url + "/accounts/login/?next=/me/")
    page.get_by_label("Username").fill(panelist.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/me/")
    assigned = page.locator("table.assigned-proposals")
    expect(page.get_by_role("heading", name="Proposals to review (2)")).to_be_visible()
    to_score = assigned.get_by_role("row", name="Faster solvers").get_by_text("To score")
    expect(to_score).to_be_visible()
    shot(page, "funding-my-work")

    assigned.get_by_role("link", name="Faster solvers").click()
    page.get_by_label("Impact (weight 3.00)").select_option("5")
    page.get_by_label("Feasibility (weight 2.00)").select_option("3")
    page.get_by_label("Comment", exact=True).fill("A clear plan.")
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_text("Your review is saved.")).to_be_visible()
    assert Review.objects.get(proposal__title="Faster solvers").scores == {
        "Impact": 5,
        "Feasibility": 3,
    }

    page.get_by_role("link", name="Sustainability 2026").click()
    ranking = page.locator("table.ranking")
    row = ranking.get_by_role("row", name="Faster solvers")
    expect(row.get_by_role("cell", name="4.20")).to_be_visible()  # (3*5 + 2*3) / 5
    expect(row.get_by_role("cell", name="1", exact=True).first).to_be_visible()
    shot(page, "funding-ranking")

    page.goto(live_server.url + "/me/")
    mine = page.locator("table.assigned-proposals").get_by_role("row", name="Faster solvers")
    expect(mine.get_by_text("Scored")).to_be_visible()
