"""A token is accepted after `Token` or `Bearer`; any other `Authorization` header is a 401
naming the schemes that work, never an anonymous request (DESIGN §6)."""

from __future__ import annotations

import pytest

from accounts.services import issue_token

pytestmark = pytest.mark.django_db


def _key(user) -> str:
    return issue_token(user=user)[1]


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer", "TOKEN"])
def test_a_token_is_accepted_after_either_scheme(api_client, stranger, scheme):
    api_client.credentials(HTTP_AUTHORIZATION=f"{scheme} {_key(stranger)}")
    response = api_client.post(
        "/api/v1/products/", {"slug": "newlib", "name": "NewLib"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["maintainers"] == ["stranger"]


@pytest.mark.parametrize(
    "header",
    [
        "Basic c3RyYW5nZXI6cHc=",  # another scheme
        "Token",  # no key
        "Bearer",
        "Bearer a b",  # more than one word after the scheme
        "{key}",  # a key without a scheme
        "Bearer: {key}",
    ],
)
def test_any_other_authorization_header_is_a_401_naming_the_schemes(api_client, stranger, header):
    api_client.credentials(HTTP_AUTHORIZATION=header.format(key=_key(stranger)))
    response = api_client.get("/api/v1/products/")  # a read: never silently anonymous
    assert response.status_code == 401
    detail = response.json()["detail"]
    assert "Token <key>" in detail and "Bearer <key>" in detail
    assert response["WWW-Authenticate"] == "Token, Bearer"


def test_an_unknown_bearer_token_is_a_401(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get("/api/v1/products/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_the_schema_documents_both_schemes(api_client):
    schema = api_client.get("/api/v1/schema/?format=json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    create = schema["paths"]["/api/v1/products/"]["post"]
    assert {"tokenAuth": []} in create["security"] and {"bearerAuth": []} in create["security"]
