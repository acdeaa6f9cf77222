"""Guided lifecycle journeys in a real browser: a maintainer sets several assessments at
once; the request page says what is missing and where it is fixed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from products.models import Assessment
from spokes.models import Policy
from tests.conftest import make_assessment, make_body, make_product, make_user
from tests.e2e.test_onramp_journey import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 375)


def shots(page, shot, name: str) -> None:
    """The page at desktop and phone widths; on the phone nothing scrolls sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"{name}-{width}")
        if width == 375:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 375px"
    page.set_viewport_size({"width": 1366, "height": 900})


def test_a_maintainer_sets_several_assessments_at_once(
    live_server, page, shot, product, maintainer, policy_set
):
    make_assessment(product, Policy.objects.get(code="P1"), "full")
    sign_in(page, live_server.url, maintainer)
    page.goto(live_server.url + "/products/widget/")
    page.get_by_role("link", name="Edit assessments for base").click()
    page.wait_for_url("**/assessments/?policy_set=base")
    shots(page, shot, "assessments")

    # Nothing ticked: the form comes back with the problem marked, nothing written.
    page.get_by_label("New status").select_option("partial")
    page.get_by_role("button", name="Set the selected policies").click()
    expect(page.get_by_text("Select at least one policy in the table.")).to_be_visible()
    expect(page.get_by_text("The selected policies were not changed")).to_be_visible()
    shots(page, shot, "assessments-bulk-error")
    assert not Assessment.objects.filter(status="partial").exists()

    page.get_by_label("Select P2").check()
    page.get_by_label("Select P3").check()
    page.get_by_label("New status").select_option("partial")
    page.get_by_label("Justification for all").fill("Tests run on Linux only.")
    page.get_by_role("button", name="Set the selected policies").click()
    page.wait_for_url("**/assessments/?policy_set=base")

    message = page.locator("ul.messages li.success")
    assert message.inner_text() == (
        "2 policies of Policy set base 1.0 set to Partial: 2 changed, 0 already so."
    )
    for code in ("P2", "P3"):
        assert page.get_by_label(f"{code} status").input_value() == "partial"
        assert page.get_by_label(f"{code} justification").input_value() == (
            "Tests run on Linux only."
        )
    assert page.get_by_label("P1 status").input_value() == "full"
    shots(page, shot, "assessments-bulk-done")

    # The product page shows the new statuses.
    page.goto(live_server.url + "/products/widget/")
    row = page.get_by_role("row", name=re.compile(r"P2 Has tests"))
    assert "partial" in row.inner_text()


def test_the_request_page_lists_what_approval_waits_for(
    live_server, page, shot, community, lead, maintainer, policy_set
):
    seats = [make_user(f"seat{i}") for i in range(3)]
    make_body(community, seats=seats, requires_vote=True)
    candidate = make_product("solverkit", maintainers=[maintainer])
    make_assessment(candidate, Policy.objects.get(code="P1"), "full")
    from lifecycle import transitions

    req = transitions.request_create(
        by=maintainer, kind="onramp", product=candidate, community=community
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)

    sign_in(page, live_server.url, lead)
    page.goto(live_server.url + req.get_absolute_url())
    approve = page.get_by_role("button", name="Approve")
    assert approve.is_disabled()
    blockers = page.locator("#approve-blockers").inner_text()
    assert "P2 (unknown)" in blockers and "0 of 3 seats voted" in blockers
    reject = page.get_by_role("button", name="Reject")
    assert "danger" in reject.get_attribute("class")
    shots(page, shot, "request-approve-blocked")

    # The maintainer follows the failing item's link to the assessments page.
    page.context.clear_cookies()
    sign_in(page, live_server.url, maintainer)
    page.goto(live_server.url + req.get_absolute_url())
    page.locator("li[data-key=policies]").get_by_role(
        "link", name="Assess the mandatory policies"
    ).click()
    page.wait_for_url("**/products/solverkit/assessments/?policy_set=base")
    shots(page, shot, "request-fix-followed")


def test_a_lead_imports_an_xsdk_compatibility_file_from_the_product_page(
    live_server, page, shot, product, lead, policy_set
):
    from tests.api.test_imports import DATA
    from tests.conftest import make_policy, make_policy_set

    xsdk = make_policy_set("xsdk", version="1.0.0", base=policy_set)
    for n in range(1, 18):
        make_policy(xsdk, f"M{n}", title=f"Mandatory {n}")
    sign_in(page, live_server.url, lead)
    page.goto(live_server.url + "/products/widget/")
    page.get_by_role("link", name="Import an xSDK compatibility file").click()
    page.wait_for_url("**/products/widget/import/xsdk/")
    shots(page, shot, "compat-import")

    # A file with no policy table is rejected whole, with its line and reason.
    page.get_by_label("xSDK compatibility file").set_input_files(str(DATA / "xsdk/no-table.md"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("The file was rejected; nothing was written.")).to_be_visible()
    assert "no-table.md:5" in page.locator(".problems").inner_text()
    shots(page, shot, "compat-import-rejected")

    path = DATA / "xsdk/mathkit-policy-compatibility.md"
    page.get_by_label("xSDK compatibility file").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/products/widget/#compliance-h")
    success = page.locator("ul.messages li.success").inner_text()
    assert success.startswith("Imported mathkit-policy-compatibility.md (xSDK 1.0.0 numbering):")
    assert Assessment.objects.filter(product=product, source="imported").exists()


def test_a_maintainer_chooses_the_kind_and_gets_only_its_fields(
    live_server, page, shot, product, maintainer
):
    sign_in(page, live_server.url, maintainer)
    page.goto(live_server.url + "/requests/new/?product=widget&community=alpha")
    shots(page, shot, "request-new-choose")
    page.get_by_role("link", name="Offramp", exact=True).click()
    page.wait_for_url("**/requests/new/?kind=offramp*")
    expect(page.get_by_label("Migration notes")).to_be_visible()
    assert page.locator("#id_product").input_value() == "widget"
    shots(page, shot, "request-new-offramp")
    page.get_by_role("link", name="Open an onramp instead").click()
    page.wait_for_url("**/requests/new/?kind=onramp*")
    assert page.get_by_label("Migration notes").count() == 0
    shots(page, shot, "request-new-onramp")
