"""Every page's SQL cost is bounded and does not grow with the number of rows shown."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_community, make_dependency, make_membership, make_product
from tests.pages.conftest import build_catalog

pytestmark = pytest.mark.django_db

MAX_QUERIES = 30


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


@pytest.mark.parametrize("suffix", ["", "badge.svg", "badge.svg?policy_set=base"])
def test_the_product_page_costs_the_same_for_3_and_15_related_rows(
    client, community, policy_set, suffix
):
    product = make_product("hub-product")
    make_membership(product, community)

    def grow(k: int) -> None:
        for _ in range(k):
            other = make_product()
            make_dependency(product, other)
            make_dependency(make_product(), product, kind="optional", when="+cuda")
            make_membership(product, make_community(policy_set=policy_set), state="offramped")

    grow(3)
    small = _count(client, f"/products/hub-product/{suffix}")
    grow(12)
    large = _count(client, f"/products/hub-product/{suffix}")
    assert small == large
    assert large <= MAX_QUERIES


def test_the_assessment_form_costs_the_same_for_3_and_15_products(
    client_as, community, policy_set, product, maintainer
):
    client = client_as(maintainer)
    url = f"/products/{product.slug}/assessments/?policy_set=base"
    small = _count(client, url)
    build_catalog(12, community, policy_set)
    large = _count(client, url)
    assert small == large
