"""Every output encoded for where it lands: CSV exports a spreadsheet opens safely, an Atom
feed whose summaries carry no live markup, and URL fields on the pages that take only
http(s) addresses."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from products.models import Assessment, Product
from spokes.models import Community
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
# The URL rule's own message: shown even where Django's URL check also refuses the value.
HINT = "http:// or https://"

# name → what a spreadsheet should be given for it
FORMULAS = {
    '=HYPERLINK("https://evil.example/","x")': '\'=HYPERLINK("https://evil.example/","x")',
    "+1": "'+1",
    "-2": "'-2",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\tx": "'\tx",
    "\rx": "'\rx",
}
ORDINARY = {"Plain name": "Plain name", "-": "-", "2024-01-31": "2024-01-31", "a=b": "a=b"}

BAD_URLS = [
    "javascript:alert(1)",
    "ftp://example.org/file",
    'https://example.org/"onmouseover=alert(1)',
    "https://example.org/<script>",
    "ftp://x",
    'https://x/"onmouseover=',
    "https://x/<script>",
]


@pytest.fixture
def tricky_products(db):
    made = {}
    for n, name in enumerate([*FORMULAS, *ORDINARY]):
        made[name] = make_product(f"p{n}", name=name, summary=name)
    return made


def _rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))


def _check_cells(rows: list[dict], by_slug: dict[str, str]) -> None:
    expected = {**FORMULAS, **ORDINARY}
    for row in rows:
        original = by_slug[row["slug"]]
        assert row["name"] == expected[original], original
        assert row["summary"] == expected[original], original


def test_the_api_csv_neutralises_cells_a_spreadsheet_would_run(client, tricky_products):
    rows = _rows(client.get("/api/v1/products/?format=csv&page_size=100"))
    by_slug = {p.slug: name for name, p in tricky_products.items()}
    assert len(rows) == len(by_slug)
    _check_cells(rows, by_slug)
    # Dates and URLs are untouched.
    assert all(not r["homepage"].startswith("'") for r in rows)


def test_the_catalog_csv_export_neutralises_cells_a_spreadsheet_would_run(client, tricky_products):
    rows = _rows(client.get("/products/?export=csv"))
    by_slug = {p.slug: name for name, p in tricky_products.items()}
    assert len(rows) == len(by_slug)
    _check_cells(rows, by_slug)


def test_the_json_exports_keep_the_names_as_written(client, tricky_products):
    body = json.loads(client.get("/products/?export=json").content)
    assert {r["name"] for r in body["results"]} == set(tricky_products)
    api = client.get("/api/v1/products/?page_size=100").json()
    assert {r["name"] for r in api["results"]} == set(tricky_products)


# --- the Atom feed -----------------------------------------------------------------------

MARKUP = "<img src=x onerror=alert(1)>"


def test_markup_in_a_product_name_reaches_the_feed_as_text_only(client_as, stranger):
    response = client_as(stranger).post(
        "/products/new/", {"name": MARKUP, "slug": "imgx", "summary": "<script>x()</script>"}
    )
    assert response.status_code == 302
    feed = client_as(None).get("/feeds/events.atom")
    assert feed.status_code == 200
    assert b"<img" not in feed.content  # escaped by the XML itself
    root = ET.fromstring(feed.content)
    entry = next(
        e for e in root.iter(f"{ATOM}entry") if MARKUP in (e.findtext(f"{ATOM}title") or "")
    )
    summary = entry.find(f"{ATOM}summary")
    # A reader shows a text summary as written; an html one would be parsed as markup.
    assert summary.get("type") == "text"
    assert MARKUP in summary.text
    assert entry.find(f"{ATOM}title").get("type", "text") == "text"


# --- URL fields on the pages -------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_URLS)
def test_the_product_form_refuses_a_url_that_is_not_a_web_address(client_as, stranger, bad):
    response = client_as(stranger).post(
        "/products/new/", {"name": "Frob", "slug": "frob", "homepage": bad}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html
    assert HINT in html
    assert not Product.objects.filter(slug="frob").exists()


@pytest.mark.parametrize("field", ["homepage", "repository_url", "documentation_url"])
def test_editing_a_product_refuses_a_javascript_or_quoted_url(
    client_as, maintainer, product, field
):
    before = getattr(product, field)
    for bad in ("javascript:alert(1)", 'https://example.org/"onmouseover=alert(1)'):
        response = client_as(maintainer).post(
            "/products/widget/edit/", {"name": "Widget", field: bad}
        )
        assert response.status_code == 200
        assert HINT in response.content.decode()
        product.refresh_from_db()
        assert getattr(product, field) == before


def test_the_community_form_refuses_a_javascript_website(client_as, lead, community):
    before = community.website
    response = client_as(lead).post(
        "/communities/alpha/edit/", {"name": community.name, "website": "javascript:alert(1)"}
    )
    assert response.status_code == 200
    assert HINT in response.content.decode()
    assert Community.objects.get(pk=community.pk).website == before


def test_the_assessment_form_refuses_an_ftp_evidence_url(
    client_as, maintainer, product, policy_set
):
    p1, p2, p3 = policy_set.effective_policies()
    data = {"a-TOTAL_FORMS": "3", "a-INITIAL_FORMS": "3"}
    for i, policy in enumerate((p1, p2, p3)):
        data[f"a-{i}-policy"] = str(policy.pk)
        data[f"a-{i}-status"] = "full"
        data[f"a-{i}-justification"] = ""
        data[f"a-{i}-evidence_url"] = "ftp://example.org/log" if i == 0 else ""
    response = client_as(maintainer).post("/products/widget/assessments/?policy_set=base", data)
    assert response.status_code == 200
    assert HINT in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_policy_set_form_refuses_a_quoted_source_url(client_as, hub_admin, policy_set):
    data = {
        "name": policy_set.name,
        "version": policy_set.version,
        "adopted": policy_set.adopted or "",
        "description": policy_set.description,
        "policies-TOTAL_FORMS": "1",
        "policies-INITIAL_FORMS": "0",
        "policies-0-code": "P9",
        "policies-0-title": "Quoted",
        "policies-0-level": "mandatory",
        "policies-0-source_url": 'https://example.org/"onmouseover=alert(1)',
    }
    response = client_as(hub_admin).post("/policy-sets/base/edit/", data)
    assert response.status_code == 200
    assert HINT in response.content.decode()
    assert not policy_set.policies.filter(code="P9").exists()
