"""The ground the rest stands on: the database in use, the health check, the home page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.conftest import make_community, make_membership, make_product


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_is_reachable(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "postgresql"}


@pytest.mark.django_db
def test_home_names_every_spoke_with_its_member_count(client):
    xsdk = make_community("xsdk", name="xSDK")
    make_community("dav", name="Data & Visualization SDK")
    make_membership(make_product("petsc"), xsdk)
    make_membership(make_product("hypre"), xsdk)
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "xSDK" in body
    assert "Data &amp; Visualization SDK" in body
    assert "2 members" in body
