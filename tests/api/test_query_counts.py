"""Every list endpoint costs the same number of queries for 5 rows as for 12 (or 500)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.log import record
from products.models import Area, ProductUse, Stakeholder
from tests.conftest import (
    grant,
    make_assessment,
    make_body,
    make_community,
    make_dependency,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
    make_user,
)

ROWS = 12


@pytest.fixture
def big_world(db):
    """At least 12 rows behind every list endpoint, each with its related rows."""
    base = make_policy_set("e4s")
    for code in ("P1", "P2", "P3"):
        make_policy(base, code)
    sets = [base]
    for i in range(ROWS):
        ps = make_policy_set(f"set{i:02d}", base=sets[-1] if i % 2 else base)
        make_policy(ps, f"S{i}")
        sets.append(ps)
    area = Area.objects.create(slug="math", name="Math")
    previous = None
    for i in range(ROWS):
        user = make_user(f"u{i:02d}")
        community = make_community(f"c{i:02d}", policy_set=sets[i % 4])
        grant(user, community)
        make_body(community, seats=[user])
        product = make_product(f"p{i:02d}", maintainers=[user])
        product.areas.add(area)
        make_membership(product, community)
        make_membership(product, make_community(f"x{i:02d}", policy_set=sets[(i + 1) % 5]))
        if previous is not None:
            make_dependency(product, previous)
        for policy in base.policies.all():
            make_assessment(product, policy, "full", assessed_by=user)
        record("product_registered", actor=user, product=product, community=community)
        stakeholder = Stakeholder.objects.create(slug=f"s{i:02d}", name=f"S{i:02d}")
        ProductUse.objects.create(product=product, stakeholder=stakeholder, note="runs it")
        if previous is not None:
            ProductUse.objects.create(product=previous, stakeholder=stakeholder)
        previous = product


def count_queries(client, url: str, page_size: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": page_size})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["results"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Each pin counts one query for the catalog version (the HTTP validators,
        # peso_registry/middleware.py), whatever the page size.
        # 4: the count, the stored compliance's stale rows, the page (plain values,
        # with its areas, maintainers, memberships, dependencies, dependents, uses,
        # stored compliance, the releases including it and whether a current E4S
        # environment is recorded, built as JSON by PostgreSQL in the same query), and
        # the version.
        ("/api/v1/products/", 4),
        ("/api/v1/communities/", 5),
        ("/api/v1/policy-sets/", 5),
        ("/api/v1/assessments/", 3),
        ("/api/v1/events/", 3),
        # The count, the page, its uses with their products, its contacts, the version.
        ("/api/v1/stakeholders/", 5),
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_list_query_count_does_not_grow_with_page_size(
    big_world, client_for, url, expected, signed_in
):
    client = client_for(make_user("reader") if signed_in else None)
    small, small_rows = count_queries(client, url, 5)
    large, large_rows = count_queries(client, url, 100)
    assert small_rows == 5
    assert large_rows >= ROWS
    assert small == large, f"{url}: {small} queries for 5 rows, {large} for {large_rows}"
    assert large <= expected, f"{url}: {large} queries (pinned at {expected})"


@pytest.mark.django_db
def test_filtered_product_lists_stay_flat_too(big_world, api_client):
    for query in ("compliance=compliant", "community=c01&compliance=unknown", "q=p01"):
        url = f"/api/v1/products/?{query}"
        small, _ = count_queries(api_client, url, 5)
        large, _ = count_queries(api_client, url, 100)
        assert small == large, query


@pytest.mark.django_db
def test_a_product_detail_costs_a_fixed_number_of_queries(big_world, api_client):
    with CaptureQueriesContext(connection) as ctx:
        assert api_client.get("/api/v1/products/p05/").status_code == 200
    # 3: the product as a row of the list (its lists, stored compliance and releases in
    # the same query), the stored compliance's stale rows, and the catalog version.
    assert len(ctx.captured_queries) <= 3
