"""Every URL field takes only http(s) addresses without quotes or angle brackets, on every
write path of the API and the importers: 400 naming the field (or the file and line), and
nothing written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from events.models import Event
from products.models import Assessment, Product, Stakeholder
from spokes.models import Community, Policy, PolicySet

pytestmark = pytest.mark.django_db

BAD_URLS = [
    "javascript:alert(1)",
    "ftp://example.org/file",
    'https://example.org/"onmouseover=alert(1)',
    "https://example.org/<script>",
    "ftp://x",
    'https://x/"onmouseover=',
    "https://x/<script>",
]
IMPORTS = reverse("api-import-list")
# The rule's own message: shown even where Django's URL check also refuses the value.
HINT = "http:// or https://"


def _refused(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert HINT in " ".join(response.json()[field]), response.json()


# --- products ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_URLS)
def test_registering_a_product_with_a_bad_url_is_a_400(client_for, stranger, bad):
    client = client_for(stranger)
    for field in ("homepage", "repository_url", "documentation_url"):
        response = client.post(
            "/api/v1/products/", {"slug": "frob", "name": "Frob", field: bad}, format="json"
        )
        _refused(response, field)
    assert not Product.objects.filter(slug="frob").exists()
    assert not Event.objects.exists()


@pytest.mark.parametrize("bad", BAD_URLS)
def test_patching_a_product_with_a_bad_url_is_a_400(client_for, maintainer, product, bad):
    before = product.homepage
    response = client_for(maintainer).patch(
        "/api/v1/products/widget/", {"homepage": bad, "summary": "Changed"}, format="json"
    )
    _refused(response, "homepage")
    product.refresh_from_db()
    assert (product.homepage, product.summary) == (before, "widget does useful things")


def test_a_good_https_url_is_still_accepted(client_for, maintainer, product):
    response = client_for(maintainer).patch(
        "/api/v1/products/widget/",
        {"homepage": "https://widget.example.org/docs?x=1#top"},
        format="json",
    )
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.homepage == "https://widget.example.org/docs?x=1#top"


# --- communities and stakeholders --------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_URLS)
def test_a_community_website_must_be_a_web_address(client_for, hub_admin, lead, community, bad):
    created = client_for(hub_admin).post(
        "/api/v1/communities/", {"slug": "gamma", "name": "Gamma", "website": bad}, format="json"
    )
    _refused(created, "website")
    assert not Community.objects.filter(slug="gamma").exists()
    before = community.website
    patched = client_for(lead).patch("/api/v1/communities/alpha/", {"website": bad}, format="json")
    _refused(patched, "website")
    assert Community.objects.get(pk=community.pk).website == before


@pytest.mark.parametrize("bad", BAD_URLS)
def test_a_stakeholder_website_must_be_a_web_address(client_for, hub_admin, bad):
    client = client_for(hub_admin)
    created = client.post(
        "/api/v1/stakeholders/", {"slug": "olcf", "name": "OLCF", "website": bad}, format="json"
    )
    _refused(created, "website")
    assert not Stakeholder.objects.exists()
    Stakeholder.objects.create(slug="olcf", name="OLCF", website="https://olcf.example.org")
    patched = client.patch("/api/v1/stakeholders/olcf/", {"website": bad}, format="json")
    _refused(patched, "website")
    assert Stakeholder.objects.get(slug="olcf").website == "https://olcf.example.org"


# --- assessments -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_URLS)
def test_an_assessment_evidence_url_must_be_a_web_address(client_for, maintainer, product, bad):
    client = client_for(maintainer)
    body = {"product": "widget", "policy_set": "base", "policy": "P1", "status": "full"}
    _refused(
        client.post("/api/v1/assessments/", {**body, "evidence_url": bad}, format="json"),
        "evidence_url",
    )
    assert not Assessment.objects.exists()
    created = client.post(
        "/api/v1/assessments/", {**body, "evidence_url": "https://ci.example.org/1"}, format="json"
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/assessments/{created.json()['id']}/"
    _refused(client.patch(url, {"evidence_url": bad}, format="json"), "evidence_url")
    assert Assessment.objects.get().evidence_url == "https://ci.example.org/1"


# --- imports -----------------------------------------------------------------------------


def _catalog(field: str, value: str) -> str:
    quoted = value.replace("'", "''")
    return f"format: peso-catalog/1\nproducts:\n- slug: frob\n  name: Frob\n  {field}: '{quoted}'\n"


@pytest.mark.parametrize("bad", BAD_URLS)
def test_a_catalog_file_with_a_bad_url_is_rejected_whole(client_for, hub_admin, bad):
    client = client_for(hub_admin)
    for field in ("homepage", "repository_url", "documentation_url"):
        upload = SimpleUploadedFile("catalog.yaml", _catalog(field, bad).encode())
        response = client.post(IMPORTS, {"kind": "catalog", "file": upload}, format="multipart")
        assert response.status_code == 400, response.content
        error = response.json()["errors"][0]
        assert error["file"] == "catalog.yaml"
        assert error["line"] == 5
        assert f"'{field}'" in error["reason"]
        assert HINT in error["reason"]
    assert not Product.objects.filter(slug="frob").exists()


RECIPE = '''from spack.package import *


class Frob(Package):
    """Frobnicates."""

    homepage = {homepage!r}
    git = {git!r}

    version("1.0")
'''


@pytest.mark.parametrize("bad", BAD_URLS)
def test_a_spack_recipe_with_a_bad_homepage_or_git_url_stores_neither(client_for, hub_admin, bad):
    source = RECIPE.format(homepage=bad, git=bad.replace("ftp:", "https:", 1))
    upload = SimpleUploadedFile("package.py", source.encode())
    response = client_for(hub_admin).post(
        IMPORTS, {"kind": "spack", "product": "frob", "file": upload}, format="multipart"
    )
    assert response.status_code == 200, response.content
    warnings = " ".join(response.json()["warnings"])
    assert "package.py:7: homepage" in warnings
    assert "not an http(s) web address" in warnings
    product = Product.objects.get(slug="frob")
    assert product.homepage == ""
    assert product.repository_url in ("", "https://example.org/file")
    assert '"' not in product.repository_url and "<" not in product.repository_url


# javascript: and a host without a dot are also refused by the upload's own URL field.
@pytest.mark.parametrize("bad", BAD_URLS[1:4])
def test_an_xsdk_import_with_a_bad_evidence_url_writes_nothing(client_for, hub_admin, product, bad):
    upload = SimpleUploadedFile("compat.md", b"# xSDK compatibility\n")
    response = client_for(hub_admin).post(
        IMPORTS,
        {"kind": "xsdk_compat", "product": "widget", "evidence_url": bad, "file": upload},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    body = response.content.decode()
    assert "evidence_url" in body
    assert HINT in body
    assert not Assessment.objects.exists()


# --- policy sets -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_URLS)
def test_a_policy_source_url_must_be_a_web_address(client_for, hub_admin, policy_set, bad):
    client = client_for(hub_admin)
    policy = {"code": "N1", "title": "New", "url": bad}
    created = client.post(
        "/api/v1/policy-sets/",
        {"slug": "new-set", "name": "New", "version": "1", "policies": [policy]},
        format="json",
    )
    assert created.status_code == 400, created.content
    assert HINT in created.content.decode()
    assert not PolicySet.objects.filter(slug="new-set").exists()
    patched = client.patch(
        "/api/v1/policy-sets/base/",
        {
            "policies": [
                {"code": p.code, "title": p.title, "url": bad} for p in policy_set.policies.all()
            ]
        },
        format="json",
    )
    assert patched.status_code == 400, patched.content
    assert HINT in patched.content.decode()
    assert not Policy.objects.exclude(source_url="").exists()
