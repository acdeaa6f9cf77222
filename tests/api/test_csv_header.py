"""CSV exports have one fixed header per endpoint, whatever the page holds (DESIGN §6)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api.test_unknown_parameters import LISTS
from tests.conftest import make_community, make_membership, make_policy_set, make_product

pytestmark = pytest.mark.django_db


def _csv(response) -> tuple[list[str], list[dict]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    header = next(csv.reader(io.StringIO(text)), [])
    return header, list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("url", LISTS)
def test_an_empty_csv_page_still_has_the_header(api_client, url):
    header, rows = _csv(api_client.get(url, {"format": "csv"}))
    assert rows == []
    assert header and len(header) == len(set(header))


def test_every_csv_page_of_products_has_the_same_header(api_client, product, policy_set):
    first = make_product("aaa", facts={"spack": ["a"]})  # no membership, no compliance
    make_membership(make_product("zzz"), make_community("beta", policy_set=make_policy_set("b")))
    headers = set()
    for page in (1, 2, 3):
        header, rows = _csv(
            api_client.get("/api/v1/products/", {"format": "csv", "page_size": 1, "page": page})
        )
        headers.add(tuple(header))
    assert len(headers) == 1
    header = headers.pop()
    assert "compliance" in header and not any(h.startswith("compliance.") for h in header)
    assert "provenance.sponsorship" in header and "facts" in header
    assert header[:3] == ("slug", "name", "summary")
    rows = _csv(api_client.get("/api/v1/products/", {"format": "csv"}))[1]
    by_slug = {r["slug"]: r for r in rows}
    assert by_slug["aaa"]["compliance"] == ""
    assert by_slug["widget"]["compliance"].startswith(f"{policy_set.slug}:")
    assert by_slug["zzz"]["compliance"] == "b:compliant"  # a set with no policy yet
    assert first.slug in by_slug
