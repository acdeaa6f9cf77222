"""What the pages show: badge, heatmap, sanitised charter, exports, no external assets."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse

from spokes.models import Policy
from tests.conftest import (
    make_assessment,
    make_dependency,
    make_membership,
    make_product,
    make_user,
)
from tests.pages.conftest import build_catalog

pytestmark = pytest.mark.django_db


def _policy(code: str) -> Policy:
    return Policy.objects.get(code=code)


def test_the_badge_changes_when_an_assessment_changes(client, product, policy_set):
    first = client.get("/products/widget/badge.svg")
    assert first["Content-Type"].startswith("image/svg+xml")
    assert "max-age=300" in first["Cache-Control"] and "public" in first["Cache-Control"]
    assert first["ETag"]
    assert b"unknown 0/2" in first.content
    make_assessment(product, _policy("P1"), "full")
    make_assessment(product, _policy("P2"), "full")
    second = client.get("/products/widget/badge.svg")
    assert b"compliant 2/2" in second.content
    assert second["ETag"] != first["ETag"]
    # A client holding the current version gets 304.
    again = client.get("/products/widget/badge.svg", HTTP_IF_NONE_MATCH=second["ETag"])
    assert again.status_code == 304


def test_the_badge_defaults_to_the_set_of_the_first_active_membership(client, product):
    assert b">base \xc2\xb7 mandatory<" in client.get("/products/widget/badge.svg").content


def test_the_product_page_shows_compliance_memberships_and_dependencies(
    client, product, community, other_community, policy_set
):
    make_assessment(product, _policy("P1"), "full", evidence_url="https://ci.example.org/1")
    make_assessment(product, _policy("P2"), "partial", justification="Half the tests.")
    make_membership(product, other_community, state="offramped", support_organization="E4S")
    make_dependency(product, make_product("blas"), kind="optional", when="+blas")
    make_dependency(make_product("app"), product)
    html = client.get("/products/widget/").content.decode()
    assert "Half the tests." in html
    assert 'href="https://ci.example.org/1"' in html
    assert "offramped" in html and "Supported by E4S" in html
    assert "when +blas" in html and 'href="/products/app/"' in html
    assert "/products/widget/badge.svg" in html  # the embed snippet


def test_the_heatmap_has_text_for_each_cell(client, community, policy_set):
    products = build_catalog(4, community, policy_set)
    html = client.get("/communities/alpha/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    # A group a screen reader can enter (each product's row is a link), not one image.
    assert 'role="group"' in svg and "aria-label=" in svg
    assert svg.count('<a href="/products/') == len(products)
    n_policies = len(policy_set.effective_policies())
    # Each style's square and letter are drawn once; each cell uses its style, with a
    # tooltip naming product, policy and status.
    letters = dict(re.findall(r'<g id="hm-(\w+)"><rect[^>]*/><text[^>]*>([^<]+)</text></g>', svg))
    cells = re.findall(r'<use href="#hm-(\w+)" x="\d+"><title>([^<]+)</title></use>', svg)
    assert len(cells) == len(products) * n_policies
    assert all(letters[key].strip() for key, _ in cells)
    assert any(title.endswith(": Full") and letters[key] == "F" for key, title in cells)
    assert any(": Unknown" in title and letters[key] == "?" for key, title in cells)
    assert all(any(p.name in title for p in products) for _, title in cells)
    assert "Legend" in html


def test_a_charter_with_a_script_is_sanitised(client, community):
    community.charter = (
        "# Our charter\n\nWe *build* things.\n\n<script>alert('x')</script>\n\n"
        '<img src="x" onerror="alert(1)"> [bad](javascript:alert(1)) [ok](https://ok.example)'
    )
    community.save()
    html = client.get("/communities/alpha/").content.decode()
    assert "<em>build</em>" in html
    assert "alert" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
    assert 'href="https://ok.example"' in html


def test_the_policy_set_page_shows_inheritance_and_adoption(client, community, product):
    from tests.conftest import make_policy, make_policy_set

    child = make_policy_set("child", base=community.policy_set, name="Child set")
    make_policy(child, "M1", adapts=_policy("P1"), source_url="https://example.org/m1")
    community.policy_set = child
    community.save()
    make_assessment(product, _policy("P2"), "full")
    html = client.get("/policy-sets/child/").content.decode()
    assert "adapts P1" in html
    assert "inherited from base" in html
    assert 'href="https://example.org/m1"' in html
    row = html[html.index('id="policy-P2"') :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'class="num">(\d+)<', row) == ["1", "0", "0", "0", "0"]


def test_exports_return_every_matching_row_not_just_one_page(client, community, policy_set):
    build_catalog(30, community, policy_set)
    make_product("lonely", license="MIT")
    page = client.get("/products/?community=alpha").content.decode()
    assert "30 products" in page and "page 1 of 2" in page
    response = client.get("/products/?community=alpha&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 30
    assert "lonely" not in {r["slug"] for r in rows}
    data = json.loads(client.get("/products/?community=alpha&export=json&ordering=-name").content)
    assert data["count"] == 30 and len(data["results"]) == 30
    names = [r["name"] for r in data["results"]]
    assert names == sorted(names, reverse=True)
    assert set(data["results"][0]["compliance"]) == {"alpha"}
    assert {m["community"] for m in data["results"][0]["memberships"]} == {"alpha", "other30"}


def test_the_catalog_shows_facets_with_counts_and_shareable_links(client, community, policy_set):
    build_catalog(3, community, policy_set)
    make_product("lonely", license="MIT")
    html = client.get("/products/?license=MIT").content.decode()
    assert "1 product." in html
    assert 'aria-current="true"' in html
    # The license facet still counts the other licences (it ignores its own filter).
    assert re.search(r"BSD-3-Clause</span><span class=\"count\">3<", html)
    assert '<input type="search" id="q" name="q"' in html and '<label for="q">' in html
    html = client.get("/products/?q=lonely").content.decode()
    assert 'href="/products/lonely/"' in html and "1 product." in html


EXTERNAL = re.compile(
    r"""(?:<script[^>]+src|<link[^>]+href|<img[^>]+src|<source[^>]+src|<iframe[^>]+src)"""
    r"""\s*=\s*["']?((?:https?:)?//[^"'\s>]+)|url\(\s*["']?((?:https?:)?//[^)"']+)""",
    re.IGNORECASE,
)


