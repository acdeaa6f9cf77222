"""POST /api/v1/imports/: permissions, dry run, summaries and errors as JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from events.models import Event
from products.models import Assessment, Dependency, Membership, Product
from tests.conftest import make_policy, make_policy_set

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent.parent / "importers" / "data"
URL = reverse("api-import-list")


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def text_upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode())


@pytest.fixture
def xsdk(policy_set):
    ps = make_policy_set("xsdk", version="1.0.0", base=policy_set)
    for n in range(1, 18):
        make_policy(ps, f"M{n}", title=f"Mandatory {n}")
    for n in range(1, 9):
        make_policy(ps, f"R{n}", title=f"Recommended {n}", level="recommended")
    return ps


def compat(product: str = "widget"):
    return {
        "kind": "xsdk_compat",
        "product": product,
        "file": upload(DATA / "xsdk/mathkit-policy-compatibility.md"),
    }


LEAD_CATALOG = """format: peso-catalog/1
products:
- slug: widget
  name: Widget
  summary: Updated through the API.
"""


def catalog(text: str = LEAD_CATALOG, name: str = "catalog.yaml"):
    return {"kind": "catalog", "file": text_upload(name, text)}


# --- permissions ------------------------------------------------------------------------


def test_anonymous_users_get_401(client_for, product, xsdk):
    response = client_for(None).post(URL, compat(), format="multipart")
    assert response.status_code == 401
    assert not Assessment.objects.exists()


def test_a_stranger_gets_403(client_for, stranger, product, xsdk):
    response = client_for(stranger).post(URL, compat(), format="multipart")
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_a_maintainer_without_a_lead_role_gets_403(client_for, maintainer, product, xsdk):
    response = client_for(maintainer).post(URL, compat(), format="multipart")
    assert response.status_code == 403


def test_a_lead_of_another_community_gets_403(client_for, other_lead, product, xsdk):
    response = client_for(other_lead).post(URL, compat(), format="multipart")
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_a_lead_imports_a_compatibility_file_for_their_communitys_product(
    client_for, lead, product, xsdk
):
    response = client_for(lead).post(URL, compat(), format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kind"] == "xsdk_compat"
    assert body["numbering"] == "1.0.0"
    assert body["changes"]["assessments"]["created"] == 23
    assert {u["line"] for u in body["unplaced"]} == {35, 47}
    assert body["skipped"][0]["code"] == "M14"
    assessment = Assessment.objects.get(product=product, policy__code="M1")
    assert assessment.assessed_by == lead
    assert assessment.source == "imported"


def test_a_hub_admin_imports_anything(client_for, hub_admin, other_product, xsdk):
    response = client_for(hub_admin).post(URL, compat("gadget"), format="multipart")
    assert response.status_code == 200
    assert Assessment.objects.filter(product=other_product).count() == 23


def test_a_lead_imports_a_catalog_file_changing_a_member_they_maintain(client_for, lead, product):
    product.maintainers.add(lead)  # metadata is its maintainers' to change, as in the API
    response = client_for(lead).post(URL, catalog(), format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["changes"]["products"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
    }
    product.refresh_from_db()
    assert product.summary == "Updated through the API."


def test_a_lead_may_not_import_a_catalog_touching_another_communitys_product(
    client_for, lead, product, other_product
):
    product.maintainers.add(lead)  # widget is theirs to change; gadget is not
    text = LEAD_CATALOG + "- slug: gadget\n  name: Gadget\n"
    response = client_for(lead).post(URL, catalog(text), format="multipart")
    assert response.status_code == 403
    assert "gadget" in response.json()["detail"]
    product.refresh_from_db()
    assert product.summary != "Updated through the API."


def test_a_lead_may_not_import_communities_or_policy_sets(client_for, lead, product):
    text = LEAD_CATALOG + "communities:\n- slug: alpha\n  name: Renamed\n"
    response = client_for(lead).post(URL, catalog(text), format="multipart")
    assert response.status_code == 403


def test_a_lead_may_not_add_a_new_product_that_joins_their_community_without_an_onramp(
    client_for, lead, community
):
    text = (
        "format: peso-catalog/1\nproducts:\n- {slug: newbie, name: Newbie}\n"
        "memberships:\n- {product: newbie, community: alpha}\n"
    )
    response = client_for(lead).post(URL, catalog(text), format="multipart")
    assert response.status_code == 403
    assert "onramp" in response.json()["detail"]
    assert not Product.objects.filter(slug="newbie").exists()
    assert not Membership.objects.exists()


def test_a_lead_imports_a_new_spack_recipe(client_for, lead, community):
    data = {"kind": "spack", "file": upload(DATA / "spack/packages/sparsesolve/package.py")}
    response = client_for(lead).post(URL, data, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["changes"]["products"]["created"] == 1
    assert any("superlu-dist" in u["reason"] for u in body["unplaced"])
    assert not Membership.objects.exists()


def test_a_lead_may_not_make_a_spack_recipe_join_their_community_without_an_onramp(
    client_for, lead, community
):
    data = {
        "kind": "spack",
        "community": "alpha",
        "file": upload(DATA / "spack/packages/sparsesolve/package.py"),
    }
    response = client_for(lead).post(URL, data, format="multipart")
    assert response.status_code == 403
    assert not Product.objects.filter(slug="sparsesolve").exists()
    assert not Membership.objects.exists()


def test_a_lead_may_not_import_a_spack_recipe_into_another_community(
    client_for, lead, other_community
):
    data = {
        "kind": "spack",
        "community": "beta",
        "file": upload(DATA / "spack/packages/sparsesolve/package.py"),
    }
    response = client_for(lead).post(URL, data, format="multipart")
    assert response.status_code == 403
    assert not Product.objects.filter(slug="sparsesolve").exists()


# --- dry run and bad files --------------------------------------------------------------


def test_dry_run_reports_and_writes_nothing(client_for, hub_admin, product, xsdk):
    response = client_for(hub_admin).post(f"{URL}?dry_run=1", compat(), format="multipart")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert response.json()["changes"]["assessments"]["created"] == 23
    assert not Assessment.objects.exists()
    assert not Event.objects.exists()


def test_a_catalog_dry_run_writes_nothing(client_for, hub_admin, community):
    response = client_for(hub_admin).post(
        f"{URL}?dry_run=1",
        {"kind": "catalog", "file": upload(DATA / "catalog/small.yaml")},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["changes"]["products"]["created"] == 2
    assert not Product.objects.exists()
    assert not Dependency.objects.exists()


BAD = [
    ("catalog", "catalog/malformed.yaml", 5, "invalid YAML"),
    ("catalog", "catalog/malformed.json", 4, "invalid JSON"),
    ("catalog", "catalog/unknown_field.yaml", 5, "unknown field 'homepages'"),
    ("catalog", "catalog/wrong_type.yaml", 5, "'areas' must be a list of strings"),
    ("catalog", "catalog/missing_ref.yaml", 7, "'no-such-product' is neither"),
    ("spack", "bad/broken_package.py", 9, "not valid Python"),
    ("xsdk_compat", "xsdk/no-table.md", 5, "no readable policy table"),
]


@pytest.mark.parametrize(("kind", "name", "line", "reason"), BAD)
def test_a_bad_file_answers_400_with_file_line_and_reason(
    client_for, hub_admin, product, xsdk, kind, name, line, reason
):
    path = DATA / name
    data = {"kind": kind, "file": upload(path)}
    if kind == "xsdk_compat":
        data["product"] = "widget"
    before = (Product.objects.count(), Assessment.objects.count(), Event.objects.count())
    response = client_for(hub_admin).post(URL, data, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert reason in body["detail"]
    error = body["errors"][0]
    assert error["file"] == path.name
    assert error["line"] == line
    assert reason in error["reason"]
    assert set(error) == {"file", "line", "column", "reason"}
    after = (Product.objects.count(), Assessment.objects.count(), Event.objects.count())
    assert after == before


def test_xsdk_compat_needs_a_product(client_for, hub_admin, xsdk):
    data = {"kind": "xsdk_compat", "file": upload(DATA / "xsdk/no-table.md")}
    response = client_for(hub_admin).post(URL, data, format="multipart")
    assert response.status_code == 400
    assert "product" in response.json()


def test_an_unknown_kind_is_a_400(client_for, hub_admin):
    data = {"kind": "csv", "file": text_upload("a.csv", "a,b\n")}
    response = client_for(hub_admin).post(URL, data, format="multipart")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_listing_imports_is_not_a_thing(client_for, hub_admin):
    assert client_for(hub_admin).get(URL).status_code == 405
