"""products/ and products/{slug}/: representation, filters, search, sort, pages, CSV, writes."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from events.models import Event
from products.models import Area, Dependency, Product
from tests.conftest import (
    make_assessment,
    make_community,
    make_dependency,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
)

LIST = "/api/v1/products/"


def detail(slug: str) -> str:
    return f"/api/v1/products/{slug}/"


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_a_product_detail_has_every_contract_field(api_client, product, community, policy_set):
    dep = make_product("libdep")
    make_dependency(product, dep)
    user_of = make_product("app")
    make_dependency(user_of, product)
    p1, p2, _ = policy_set.policies.order_by("position")
    make_assessment(product, p1, "full")
    make_assessment(product, p2, "none")
    product.areas.add(Area.objects.create(slug="math", name="Math Libraries"))

    body = api_client.get(detail("widget")).json()

    for name in [
        "slug",
        "name",
        "summary",
        "description",
        "homepage",
        "repository_url",
        "documentation_url",
        "license",
        "spack_package",
        "contact_email",
        "areas",
        "maintainers",
        "memberships",
        "dependencies",
        "dependents",
        "compliance",
        "url",
    ]:
        assert name in body, name
    assert body["maintainers"] == ["maintainer"]
    assert body["areas"] == ["Math Libraries"]
    assert body["dependencies"] == ["libdep"]
    assert body["dependents"] == ["app"]
    assert body["memberships"] == [
        {
            "community": "alpha",
            "state": "active",
            "joined_at": None,
            "left_at": None,
            "reason": "",
            "support_organization": "",
            "end_of_support": None,
            "successor": None,
            "source": "",
            "inferred": False,
            "note": "",
            "seed_ref": "",
        }
    ]
    zero = {"met": 0, "partial": 0, "none": 0, "unknown": 0, "waived": 0, "total": 0}
    assert body["compliance"] == {
        "base": {
            "status": "noncompliant",
            "full": 1,
            "partial": 0,
            "none": 1,
            "na": 0,
            "unknown": 1,
            # P1 full and P2 none are mandatory, P3 recommended and not assessed.
            "mandatory": {**zero, "met": 1, "none": 1, "total": 2},
            "own": {**zero, "met": 1, "none": 1, "total": 2},
            "inherited": zero,
            "recommended": {**zero, "unknown": 1, "total": 1},
            "missing": [
                {"code": "P2", "status": "none", "level": "mandatory", "inherited": False},
                {"code": "P3", "status": "unknown", "level": "recommended", "inherited": False},
            ],
            "reason": "1/2 mandatory met · P2 not met",
            "hub_default": False,
        }
    }
    assert body["url"].endswith("/api/v1/products/widget/")


@pytest.mark.django_db
def test_an_offramped_membership_with_support_ahead_reads_as_sunsetting(api_client, community):
    p = make_product("old")
    make_membership(
        p,
        community,
        state="offramped",
        end_of_support=datetime.date.today() + datetime.timedelta(days=30),
    )
    body = api_client.get(detail("old")).json()
    assert body["memberships"][0]["state"] == "sunsetting"


@pytest.mark.django_db
def test_an_unknown_product_is_a_json_404(api_client):
    response = api_client.get(detail("nope"))
    assert response.status_code == 404
    assert "detail" in response.json()


# --- filters -------------------------------------------------------------------------


@pytest.fixture
def catalog(community, other_community, policy_set):
    """Four products in alpha/beta with known compliance against `base` (P1, P2 mandatory)."""
    p1, p2, p3 = policy_set.policies.order_by("position")
    ok = make_product("ok", license="MIT", summary="Solves sparse linear systems")
    make_membership(ok, community)
    make_assessment(ok, p1, "full")
    make_assessment(ok, p2, "na")
    half = make_product("half", summary="Meshes and geometry")
    make_membership(half, community)
    make_assessment(half, p1, "full")
    make_assessment(half, p2, "partial")
    bad = make_product("bad", summary="Visualises data")
    make_membership(bad, other_community)
    make_assessment(bad, p1, "none")
    unknown = make_product("unk", summary="Checkpointing library")
    make_membership(unknown, community, state="offramped")
    make_membership(unknown, other_community)
    make_assessment(unknown, p1, "full")
    make_assessment(unknown, p3, "none")  # recommended: does not count
    loner = make_product("loner", summary="Belongs nowhere")
    area = Area.objects.create(slug="viz", name="Visualization")
    bad.areas.add(area)
    return {"ok": ok, "half": half, "bad": bad, "unk": unknown, "loner": loner}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("community=alpha", ["half", "ok", "unk"]),
        ("community=alpha&membership_state=active", ["half", "ok"]),
        ("community=alpha&membership_state=offramped", ["unk"]),
        ("membership_state=offramped", ["unk"]),
        ("community=beta", ["bad", "unk"]),
        ("license=mit", ["ok"]),
        ("area=viz", ["bad"]),
        ("area=Visualization", ["bad"]),
        ("compliance=compliant", ["ok"]),
        ("compliance=partial", ["half"]),
        ("compliance=noncompliant", ["bad"]),
        ("compliance=unknown", ["unk"]),
        ("community=alpha&compliance=compliant", ["ok"]),
        ("community=alpha&compliance=unknown", ["unk"]),
        ("community=beta&compliance=noncompliant", ["bad"]),
        ("maintainer=nobody", []),
    ],
)
def test_product_filters(api_client, catalog, query, expected):
    assert sorted(slugs(api_client.get(f"{LIST}?{query}&page_size=500"))) == expected


@pytest.mark.django_db
def test_the_compliance_filter_agrees_with_the_embedded_summary(api_client, catalog):
    for status in ("compliant", "partial", "noncompliant", "unknown"):
        rows = api_client.get(f"{LIST}?community=alpha&compliance={status}").json()["results"]
        for row in rows:
            assert row["compliance"]["base"]["status"] == status


@pytest.mark.django_db
def test_a_product_with_sunsetting_membership_is_found_by_that_state(api_client, community):
    p = make_product("fading")
    ahead = datetime.date.today() + datetime.timedelta(days=10)
    make_membership(p, community, state="offramped", end_of_support=ahead)
    assert slugs(api_client.get(f"{LIST}?membership_state=sunsetting")) == ["fading"]
    assert slugs(api_client.get(f"{LIST}?membership_state=offramped")) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["community=nope", "membership_state=gone", "compliance=great", "ordering=bogus"]
)
def test_an_invalid_filter_value_is_a_400_naming_the_field(api_client, catalog, query):
    response = api_client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


@pytest.mark.django_db
def test_q_finds_a_product_by_words_of_its_summary(api_client, catalog):
    assert slugs(api_client.get(f"{LIST}?q=sparse linear")) == ["ok"]
    assert slugs(api_client.get(f"{LIST}?q=checkpointing")) == ["unk"]
    assert slugs(api_client.get(f"{LIST}?q=nothing-like-this")) == []


@pytest.mark.django_db
def test_ordering_sorts_both_ways(api_client, catalog):
    names = slugs(api_client.get(f"{LIST}?ordering=slug"))
    assert names == sorted(names)
    assert slugs(api_client.get(f"{LIST}?ordering=-slug")) == sorted(names, reverse=True)
    Product.objects.filter(slug="half").update(
        updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert slugs(api_client.get(f"{LIST}?ordering=updated_at"))[0] == "half"
    assert slugs(api_client.get(f"{LIST}?ordering=-updated_at"))[-1] == "half"


@pytest.mark.django_db
def test_the_filter_is_usable_from_a_plain_view(catalog, rf):
    from products.filters import ProductFilter

    request = rf.get("/products/", {"community": "alpha", "compliance": "partial"})
    qs = ProductFilter(request.GET, queryset=Product.objects.for_list()).qs
    assert [p.slug for p in qs] == ["half"]


# --- pagination and CSV --------------------------------------------------------------


@pytest.mark.django_db
def test_page_size_is_capped_at_500(api_client):
    Product.objects.bulk_create([Product(slug=f"p{i:03d}", name=f"P{i:03d}") for i in range(501)])
    body = api_client.get(f"{LIST}?page_size=501").json()
    assert body["count"] == 501
    assert len(body["results"]) == 500
    assert body["next"] is not None
    second = api_client.get(f"{LIST}?page_size=501&page=2").json()
    assert len(second["results"]) == 1
    assert api_client.get(f"{LIST}?page=99").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "-3", "abc", "", "2.5"])
def test_a_page_size_that_is_not_a_positive_integer_is_a_400(api_client, value):
    # Found by the fuzzer: DRF silently used the default page size instead.
    response = api_client.get(LIST, {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()


@pytest.mark.django_db
def test_an_empty_page_number_is_a_404_like_any_invalid_one(api_client):
    # Found by the fuzzer: `?page=` was read as page 1.
    assert api_client.get(f"{LIST}?page=").status_code == 404


@pytest.mark.django_db
def test_pages_do_not_overlap(api_client):
    for i in range(7):
        make_product(f"same{i}", name="Same name")
    first = slugs(api_client.get(f"{LIST}?page_size=4"))
    second = slugs(api_client.get(f"{LIST}?page_size=4&page=2"))
    assert len(set(first) | set(second)) == 7


@pytest.mark.django_db
def test_csv_has_a_header_and_one_row_per_item(api_client, catalog):
    make_dependency(catalog["ok"], catalog["bad"])
    make_dependency(catalog["ok"], catalog["half"])
    response = api_client.get(f"{LIST}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 5
    ok = next(r for r in rows if r["slug"] == "ok")
    assert ok["dependencies"] == "bad;half"
    assert ok["compliance"] == "base:compliant"
    assert "community=alpha" in ok["memberships"]


# --- writes --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_user_registers_a_product_and_becomes_its_maintainer(client_for, stranger):
    make_product("zlib")
    response = client_for(stranger).post(
        LIST,
        {
            "slug": "newlib",
            "name": "NewLib",
            "summary": "New",
            "license": "MIT",
            "areas": ["Math Libraries"],
            "dependencies": ["zlib"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["maintainers"] == ["stranger"]
    assert body["dependencies"] == ["zlib"]
    assert body["areas"] == ["Math Libraries"]
    assert response["Location"].endswith("/api/v1/products/newlib/")
    assert Event.objects.filter(verb="product_registered", product__slug="newlib").exists()
    history = Product.history.filter(slug="newlib").first()
    assert history.history_user == stranger


@pytest.mark.django_db
def test_registering_a_taken_slug_is_a_field_error(client_for, stranger, product):
    response = client_for(stranger).post(LIST, {"slug": "widget", "name": "W"}, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()


@pytest.mark.django_db
def test_a_patch_of_dependencies_replaces_only_manual_ones(client_for, maintainer, product):
    a, b, _c, spack = (make_product(s) for s in ("a", "b", "c", "spackdep"))
    make_dependency(product, a)
    make_dependency(product, b)
    make_dependency(product, spack, source=Dependency.Source.SPACK)
    response = client_for(maintainer).patch(
        detail("widget"), {"dependencies": ["b", "c"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["dependencies"] == ["b", "c", "spackdep"]
    assert Dependency.objects.get(product=product, depends_on=spack).source == "spack"
    assert Event.objects.filter(verb="dependencies_changed").count() == 1


@pytest.mark.django_db
def test_a_product_cannot_depend_on_itself_or_on_an_unknown_slug(client_for, maintainer, product):
    client = client_for(maintainer)
    for deps in (["widget"], ["ghost"]):
        response = client.patch(detail("widget"), {"dependencies": deps}, format="json")
        assert response.status_code == 400
        assert "dependencies" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("slug", [{}, ["widget"], None])
def test_a_malformed_slug_with_dependencies_is_a_400_not_a_500(client_for, stranger, product, slug):
    # Found by the fuzzer: the self-dependency check hashed the raw slug (500 for a dict).
    body = {"slug": slug, "name": "New", "dependencies": ["widget"]}
    response = client_for(stranger).post(LIST, body, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()


@pytest.mark.django_db
def test_a_maintainer_edits_metadata_and_history_records_the_token_user(
    api_client, maintainer, product
):
    from accounts.models import ApiToken

    _, key = ApiToken.issue(user=maintainer, name="ci")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.patch(detail("widget"), {"summary": "Better"}, format="json")
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.summary == "Better"
    assert product.history.first().history_user == maintainer
    event = Event.objects.get(verb="product_updated")
    assert event.actor == maintainer
    assert event.data == {"fields": ["summary"]}


@pytest.mark.django_db
def test_the_slug_cannot_be_changed(client_for, maintainer, product):
    response = client_for(maintainer).patch(detail("widget"), {"slug": "other"}, format="json")
    assert response.status_code == 400
    assert "slug" in response.json()


@pytest.mark.django_db
def test_put_is_not_offered(client_for, maintainer, product):
    response = client_for(maintainer).put(detail("widget"), {"name": "X"}, format="json")
    assert response.status_code == 405


# --- compliance endpoint -------------------------------------------------------------


@pytest.mark.django_db
def test_compliance_lists_every_effective_policy_with_inherited_marked(api_client, product):
    e4s = make_policy_set("e4s", name="E4S")
    p1 = make_policy(e4s, "P1", title="Spack")
    make_policy(e4s, "P2", title="Tests")
    xsdk = make_policy_set("xsdk", name="xSDK", base=e4s)
    make_policy(xsdk, "M1", title="Own")
    make_policy(xsdk, "M2", title="Adapted tests", adapts=e4s.policies.get(code="P2"))
    make_assessment(product, p1, "full", evidence_url="https://example.org/ci")
    response = api_client.get(
        reverse("api-product-compliance", args=["widget"]) + "?policy_set=xsdk"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["product"] == "widget"
    assert body["policy_set"] == "xsdk"
    assert body["version"] == "1.0"
    zero = {"met": 0, "partial": 0, "none": 0, "unknown": 0, "waived": 0, "total": 0}
    assert body["summary"] == {
        "status": "unknown",
        "full": 1,
        "partial": 0,
        "none": 0,
        "na": 0,
        "unknown": 2,
        "mandatory": {**zero, "met": 1, "unknown": 2, "total": 3},
        "own": {**zero, "unknown": 2, "total": 2},
        "inherited": {**zero, "met": 1, "total": 1},
        "recommended": zero,
        "missing": [
            {"code": "M1", "status": "unknown", "level": "mandatory", "inherited": False},
            {"code": "M2", "status": "unknown", "level": "mandatory", "inherited": False},
        ],
        "reason": "0/2 own mandatory met · M1, M2 not assessed · 1/1 inherited from E4S met",
        "hub_default": False,
    }
    rows = {(r["code"], r["inherited"]): r for r in body["policies"]}
    assert set(rows) == {("M1", False), ("M2", False), ("P1", True)}
    assert rows[("P1", True)]["status"] == "full"
    assert rows[("P1", True)]["evidence_url"] == "https://example.org/ci"
    assert rows[("M1", False)]["status"] == "unknown"
    assert rows[("P1", True)]["outcome"] == "met" and rows[("M1", False)]["outcome"] == "unknown"
    for row in body["policies"]:
        assert {"code", "title", "level", "inherited", "status", "justification"} <= set(row)
        assert {"evidence_url", "source"} <= set(row)


@pytest.mark.django_db
def test_compliance_needs_a_known_policy_set(api_client, product):
    url = reverse("api-product-compliance", args=["widget"])
    assert api_client.get(url).status_code == 400
    assert api_client.get(url + "?policy_set=nope").json().keys() == {"policy_set"}
    assert (
        api_client.get(
            reverse("api-product-compliance", args=["nope"]) + "?policy_set=base"
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_compliance_summary_covers_each_set_of_each_membership(api_client):
    s1, s2 = make_policy_set("one"), make_policy_set("two")
    make_policy(s1, "A")
    c1 = make_community("c1", policy_set=s1)
    c2 = make_community("c2", policy_set=s2)
    p = make_product("multi")
    make_membership(p, c1)
    make_membership(p, c2)
    body = api_client.get(detail("multi")).json()
    assert body["compliance"]["one"]["status"] == "unknown"
    assert body["compliance"]["two"]["status"] == "compliant"  # nothing mandatory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/communities/",
        "/api/v1/policy-sets/",
        "/api/v1/assessments/",
        "/api/v1/events/",
    ],
)
def test_every_list_endpoint_exports_csv(api_client, catalog, url):
    from events.log import record

    record("product_registered", product=catalog["ok"])
    json_rows = api_client.get(url).json()["results"]
    response = api_client.get(url, {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == len(json_rows) > 0
    assert "id" in rows[0] or "slug" in rows[0]


@pytest.mark.django_db
def test_anonymous_clients_are_throttled_with_a_json_429(api_client, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    cache.clear()
    statuses = [api_client.get(LIST).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "detail" in api_client.get(LIST).json()
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/nothing-here/",
        "/api/v1/products/no%00pe/",
        "/api/v1/assessments/abc/",
        "/api/v1/products/widget/compliance/?policy_set=%00",
    ],
)
def test_odd_addresses_answer_json_errors_not_5xx(api_client, product, url):
    response = api_client.get(url)
    assert response.status_code in (400, 404)
    assert "application/json" in response["Content-Type"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_a_write_to_an_unknown_api_address_is_a_json_404_not_a_csrf_page(client, method):
    # Found by the fuzzer: the catch-all API 404 was behind CSRF, so an unsafe method got
    # Django's HTML 403 page. `client` enforces CSRF like a browser without a token.
    client.handler.enforce_csrf_checks = True
    response = getattr(client, method)("/api/v1/assessments/%C2%84/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/",
        "/api/v1/products/",
        "/api/v1/products/widget/",
        "/api/v1/communities/alpha/",
        "/api/v1/policy-sets/base/",
        "/api/v1/assessments/",
        "/api/v1/events/",
    ],
)
def test_the_browsable_api_renders_for_a_signed_in_maintainer(client, maintainer, product, url):
    client.force_login(maintainer)
    response = client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_mandatory_met_other_than_true_or_false_is_refused_not_ignored(
    api_client, client, product
):
    response = api_client.get("/api/v1/products/?mandatory_met=maybe")
    assert response.status_code == 400
    assert "mandatory_met" in response.json()
    assert api_client.get("/api/v1/products/?mandatory_met=false").status_code == 200
    # The catalog page says which filter it did not understand, and lists nothing.
    page = " ".join(client.get("/products/?mandatory_met=maybe").content.decode().split())
    assert "Some filters were not understood: mandatory_met" in page
    assert 'href="/products/widget/"' not in page
    assert 'href="/products/widget/"' in client.get("/products/").content.decode()
