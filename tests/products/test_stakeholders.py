"""Stakeholders recorded as using products: the offramp impact check, the API (`used_by`,
`products/{slug}/uses/`, `stakeholders/`), the pages and the catalog round trip."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from events.log import Verb
from events.models import Event
from lifecycle import transitions
from lifecycle.checklist import compute
from lifecycle.models import Decision, LifecycleRequest
from products.models import Membership, ProductUse, Stakeholder
from tests.conftest import make_dependency, make_product

pytestmark = pytest.mark.django_db

PLAN = {"support_organization": "E4S", "migration_notes": "Use the successor."}


def make_stakeholder(slug: str = "olcf", **overrides) -> Stakeholder:
    defaults = {"name": "OLCF", "kind": Stakeholder.Kind.FACILITY}
    defaults.update(overrides)
    return Stakeholder.objects.create(slug=slug, **defaults)


def use(product, stakeholder, **fields) -> ProductUse:
    return ProductUse.objects.create(product=product, stakeholder=stakeholder, **fields)


@pytest.fixture
def facility(db) -> Stakeholder:
    return make_stakeholder(
        "olcf",
        name="Oak Ridge Leadership Computing Facility",
        website="https://www.olcf.ornl.gov",
    )


def in_review_offramp(product, community, maintainer, lead) -> LifecycleRequest:
    req = transitions.request_create(
        by=maintainer, kind="offramp", product=product, community=community, **PLAN
    )
    transitions.request_submit(request=req, by=maintainer)
    transitions.request_start_review(request=req, by=lead)
    return req


def approve_url(req) -> str:
    return reverse("api-request-approve", args=[req.pk])


def uses_url(slug: str = "widget") -> str:
    return reverse("api-product-uses", args=[slug])


# --- the offramp impact check ---------------------------------------------------------


def test_the_impact_item_lists_stakeholders_and_needs_a_successor_or_an_acknowledgement(
    product, community, facility
):
    use(product, facility, note="Runs it in production")
    req = LifecycleRequest(kind="offramp", product=product, community=community, **PLAN)
    result = compute(req)
    item = next(i for i in result.items if i.key == "dependents")
    assert not item.passed
    assert "Oak Ridge Leadership Computing Facility (Computing facility)" in item.detail
    assert [s.slug for s in result.stakeholders] == ["olcf"]
    assert result.dependents == []
    assert [i.key for i in result.items] == [
        "active_membership",
        "sustainability_plan",
        "dependents",
    ]
    assert compute(req, acknowledge_dependents=True).passed
    assert compute(req, successor=make_product("heir")).passed


def test_dependents_and_stakeholders_are_listed_together(
    product, community, other_product, facility
):
    make_dependency(other_product, product)
    use(product, facility)
    req = LifecycleRequest(kind="offramp", product=product, community=community, **PLAN)
    item = next(i for i in compute(req).items if i.key == "dependents")
    assert "gadget" in item.detail and "Oak Ridge" in item.detail
    assert not item.passed


def test_without_users_or_dependents_the_impact_item_passes(product, community, facility):
    use(make_product("elsewhere"), facility)  # another product's user is not ours
    req = LifecycleRequest(kind="offramp", product=product, community=community, **PLAN)
    assert compute(req).passed


def test_an_offramp_of_a_product_used_by_a_facility_is_refused_then_accepted_with_acknowledgement(
    product, community, maintainer, lead, facility, client_for
):
    use(product, facility, note="Deployed on Frontier")
    req = in_review_offramp(product, community, maintainer, lead)
    reviewer = client_for(lead)

    checklist = reviewer.get(reverse("api-request-checklist", args=[req.pk])).json()
    assert checklist["stakeholders"] == [
        {
            "stakeholder": "olcf",
            "name": "Oak Ridge Leadership Computing Facility",
            "kind": "facility",
            "criticality": "important",
            "note": "Deployed on Frontier",
        }
    ]
    assert checklist["passed"] is False

    response = reviewer.post(approve_url(req))
    assert response.status_code == 409, response.content
    assert "Oak Ridge Leadership Computing Facility" in response.json()["detail"]
    req.refresh_from_db()
    assert req.state == "in_review"
    assert Membership.objects.get(product=product, community=community).state == "active"

    response = reviewer.post(approve_url(req), {"acknowledge_dependents": True})
    assert response.status_code == 200, response.content
    assert response.json()["acknowledge_dependents"] is True
    assert Membership.objects.get(product=product, community=community).state == "offramped"
    approved = Event.objects.get(verb=Verb.REQUEST_APPROVED, request=req)
    assert approved.data["stakeholders"] == ["olcf"]
    req.refresh_from_db()
    rationale = Decision.objects.get(pk=req.decision_id).rationale
    assert "Used by: olcf." in rationale and "acknowledged" in rationale
    # The approved request's page still names the stakeholder in its impact list.
    html = client_for(None).get(reverse("lifecycle:request-detail", args=[req.pk])).content.decode()
    assert 'class="impact impact-stakeholders"' in html
    assert "Oak Ridge Leadership Computing Facility" in html


def test_an_offramp_of_a_used_product_is_accepted_with_a_successor(
    product, community, maintainer, lead, facility, client_for
):
    use(product, facility)
    make_product("heir")
    req = in_review_offramp(product, community, maintainer, lead)
    response = client_for(lead).post(approve_url(req), {"successor": "heir"})
    assert response.status_code == 200, response.content
    assert response.json()["successor"] == "heir"


# --- the product API ------------------------------------------------------------------


def test_products_carry_used_by(product, facility, api_client):
    vendor = make_stakeholder("acme", name="Acme Computers", kind=Stakeholder.Kind.VENDOR)
    use(product, facility, note="Frontier", contact="ops@example.org", source="site survey")
    use(product, vendor)
    detail = api_client.get(reverse("api-product-detail", args=["widget"])).json()
    assert detail["used_by"] == [
        {
            "stakeholder": "acme",
            "name": "Acme Computers",
            "kind": "vendor",
            "criticality": "important",
            "note": "",
        },
        {
            "stakeholder": "olcf",
            "name": "Oak Ridge Leadership Computing Facility",
            "kind": "facility",
            "criticality": "important",
            "note": "Frontier",
        },
    ]
    listed = api_client.get(reverse("api-product-list")).json()["results"]
    assert [u["stakeholder"] for u in listed[0]["used_by"]] == ["acme", "olcf"]


def test_the_uses_endpoint_lists_a_products_users_with_contact_and_source(
    product, facility, api_client
):
    use(product, facility, note="Frontier", contact="ops@example.org", source="site survey")
    response = api_client.get(uses_url())
    assert response.status_code == 200
    assert response.has_header("ETag")
    [row] = response.json()
    assert row["product"] == "widget" and row["stakeholder"] == "olcf"
    assert (row["kind"], row["contact"], row["source"]) == (
        "facility",
        "ops@example.org",
        "site survey",
    )
    assert api_client.get(uses_url("nope")).status_code == 404


# Leads of a community the product belongs to and hub admins record uses (issue 16); the
# product's maintainers do not (nor does a stakeholder's contact for another stakeholder:
# tests/hub/test_stakeholder_engagement.py).
RECORD_USE = {
    "anonymous": 401,
    "stranger": 403,
    "other_maintainer": 403,
    "other_lead": 403,
    "maintainer": 403,
    "lead": 201,
    "hub_admin": 201,
}


@pytest.mark.parametrize(("role", "expected"), list(RECORD_USE.items()))
def test_who_may_record_that_a_stakeholder_uses_a_product(
    request, product, other_product, facility, client_for, role, expected
):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    events_before = Event.objects.count()
    body = {"stakeholder": "olcf", "note": "Frontier", "source": "survey"}
    response = client_for(user).post(uses_url(), body)
    assert response.status_code == expected, response.content
    if expected == 201:
        assert response.json()["stakeholder"] == "olcf"
        row = ProductUse.objects.get(product=product, stakeholder=facility)
        assert (row.note, row.source) == ("Frontier", "survey")
        event = Event.objects.get(verb=Verb.PRODUCT_USE_RECORDED)
        assert event.product == product and event.actor == user
        assert event.data["stakeholder"] == "olcf" and event.data["created"] is True
    else:
        assert not ProductUse.objects.exists()
        assert Event.objects.count() == events_before


def test_a_lead_may_not_record_uses_of_a_product_outside_their_communities(
    other_product, lead, facility, client_for
):
    response = client_for(lead).post(uses_url("gadget"), {"stakeholder": "olcf"})
    assert response.status_code == 403
    assert not ProductUse.objects.exists()


def test_recording_a_use_again_updates_it_and_keeps_history(product, lead, facility, client_for):
    owner = client_for(lead)
    assert owner.post(uses_url(), {"stakeholder": "olcf", "note": "a"}).status_code == 201
    response = owner.post(uses_url(), {"stakeholder": "olcf", "contact": "x@example.org"})
    assert response.status_code == 200, response.content
    row = ProductUse.objects.get()
    assert (row.note, row.contact) == ("a", "x@example.org")  # left-out fields are kept
    assert row.history.count() == 2
    # An unchanged re-post records nothing new.
    events = Event.objects.filter(verb=Verb.PRODUCT_USE_RECORDED).count()
    assert owner.post(uses_url(), {"stakeholder": "olcf"}).status_code == 200
    assert Event.objects.filter(verb=Verb.PRODUCT_USE_RECORDED).count() == events == 2


def test_recording_a_use_validates_the_stakeholder(product, lead, client_for):
    response = client_for(lead).post(uses_url(), {"stakeholder": "nobody"})
    assert response.status_code == 400
    assert "stakeholder" in response.json()


def test_a_stale_if_match_on_a_use_is_412(product, lead, facility, client_for):
    owner = client_for(lead)
    created = owner.post(uses_url(), {"stakeholder": "olcf", "note": "a"})
    etag = created["ETag"]
    fresh = owner.post(uses_url(), {"stakeholder": "olcf", "note": "b"}, HTTP_IF_MATCH=etag)
    assert fresh.status_code == 200, fresh.content
    response = owner.post(uses_url(), {"stakeholder": "olcf", "note": "c"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert ProductUse.objects.get().note == "b"


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("stranger", 403),
        ("other_lead", 403),
        ("maintainer", 403),
        ("lead", 204),
        ("hub_admin", 204),
    ],
)
def test_who_may_remove_a_use(request, product, facility, client_for, role, expected):
    use(product, facility)
    user = None if role == "anonymous" else request.getfixturevalue(role)
    url = reverse("api-product-use-detail", args=["widget", "olcf"])
    response = client_for(user).delete(url)
    assert response.status_code == expected, response.content
    assert ProductUse.objects.exists() == (expected != 204)
    if expected == 204:
        assert Event.objects.filter(verb=Verb.PRODUCT_USE_REMOVED).count() == 1
        assert client_for(user).delete(url).status_code == 404


def test_a_product_still_cannot_be_deleted(product, hub_admin, client_for):
    response = client_for(hub_admin).delete(reverse("api-product-detail", args=["widget"]))
    assert response.status_code == 405


# --- the stakeholders API -------------------------------------------------------------


def test_stakeholders_list_and_detail_show_the_products_each_uses(
    product, other_product, facility, api_client
):
    use(product, facility, note="Frontier")
    use(other_product, facility)
    make_stakeholder("nobody", name="Nobody Inc", kind=Stakeholder.Kind.INDUSTRY)
    listed = api_client.get(reverse("api-stakeholder-list")).json()
    assert [s["slug"] for s in listed["results"]] == ["nobody", "olcf"]
    detail = api_client.get(reverse("api-stakeholder-detail", args=["olcf"]))
    assert detail.status_code == 200 and detail.has_header("ETag")
    body = detail.json()
    assert body["kind"] == "facility" and body["website"] == "https://www.olcf.ornl.gov"
    assert body["products"] == [
        {"product": "gadget", "name": "Gadget", "criticality": "important", "note": ""},
        {"product": "widget", "name": "Widget", "criticality": "important", "note": "Frontier"},
    ]
    assert body["uses"] == body["products"]
    filtered = api_client.get(reverse("api-stakeholder-list"), {"kind": "industry"}).json()
    assert [s["slug"] for s in filtered["results"]] == ["nobody"]
    by_product = api_client.get(reverse("api-stakeholder-list"), {"product": "gadget"}).json()
    assert [s["slug"] for s in by_product["results"]] == ["olcf"]
    assert api_client.get(reverse("api-stakeholder-detail", args=["none"])).status_code == 404


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("stranger", 403), ("maintainer", 403), ("lead", 403), ("hub_admin", 201)],
)
def test_only_hub_admins_record_stakeholders(request, product, client_for, role, expected):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    body = {"slug": "nersc", "name": "NERSC", "kind": "facility"}
    response = client_for(user).post(reverse("api-stakeholder-list"), body)
    assert response.status_code == expected, response.content
    assert Stakeholder.objects.filter(slug="nersc").exists() == (expected == 201)
    assert Event.objects.filter(verb=Verb.STAKEHOLDER_CREATED).exists() == (expected == 201)


def test_hub_admins_change_stakeholders_but_not_their_slug(facility, hub_admin, lead, client_for):
    url = reverse("api-stakeholder-detail", args=["olcf"])
    assert client_for(lead).patch(url, {"name": "X"}).status_code == 403
    admin = client_for(hub_admin)
    response = admin.patch(url, {"summary": "Home of Frontier."})
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "Home of Frontier."
    assert admin.patch(url, {"slug": "other"}).status_code == 400
    assert admin.patch(url, {"kind": "nonsense"}).status_code == 400
    assert (
        admin.post(reverse("api-stakeholder-list"), {"slug": "olcf", "name": "Again"}).status_code
        == 400
    )
    facility.refresh_from_db()
    assert facility.name == "Oak Ridge Leadership Computing Facility"
    assert facility.history.count() == 2


# --- pages ----------------------------------------------------------------------------


def test_the_product_page_shows_who_uses_it(client, product, facility):
    use(product, facility, note="Deployed on Frontier")
    html = client.get(reverse("products:detail", args=["widget"])).content.decode()
    assert "Who relies on this (1)" in html
    assert "Oak Ridge Leadership Computing Facility" in html
    assert "computing facility" in html and "Deployed on Frontier" in html


def test_the_product_page_says_when_nobody_is_recorded(client, product):
    html = client.get(reverse("products:detail", args=["widget"])).content.decode()
    assert "Who relies on this (0)" in html and "No stakeholder recorded." in html


def test_the_request_page_lists_stakeholders_in_the_impact(
    client, product, community, maintainer, lead, facility
):
    use(product, facility, note="Deployed on Frontier")
    req = in_review_offramp(product, community, maintainer, lead)
    html = client.get(reverse("lifecycle:request-detail", args=[req.pk])).content.decode()
    assert "stakeholders recorded as using Widget" in html
    assert 'class="impact impact-stakeholders"' in html
    assert "Oak Ridge Leadership Computing Facility" in html


# --- catalog files ----------------------------------------------------------------------


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_stakeholders_and_uses_are_exported_and_imported(product, facility, tmp_path):
    use(product, facility, note="Frontier", contact="ops@example.org", source="survey")
    data = json.loads(run("export_catalog", format="json"))
    assert data["stakeholders"] == [
        {
            "slug": "olcf",
            "name": "Oak Ridge Leadership Computing Facility",
            "kind": "facility",
            "website": "https://www.olcf.ornl.gov",
            "summary": "",
        }
    ]
    assert data["uses"] == [
        {
            "product": "widget",
            "stakeholder": "olcf",
            "criticality": "important",
            "note": "Frontier",
            "contact": "ops@example.org",
            "source": "survey",
        }
    ]
    data["uses"][0]["note"] = "Frontier and Summit"
    data["stakeholders"].append({"slug": "acme", "name": "Acme", "kind": "vendor"})
    data["uses"].append({"product": "widget", "stakeholder": "acme"})
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    out = run("import_catalog", str(path))
    assert "stakeholders: 1 created, 0 updated, 1 unchanged" in out
    assert "uses: 1 created, 1 updated, 0 unchanged" in out
    assert ProductUse.objects.get(stakeholder=facility).note == "Frontier and Summit"
    assert Stakeholder.objects.get(slug="acme").kind == "vendor"


def test_a_community_export_holds_the_stakeholders_of_its_products(
    product, other_product, facility
):
    lonely = make_stakeholder("lonely", name="Lonely")
    use(product, facility)
    use(other_product, lonely)
    data = json.loads(run("export_catalog", format="json", community="alpha"))
    assert [s["slug"] for s in data["stakeholders"]] == ["olcf"]
    assert [(u["product"], u["stakeholder"]) for u in data["uses"]] == [("widget", "olcf")]


def test_a_lead_may_not_import_stakeholders_through_the_api(product, lead, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = "format: peso-catalog/1\nstakeholders:\n- slug: nersc\n  name: NERSC\n"
    upload = SimpleUploadedFile("c.yaml", text.encode())
    response = client_for(lead).post(
        reverse("api-import-list"), {"file": upload, "kind": "catalog"}, format="multipart"
    )
    assert response.status_code == 403
    assert not Stakeholder.objects.exists()


# --- admin --------------------------------------------------------------------------------


def test_the_admin_lists_stakeholders_and_uses(client, product, facility):
    from tests.conftest import make_user

    use(product, facility, note="Frontier")
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    for url in (
        "/admin/products/stakeholder/",
        "/admin/products/stakeholder/?kind__exact=facility&q=oak",
        f"/admin/products/stakeholder/{facility.pk}/change/",
        "/admin/products/productuse/",
        "/admin/products/productuse/?q=widget",
        "/admin/products/productuse/add/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "Oak Ridge" in client.get("/admin/products/productuse/").content.decode()


def test_the_stakeholders_list_exports_csv(product, facility, api_client):
    use(product, facility, note="Frontier")
    response = api_client.get(reverse("api-stakeholder-list"), {"format": "csv"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.splitlines()[0].startswith("slug,name,kind")
    assert "product=widget" in text


def test_a_stale_if_match_refuses_removing_a_use(product, lead, facility, client_for):
    owner = client_for(lead)
    etag = owner.post(uses_url(), {"stakeholder": "olcf", "note": "a"})["ETag"]
    owner.post(uses_url(), {"stakeholder": "olcf", "note": "b"})
    stale = owner.delete(uses_url() + "olcf/", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert ProductUse.objects.get().note == "b"
    current = owner.get(uses_url())
    assert current.status_code == 200
    fresh_tag = owner.post(uses_url(), {"stakeholder": "olcf", "note": "b"})["ETag"]
    assert owner.delete(uses_url() + "olcf/", HTTP_IF_MATCH=fresh_tag).status_code == 204
    assert not ProductUse.objects.exists()
