"""Pages at Spack scale: the community heatmap is paginated, the home page's counts are
computed per set from the members that use it and agree with the compliance module."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.compliance import Status, summarize_many
from products.models import Assessment, Membership, Product
from spokes.views import MEMBERS_PAGE_SIZE
from tests.conftest import (
    make_assessment,
    make_community,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
)

pytestmark = pytest.mark.django_db


def _members(community, policy_set, n: int, prefix: str = "m") -> list[Product]:
    """n active members of `community`, each assessed on its set's own policies, cheaply."""
    products = Product.objects.bulk_create(
        Product(slug=f"{prefix}{i:03d}", name=f"{prefix.upper()}{i:03d}") for i in range(n)
    )
    Membership.objects.bulk_create(
        Membership(product=p, community=community, state=Membership.State.ACTIVE) for p in products
    )
    policies = list(policy_set.own_policies())
    Assessment.objects.bulk_create(
        Assessment(
            product=p,
            policy=policy,
            status=("full", "none", "partial")[i % 3],
            justification="Work in progress" if i % 3 == 2 else "",
        )
        for i, p in enumerate(products)
        for policy in policies
        if policy.level != "recommended" or i % 2
    )
    return products


def _heatmap_rows(html: str) -> list[str]:
    """The member names labelling the heatmap's rows."""
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" class="heatmap"') :]
    svg = svg[: svg.index("</svg>")]
    return re.findall(r'text-anchor="end" fill="#0b5394">([^<]*)</text>', svg)


def _member_list_rows(html: str) -> list[str]:
    section = html[html.index('id="members-h"') : html.index('id="requests-h"')]
    return re.findall(r'<tr><td><a href="/products/(m\d+)/">', section)


def test_the_heatmap_and_member_list_show_100_members_a_page(client, community, policy_set):
    _members(community, policy_set, MEMBERS_PAGE_SIZE + 5)

    first = client.get("/communities/alpha/").content.decode()
    rows = _heatmap_rows(first)
    assert len(rows) == MEMBERS_PAGE_SIZE == 100
    assert rows[0] == "M000" and rows[-1] == "M099"
    assert _member_list_rows(first) == [f"m{i:03d}" for i in range(100)]
    # Every cell still carries its status as text.
    cells = re.findall(r'<use href="#hm-\w+" x="\d+"><title>M000 — ', first)
    assert len(cells) == len(policy_set.effective_policies())
    assert "105 active" in first and "Active members (105)" in first
    assert "Members 1\u2013100 of 105, page 1 of 2" in first
    assert "Compliance of active members 1\u2013100 of 105 of Alpha SDK" in first
    assert 'href="?members_page=2#heatmap-h" rel="next"' in first
    assert "Next members" in first and "Previous members" not in first

    second = client.get("/communities/alpha/?members_page=2").content.decode()
    assert _heatmap_rows(second) == [f"M{i:03d}" for i in range(100, 105)]
    assert _member_list_rows(second) == [f"m{i:03d}" for i in range(100, 105)]
    assert "Members 101\u2013105 of 105, page 2 of 2" in second
    assert 'href="?members_page=1#members-h" rel="prev"' in second
    assert "Next members" not in second


def test_member_page_links_keep_the_other_query_parameters(client, community, policy_set):
    _members(community, policy_set, MEMBERS_PAGE_SIZE + 1)
    html = client.get("/communities/alpha/?members_page=2&lang=en").content.decode()
    assert 'href="?members_page=1&amp;lang=en#heatmap-h"' in html
    # Out of range or not a number: the nearest page, not an error.
    assert "page 2 of 2" in client.get("/communities/alpha/?members_page=99").content.decode()
    assert "page 1 of 2" in client.get("/communities/alpha/?members_page=x").content.decode()


def test_a_small_community_has_no_member_pages(client, community, policy_set):
    _members(community, policy_set, 3)
    html = client.get("/communities/alpha/").content.decode()
    assert len(_heatmap_rows(html)) == 3
    assert "Compliance of 3 active members of Alpha SDK" in html
    assert 'class="pagination"' not in html


