"""Planning lists, pages and figures cost a fixed number of queries, whatever their rows."""

from __future__ import annotations

import datetime

import pytest

from planning import dashboard, services
from planning.models import AnnualPlan, Meeting, Milestone
from tests.conftest import make_community, make_product

D = datetime.date
pytestmark = pytest.mark.django_db


def _world(n: int, hub_admin) -> None:
    for i in range(n):
        community = make_community(f"q{n}-{i}")
        plan = AnnualPlan.objects.create(community=community, year=2025)
        for j in range(3):
            m = Milestone.objects.create(plan=plan, title=f"M{j}", due=D(2025, 3 + j, 1))
            m.products.add(make_product(f"q{n}-{i}-{j}"))
            services.record_progress(
                by=hub_admin, milestone=m, date=D(2025, 2, 1), status="at_risk"
            )
        services.request_change(by=hub_admin, plan=plan, kind="drop", milestone=m, reason="r")
        meeting = Meeting.objects.create(
            slug=f"m{n}-{i}", title="M", kind="other", starts=D(2025, 1, 1), ends=D(2025, 1, 1)
        )
        meeting.communities.add(community)


@pytest.mark.parametrize("n", [1, 4])
@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/api/v1/plans/", 8),
        ("/api/v1/milestones/", 8),
        ("/api/v1/change-requests/", 7),
        ("/api/v1/meetings/", 8),
        ("/plans/?year=2025&as_of=2025-06-01", 12),
        ("/meetings/", 9),
    ],
)
def test_lists_cost_the_same_whatever_their_rows(
    client, hub_admin, django_assert_max_num_queries, n, url, limit
):
    _world(n, hub_admin)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [1, 4])
def test_the_plan_page_costs_the_same_whatever_its_milestones(
    client, lead, plan, product, django_assert_max_num_queries, n
):
    for j in range(n):
        m = Milestone.objects.create(plan=plan, title=f"M{j}", due=D(2025, 3, 1))
        m.products.add(product)
        services.record_progress(by=lead, milestone=m, date=D(2025, 2, 1), status="on_track")
        services.request_change(by=lead, plan=plan, kind="drop", milestone=m, reason="r")
    client.force_login(lead)
    with django_assert_max_num_queries(16):
        assert client.get(plan.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("n", [1, 4])
def test_the_dashboard_figures_are_one_query_each(hub_admin, django_assert_num_queries, n):
    _world(n, hub_admin)
    with django_assert_num_queries(1):
        assert len(dashboard.plans_for(2025)) == n
    with django_assert_num_queries(1):
        assert len(dashboard.at_risk(D(2025, 6, 1))) == 3 * n
    with django_assert_num_queries(1):
        assert len(dashboard.overdue(D(2025, 6, 1))) == 3 * n
