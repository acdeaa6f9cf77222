"""The main journeys in a real browser (headless Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from spokes.models import Policy
from tests.conftest import PASSWORD, make_assessment, make_body, make_product
from tests.e2e.test_onramp_journey import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(product, other_product, community, policy_set):
    """widget (alpha, one assessment), gadget (beta) and a few more products."""
    make_assessment(
        product, Policy.objects.get(code="P1"), "full", evidence_url="https://ci.example.org/w"
    )
    for slug, summary, licence in [
        ("solverkit", "Sparse linear solvers for large systems", "MIT"),
        ("meshgen", "Unstructured mesh generation", "BSD-3-Clause"),
        ("plotter", "Plots and visualisation of fields", "Apache-2.0"),
    ]:
        make_product(slug, summary=summary, license=licence)
    return product


def test_browse_search_facet_and_open_a_product(live_server, page, shot, catalog):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="The PESO hub and its spokes")).to_be_visible()
    shot(page, "home")
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.wait_for_url("**/products/")
    expect(page.get_by_text("5 products")).to_be_visible()
    shot(page, "catalog")

    page.get_by_label("Search products").fill("widget")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/products/?q=widget*")
    expect(page.get_by_text("1 product.")).to_be_visible()
    shot(page, "search")

    page.goto(live_server.url + "/products/")
    page.locator(".facets").get_by_role("link", name="MIT").click()
    page.wait_for_url("**license=MIT*")
    expect(page.get_by_text("1 product.")).to_be_visible()
    expect(page.locator(".results").get_by_role("link", name="Solverkit")).to_be_visible()
    shot(page, "facet-license")
    page.get_by_role("link", name="License: MIT").click()  # remove the filter
    page.locator(".facets").get_by_role("link", name="Alpha SDK").click()
    page.wait_for_url("**community=alpha*")
    expect(page.get_by_text("1 product.")).to_be_visible()
    shot(page, "facet-spoke")

    page.locator(".results").get_by_role("link", name="Widget").click()
    page.wait_for_url("**/products/widget/")
    compliance = page.locator("#compliance-base")
    assert "unknown" in compliance.inner_text()
    row = page.get_by_role("row", name="P1 Builds with Spack")
    assert "full" in row.inner_text()
    assert row.get_by_role("link", name="evidence").get_attribute("href") == (
        "https://ci.example.org/w"
    )
    shot(page, "product")


def test_a_maintainer_edits_assessments_and_the_badge_changes(
    live_server, page, shot, catalog, maintainer
):
    badge_url = live_server.url + "/products/widget/badge.svg"

    def badge_text() -> str:
        return page.evaluate(
            "url => fetch(url, {cache: 'no-store'}).then(r => r.text())", badge_url
        )

    page.goto(live_server.url + "/products/widget/")
    before = badge_text()
    assert "unknown 1/2" in before
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill(maintainer.username)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "login")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()

    page.goto(live_server.url + "/products/widget/")
    page.get_by_role("link", name="Edit assessments for base").click()
    page.wait_for_url("**/assessments/?policy_set=base")
    shot(page, "assessments-form")
    # First a partial without justification: the form comes back with the error marked.
    page.get_by_label("P2 status").select_option("partial")
    page.get_by_role("button", name="Save assessments").click()
    expect(page.get_by_text("A justification is required")).to_be_visible()
    expect(page.locator("#row-P2.has-error")).to_be_visible()
    shot(page, "assessments-error")
    page.get_by_label("P2 status").select_option("full")
    page.get_by_role("button", name="Save assessments").click()
    page.wait_for_url("**/products/widget/#compliance-base")
    assert "compliant" in page.locator("#compliance-base").inner_text()
    img = page.get_by_role("img", name="Compliance badge of Widget")
    img.scroll_into_view_if_needed()
    shot(page, "product-after")

    after = badge_text()
    assert "compliant 2/2" in after
    assert after != before
    # The page's own <img> shows the new badge at once (it carries a version parameter).
    assert (
        page.evaluate("() => document.querySelector('img[alt^=\"Compliance badge\"]').naturalWidth")
        > 0
    )


def test_the_catalog_works_by_keyboard_alone(live_server, page, shot, catalog):
    page.goto(live_server.url + "/products/")

    def tab_until(predicate_js: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate_js):
                return
        raise AssertionError(f"never reached focus: {predicate_js}")

    tab_until("document.activeElement.id === 'q'")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.type("solvers")
    page.keyboard.press("Enter")
    page.wait_for_url("**/products/?q=solvers*")
    shot(page, "keyboard-results")
    tab_until("!!document.activeElement.closest('.results h3')")
    shot(page, "keyboard-focus-on-result")
    page.keyboard.press("Enter")
    page.wait_for_url("**/products/solverkit/")
    assert page.get_by_role("heading", level=1).inner_text() == "Solverkit"
    shot(page, "keyboard-product")


def test_pages_fit_a_phone_screen(live_server, browser, shot, catalog, community, lead, maintainer):
    """At 375 px no page kind scrolls sideways, even with long words in its content."""
    from lifecycle import transitions

    long_word = "https://example.org/" + "a-very-long-path-segment-" * 6
    make_assessment(
        catalog,
        Policy.objects.get(code="P2"),
        "partial",
        justification=f"Only some of the tests run in CI; the rest are listed at {long_word}",
    )
    candidate = make_product("solverkit-plus", maintainers=[maintainer], homepage=long_word)
    req = transitions.request_create(
        by=maintainer, kind="onramp", product=candidate, community=community, rationale=long_word
    )
    transitions.request_submit(request=req, by=maintainer)
    make_body(community, seats=[maintainer, lead], requires_vote=True)
    transitions.request_start_review(request=req, by=lead)
    req.refresh_from_db()

    anonymous = [
        ("home", "/"),
        ("catalog", "/products/"),
        ("search", "/products/?q=solvers&license=MIT"),
        ("product", "/products/widget/"),
        ("product-long", "/products/solverkit-plus/"),
        ("community", "/communities/alpha/"),
        ("policy-set", "/policy-sets/base/"),
        ("events", "/events/"),
        ("requests", "/requests/"),
        ("request", req.get_absolute_url()),
        ("login", "/accounts/login/"),
    ]
    signed_in = [
        ("my-work", "/me/"),
        ("review-queue", "/review/"),
        ("request-as-lead", req.get_absolute_url()),
        ("decision", f"/decisions/{req.decision_id}/"),
        ("account", "/account/"),
        ("form-product-new", "/products/new/"),
        ("form-product-edit", "/products/widget/edit/"),
        ("form-assessments", "/products/widget/assessments/?policy_set=base"),
        ("form-dependencies", "/products/widget/dependencies/"),
        ("form-request-new", "/requests/new/"),
        ("form-request-offramp", "/requests/new/?kind=offramp&product=widget&community=alpha"),
        ("form-community-edit", "/communities/alpha/edit/"),
        ("form-roles", "/communities/alpha/roles/"),
    ]
    maintainer.is_staff = True  # sees every form: a hub admin who maintains widget
    maintainer.is_superuser = True
    maintainer.save()
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    try:
        for group, pages in [("anonymous", anonymous), ("signed-in", signed_in)]:
            if group == "signed-in":
                sign_in(page, live_server.url, maintainer)
            for name, path in pages:
                response = page.goto(live_server.url + path)
                assert response.status == 200, f"{path} answered {response.status}"
                scroll, inner = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                assert scroll <= inner, f"{path} scrolls sideways: {scroll}px in {inner}px"
                # Status badges are in sight without scrolling a table sideways.
                for selector in [".compliance-table .badge", "table.requests .badge"]:
                    for box in [b.bounding_box() for b in page.locator(selector).all()]:
                        assert box["x"] >= 0 and box["x"] + box["width"] <= inner, (
                            f"{path}: a {selector} lies outside the screen: {box}"
                        )
                shot(page, f"phone-{name}")
    finally:
        context.close()


def test_on_a_phone_the_catalog_filters_are_a_drawer_above_the_results(
    live_server, browser, shot, catalog
):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/products/")
        drawer = page.locator("details.facets")
        results = page.locator("#results")
        expect(drawer.locator("summary")).to_be_visible()
        assert drawer.bounding_box()["y"] < results.bounding_box()["y"]
        # Closed, the drawer keeps the first result on the first screen.
        mit = drawer.get_by_role("link", name="MIT")
        expect(mit).to_be_hidden()
        assert page.locator(".results li h3").first.bounding_box()["y"] < 812
        shot(page, "drawer-closed")

        drawer.locator("summary").click()
        expect(mit).to_be_visible()
        assert drawer.bounding_box()["y"] < results.bounding_box()["y"]
        shot(page, "drawer-open")
        mit.click()
        page.wait_for_url("**license=MIT*")
        expect(page.get_by_text("1 product.")).to_be_visible()
        assert page.locator("details.facets summary").inner_text().startswith("Filters (1")
    finally:
        context.close()

    # On a wide screen the same facets stand open beside the results, with no handle.
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/products/")
        drawer = page.locator("details.facets")
        expect(drawer.locator("summary")).to_be_hidden()
        expect(drawer.get_by_role("link", name="MIT")).to_be_visible()
        facets_box, results_box = drawer.bounding_box(), page.locator("#results").bounding_box()
        assert facets_box["x"] + facets_box["width"] <= results_box["x"]
    finally:
        context.close()


def _luminance(css_colour: str) -> float:
    """Relative luminance (WCAG) of a computed 'rgb(r, g, b)' colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css_colour)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_site_follows_the_readers_colour_scheme(live_server, browser, shot, catalog, scheme):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        for path in ["/", "/products/widget/"]:
            page.goto(live_server.url + path)
            colours = page.evaluate(
                """() => {
                  const css = el => getComputedStyle(el);
                  const section = document.querySelector('main > section');
                  const badge = document.querySelector('.badge[class*="status-"]');
                  return {
                    page: css(document.body).backgroundColor, text: css(document.body).color,
                    panel: css(section).backgroundColor, panelText: css(section).color,
                    badge: css(badge).backgroundColor, badgeText: css(badge).color,
                    scheme: css(document.documentElement).colorScheme,
                  };
                }"""
            )
            page_bg, text = _luminance(colours["page"]), _luminance(colours["text"])
            if scheme == "dark":
                assert page_bg < 0.05 and text > 0.6, colours
                assert _luminance(colours["panel"]) < 0.05, colours
                assert _luminance(colours["badge"]) < _luminance(colours["badgeText"]), colours
            else:
                assert page_bg > 0.85 and text < 0.05, colours
                assert _luminance(colours["panel"]) > 0.9, colours
                assert _luminance(colours["badge"]) > _luminance(colours["badgeText"]), colours
            # Text on its background keeps at least the 4.5:1 contrast of WCAG AA.
            for bg, fg in [("page", "text"), ("panel", "panelText"), ("badge", "badgeText")]:
                hi, lo = sorted([_luminance(colours[bg]), _luminance(colours[fg])], reverse=True)
                assert (hi + 0.05) / (lo + 0.05) >= 4.5, (bg, fg, colours)
            assert "dark" in colours["scheme"]  # form controls and scrollbars follow too
            shot(page, f"{scheme}-{path.strip('/').replace('/', '-') or 'home'}")
    finally:
        context.close()


def test_pages_and_the_api_docs_run_under_the_content_security_policy(
    live_server, page, shot, catalog
):
    """The page fixture fails the test on any CSP violation the browser reports; Swagger
    UI (its own script and styles, served by the app) still renders the operations."""
    for path in ["/", "/communities/alpha/", "/products/widget/", "/accounts/login/"]:
        page.goto(live_server.url + path)
        assert "default-src 'self'" in page.evaluate(
            "fetch(location.href).then(r => r.headers.get('content-security-policy'))"
        )
    page.goto(live_server.url + "/api/docs/")
    page.get_by_text("/api/v1/products/", exact=False).first.wait_for()
    shot(page, "api-docs")