def _queries(client, url: str) -> int:
    """The queries of a cold view: the compliance-over-time chart kept in the cache by an
    earlier view would make a repeat view cheaper."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_community_page_costs_the_same_for_3_and_105_members(client, policy_set):
    small = make_community("small", name="Small", policy_set=policy_set)
    large = make_community("large", name="Large", policy_set=policy_set)
    _members(small, policy_set, 3, prefix="s")
    _members(large, policy_set, 105, prefix="l")
    n_small = _queries(client, "/communities/small/")
    assert _queries(client, "/communities/large/") == n_small
    assert _queries(client, "/communities/large/?members_page=2") == n_small


def test_the_heatmap_loads_only_the_assessment_fields_it_needs(client, community, policy_set):
    _members(community, policy_set, 3)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/communities/alpha/")
    sql = [q["sql"] for q in ctx.captured_queries if 'FROM "products_assessment"' in q["sql"]]
    assert len(sql) == 1
    assert '"products_assessment"."evidence"' not in sql[0]
    assert '"products_assessment"."justification"' in sql[0]


def test_home_counts_agree_with_the_compliance_module(client, policy_set):
    """Two sets (one built on the other), members in several communities: the home page's
    compliant counts are those summarize_many gives for each community's members."""
    derived = make_policy_set("derived", base=policy_set)
    make_policy(derived, "D1", title="Has docs")
    make_policy(derived, "D2", title="Optional", level="recommended")
    base_policies = list(policy_set.effective_policies())
    derived_policies = list(derived.effective_policies())
    alpha = make_community("alpha", name="Alpha SDK", policy_set=policy_set)
    beta = make_community("beta", name="Beta SDK", policy_set=derived)
    gamma = make_community("gamma", name="Gamma SDK", policy_set=derived)
    make_community("delta", name="Delta SDK")  # no policy set

    statuses = ["full", "na", "none", "partial", None]
    products = []
    for i in range(12):
        p = make_product(f"p{i:02d}")
        products.append(p)
        for j, policy in enumerate(derived_policies + base_policies):
            status = statuses[(i + j) % len(statuses)]
            if status and not Assessment.objects.filter(product=p, policy=policy).exists():
                extra = {"justification": "Not relevant"} if status in ("na", "partial") else {}
                make_assessment(p, policy, status, **extra)
    # Some products fully compliant with both sets.
    for p in products[:3]:
        for policy in derived_policies + base_policies:
            Assessment.objects.update_or_create(
                product=p, policy=policy, defaults={"status": "full", "justification": ""}
            )
    # One product assessed on a single policy only: unknown against both sets.
    unassessed = make_product("p12")
    make_assessment(unassessed, base_policies[0], "full")
    # "na" with a whitespace-only justification (the services refuse one; the database
    # does not) is not satisfied, as in Summary.
    blank_na = make_product("p13")
    for policy in base_policies:
        make_assessment(
            blank_na,
            policy,
            "na" if policy.code == "P1" else "full",
            justification="  " if policy.code == "P1" else "",
        )
    members = {
        alpha: [*products[0:8], unassessed, blank_na],
        beta: products[2:10],
        gamma: [*products[6:12], unassessed],
    }
    for community, ps in members.items():
        for p in ps:
            make_membership(p, community)
    # Past members are not counted.
    make_membership(products[11], alpha, state="offramped")

    html = client.get("/").content.decode()
    seen_statuses = set()
    for community, ps in members.items():
        summaries = summarize_many(ps, community.policy_set)
        seen_statuses |= {s.status for s in summaries.values()}
        card = _card(html, community.name)
        for status in Status.ALL:
            n = sum(1 for s in summaries.values() if s.status == status)
            assert f">{n} {status}</a>" in card, (community.slug, status)
    # The world exercises every status.
    assert seen_statuses == set(Status.ALL)
    assert "Delta SDK" in html and "No policy set" in html


def _card(html: str, name: str) -> str:
    """The home page's card of one spoke."""
    cards = html.split('<li class="card">')[1:]
    (card,) = [c for c in cards if f">{name}</a></h3>" in c]
    return card.split("</li>")[0]
