"""Where reads go when read replicas are configured (peso_registry/routers.py).

The router and its middleware, without a replica: every query is routed by name only, and
a name is all these tests look at. tests/deploy/test_replicas.py serves the app on a real
PostgreSQL standby.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from peso_registry.routers import PIN_COOKIE, ReplicaMiddleware, ReplicaRouter
from products.models import Product

REPLICAS = ["replica_0", "replica_1"]
ROUTER = ReplicaRouter()


@pytest.fixture(autouse=True)
def _replicas():
    with override_settings(
        REPLICA_DATABASES=REPLICAS,
        REPLICA_PIN_SECONDS=10,
        DATABASE_ROUTERS=["peso_registry.routers.ReplicaRouter"],
    ):
        yield


def _serve(request, user=None, view=None):
    """Run `request` through the middleware; what `view` saw, and the response."""
    request.user = user or AnonymousUser()
    seen = {}

    def get_response(request):
        seen["read"] = ROUTER.db_for_read(Product)
        seen["write"] = ROUTER.db_for_write(Product)
        if view is not None:
            view(seen)
        return HttpResponse("ok")

    response = ReplicaMiddleware(get_response)(request)
    return seen, response


def test_an_anonymous_read_goes_to_a_replica_and_a_write_to_the_primary():
    seen, response = _serve(RequestFactory().get("/products/"))
    assert seen["read"] in REPLICAS
    assert seen["write"] == "default"
    assert PIN_COOKIE not in response.cookies


def test_one_request_reads_one_replica():
    def view(seen):
        seen["again"] = [ROUTER.db_for_read(Product) for _ in range(20)]

    seen, _ = _serve(RequestFactory().get("/products/"), view=view)
    assert set(seen["again"]) == {seen["read"]}


def test_a_signed_in_user_reads_the_primary():
    seen, _ = _serve(RequestFactory().get("/products/"), user=User(username="mia"))
    assert seen["read"] == "default"


def test_an_api_token_client_reads_the_primary():
    request = RequestFactory().get("/api/v1/products/", HTTP_AUTHORIZATION="Token abc")
    seen, _ = _serve(request)
    assert seen["read"] == "default"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_an_unsafe_request_reads_the_primary_and_pins_the_client_to_it(method):
    seen, response = _serve(getattr(RequestFactory(), method)("/accounts/logout/"))
    assert seen["read"] == "default"
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 10
    assert cookie["httponly"]
    assert float(cookie.value) == pytest.approx(time.time() + 10, abs=2)

    # The client's next reads, within the pin, go to the primary: it reads its own write.
    following = RequestFactory().get("/products/")
    following.COOKIES[PIN_COOKIE] = cookie.value
    seen, response = _serve(following)
    assert seen["read"] == "default"
    assert PIN_COOKIE not in response.cookies  # a read does not extend the pin


@pytest.mark.parametrize("value", ["1700000000.000", "", "soon"])
def test_an_expired_or_malformed_pin_reads_a_replica(value):
    request = RequestFactory().get("/products/")
    request.COOKIES[PIN_COOKIE] = value
    seen, _ = _serve(request)
    assert seen["read"] in REPLICAS


def test_select_for_update_goes_to_the_primary_even_in_an_anonymous_read():
    def view(seen):
        seen["queryset"] = Product.objects.all().db
        seen["locking"] = Product.objects.select_for_update().db

    seen, _ = _serve(RequestFactory().get("/products/"), view=view)
    assert seen["queryset"] in REPLICAS
    assert seen["locking"] == "default"


def test_reads_inside_a_transaction_go_to_the_primary(monkeypatch):
    def view(seen):
        monkeypatch.setattr(connections["default"], "in_atomic_block", True)
        seen["in_transaction"] = ROUTER.db_for_read(Product)

    seen, _ = _serve(RequestFactory().get("/products/"), view=view)
    assert seen["read"] in REPLICAS
    assert seen["in_transaction"] == "default"


def test_the_database_cache_is_read_on_the_primary():
    from django.core.cache.backends.db import DatabaseCache

    cache_model = DatabaseCache("peso_cache", {}).cache_model_class

    def view(seen):
        seen["cache"] = ROUTER.db_for_read(cache_model)

    seen, _ = _serve(RequestFactory().get("/api/v1/products/"), view=view)
    assert seen["cache"] == "default"


def test_outside_a_request_everything_reads_the_primary():
    assert ROUTER.db_for_read(Product) == "default"
    assert Product.objects.all().db == "default"


def test_with_no_replica_configured_the_middleware_reads_the_primary():
    with override_settings(REPLICA_DATABASES=[]):
        seen, _ = _serve(RequestFactory().get("/products/"))
    assert seen["read"] == "default"


def test_only_the_primary_is_migrated():
    assert ROUTER.allow_migrate("default", "products")
    assert not ROUTER.allow_migrate("replica_0", "products")
    assert not ROUTER.allow_migrate("replica_1", "auth", model_name="user")
