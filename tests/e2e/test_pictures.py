"""The pictures in a real browser: the product page's dependency neighbourhood and the
community page's compliance over time, at desktop and phone widths and in print."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from products.models import Assessment, Membership
from spokes.models import Policy
from tests.conftest import (
    make_assessment,
    make_community,
    make_dependency,
    make_membership,
    make_product,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _dated(instance, days_ago: int) -> None:
    model = type(instance)
    row = model.history.filter(id=instance.pk).order_by("-history_id").first()
    when = timezone.now() - datetime.timedelta(days=days_ago)
    model.history.filter(history_id=row.history_id).update(history_date=when)


@pytest.fixture
def world(community, policy_set):
    """Solver: 12 products depend on it (some members of Alpha SDK), it depends on BLAS (a
    member), MPI and CUDA (optional); Alpha SDK's members improved over six months."""
    p1, p2 = Policy.objects.get(code="P1"), Policy.objects.get(code="P2")
    solver = make_product("solver", name="Solver")
    make_membership(solver, community)
    blas = make_product("blas", name="BLAS")
    make_membership(blas, make_community("beta", name="Beta SDK"))
    make_dependency(solver, blas)
    make_dependency(solver, make_product("mpi", name="MPI"))
    make_dependency(solver, make_product("cuda", name="CUDA"), kind="optional", when="+cuda")
    for i in range(12):
        app = make_product(f"app{i}", name=f"Application {i}")
        make_dependency(app, solver, kind="optional" if i % 3 else "required")
        if i < 8:
            membership = make_membership(app, community)
            _dated(membership, 200)
            # Each member: assessed none long ago, improved month by month.
            first = make_assessment(app, p1, "none")
            _dated(first, 190 - i * 5)
            if i % 4 != 3:
                first.status = "full" if i % 2 == 0 else "partial"
                first.justification = "Tracked in the team's plan."
                first.save()
                _dated(first, 150 - i * 15)
            if i % 2 == 0:
                _dated(make_assessment(app, p2, "full"), 100 - i * 10)
    assert Assessment.objects.count() and Membership.objects.count()
    return solver


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_dependency_neighbourhood(live_server, page, shot, world):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/products/solver/")
    wide = page.locator("svg.nb-wide")
    expect(wide).to_be_visible()
    expect(page.locator("svg.nb-narrow")).to_be_hidden()
    blas = wide.get_by_role("link", name="BLAS, a dependency of Solver, member of Beta SDK")
    expect(blas).to_be_visible()
    expect(wide.get_by_role("link", name="and 2 more dependents")).to_be_visible()
    shot(page, "product-1366")
    page.set_viewport_size({"width": 375, "height": 800})
    narrow = page.locator("svg.nb-narrow")
    expect(narrow).to_be_visible()
    expect(wide).to_be_hidden()
    _no_sideways_scroll(page)
    shot(page, "product-375")
    narrow.get_by_role("link", name="CUDA, a dependency of Solver, optional (when +cuda)").click()
    page.wait_for_url("**/products/cuda/")
    page.go_back()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("svg.nb-wide").get_by_role("link", name="and 2 more dependents").click()
    page.wait_for_url("**/products/solver/#dependents-h")


def test_the_compliance_over_time(live_server, page, shot, world):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/communities/alpha/")
    chart = page.locator("svg.trend-wide")
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "img"
    assert (
        page.get_by_role(
            "img", name="Compliance of Alpha SDK's active members, month by month"
        ).count()
        == 1
    )
    expect(page.get_by_role("table", name="Active members of Alpha SDK").first).to_be_hidden()
    page.get_by_text("The numbers, month by month").click()
    table = page.get_by_role("table", name="Active members of Alpha SDK", exact=False)
    expect(table).to_be_visible()
    first = timezone.localdate() - datetime.timedelta(days=190)  # the first assessment
    today = timezone.localdate()
    months = (today.year - first.year) * 12 + today.month - first.month + 1
    assert table.locator("tbody tr").count() == months
    shot(page, "community-1366")
    page.set_viewport_size({"width": 375, "height": 800})
    expect(page.locator("svg.trend-narrow")).to_be_visible()
    expect(chart).to_be_hidden()
    _no_sideways_scroll(page)
    shot(page, "community-375")
    # Printed: the wide chart, black on white, with the table open.
    page.get_by_text("The numbers, month by month").click()  # closed again
    page.set_viewport_size({"width": 1366, "height": 900})
    page.emulate_media(media="print")
    expect(chart).to_be_visible()
    expect(table).to_be_visible()
    shot(page, "community-print")
    page.goto(live_server.url + "/products/solver/")
    expect(page.locator("svg.nb-wide")).to_be_visible()
    shot(page, "product-print")
