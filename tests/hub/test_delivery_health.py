"""A spoke's delivery health: the page, the API and its CSV name the same members."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import Membership
from tests.conftest import make_community, make_membership, make_product


@pytest.fixture
def kit(db):
    spoke = make_community("kit", name="Kit SDK")
    tested = make_product(
        "tested",
        name="Tested",
        facts={
            "spack_packages": ["tested"],
            "in_e4s_catalog": True,
            "e4s_spack_smoke_test": "Present",
            "e4s_testsuite_test": "Absent",
        },
    )
    outside = make_product(
        "outside", name="Outside", spack_package="", facts={"in_e4s_catalog": False}
    )
    gone = make_product("gone", name="Gone", facts={"in_e4s_catalog": False})
    make_membership(tested, spoke)
    make_membership(outside, spoke)
    make_membership(gone, spoke, state=Membership.State.OFFRAMPED)
    return spoke


def test_each_check_reads_present_missing_or_unknown(api_client, kit):
    rows = {
        r["product"]: r
        for r in api_client.get("/api/v1/communities/kit/delivery/").json()["results"]
    }
    assert set(rows) == {"tested", "outside"}  # active members only
    assert rows["tested"] | {"html_url": None} == {
        "product": "tested",
        "name": "Tested",
        "html_url": None,
        "spack_package": "present",
        "e4s_entry": "present",
        "smoke_test": "present",
        "testsuite": "missing",
        "gaps": ["testsuite"],
    }
    assert rows["tested"]["html_url"] == "http://testserver/products/tested/"
    # Outside the E4S catalog no test is recorded: unknown, not missing.
    outside = rows["outside"]
    assert (outside["spack_package"], outside["e4s_entry"]) == ("missing", "missing")
    assert (outside["smoke_test"], outside["testsuite"]) == ("unknown", "unknown")
    missing_spack = api_client.get("/api/v1/communities/kit/delivery/?missing=spack_package")
    assert [r["product"] for r in missing_spack.json()["results"]] == ["outside"]


def test_the_delivery_api_refuses_bad_input(api_client, kit):
    assert api_client.get("/api/v1/communities/nope/delivery/").status_code == 404
    assert api_client.get("/api/v1/communities/kit/delivery/?mising=x").status_code == 400
    assert api_client.get("/api/v1/communities/kit/delivery/?missing=docs").status_code == 400
    assert api_client.get("/communities/nope/delivery/").status_code == 404


def test_the_delivery_csv_header_is_fixed_even_with_no_member(api_client, db):
    make_community("empty", name="Empty")
    response = api_client.get("/api/v1/communities/empty/delivery/?format=csv")
    header = response.content.decode().splitlines()[0]
    assert header == "product,name,html_url,spack_package,e4s_entry,smoke_test,testsuite,gaps"


def test_the_delivery_page_and_api_read_a_fixed_number_of_queries(client, api_client, kit):
    counts = []
    for n in range(2):
        with CaptureQueriesContext(connection) as page:
            assert client.get("/communities/kit/delivery/").status_code == 200
        with CaptureQueriesContext(connection) as api:
            assert api_client.get("/api/v1/communities/kit/delivery/").status_code == 200
        counts.append((len(page.captured_queries), len(api.captured_queries)))
        for m in range(4):
            make_membership(make_product(f"more{n}-{m}"), kit)
    assert counts[0] == counts[1]


def test_a_spoke_page_links_to_its_delivery_health(client, kit):
    page = client.get("/communities/kit/").content.decode()
    assert 'href="/communities/kit/delivery/"' in page
