"""Releases as the API and the pages show them, and a product's delivery facts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hub.models import Release, ReleaseItem
from products.models import Product
from tests.conftest import make_community, make_membership, make_product

pytestmark = pytest.mark.django_db


def _bundle(slug, version, community, products, extra=()):
    release = Release.objects.create(
        slug=f"{slug}-{version}",
        name=f"{slug}@{version}",
        kind="bundle",
        community=community,
        version=version,
        source="https://example.org/package.py",
    )
    for product in products:
        ReleaseItem.objects.create(release=release, package=product.slug, product=product)
    for package in extra:
        ReleaseItem.objects.create(release=release, package=package)
    return release


@pytest.fixture
def world():
    spoke = make_community("kit", name="Kit SDK")
    solver = make_product(
        "solver",
        name="Solver",
        facts={
            "spack_packages": ["solver"],
            "in_e4s_catalog": True,
            "e4s_catalog_area": "Math Libraries",
            "e4s_spack_smoke_test": "Absent",
            "e4s_testsuite_test": "Present",
        },
        distribution="both",
    )
    mesh = make_product(
        "mesh",
        name="Mesh",
        facts={"in_e4s_catalog": True, "e4s_spack_smoke_test": "Present"},
    )
    old = make_product("oldie", name="Oldie", facts={"in_e4s_catalog": False})
    for product in (solver, mesh, old):
        make_membership(product, spoke)
    tag = Release.objects.create(
        slug="e4s-25.11", name="E4S 25.11", kind="e4s", version="25.11", tag="v25.11", source="s"
    )
    env = Release.objects.create(
        slug="e4s-env", name="E4S env", kind="e4s", version="master", environment=True, source="s"
    )
    ReleaseItem.objects.create(release=env, package="solver", product=solver)
    first = _bundle("kit", "1.0.0", spoke, [solver, mesh, old], extra=["py-helper"])
    second = _bundle("kit", "1.1.0", spoke, [solver, mesh], extra=["py-helper"])
    return {"spoke": spoke, "tag": tag, "env": env, "first": first, "second": second}


def test_the_releases_api_lists_each_release_with_its_products_and_packages(api_client, world):
    response = api_client.get("/api/v1/releases/")
    assert response.status_code == 200
    rows = {r["slug"]: r for r in response.json()["results"]}
    assert set(rows) == {"e4s-25.11", "e4s-env", "kit-1.0.0", "kit-1.1.0"}
    first = rows["kit-1.0.0"]
    assert first["kind"] == "bundle" and first["community"] == "kit"
    assert first["products"] == ["mesh", "oldie", "solver"]
    assert first["packages"] == ["mesh", "oldie", "py-helper", "solver"]
    assert first["date"] is None
    assert first["url"] == "http://testserver/api/v1/releases/kit-1.0.0/"
    assert first["html_url"] == "http://testserver/releases/kit-1.0.0/"
    assert rows["e4s-25.11"]["community"] is None and rows["e4s-25.11"]["products"] == []
    detail = api_client.get(first["url"])
    assert detail.status_code == 200 and detail.json() == first and detail["ETag"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=e4s", {"e4s-25.11", "e4s-env"}),
        ("kind=bundle&community=kit", {"kit-1.0.0", "kit-1.1.0"}),
        ("product=oldie", {"kit-1.0.0"}),
        ("environment=true", {"e4s-env"}),
    ],
)
def test_the_releases_api_filters(api_client, world, query, expected):
    response = api_client.get(f"/api/v1/releases/?{query}")
    assert {r["slug"] for r in response.json()["results"]} == expected


def test_the_releases_api_refuses_an_unknown_parameter_and_an_unknown_kind(api_client, world):
    unknown = api_client.get("/api/v1/releases/?produkt=solver")
    assert unknown.status_code == 400 and "product" in unknown.content.decode()
    assert api_client.get("/api/v1/releases/?kind=tarball").status_code == 400


def test_the_releases_csv_has_one_row_per_release(api_client, world):
    response = api_client.get("/api/v1/releases/?format=csv&community=kit")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["slug"] for r in rows] == ["kit-1.0.0", "kit-1.1.0"]
    assert rows[1]["products"] == "mesh;solver"


def test_the_releases_list_reads_a_fixed_number_of_queries(api_client, world):
    for n in range(3):
        _bundle("more", f"2.{n}", world["spoke"], [Product.objects.get(slug="mesh")])
    counts = []
    for size in (2, 6):
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get("/api/v1/releases/", {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_a_product_carries_its_delivery_facts_and_releases(api_client, world):
    solver = api_client.get("/api/v1/products/solver/").json()
    assert solver["delivery"] == {
        "spack_packages": ["solver"],
        "in_e4s": True,
        "e4s_area": "Math Libraries",
        "smoke_test": False,
        "testsuite": True,
        "in_current_environment": True,
        "distribution": "both",
    }
    assert set(solver["releases"]) == {"e4s-env", "kit-1.0.0", "kit-1.1.0"}
    mesh = api_client.get("/api/v1/products/mesh/").json()["delivery"]
    assert (mesh["testsuite"], mesh["in_current_environment"]) == (None, False)
    assert mesh["distribution"] == "unknown"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("in_e4s=true", {"solver", "mesh"}),
        ("in_e4s=false", {"oldie"}),
        ("smoke_test=false", {"solver"}),
        ("smoke_test=true", {"mesh"}),
        ("smoke_test=unknown", {"oldie"}),
        ("testsuite=unknown", {"mesh", "oldie"}),
        ("distribution=both", {"solver"}),
        ("distribution=unknown", {"mesh", "oldie"}),
    ],
)
def test_products_filter_by_their_delivery_facts(api_client, world, query, expected):
    response = api_client.get(f"/api/v1/products/?{query}")
    assert response.status_code == 200
    assert {r["slug"] for r in response.json()["results"]} == expected
    page = api_client.get(f"/products/?{query}").content.decode()
    shown = {slug for slug in ("solver", "mesh", "oldie") if f'href="/products/{slug}/"' in page}
    assert shown == expected


def test_a_wrong_delivery_filter_value_is_a_400(api_client, world):
    assert api_client.get("/api/v1/products/?smoke_test=maybe").status_code == 400
    assert api_client.get("/api/v1/products/?distribution=ftp").status_code == 400


def test_the_catalog_counts_each_delivery_facet(client, world):
    page = client.get("/products/?in_e4s=true").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    # Counted over the products matching the other filters (in_e4s=true: solver and mesh).
    assert re.search(r"Spack smoke test yes 1 no 1 unknown 0", text), text
    assert re.search(r"In the E4S catalog yes 2 no 1 unknown 0", text), text
    assert "Distribution through E4S" in text and "Both 1" in text


def test_the_releases_page_and_a_release_page_show_what_ships(client, world):
    page = client.get("/releases/").content.decode()
    for slug in ("e4s-25.11", "e4s-env", "kit-1.0.0", "kit-1.1.0"):
        assert f'href="/releases/{slug}/"' in page
    release = client.get("/releases/kit-1.0.0/").content.decode()
    for slug in ("solver", "mesh", "oldie"):
        assert f'href="/products/{slug}/"' in release
    assert "py-helper" in release and "no source gives it" in release
    tag = client.get("/releases/e4s-25.11/").content.decode()
    assert "No source says what this release includes." in tag
    assert client.get("/releases/nope-1.0/").status_code == 404


def test_the_releases_page_reads_a_fixed_number_of_queries(client, world):
    counts = []
    for n in range(2):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/releases/").status_code == 200
        counts.append(len(ctx.captured_queries))
        for m in range(3):
            _bundle(f"more{n}", f"3.{m}", world["spoke"], [Product.objects.get(slug="mesh")])
    assert counts[0] == counts[1]


def test_the_product_page_lists_the_releases_that_ship_it(client, world):
    page = client.get("/products/oldie/").content.decode()
    i = page.index('id="releases-h"')
    section = page[i : page.index("</section>", i)]
    assert 'href="/releases/kit-1.0.0/"' in section
    assert "kit-1.1.0" not in section


def test_a_spoke_page_shows_its_bundle_history_with_what_each_version_dropped(client, world):
    page = client.get("/communities/kit/").content.decode()
    i = page.index('id="bundles-h"')
    section = page[i : page.index("</section>", i)]
    row = section[section.index('href="/releases/kit-1.1.0/"') :]
    row = row[: row.index("</tr>")]
    dropped = row[row.index('class="dropped"') :]
    assert 'href="/products/oldie/"' in dropped
    assert "Solver" not in dropped and "Mesh" not in dropped
