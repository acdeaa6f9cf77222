"""The OpenAPI document: valid OpenAPI 3, every routed path in it, errors described;
the docs page loads its assets from this server (no CDN)."""

from __future__ import annotations

import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from jsonschema import Draft4Validator
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
    # Blank is documented too: a blank filter value means no filter.
    assert params["compliance"]["schema"]["enum"] == [
        "compliant",
        "noncompliant",
        "partial",
        "unknown",
        "",
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


# --- What the fuzzer (test_fuzz.py) found: the schema said less than the API does -------


def test_state_transitions_document_409_and_412(schema):
    for action in ("submit", "start_review", "approve", "reject", "withdraw"):
        responses = schema["paths"][f"/api/v1/requests/{{id}}/{action}/"]["post"]["responses"]
        assert {"409", "412"} <= set(responses), action
    # A request decided or withdrawn can no longer be changed.
    assert {"409", "412"} <= set(schema["paths"]["/api/v1/requests/{id}/"]["patch"]["responses"])
    assert "409" in schema["paths"]["/api/v1/decisions/{id}/votes/"]["post"]["responses"]


def test_public_reads_say_no_credentials_are_needed(schema):
    for path, operations in schema["paths"].items():
        if "get" in operations:
            assert {} in operations["get"]["security"], path
    assert {} not in schema["paths"]["/api/v1/products/"]["post"]["security"]


def test_lists_document_a_page_past_the_end_and_a_bad_page_size(schema):
    responses = schema["paths"]["/api/v1/decisions/"]["get"]["responses"]
    assert {"400", "404"} <= set(responses)
    params = {p["name"]: p for p in schema["paths"]["/api/v1/decisions/"]["get"]["parameters"]}
    assert params["page_size"]["schema"]["minimum"] == 1
    # An unknown ?format= is a 404 everywhere.
    assert "404" in schema["paths"]["/api/v1/products/"]["post"]["responses"]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Event", "actor"),
        ("Event", "request"),
        ("Assessment", "assessed_by"),
        ("PolicySet", "base"),
        ("PolicySet", "owner"),
        ("PolicyCompliance", "source"),
        ("PolicyCompliance", "assessed_by"),
        ("PolicyCompliance", "assessed_at"),
    ],
)
def test_fields_that_can_be_null_are_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field]["nullable"] is True


def test_blank_is_allowed_where_the_api_sends_it(schema):
    components = schema["components"]["schemas"]
    reason = components["LifecycleRequest"]["properties"]["reason"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in reason["oneOf"]
    url = components["Policy"]["properties"]["url"]
    assert {"type": "string", "maxLength": 0} in url["oneOf"]


def test_request_schemas_refuse_what_the_api_refuses(schema):
    components = schema["components"]["schemas"]
    quorum = re.compile(components["GovernanceRequest"]["properties"]["quorum"]["pattern"])
    for ok in ("0", "1", "0.5", ".25", "1.000"):
        assert quorum.match(ok), ok
    for bad in ("", ".", "-", "2", "1.5", "-0.5"):
        assert not quorum.match(bad), bad
    sources = components["PolicySetWriteRequest"]["properties"]["sources"]
    assert sources["type"] == "array" and sources["items"]["type"] == "string"
    compliance = schema["paths"]["/api/v1/products/{slug}/compliance/"]["get"]["parameters"]
    policy_set = next(p for p in compliance if p["name"] == "policy_set")
    not_blank = re.compile(policy_set["schema"]["pattern"])
    name = re.compile(components["CommunityWriteRequest"]["properties"]["name"]["pattern"])
    # Blank is what DRF's `str.strip()` removes, the information separators included.
    for pattern in (not_blank, name):
        for blank in ("", " ", "\t\n", "\x1c", "\x1f ", "\x85", "\u3000"):
            assert not pattern.search(blank), repr(blank)
        assert pattern.search(" x ")
    # JSON only (form encodings lose types and nesting); imports take a multipart file.
    assert set(schema["paths"]["/api/v1/products/"]["post"]["requestBody"]["content"]) == {
        "application/json"
    }
    assert set(schema["paths"]["/api/v1/imports/"]["post"]["requestBody"]["content"]) == {
        "multipart/form-data"
    }


def test_error_bodies_match_their_schema(schema, client_for, hub_admin, community):
    def validator(path, method):
        body = schema["paths"][path][method]["responses"]["400"]["content"]["application/json"]
        return Draft4Validator({**body["schema"], "components": schema["components"]})

    client = client_for(hub_admin)
    nested = client.patch(
        "/api/v1/communities/alpha/", {"governance": {"quorum": "x"}}, format="json"
    )
    not_json = client.generic(
        "PATCH", "/api/v1/communities/alpha/", b"{nope", content_type="application/json"
    )
    for response in (nested, not_json):
        assert response.status_code == 400
        validator("/api/v1/communities/{slug}/", "patch").validate(response.json())
    no_file = client.post("/api/v1/imports/", {"kind": "catalog"}, format="multipart")
    assert no_file.status_code == 400
    validator("/api/v1/imports/", "post").validate(no_file.json())


@pytest.mark.django_db
def test_the_api_refuses_form_encoded_bodies(client_for, hub_admin):
    body = {"slug": "lab", "name": "Lab"}
    response = client_for(hub_admin).post("/api/v1/stakeholders/", body, format="multipart")
    assert response.status_code == 415


def test_links_lead_from_what_creates_an_object_to_what_acts_on_it(schema):
    def links(path, method, code):
        return schema["paths"][path][method]["responses"][code]["links"]

    product = links("/api/v1/products/", "post", "201")
    assert product["products_retrieve"]["parameters"] == {"slug": "$response.body#/slug"}
    assert {"products_partial_update", "products_uses_create"} <= set(product)
    request = links("/api/v1/requests/", "post", "201")
    assert request["requests_submit_create"]["parameters"] == {"id": "$response.body#/id"}
    # The created request is answered in full (its id included), not as the body sent.
    created = schema["paths"]["/api/v1/requests/"]["post"]["responses"]["201"]["content"]
    assert created["application/json"]["schema"]["$ref"].endswith("/LifecycleRequest")
    submitted = links("/api/v1/requests/{id}/submit/", "post", "200")
    assert submitted["requests_approve_create"]["parameters"] == {"id": "$request.path.id"}
    assert "assessments_partial_update" in links("/api/v1/assessments/", "post", "201")
    assert "communities_retrieve" in links("/api/v1/communities/", "post", "201")
    assert "policy_sets_partial_update" in links("/api/v1/policy-sets/", "post", "201")
    use = links("/api/v1/products/{slug}/uses/", "post", "201")["products_uses_destroy"]
    assert use["parameters"] == {
        "slug": "$request.path.slug",
        "stakeholder": "$response.body#/stakeholder",
    }
    # Every link names an operation and fills exactly its path parameters.
    targets = {
        op["operationId"]: path for path, ops in schema["paths"].items() for op in ops.values()
    }
    for operations in schema["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    path = targets[link["operationId"]]
                    assert set(link["parameters"]) == set(re.findall(r"\{(\w+)\}", path))
