"""The API product list builds its rows from plain values (``ProductListRows``), not
through ``ProductSerializer``; for the same products both must write exactly the same
JSON (and CSV), field for field and in the same order, so the two can never drift."""

from __future__ import annotations

import datetime

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from hub.models import Release, ReleaseItem
from peso_registry.renderers import CSVRenderer, FastJSONRenderer
from products.api import ProductViewSet
from products.filters import ProductFilter
from products.models import Area, Membership, ProductUse, Stakeholder, Waiver
from products.serializers import ProductSerializer
from spokes.models import Community, Policy
from tests.conftest import (
    make_assessment,
    make_community,
    make_dependency,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@pytest.fixture
def catalog():
    """Products with every kind of embedded row, and some with none."""
    hub_set = make_policy_set("e4s", version="2.0")
    hub_policies = [make_policy(hub_set, code) for code in ("H1", "H2")]
    make_policy(hub_set, "H3", level=Policy.Level.RECOMMENDED)
    spoke_set = make_policy_set("xsdk", base=hub_set)
    own = make_policy(spoke_set, "X1")
    make_community("hub", kind=Community.Kind.HUB, name="Hub", policy_set=hub_set)
    xsdk = make_community("xsdk", name="xSDK", policy_set=spoke_set)
    plain = make_community("plain", name="A spoke with no set")  # the hub's set applies
    other = make_community("other", name="Zeta", policy_set=hub_set)

    amy, zed, bob = make_user("amy"), make_user("Zed"), make_user("bob")
    solvers = Area.objects.create(slug="solvers", name="Solvers")
    io = Area.objects.create(slug="io", name="I/O")
    users = Stakeholder.objects.create(slug="nersc", name="NERSC", kind="facility")
    team = Stakeholder.objects.create(slug="app", name="An app team", kind="application")

    full = make_product(
        "full",
        name="Ünïcode solver",
        description="Line one\nline two, \"quoted\" <b>and</b> 'single'",
        maintainers=[zed, amy],
        sponsorship="doe",
        support_organization="ANL",
        seed_ref="seed/products.yaml#full",
        facts={
            "license_source": "spack",
            "license_conflict": ["github", "pypi"],
            "area_source": "community",
            "nested": {"flags": [True, False, None], "n": 3, "x": 1.5},
            "spack_packages": ["full", "full-extra"],
            "in_e4s_catalog": True,
            "e4s_catalog_area": "Math Libraries",
            "e4s_spack_smoke_test": "Absent",
            "e4s_testsuite_test": "Present",
        },
        distribution="e4s_staging",
    )
    full.areas.add(solvers, io)
    make_product("bare", name="alpha", summary="", homepage="", contact_email="", license="")
    upper = make_product("upper", name="Beta", maintainers=[bob], facts={"in_e4s_catalog": False})
    gone = make_product("gone", name="gamma")
    again = make_product("again", name="Delta solver")

    make_membership(full, xsdk, joined_at=datetime.date(2024, 1, 5), source="xsdk.org")
    make_membership(full, plain, inferred=True, note="our reading")
    make_membership(
        full,
        other,
        state=Membership.State.OFFRAMPED,
        joined_at=datetime.date(2020, 1, 1),
        left_at=datetime.date(2023, 1, 1),
        reason="Retired",
        end_of_support=TODAY + datetime.timedelta(days=90),  # sunsetting
        support_organization="Someone",
        successor=upper,
        seed_ref="seed/members.yaml#3",
    )
    make_membership(
        gone,
        xsdk,
        state=Membership.State.OFFRAMPED,
        end_of_support=TODAY - datetime.timedelta(days=1),
    )
    # Twice in one community: an old offramped membership and the current one.
    make_membership(
        again, xsdk, state=Membership.State.OFFRAMPED, joined_at=datetime.date(2019, 3, 1)
    )
    make_membership(again, xsdk, joined_at=datetime.date(2022, 3, 1))
    make_membership(upper, other)

    make_dependency(full, upper)
    make_dependency(full, gone, kind="optional", when="+mpi")
    make_dependency(upper, gone)
    make_dependency(again, full)
    ProductUse.objects.create(product=full, stakeholder=users, note="runs it")
    ProductUse.objects.create(product=full, stakeholder=team)
    ProductUse.objects.create(product=upper, stakeholder=users, note="")

    make_assessment(full, hub_policies[0], "full")
    make_assessment(full, hub_policies[1], "partial")
    make_assessment(full, own, "none")
    make_assessment(upper, hub_policies[0], "full")
    make_assessment(upper, hub_policies[1], "na")
    make_assessment(again, own, "full")
    Waiver.objects.create(
        product=again,
        policy=hub_policies[0],
        reason="Being fixed",
        expires_on=TODAY + datetime.timedelta(days=30),
        granted_by=amy,
    )
    # Releases: the current environment ships one product, a bundle two (and a package
    # no product names).
    env = Release.objects.create(
        slug="e4s-env", name="E4S env", kind="e4s", version="master", environment=True
    )
    ReleaseItem.objects.create(release=env, package="full", product=full)
    bundle = Release.objects.create(
        slug="xsdk-1.0.0", name="xsdk@1.0.0", kind="bundle", community=xsdk, version="1.0.0"
    )
    for product in (full, upper):
        ReleaseItem.objects.create(release=bundle, package=product.slug, product=product)
    ReleaseItem.objects.create(release=bundle, package="py-other")
    return {"products": 5}


def _view(action: str, url: str) -> ProductViewSet:
    request = Request(APIRequestFactory().get(url))
    view = ProductViewSet(action=action, request=request, format_kwarg=None, kwargs={})
    return view


def _as_serialized(slugs: list[str], url: str) -> list:
    """What ProductSerializer writes for these products, in this order."""
    view = _view("retrieve", url)
    by_slug = {p.slug: p for p in view.get_queryset().filter(slug__in=slugs)}
    serializer = ProductSerializer(
        [by_slug[s] for s in slugs], many=True, context=view.get_serializer_context()
    )
    return serializer.data


LISTS = [
    "/api/v1/products/",
    "/api/v1/products/?ordering=-updated_at",
    "/api/v1/products/?ordering=license",
    "/api/v1/products/?page_size=2&page=2",
    "/api/v1/products/?community=xsdk",
    "/api/v1/products/?community=xsdk&membership_state=offramped",
    "/api/v1/products/?membership_state=sunsetting",
    "/api/v1/products/?compliance=noncompliant",
    "/api/v1/products/?mandatory_met=false",
    "/api/v1/products/?maintainer=amy",
    "/api/v1/products/?area=solvers",
    "/api/v1/products/?q=solver",
    "/api/v1/products/?in_e4s=unknown",
    "/api/v1/products/?smoke_test=false",
    "/api/v1/products/?testsuite=true",
    "/api/v1/products/?distribution=unknown",
]


@pytest.mark.parametrize("url", LISTS)
def test_the_list_writes_each_product_as_the_serializer_does(api_client, catalog, url):
    response = api_client.get(url)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results, url
    slugs = [row["slug"] for row in results]
    expected = _as_serialized(slugs, url)
    # Byte for byte: the same fields in the same order, with the same values.
    assert orjson.dumps(results) == FastJSONRenderer().render(expected)


@pytest.mark.parametrize("url", LISTS)
def test_the_list_keeps_the_filters_order(api_client, catalog, url):
    response = api_client.get(url)
    view = _view("list", url)
    params = view.request.query_params.copy()
    for name in ("page", "page_size"):
        params.pop(name, None)
    every = list(ProductFilter(params, queryset=view.get_queryset()).qs.values_list("slug"))
    page = [row["slug"] for row in response.json()["results"]]
    assert page
    offset = (int(view.request.query_params.get("page", 1)) - 1) * len(page)
    assert page == [slug for (slug,) in every][offset : offset + len(page)]


def test_the_whole_catalog_is_covered(api_client, catalog):
    """Every product, and every kind of row the fixture builds, reaches the comparison."""
    rows = {row["slug"]: row for row in api_client.get("/api/v1/products/").json()["results"]}
    assert len(rows) == catalog["products"]
    full = rows["full"]
    assert sorted(m["state"] for m in full["memberships"]) == ["active", "active", "sunsetting"]
    assert full["maintainers"] == ["Zed", "amy"]
    assert full["areas"] == ["I/O", "Solvers"]
    assert full["dependencies"] == ["gone", "upper"]
    assert [m["state"] for m in rows["again"]["memberships"]] == ["active", "offramped"]
    assert rows["gone"]["memberships"][0]["state"] == "offramped"
    assert rows["upper"]["dependents"] == ["full"]
    assert set(full["compliance"]) == {"e4s", "xsdk"}
    assert full["provenance"]["license_conflict"] == ["github", "pypi"]
    assert rows["bare"]["compliance"] == {} and rows["bare"]["memberships"] == []
    assert full["releases"] == ["e4s-env", "xsdk-1.0.0"] and rows["bare"]["releases"] == []
    assert full["delivery"] == {
        "spack_packages": ["full", "full-extra"],
        "in_e4s": True,
        "e4s_area": "Math Libraries",
        "smoke_test": False,
        "testsuite": True,
        "in_current_environment": True,
        "distribution": "e4s_staging",
    }
    assert rows["upper"]["delivery"]["in_e4s"] is False
    assert rows["upper"]["delivery"]["in_current_environment"] is False
    assert rows["bare"]["delivery"]["smoke_test"] is None


def test_the_csv_export_is_the_serializers_too(api_client, catalog):
    url = "/api/v1/products/?format=csv"
    response = api_client.get(url)
    assert response.status_code == 200
    slugs = [row["slug"] for row in api_client.get("/api/v1/products/").json()["results"]]
    view = _view("list", url)
    context = {"view": view, "response": Response(status=200), "request": view.request}
    expected = CSVRenderer().render({"results": _as_serialized(slugs, url)}, None, context)
    assert response.content == expected


def test_the_list_reads_a_fixed_number_of_queries(api_client, catalog):
    counts = []
    for size in (2, 5):  # (the first page of 2 has dependencies, as the whole list has)
        with CaptureQueriesContext(connection) as ctx:
            response = api_client.get("/api/v1/products/", {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
