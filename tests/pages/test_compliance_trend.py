"""The community page's compliance over time: a chart (two layouts of one inline SVG)
with an accessible name and description, a legend, and the numbers in a table whose
last row is today's counts."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products.models import Assessment
from spokes.models import Community
from tests.conftest import make_assessment, make_community, make_membership, make_product

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def charts(html: str) -> dict[str, ET.Element]:
    found = {}
    pattern = r'<svg xmlns="http://www.w3.org/2000/svg" class="picture trend trend-(\w+)"'
    for match in re.finditer(pattern, html):
        end = html.index("</svg>", match.start()) + len("</svg>")
        found[match.group(1)] = ET.fromstring(html[match.start() : end])
    return found


def table_rows(html: str) -> list[list[str]]:
    section = html[html.index('id="trend-h"') :]
    body = section[section.index("<tbody>") : section.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, flags=re.S)
        ]
        for r in rows
    ]


def test_a_spoke_page_charts_its_members_compliance(client, community, policy_set):
    p1, p2, _ = policy_set.own_policies().order_by("code")
    for slug, statuses in {
        "a": ("full", "full"),
        "b": ("none", "full"),
        "c": ("partial", None),
    }.items():
        product = make_product(slug)
        make_membership(product, community)
        for policy, status in zip((p1, p2), statuses, strict=True):
            if status:
                make_assessment(product, policy, status)
    html = client.get("/communities/alpha/").content.decode()
    drawn = charts(html)
    assert set(drawn) == {"wide", "narrow"}
    for svg in drawn.values():
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby").split()
        by_id = {el.get("id"): "".join(el.itertext()) for el in svg.iter() if el.get("id")}
        assert by_id[title_id] == "Compliance of Alpha SDK's active members, month by month"
        assert "1 compliant, 0 partial, 1 noncompliant, 1 unknown (not assessed)" in by_id[desc_id]
        tips = ["".join(t.itertext()) for t in svg.iter(f"{SVG}title")]
        assert any(tip.endswith(": 1 of 3 compliant") for tip in tips)
    # The numbers beside the chart: this month so far is today's counts.
    [*_, last] = table_rows(html)
    assert last[1:] == ["1", "0", "1", "1", "3"]
    assert "(to " in last[0]
    assert 'aria-label="Legend of the compliance chart"' in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_the_chart_escapes_the_community_name(client, policy_set):
    spoke = make_community("evil", name='<script>alert("x")</script> & Co', policy_set=policy_set)
    make_membership(make_product("a"), spoke)
    html = client.get("/communities/evil/").content.decode()
    assert "<script>alert" not in html
    svg = charts(html)["wide"]
    assert next(svg.iter(f"{SVG}title")).text == (
        'Compliance of <script>alert("x")</script> & Co\'s active members, month by month'
    )


def test_no_chart_without_members_or_for_a_community_of_practice(client, community, policy_set):
    assert charts(client.get("/communities/alpha/").content.decode()) == {}
    practice = make_community("practice", kind=Community.Kind.PRACTICE, policy_set=policy_set)
    make_membership(make_product("a"), practice)
    html = client.get("/communities/practice/").content.decode()
    assert charts(html) == {} and 'id="trend-h"' not in html


def _cold_queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_costs_the_same_for_one_month_of_history_and_twelve(client, community, policy_set):
    p1 = policy_set.own_policies().get(code="P1")
    product = make_product("a")
    make_membership(product, community)
    assessment = make_assessment(product, p1, "none")
    one_month = _cold_queries(client, "/communities/alpha/")
    # Eleven earlier months of changes to the same assessment.
    for months_ago in range(11, 0, -1):
        assessment.status = ("full", "none")[months_ago % 2]
        assessment.save()
        latest = Assessment.history.filter(id=assessment.pk).order_by("-history_id").first()
        when = timezone.now() - datetime.timedelta(days=31 * months_ago)
        Assessment.history.filter(history_id=latest.history_id).update(history_date=when)
    Assessment.history.filter(id=assessment.pk, history_type="+").update(
        history_date=timezone.now() - datetime.timedelta(days=31 * 12)
    )
    html = client.get("/communities/alpha/").content.decode()
    assert len(table_rows(html)) == 12
    assert _cold_queries(client, "/communities/alpha/") == one_month
    # A repeat view with no write in between reads the chart from the cache.
    with CaptureQueriesContext(connection) as ctx:
        client.get("/communities/alpha/")
    assert len(ctx.captured_queries) < one_month
