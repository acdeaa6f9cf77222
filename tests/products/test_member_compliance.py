"""The catalog's compliance filter without a community, checked against the reference
computation (products.compliance.summarize) on a world with several sets."""

from __future__ import annotations

import html
import itertools
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from products.compliance import Status, summarize
from products.filters import ProductFilter
from products.models import Membership, Product
from spokes.models import Policy
from tests.conftest import (
    make_assessment,
    make_community,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
    module_transaction,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, request):
    with module_transaction(request, django_db_blocker, "world"):
        yield _build_world()


@pytest.fixture
def world(_world, db):
    """Four communities under three sets and none, and products in every status (built
    once for the module's tests)."""
    return _world


def _build_world():
    base = make_policy_set("hubset")
    p1 = make_policy(base, "P1")
    make_policy(base, "P2")
    make_policy(base, "P3", level=Policy.Level.RECOMMENDED)
    child = make_policy_set("childset", base=base)
    make_policy(child, "M1", adapts=p1)
    make_policy(child, "M2")
    empty = make_policy_set("emptyset")
    make_policy(empty, "R1", level=Policy.Level.RECOMMENDED)
    communities = [
        make_community("hubby", policy_set=base),
        make_community("childy", policy_set=child),
        make_community("loose", policy_set=empty),
        make_community("noset"),
    ]
    statuses = ["full", "partial", "none", "na", None]
    policies = list(Policy.objects.all())
    combos = itertools.product(statuses, repeat=3)
    for i, combo in enumerate(itertools.islice(combos, 0, None, 3)):
        product = make_product(f"p{i:03d}")
        for policy, status in zip(policies[i % 3 :], combo, strict=False):
            if status is not None:
                make_assessment(product, policy, status)
        community = communities[i % len(communities)]
        make_membership(product, community)
        if i % 5 == 0:
            make_membership(product, communities[(i + 1) % len(communities)])
        if i % 7 == 0:
            make_membership(product, communities[(i + 2) % len(communities)], state="offramped")
    return communities


def _expected(status: str) -> set[str]:
    out = set()
    for product in Product.objects.all():
        for membership in product.memberships.filter(state=Membership.State.ACTIVE):
            policy_set = membership.community.policy_set
            if policy_set and summarize(product, policy_set).status == status:
                out.add(product.slug)
    return out


@pytest.mark.parametrize("status", Status.ALL)
def test_the_filter_matches_the_reference_computation(world, status):
    filtered = ProductFilter({"compliance": status}, queryset=Product.objects.all()).qs
    assert {p.slug for p in filtered} == _expected(status)


def test_every_status_occurs_in_the_world(world):
    assert all(_expected(status) for status in Status.ALL)


def _compliance_facet_links(body: str) -> dict[str, tuple[str, int]]:
    """{label: (href, count)} of the links in the catalog's compliance facet."""
    facet = re.search(r'<ul aria-labelledby="facet-compliance">(.*?)</ul>', body, re.S)
    assert facet, "no compliance facet"
    links = re.findall(
        r'<a href="([^"]*)">\s*<span>([^<]*)</span><span class="count">(\d+)</span></a>',
        facet.group(1),
    )
    return {label: (html.unescape(href), int(count)) for href, label, count in links}


def test_the_catalog_facet_counts_match_the_filter(world, client):
    links = _compliance_facet_links(client.get("/products/").content.decode())
    # Every status occurs in this world (see above), so each one must be a link.
    assert set(links) == set(Status.ALL)
    for status in Status.ALL:
        n = len(_expected(status))
        href, count = links[status]
        assert parse_qs(urlsplit(href).query) == {"compliance": [status]}, href
        assert count == n, (status, count, n)
        filtered = client.get(f"/products/{href}").content.decode()
        assert re.search(rf"\b{n} products?\b", filtered), (status, n)
        # Each status fits on the first page of results in this world.
        shown = set(re.findall(r'<h3><a href="/products/([^/"]+)/">', filtered))
        assert shown == _expected(status), status
