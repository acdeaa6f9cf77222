"""A list page's SQL cost is bounded and does not grow with the number of rows it shows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from spokes.models import Policy
from tests.conftest import make_community, make_policy, make_policy_set, module_transaction
from tests.pages.conftest import build_catalog

MAX_QUERIES = 30

LIST_PAGES = [
    "/",
    "/products/",
    "/products/?q=item",
    "/products/?community=alpha&compliance=unknown&ordering=-name",
    "/products/?membership_state=active&license=BSD-3-Clause",
    "/products/?export=csv",
    "/products/?export=json",
    "/communities/alpha/",
    "/policy-sets/base/",
    "/events/",
    "/events/?community=alpha",
    "/feeds/events.atom",
    "/feeds/events.atom?community=alpha",
]


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.fixture(scope="module")
def costs(django_db_setup, django_db_blocker, request) -> dict[str, tuple[int, int]]:
    """{page: (queries with 3 rows, queries with 15 rows)}: the catalog is built once for
    every page, each page read first after each growth (a write advances the catalog
    version, so no page is answered from the response cache)."""
    with module_transaction(request, django_db_blocker, "costs"):
        policy_set = make_policy_set("base")
        make_policy(policy_set, "P1", title="Builds with Spack")
        make_policy(policy_set, "P2", title="Has tests")
        make_policy(policy_set, "P3", title="Nice to have", level=Policy.Level.RECOMMENDED)
        community = make_community("alpha", name="Alpha SDK", policy_set=policy_set)
        client = Client()
        build_catalog(3, community, policy_set)
        small = {url: _count(client, url) for url in LIST_PAGES}
        build_catalog(12, community, policy_set)
        large = {url: _count(client, url) for url in LIST_PAGES}
        yield {url: (small[url], large[url]) for url in LIST_PAGES}


@pytest.mark.parametrize("url", LIST_PAGES)
def test_list_pages_cost_the_same_for_3_and_15_rows(costs, url):
    small, large = costs[url]
    assert small == large, f"{url}: {small} queries for 3 rows, {large} for 15"
    assert large <= MAX_QUERIES