def _external_assets(html: str) -> list[str]:
    return [a or b for a, b in EXTERNAL.findall(html)]


def test_the_scanner_catches_external_assets():
    html = (
        '<script src="https://cdn.example/x.js"></script><div style="background:url(//x.io/a.png)">'
    )
    assert len(_external_assets(html)) == 2


def test_no_page_loads_a_script_style_font_or_image_from_elsewhere(
    client_as, community, policy_set, maintainer, product
):
    build_catalog(3, community, policy_set)
    hub_admin = make_user("root", is_staff=True)
    anonymous_pages = [
        "/",
        "/products/",
        "/products/?q=item",
        "/products/widget/",
        "/communities/alpha/",
        "/policy-sets/base/",
        "/events/",
        "/nowhere/",
        "/accounts/login/",
    ]
    editor_pages = [
        "/products/new/",
        "/products/widget/edit/",
        "/products/widget/dependencies/",
        "/products/widget/assessments/",
    ]
    found = {}
    for client, urls in (
        (client_as(None), anonymous_pages),
        (client_as(maintainer), editor_pages),
        (client_as(hub_admin), anonymous_pages),
    ):
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 404), url
            bad = _external_assets(response.content.decode())
            if bad:
                found[url] = bad
    from django.contrib.staticfiles import finders

    css = open(finders.find("css/site.css")).read()  # noqa: SIM115
    assert not re.findall(r"url\(\s*['\"]?(?:https?:)?//", css)
    assert "@import" not in css
    assert found == {}


def test_a_filter_the_catalog_does_not_understand_is_explained_not_a_500(client, product):
    response = client.get("/products/?community=nowhere")
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert "0 products" in response.content.decode()


def test_markdown_headings_sit_under_the_page_headings():
    from peso_registry.markdown import render_markdown

    html = render_markdown("# Title\n\n## Part\n\n<iframe src='https://x.example'></iframe>")
    assert "<h2>Title</h2>" in html and "<h3>Part</h3>" in html
    assert "iframe" not in html


