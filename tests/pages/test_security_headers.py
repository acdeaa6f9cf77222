"""Every kind of page the site serves carries the Content-Security-Policy and the other
security headers, and holds no inline script or style that the policy would block."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from lifecycle.models import LifecycleRequest
from products.heatmap import STYLES
from tests.conftest import PASSWORD, make_assessment

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
BADGE_POLICY = ("default-src 'none'", "frame-ancestors 'none'")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style[\s>]|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.I)


@pytest.fixture
def world(product, community, policy_set, maintainer):
    from spokes.models import Policy

    make_assessment(product, Policy.objects.get(code="P1"), "full")
    return LifecycleRequest.objects.create(
        kind="onramp",
        product=product,
        community=community,
        requested_by=maintainer,
        state="submitted",
    )


def _pages(request_pk: int) -> list[str]:
    return [
        "/",
        "/products/",
        "/products/?q=widget&community=alpha",
        "/products/widget/",
        "/products/widget/badge.svg",
        "/communities/alpha/",
        "/policy-sets/base/",
        "/requests/",
        f"/requests/{request_pk}/",
        "/requests/new/",
        "/review/",
        "/events/",
        "/feeds/events.atom",
        "/accounts/login/",
        "/account/",
        "/admin/login/",
        "/admin/",
        "/api/v1/",
        "/api/v1/products/",
        "/api/v1/products/?format=csv",
        "/api/docs/",
        "/api/docs/?script=",
        "/no-such-page/",
    ]


def _assert_headers(path: str, response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    # The badge is a document of its own (an image other sites embed): it may load nothing.
    wanted = BADGE_POLICY if path.endswith("badge.svg") else POLICY
    for directive in wanted:
        assert directive in csp, (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert response.headers["X-Frame-Options"] == "DENY", path
    assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert response.headers["Referrer-Policy"] == "same-origin", path
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", path
    assert "camera=()" in response.headers["Permissions-Policy"], path


def _assert_no_inline_code(path: str, response) -> None:
    kind = response.headers.get("Content-Type", "")
    if not kind.startswith(("text/html", "image/svg+xml")):
        return
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body), (path, INLINE_SCRIPT.search(body))
    assert not INLINE_STYLE.search(body), (path, INLINE_STYLE.search(body))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "hub_admin"])
def test_every_page_kind_carries_the_policy_and_no_inline_code(client, world, who):
    if who == "hub_admin":
        User.objects.create_user("admin", password=PASSWORD, is_staff=True, is_superuser=True)
        assert client.login(username="admin", password=PASSWORD)
    for path in _pages(world.pk):
        response = client.get(path)
        assert response.status_code in (200, 302, 404), (path, response.status_code)
        _assert_headers(path, response)
        _assert_no_inline_code(path, response)


@pytest.mark.django_db
def test_a_failed_sign_in_and_a_post_answer_carry_the_policy_too(client, world):
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    _assert_headers("/accounts/login/ POST", response)
    response = client.post("/api/v1/products/", {}, content_type="application/json")
    assert response.status_code in (401, 403)
    _assert_headers("/api/v1/products/ POST", response)


@pytest.mark.django_db
def test_the_setting_is_the_policy_the_pages_carry(client):
    assert client.get("/").headers["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY


def test_the_heatmap_legend_colours_in_the_stylesheet_are_the_heatmaps():
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    for key, style in STYLES.items():
        rule = re.search(rf"\.swatch-{key} \{{([^}}]*)\}}", css)
        assert rule, key
        assert f"background: {style.fill};" in rule.group(1), key
        assert f"color: {style.ink};" in rule.group(1), key
