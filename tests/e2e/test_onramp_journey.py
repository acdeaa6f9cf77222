"""The onramp journey in a real browser: a maintainer asks, a lead reviews and approves."""

from __future__ import annotations

import re

import pytest

from spokes.models import Policy
from tests.conftest import PASSWORD, make_assessment, make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, base_url: str, user) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_maintainer_asks_to_join_and_a_lead_approves(
    live_server, browser, page, shot, product, maintainer, lead, policy_set
):
    candidate = make_product("solverkit", maintainers=[maintainer])
    for code in ("P1", "P2"):
        make_assessment(candidate, Policy.objects.get(code=code), "full")

    # The maintainer opens an onramp request from a prefilled form and submits it.
    sign_in(page, live_server.url, maintainer)
    page.goto(live_server.url + "/requests/new/?kind=onramp&product=solverkit&community=alpha")
    shot(page, "new-request")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r".*/requests/\d+/$"))
    request_path = page.url.removeprefix(live_server.url)
    checklist = page.locator("section[aria-labelledby=checklist]").inner_text()
    assert "Failed" not in checklist, checklist
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_load_state()
    assert "Submitted" in page.locator("main").inner_text()
    shot(page, "submitted")

    # The lead finds it in the review queue, starts the review and approves.
    lead_context = browser.new_context(viewport={"width": 1280, "height": 900})
    lead_page = lead_context.new_page()
    sign_in(lead_page, live_server.url, lead)
    lead_page.goto(live_server.url + "/review/")
    shot(lead_page, "review-queue")
    lead_page.locator(f'a[href="{request_path}"]').first.click()
    lead_page.wait_for_url("**" + request_path)
    lead_page.get_by_role("button", name="Start review", exact=True).click()
    lead_page.wait_for_load_state()
    lead_page.get_by_role("button", name="Approve", exact=True).click()
    lead_page.wait_for_load_state()
    assert "Approved" in lead_page.locator("main").inner_text()
    # The checklist reads as it stood at approval, not "already a member" afterwards.
    recorded = lead_page.locator("section[aria-labelledby=checklist]").inner_text()
    assert "As it stood when the request was approved" in recorded
    assert "Failed" not in recorded, recorded
    shot(lead_page, "approved")
    lead_context.close()

    # The product page now lists the new active membership.
    page.goto(live_server.url + "/products/solverkit/")
    memberships = page.locator("main").inner_text()
    assert re.search(r"Alpha SDK.*active", memberships, re.IGNORECASE | re.DOTALL), memberships
    shot(page, "product-member")
