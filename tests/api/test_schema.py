"""The OpenAPI document: valid OpenAPI 3, every routed path in it, errors described;
the docs page loads its assets from this server (no CDN)."""

from __future__ import annotations

import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

SCHEMA = "/api/v1/schema/"


def routed_api_paths() -> set[str]:
    """Every path under api/v1/ served by the router, in OpenAPI form ({slug}, {id})."""
    found: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                found.add(route)

    walk(get_resolver().url_patterns, "")
    paths = set()
    for route in found:
        if not route.startswith("^api/v1/") and not route.startswith("api/v1/"):
            continue
        if "format" in route or route in ("api/v1/", "api/v1/^$", "api/v1/schema/"):
            continue  # format-suffix variants, the API root, the schema itself
        path = route.replace("^", "").replace("$", "")
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        paths.add("/" + path)
    return paths - {"/api/v1/"}


@pytest.fixture
def schema(api_client, db):
    response = api_client.get(SCHEMA, HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_routed_api_path_is_in_the_schema(schema):
    routed = routed_api_paths()
    assert "/api/v1/products/{slug}/compliance/" in routed
    assert len(routed) >= 11
    # drf-spectacular names a `pk` parameter `id`; compare the shapes of the paths.
    documented = {re.sub(r"\{\w+\}", "{}", p) for p in schema["paths"]}
    missing = {p for p in routed if re.sub(r"\{\w+\}", "{}", p) not in documented}
    assert not missing, f"routed but not documented: {sorted(missing)}"


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/products/", "post"),
        ("/api/v1/products/{slug}/", "patch"),
        ("/api/v1/communities/", "post"),
        ("/api/v1/communities/{slug}/", "patch"),
        ("/api/v1/policy-sets/", "post"),
        ("/api/v1/policy-sets/{slug}/", "patch"),
        ("/api/v1/assessments/", "post"),
        ("/api/v1/assessments/{id}/", "patch"),
    ],
)
def test_writes_document_their_error_responses(schema, path, method):
    responses = schema["paths"][path][method]["responses"]
    assert {"400", "401", "403", "412"} <= set(responses)
    if "{" in path:
        assert "404" in responses


def test_filters_and_pagination_are_documented(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"]}
    for name in (
        "community",
        "membership_state",
        "compliance",
        "license",
        "area",
        "q",
        "ordering",
        "page",
        "page_size",
    ):
        assert name in params, name
    assert "500" in params["page_size"]["description"]
    assert params["compliance"]["schema"]["enum"] == [
        "compliant",
        "noncompliant",
        "partial",
        "unknown",
    ]
    events = {p["name"] for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"]}
    assert {"since", "product", "community", "verb"} <= events
    assessments = {p["name"] for p in schema["paths"]["/api/v1/assessments/"]["get"]["parameters"]}
    assert {"product", "policy_set", "status"} <= assessments


def test_product_fields_are_described_with_contract_names(schema):
    product = schema["components"]["schemas"]["Product"]["properties"]
    assert {"slug", "maintainers", "memberships", "dependencies", "dependents"} <= set(product)
    assert {"compliance", "url", "areas"} <= set(product)


@pytest.mark.django_db
def test_the_docs_page_loads_swagger_ui_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for src in sources:
        assert not src.startswith(("http://", "https://", "//")), src
        if src.startswith("/static/"):
            assert client.get(src).status_code == 200, src
