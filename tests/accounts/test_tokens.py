"""API tokens: created by command and on the account page, used, expired, revoked."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.conftest import PASSWORD, make_user

WRITE_URL = "/api/v1/products/"


def create_by_command(*args: str) -> str:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def api_as(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def plain_key_in_database(key: str) -> bool:
    """Look for the key in every text column of the token table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, prefix, digest FROM accounts_apitoken")
        return any(key in (value or "") for row in cursor.fetchall() for value in row)


@pytest.mark.django_db
def test_the_command_prints_a_token_that_authenticates_writes():
    user = make_user("script")
    key = create_by_command("script", "--name", "release CI", "--expires-days", "30")
    assert re.fullmatch(r"[A-Za-z0-9_\-]{40,}", key)
    token = ApiToken.objects.get(user=user)
    assert token.name == "release CI"
    assert token.expires_at - timezone.now() > datetime.timedelta(days=29)
    assert not plain_key_in_database(key)

    response = api_as(key).post(WRITE_URL, {"slug": "scripted", "name": "S"}, format="json")
    assert response.status_code == 201
    assert response.json()["maintainers"] == ["script"]
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError):
        create_by_command("ghost")


@pytest.mark.django_db
def test_an_expired_token_is_refused_with_401():
    user = make_user("late")
    key = create_by_command("late", "--expires-days", "1")
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - datetime.timedelta(1))
    response = api_as(key).post(WRITE_URL, {"slug": "x", "name": "X"}, format="json")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token, Bearer"


@pytest.mark.django_db
def test_a_revoked_token_is_refused_with_401_even_for_reads():
    make_user("gone")
    key = create_by_command("gone")
    ApiToken.objects.update(revoked_at=timezone.now())
    assert api_as(key).get(WRITE_URL).status_code == 401


@pytest.mark.django_db
def test_a_wrong_token_is_refused_with_401():
    assert api_as("not-a-token").get(WRITE_URL).status_code == 401


# --- the account page ----------------------------------------------------------------


@pytest.fixture
def browser(db):
    user = make_user("alice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client, user


def csrf_token(client: Client, url: str = "/account/") -> str:
    html = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.mark.django_db
def test_the_account_page_needs_a_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/account/")


@pytest.mark.django_db
def test_creating_a_token_shows_the_key_once_and_it_works(browser):
    client, user = browser
    response = client.post(
        "/account/",
        {"name": "laptop", "expires_days": "7", "csrfmiddlewaretoken": csrf_token(client)},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'id="new-key" type="text" readonly value="([^"]+)"', response.content.decode())
    key = key.group(1)
    token = ApiToken.objects.get(user=user)
    assert token.name == "laptop"
    assert not plain_key_in_database(key)

    page = client.get("/account/").content.decode()
    assert key not in page
    assert token.prefix in page
    assert "laptop" in page

    assert api_as(key).post(WRITE_URL, {"slug": "k", "name": "K"}, format="json").status_code == 201


@pytest.mark.django_db
def test_an_invalid_expiry_is_a_form_error(browser):
    client, _user = browser
    response = client.post(
        "/account/", {"expires_days": "0", "csrfmiddlewaretoken": csrf_token(client)}
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_revoking_from_the_page_ends_the_token(browser):
    client, user = browser
    token, key = ApiToken.issue(user=user, name="old")
    assert api_as(key).get(WRITE_URL).status_code == 200
    url = f"/account/tokens/{token.pk}/revoke/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403  # no CSRF token
    response = client.post(url, {"csrfmiddlewaretoken": csrf_token(client)})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_as(key).get(WRITE_URL).status_code == 401
    assert "revoked" in client.get("/account/").content.decode()


@pytest.mark.django_db
def test_nobody_revokes_someone_elses_token(browser):
    client, _ = browser
    other = make_user("bob")
    token, _ = ApiToken.issue(user=other)
    response = client.post(
        f"/account/tokens/{token.pk}/revoke/", {"csrfmiddlewaretoken": csrf_token(client)}
    )
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


# --- sign in and out -----------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_honours_next_and_sign_out_is_a_post(client):
    make_user("carol")
    page = client.get("/accounts/login/?next=/account/")
    html = page.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    response = client.post(
        "/accounts/login/", {"username": "carol", "password": PASSWORD, "next": "/account/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_sign_in_refuses_an_offsite_next(client):
    make_user("dave")
    response = client.post(
        "/accounts/login/",
        {"username": "dave", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil")