def test_the_bulk_sql_statuses_agree_with_the_compliance_module(community, policy_set):
    from products.compliance import summarize
    from products.compliance_store import Held

    p1, p2, _p3 = policy_set.effective_policies()
    cases = {
        "none-at-all": [],
        "all-full": [(p1, "full"), (p2, "full")],
        "justified-na": [(p1, "full"), (p2, "na")],
        "one-none": [(p1, "full"), (p2, "none")],
        "one-partial": [(p1, "full"), (p2, "partial")],
        "one-missing": [(p1, "full")],
    }
    products = {}
    for slug, rows in cases.items():
        products[slug] = make_product(slug)
        for policy, status in rows:
            make_assessment(products[slug], policy, status)
    for product in products.values():
        make_membership(product, community)
    tallies = Held(community).tallies([p.pk for p in products.values()])
    statuses = {key: tally.status for key, tally in tallies.items()}
    for _slug, product in products.items():
        summary = summarize(product, policy_set)
        tally = tallies[(product.pk, policy_set.pk)]
        assert tally.status == summary.status
        assert (tally.mandatory, tally.own, tally.inherited, tally.recommended) == (
            summary.mandatory,
            summary.own,
            summary.inherited,
            summary.recommended,
        )
    assert {statuses[(p.pk, policy_set.pk)] for p in products.values()} == {
        "compliant",
        "noncompliant",
        "partial",
        "unknown",
    }


def test_home_counts_members_and_compliant_members_per_spoke(client, product, policy_set):
    for policy in policy_set.effective_policies():
        if policy.is_mandatory:
            make_assessment(product, policy, "full")
    make_membership(make_product("other"), product.memberships.get().community)
    html = client.get("/").content.decode()
    assert "2 members" in html
    # Four counts, never a bare percentage: one compliant, one unknown (not assessed).
    assert ">1 compliant</a>" in html and ">1 unknown</a>" in html
    assert ">0 partial</a>" in html and ">0 noncompliant</a>" in html
    assert "1 of 2 meet all of" in html
    assert "%)" not in html


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"community": "alpha"},
        {"community": "alpha", "compliance": "noncompliant"},
        {"compliance": "partial", "license": "BSD-3-Clause"},
        {"q": "item3x", "membership_state": "active"},
        {"area": "area3", "membership_state": "offramped"},
    ],
)
def test_every_facet_count_matches_the_results_of_its_link(client, community, policy_set, query):
    """The counts are computed apart from the filtering; they must agree with it."""
    from django.test import RequestFactory

    from products.catalog import facets
    from products.filters import ProductFilter
    from products.models import Product

    build_catalog(3, community, policy_set)
    make_product("lonely", license="MIT")
    request = RequestFactory().get("/products/", query)
    filterset = ProductFilter(request.GET, queryset=Product.objects.all())
    checked = 0
    for facet in facets(filterset, request.GET):
        for value in facet.values:
            params = {**query, facet.key: value.value}
            expected = ProductFilter(params, queryset=Product.objects.all()).qs.count()
            assert value.count == expected, (facet.key, value.value)
            checked += 1
    assert checked >= 5


def test_the_product_page_and_the_api_flag_assessments_due_for_re_review(
    client, product, policy_set
):
    import datetime

    from django.utils import timezone

    old = make_assessment(product, _policy("P1"), "full")
    old.assessed_at = timezone.now() - datetime.timedelta(days=400)  # interval: 12 months
    old.save()
    make_assessment(product, _policy("P2"), "full")
    page = client.get("/products/widget/").content.decode()
    assert page.count("due for re-review</span>") == 1
    rows = client.get("/api/v1/products/widget/compliance/?policy_set=base").json()["policies"]
    assert {r["code"]: r["review_due"] for r in rows} == {"P1": True, "P2": False, "P3": False}


def test_names_sort_as_people_read_them_and_chips_name_what_they_filter(
    client, api_client, community
):
    for name in ("hypre", "HDF5", "Kokkos", "amrex"):
        make_membership(make_product(name.lower(), name=name), community)
    page = client.get("/products/?community=alpha").content.decode()
    positions = [page.index(f">{name}</a></h3>") for name in ("amrex", "HDF5", "hypre", "Kokkos")]
    assert positions == sorted(positions)
    listed = [
        r["name"] for r in api_client.get("/api/v1/products/?ordering=-name").json()["results"]
    ]
    assert listed[:4] == ["Kokkos", "hypre", "HDF5", "amrex"]
    # The filter chip names the community, not its slug.
    assert "Spoke (SPC): Alpha SDK" in page


def test_the_footer_and_the_api_docs_link_each_other(client):
    page = client.get("/").content.decode()
    assert f'<a href="{reverse("api-docs")}">REST API</a>' in page
    docs = client.get(reverse("api-docs")).content.decode()
    # The bar back to the site: a link home named "PESO Registry" (beside the site's mark).
    home_link = re.search(rf'<a [^>]*href="{reverse("home")}"[^>]*>(.*?)</a>', docs, re.S)
    assert home_link and re.sub(r"<[^>]+>", "", home_link.group(1)).strip() == "PESO Registry"
