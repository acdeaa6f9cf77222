"""The xSDK's delivery health on the seeded catalog: the page, the API and its CSV name the
members the reference files say miss a smoke test."""

from __future__ import annotations

import csv
import io
import re

import pytest

from products.models import Membership
from tests.hub.conftest import reference


def _section(page: str, check: str) -> set[str]:
    """The product names a check's section of the page lists as missing it."""
    i = page.index(f'id="missing-{check}-h"')
    section = page[i : page.index("</section>", i)]
    listed = section[: section.index("</ul>")] if "<ul" in section else ""
    return set(re.findall(r'<a href="/products/[^"]+/">([^<]+)</a>', listed))


def _csv(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def _xsdk_catalog_entries_without_smoke_test() -> set[str]:
    """From the reference, apart from the seed: xSDK's active members (products.yaml
    `spokes`, less those the xsdk bundle dropped, which are offramped) whose E4S catalog
    entry (e4s.yaml, matched by Spack name) says the smoke test is absent."""
    dropped = set(reference("dependencies.yaml")["bundle_summary"]["xsdk"]["dropped_after_1_0_0"])
    catalog: dict[str, dict] = {}
    for entry in reference("e4s.yaml")["catalog_products"]:
        catalog.setdefault((entry.get("spack") or entry["name"]).lower(), entry)
    names = set()
    for product in reference("products.yaml")["products"]:
        packages = product.get("spack") or []
        if "xsdk" not in product["spokes"] or dropped & set(packages):
            continue
        entries = [catalog[p] for p in packages if p in catalog]
        if entries and entries[0]["spack_smoke_test"] == "Absent":
            names.add(product["name"])
    return names


@pytest.mark.django_db
def test_the_xsdk_page_api_and_csv_name_the_members_whose_e4s_entry_has_no_smoke_test(
    client, api_client, seeded
):
    expected = _xsdk_catalog_entries_without_smoke_test()
    assert "Trilinos" in expected

    page = client.get("/communities/xsdk/delivery/").content.decode()
    assert _section(page, "smoke_test") == expected

    url = "/api/v1/communities/xsdk/delivery/"
    missing = api_client.get(url, {"missing": "smoke_test"}).json()["results"]
    assert {row["name"] for row in missing} == expected

    rows = api_client.get(url, {"page_size": 500}).json()["results"]
    table = _csv(api_client.get(url, {"format": "csv", "page_size": 500}).content)
    assert (
        len(table)
        == len(rows)
        == Membership.objects.active().filter(community__slug="xsdk").count()
    )
    assert {r["name"] for r in table if r["smoke_test"] == "missing"} == expected
    for check in ("spack_package", "e4s_entry", "smoke_test", "testsuite"):
        from_api = {r["name"] for r in rows if r[check] == "missing"}
        assert {r["name"] for r in table if r[check] == "missing"} == from_api
        assert _section(page, check) == from_api
