"""Journey (a): a stakeholder, not signed in, finds the xSDK products that meet every
mandatory policy through the catalog's facets and downloads them as CSV."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from playwright.sync_api import expect

from products.compliance import summaries_for
from products.models import Product, Waiver
from spokes.models import Policy
from tests.conftest import (
    make_assessment,
    make_community,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# More than one page of the catalog (25 a page): the download is the whole view.
MEETING = 27


@pytest.fixture
def xsdk_world(community):
    """xSDK (its own set: three mandatory policies, one recommended) with members that meet
    every mandatory policy (some through an `na` with a justification, or a waiver) and
    members that do not; Alpha SDK (the `base` set) beside it."""
    xsdk_set = make_policy_set("xsdk", name="xSDK community policies")
    m1, m2, m3 = (make_policy(xsdk_set, code) for code in ("M1", "M2", "M3"))
    make_policy(xsdk_set, "R1", level=Policy.Level.RECOMMENDED)
    xsdk = make_community("xsdk", name="xSDK", policy_set=xsdk_set)
    base = list(Policy.objects.filter(policy_set__slug="base", level=Policy.Level.MANDATORY))

    def member(slug, statuses, *, also_alpha=False):
        product = make_product(slug)
        make_membership(product, xsdk)
        if also_alpha:
            make_membership(product, community)  # and nothing assessed against `base`
        for policy, status in zip((m1, m2, m3), statuses, strict=True):
            if status:
                make_assessment(product, policy, status)
        return product

    for n in range(MEETING - 3):
        member(f"solver{n:02d}", ("full", "full", "full"))
    member("with-na", ("full", "na", "full"))
    waived = member("with-waiver", ("full", "full", "none"))
    Waiver.objects.create(
        product=waived,
        policy=m3,
        reason="Being assessed",
        expires_on=datetime.date.today() + datetime.timedelta(days=30),
    )
    member("also-alpha", ("full", "full", "full"), also_alpha=True)
    member("partial-m1", ("partial", "full", "full"))
    member("unassessed-m3", ("full", "full", None))
    member("fails-m2", ("full", "none", "full"))
    # Meets every mandatory policy of Alpha's set, but is no xSDK product.
    alpha_only = make_product("alpha-only")
    make_membership(alpha_only, community)
    for policy in base:
        make_assessment(alpha_only, policy, "full")
    return xsdk, xsdk_set


def _meeting_every_mandatory_policy(xsdk, xsdk_set) -> set[str]:
    """What the database holds: the xSDK products whose summary against xSDK's set has
    every mandatory policy met or waived."""
    products = Product.objects.filter(memberships__community=xsdk).distinct()
    summaries = summaries_for(products, [xsdk_set])
    by_pk = {p.pk: p.slug for p in products}
    return {
        by_pk[pk]
        for pk, sets in summaries.items()
        if sets["xsdk"].mandatory.ok == sets["xsdk"].mandatory.total
    }


def test_a_stakeholder_downloads_the_xsdk_products_meeting_every_mandatory_policy(
    live_server, page, shot, xsdk_world
):
    expected = _meeting_every_mandatory_policy(*xsdk_world)
    assert len(expected) == MEETING and "with-waiver" in expected and "with-na" in expected

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Catalog", exact=True).first.click()
    page.wait_for_url("**/products/")
    facets = page.locator(".facets")
    facets.get_by_role("list", name="Spoke (SPC)").get_by_role(
        "link", name=re.compile(r"^xSDK\b")
    ).click()
    page.wait_for_url("**community=xsdk*")
    facets.get_by_role("list", name="Every mandatory policy met").get_by_role(
        "link", name=re.compile(r"^yes\b")
    ).click()
    page.wait_for_url(
        re.compile(r"community=xsdk.*mandatory_met=true|mandatory_met=true.*community=xsdk")
    )
    expect(page.get_by_text(f"{MEETING} products — page 1 of 2")).to_be_visible()
    shot(page, "xsdk-mandatory-met")

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    slugs = [row["slug"] for row in rows]
    assert len(slugs) == len(set(slugs))
    assert set(slugs) == expected
    for row in rows:
        assert "xsdk:compliant" in row["compliance"], row
