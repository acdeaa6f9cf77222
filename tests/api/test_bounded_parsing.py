"""Bounded parsing through the served API: who may upload is settled before the file is
read; alias bombs, deep nesting, pathological tables and recipes and oversized files are a
quick 400 (or 403/413), never a stall or a 500, and nothing is written."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from events.models import Event
from products import imports_api
from products.models import Assessment, Product
from tests.conftest import make_policy, make_policy_set

pytestmark = pytest.mark.django_db

URL = reverse("api-import-list")
QUICK = 5.0  # seconds; each attack below is refused in well under one on an idle machine

# Twenty levels of four aliases each: 4**20 (about 10**12) strings once expanded.
ALIAS_BOMB = "format: peso-catalog/1\nl0: &l0 [lol, lol, lol, lol]\n" + "".join(
    f"l{n}: &l{n} [*l{n - 1}, *l{n - 1}, *l{n - 1}, *l{n - 1}]\n" for n in range(1, 21)
)
# A mapping that merges itself twice per level (`<<`): copies double at every level.
MERGE_BOMB = "format: peso-catalog/1\nm0: &m0 {a: 1}\n" + "".join(
    f"m{n}: &m{n}\n  <<: [*m{n - 1}, *m{n - 1}]\n" for n in range(1, 40)
)
RECURSIVE_ALIAS = "format: peso-catalog/1\nproducts: &p\n- *p\n"
DEEP_YAML = "format: peso-catalog/1\nproducts: " + "[" * 900 + "]" * 900 + "\n"
DEEP_JSON = '{"format": "peso-catalog/1", "products": ' + "[" * 100_000 + "]" * 100_000 + "}"


def upload(kind: str, name: str, text: str, **extra) -> dict:
    return {"kind": kind, "file": SimpleUploadedFile(name, text.encode()), **extra}


def counts() -> tuple[int, int, int]:
    return Product.objects.count(), Assessment.objects.count(), Event.objects.count()


def post_timed(client, data):
    start = time.monotonic()
    response = client.post(URL, data, format="multipart")
    return response, time.monotonic() - start


@pytest.fixture
def xsdk(policy_set):
    ps = make_policy_set("xsdk", version="1.0.0", base=policy_set)
    make_policy(ps, "M1", title="Mandatory 1")
    return ps


# --- 1. permission before parsing -------------------------------------------------------

STRANGER_FILES = [
    ("malformed", "catalog", "c.yaml", "format: [unclosed\n  - {\n"),
    ("alias bomb", "catalog", "c.yaml", ALIAS_BOMB),
    ("deep json", "catalog", "c.json", DEEP_JSON),
    ("bad recipe", "spack", "package.py", "class (:\n"),
]


@pytest.mark.parametrize(("what", "kind", "name", "text"), STRANGER_FILES)
def test_a_stranger_gets_403_whatever_the_file(client_for, stranger, what, kind, name, text):
    before = counts()
    response, took = post_timed(client_for(stranger), upload(kind, name, text))
    assert response.status_code == 403, (what, response.json())
    assert "hub admins and community leads" in response.json()["detail"]
    assert took < QUICK
    assert counts() == before


def test_a_stranger_gets_403_for_an_oversized_file_too(client_for, stranger, monkeypatch):
    monkeypatch.setitem(imports_api.MAX_UPLOAD, "catalog", 1024)
    response = client_for(stranger).post(
        URL, upload("catalog", "c.yaml", "#" * 4096), format="multipart"
    )
    assert response.status_code == 403


def test_a_stranger_gets_403_even_without_a_valid_form(client_for, stranger):
    response = client_for(stranger).post(URL, {"kind": "csv"}, format="multipart")
    assert response.status_code == 403


def test_a_stranger_never_has_the_file_read(client_for, stranger, monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the catalog was parsed for a user who may not import")

    monkeypatch.setattr(imports_api.catalog, "load", must_not_run)
    response = client_for(stranger).post(URL, upload("catalog", "c.yaml", "x"), format="multipart")
    assert response.status_code == 403


def test_a_lead_still_uploads_and_gets_the_per_product_rules(client_for, lead, other_product):
    text = "format: peso-catalog/1\nproducts:\n- slug: gadget\n  name: Gadget\n"
    response = client_for(lead).post(URL, upload("catalog", "c.yaml", text), format="multipart")
    assert response.status_code == 403  # gadget is another community's product
    assert "gadget" in response.json()["detail"]


# --- 2. YAML aliases ----------------------------------------------------------------------

ALIAS_FILES = [
    ("alias bomb", ALIAS_BOMB, 3),
    ("merge-key bomb", MERGE_BOMB, 4),
    ("recursive alias", RECURSIVE_ALIAS, 3),
]


@pytest.mark.parametrize(("what", "text", "line"), ALIAS_FILES)
def test_yaml_aliases_are_a_quick_400_naming_the_line(client_for, hub_admin, what, text, line):
    before = counts()
    response, took = post_timed(client_for(hub_admin), upload("catalog", "c.yaml", text))
    assert response.status_code == 400, what
    error = response.json()["errors"][0]
    assert error["file"] == "c.yaml"
    assert error["line"] == line
    assert error["column"] >= 1
    assert "aliases" in error["reason"]
    assert took < QUICK
    assert counts() == before


# --- 3. nesting depth ---------------------------------------------------------------------


def test_a_deeply_nested_json_body_is_a_400_not_a_500(client_for, hub_admin):
    body = '{"slug": "deep", "name": "Deep", "facts": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client_for(hub_admin).post(
        reverse("api-product-list"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nesting too deep" in response.json()["detail"]
    assert not Product.objects.filter(slug="deep").exists()


def test_a_moderately_nested_json_body_is_still_accepted(client_for, hub_admin):
    body = {"slug": "nested", "name": "Nested", "summary": "s", "facts": {"a": [[[["x"]]]]}}
    response = client_for(hub_admin).post(
        reverse("api-product-list"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("name", "text", "line"), [("c.json", DEEP_JSON, 1), ("c.yaml", DEEP_YAML, 2)]
)
def test_a_deeply_nested_catalog_file_is_a_400_naming_the_line(
    client_for, hub_admin, name, text, line
):
    before = counts()
    response, took = post_timed(client_for(hub_admin), upload("catalog", name, text))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["file"], error["line"]) == (name, line)
    assert "nesting too deep" in error["reason"]
    assert took < QUICK
    assert counts() == before


# --- 4. linear-time readers ---------------------------------------------------------------

TABLE_ATTACKS = [
    ("100k pipes", "| M1 | Full |" + "|" * 100_000 + "\n"),
    ("a <br followed by 200k spaces", "| M1 | Full | <br" + " " * 200_000 + "x |\n"),
    ("100k unclosed tags", "| M1 | Full | " + "<" * 200_000 + " |\n"),
    ("100k escaped pipes", "| " + "\\|" * 100_000 + " |\n"),
]


@pytest.mark.parametrize(("what", "text"), TABLE_ATTACKS)
def test_a_pathological_xsdk_table_is_read_quickly(
    client_for, hub_admin, product, xsdk, what, text
):
    data = upload("xsdk_compat", "compat.md", text, product=product.slug, dry_run="true")
    response, took = post_timed(client_for(hub_admin), data)
    assert response.status_code in (200, 400), what
    assert took < QUICK, what


RECIPE = 'class Widget(Package):\n    """A widget."""\n\n    homepage = {}\n'


def test_a_long_string_concatenation_in_a_recipe_is_read(client_for, hub_admin, product):
    # 1,500 terms: Python parses it, and the reader must not recurse once per term.
    value = '"https://widget.example.org/" + ' + " + ".join(['"a"'] * 1500)
    data = upload("spack", "package.py", RECIPE.format(value), product="widget", dry_run="1")
    response, took = post_timed(client_for(hub_admin), data)
    assert response.status_code == 200, response.json()
    assert took < QUICK


@pytest.mark.parametrize(
    ("what", "value", "reason"),
    [
        ("100k-term concatenation", " + ".join(['"a"'] * 100_000), "too deeply nested"),
        ("100k unary minus", "-" * 100_000 + "1", "too deeply nested"),
        ("100k nested parentheses", "(" * 100_000 + '"a"' + ")" * 100_000, "nested"),
    ],
)
def test_a_pathological_recipe_is_a_quick_400(client_for, hub_admin, product, what, value, reason):
    before = counts()
    data = upload("spack", "package.py", RECIPE.format(value), product="widget")
    response, took = post_timed(client_for(hub_admin), data)
    assert response.status_code == 400, what
    error = response.json()["errors"][0]
    assert error["file"] == "package.py"
    assert error["line"] >= 1
    assert reason in error["reason"]
    assert took < QUICK
    assert counts() == before


# --- 5. upload sizes ----------------------------------------------------------------------


def test_each_kind_has_its_own_size_limit():
    assert imports_api.MAX_UPLOAD["spack"] == 1024 * 1024
    assert imports_api.MAX_UPLOAD["xsdk_compat"] == 1024 * 1024
    # a 10,000-product export (about 9 MB of JSON) fits with room to spare
    assert imports_api.MAX_UPLOAD["catalog"] >= 3 * 9 * 1024 * 1024


@pytest.mark.parametrize(
    ("kind", "name", "extra", "limit"),
    [
        ("spack", "package.py", {}, "1 MB"),
        ("xsdk_compat", "compat.md", {"product": "widget"}, "1 MB"),
    ],
)
def test_a_file_over_its_kinds_limit_is_a_400_naming_it(
    client_for, hub_admin, product, xsdk, kind, name, extra, limit
):
    text = "#" * (1024 * 1024 + 1)
    before = counts()
    response = client_for(hub_admin).post(
        URL, upload(kind, name, text, **extra), format="multipart"
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["file"] == name
    assert f"larger than {limit}" in error["reason"]
    assert kind in error["reason"]
    assert counts() == before


def test_a_catalog_over_its_limit_is_a_400(client_for, hub_admin, monkeypatch):
    monkeypatch.setitem(imports_api.MAX_UPLOAD, "catalog", 2 * 1024 * 1024)
    text = "#" * (2 * 1024 * 1024 + 1)
    response = client_for(hub_admin).post(
        URL, upload("catalog", "c.yaml", text), format="multipart"
    )
    assert response.status_code == 400
    assert "larger than 2 MB" in response.json()["errors"][0]["reason"]


def test_a_request_declaring_a_huge_body_is_a_413_before_it_is_read(client_for, hub_admin):
    client = client_for(hub_admin)
    response = client.generic(
        "POST",
        URL,
        b"--x--\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(imports_api.MAX_REQUEST + 1),
    )
    assert response.status_code == 413
    assert "32 MB" in response.json()["detail"]


def test_a_stranger_declaring_a_huge_body_gets_403(client_for, stranger):
    response = client_for(stranger).generic(
        "POST",
        URL,
        b"--x--\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(imports_api.MAX_REQUEST + 1),
    )
    assert response.status_code == 403
