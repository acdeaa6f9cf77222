"""The OpenAPI schema: operations tagged by resource, CSV answers described as text, no
description that speaks of the implementation, no names a client generator would make
twice."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

RESOURCES = {
    "products",
    "assessments",
    "stakeholders",
    "communities",
    "policy-sets",
    "requests",
    "decisions",
    "events",
    "waivers",
    "interoperability",
    "imports",
    "releases",
    "funding-calls",
    "panel-members",
    "proposals",
    "reviews",
    "funding-decisions",
    "plans",
    "milestones",
    "change-requests",
    "meetings",
}


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/v1/schema/?format=json").json()


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_is_tagged_with_its_resource(schema):
    tags = set()
    for path, method, operation in _operations(schema):
        resource = path.removeprefix("/api/v1/").split("/")[0]
        assert operation["tags"] == [resource], (method, path)
        tags.add(resource)
    assert tags == RESOURCES
    assert [t["name"] for t in schema["tags"]] == sorted(RESOURCES)


def test_csv_answers_are_described_as_text_not_as_json(schema):
    csv = 0
    for path, method, operation in _operations(schema):
        for code, response in operation["responses"].items():
            content = response.get("content", {})
            if "text/csv" in content:
                csv += 1
                assert content["text/csv"]["schema"]["type"] == "string", (method, path, code)
                assert "$ref" not in content["text/csv"]["schema"]
    assert csv


INTERNALS = re.compile(
    r"ResourceViewSet|subclass|``\w|row is locked|150 characters or fewer|prefetch|annotated"
    r"|DESIGN §"
)


def _descriptions(value, where=""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "description" and isinstance(item, str):
                yield where, item
            else:
                yield from _descriptions(item, f"{where}/{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _descriptions(item, f"{where}/{n}")


def test_no_description_speaks_of_the_implementation_or_of_another_field(schema):
    leaks = [(w, d) for w, d in _descriptions(schema) if INTERNALS.search(d)]
    assert leaks == []
    components = schema["components"]["schemas"]
    # Not the help of the related model's field: a username's sign-up rules, what a
    # product's slug is.
    assert "description" not in components["Assessment"]["properties"]["assessed_by"]
    assert "Spack" not in components["ApproveRequest"]["properties"]["successor"].get(
        "description", ""
    )


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^a-zA-Z0-9]+", name))


def test_no_inline_object_takes_the_name_of_a_component(schema):
    """Client generators (openapi-python-client) name an inline object or enum property
    `<Component><Property>`: such a name must not be a component's own, or one of the two
    is lost (the Product model was, beside the `ProductCompliance` response)."""
    components = schema["components"]["schemas"]
    names = {_pascal(n) for n in components}
    for name, component in components.items():
        for prop, sub in (component.get("properties") or {}).items():
            inline = "$ref" not in sub and bool({"properties", "additionalProperties"} & set(sub))
            if inline:
                assert _pascal(name) + _pascal(prop) not in names, (name, prop)
