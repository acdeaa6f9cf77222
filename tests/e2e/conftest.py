"""Browser tests: Playwright's sync API driving Debian's chromium against live_server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package", autouse=True)
def allow_orm_beside_playwright():
    """Playwright's sync API runs an event loop in this thread; Django's ORM (used by the
    fixtures that build data) would otherwise refuse to run "in an async context".

    Set for this package only (not at import), so that it never leaks into other tests
    (the deploy check, for one, rightly refuses to see it).
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser(allow_orm_beside_playwright):
    """One browser for the package, closed before the other tests run (its event loop
    would otherwise make Django see every later test as async)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # Any request that leaves the test server is a bug (no CDN, no external assets).
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else None
        ),
    )
    # Anything the Content-Security-Policy blocks is a bug too: the browser reports it on
    # the console ("Refused to ...") and as a securitypolicyviolation event.
    violations: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' at ' + "
        "e.sourceFile + ':' + e.lineNumber));"
    )
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text or m.text.startswith("CSP violation")
            else None
        ),
    )
    yield page
    context.close()
    assert outside == [], f"requests left the site: {outside}"
    assert violations == [], f"the Content-Security-Policy blocked: {violations}"


@pytest.fixture
def shot(request):
    """shot(page, name): a full-page screenshot into ARTIFACTS_DIR for the lead to look at."""
    folder = Path(os.environ.get("ARTIFACTS_DIR", "test-artifacts")) / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"\W+", "_", request.node.name).strip("_")
    counter = iter(range(1, 1000))

    def _shot(page, name: str) -> Path:
        path = folder / f"{test}-{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
