"""HTTP caching of the pages: validators from the catalog version, 304 on a repeat,
Cache-Control by reader, and the shared cache of hot anonymous pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import version as catalog_version
from events.models import CatalogVersion
from tests.conftest import make_product

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/products/",
    "/products/?community=alpha&ordering=-name",
    "/products/widget/",
    "/communities/alpha/",
    "/policy-sets/base/",
    "/events/",
    "/feeds/events.atom",
    "/hub/",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.mark.parametrize("url", PAGES)
def test_a_repeat_with_the_etag_answers_304_and_costs_one_query(client, product, url):
    first = client.get(url)
    assert first.status_code == 200
    assert first["ETag"].startswith('W/"')
    assert first["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert {"Cookie", "Authorization", "Accept"} <= {v.strip() for v in first["Vary"].split(",")}
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert len(ctx.captured_queries) == 1  # the catalog version, nothing else


@pytest.mark.parametrize("url", PAGES)
def test_a_write_changes_the_etag(client, product, url):
    before = client.get(url)["ETag"]
    make_product("sprocket")
    after = client.get(url, HTTP_IF_NONE_MATCH=before)
    assert after.status_code == 200
    assert after["ETag"] != before


def test_if_modified_since_answers_304_for_a_reader_without_cookies(client, product):
    # Last-Modified is sent once the second of the last write has passed.
    CatalogVersion.objects.update(changed_at=timezone.now() - timedelta(minutes=1))
    first = client.get("/feeds/events.atom")
    again = client.get("/feeds/events.atom", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304
    make_product("sprocket")
    assert (
        client.get("/feeds/events.atom", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code
        == 200
    )


def test_signed_in_readers_get_their_own_private_etag(client_as, product, maintainer, stranger):
    anonymous = client_as().get("/products/widget/")
    mine = client_as(maintainer).get("/products/widget/")
    theirs = client_as(stranger).get("/products/widget/")
    assert mine["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert len({anonymous["ETag"], mine["ETag"], theirs["ETag"]}) == 3
    # The anonymous page's tag does not stand for a signed-in reader's page.
    again = client_as(maintainer).get("/products/widget/", HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert again.status_code == 200


def test_the_accept_header_and_query_are_part_of_the_tag(client, product):
    html = client.get("/products/")["ETag"]
    assert client.get("/products/", HTTP_ACCEPT="application/json")["ETag"] != html
    assert client.get("/products/?export=csv")["ETag"] != html


def test_a_form_still_posts_after_a_304(product, maintainer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(maintainer)
    page = browser.get("/products/widget/edit/")
    form = browser.get("/products/widget/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())
    assert browser.get("/products/widget/", HTTP_IF_NONE_MATCH=form["ETag"]).status_code == 304
    # The browser shows its copy, whose form is signed for the cookie it still holds.
    response = browser.post(
        "/products/widget/edit/",
        {
            "csrfmiddlewaretoken": token.group(1),
            "name": "Widget Pro",
            "summary": "Better",
            "license": "MIT",
            "areas_text": "Tools",
        },
    )
    assert page.status_code == 200
    assert response.status_code == 302
    # The write retires the tag the browser holds.
    assert browser.get("/products/widget/", HTTP_IF_NONE_MATCH=form["ETag"]).status_code == 200


def test_a_page_showing_a_message_is_neither_revalidated_nor_shared(client, product):
    client.get("/products/")  # the shared copy, without the message
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Waiver granted.")])
    shown = client.get("/products/")
    assert b"Waiver granted." in shown.content
    assert "ETag" not in shown
    assert b"Waiver granted." not in client.get("/products/").content


def test_anonymous_hot_pages_are_served_from_the_shared_cache_until_a_write(client, product):
    assert client.get("/products/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        cached = client.get("/products/")
    assert cached.status_code == 200
    assert b"Widget" in cached.content
    assert len(ctx.captured_queries) == 1  # the version; the page came from the cache
    make_product("sprocket", name="Sprocket")
    assert b"Sprocket" in client.get("/products/").content


def test_signed_in_readers_are_never_served_from_the_shared_cache(client_as, product, maintainer):
    client_as().get("/products/")
    with CaptureQueriesContext(connection) as ctx:
        mine = client_as(maintainer).get("/products/")
    assert mine.status_code == 200
    assert len(ctx.captured_queries) > 3
    assert b"Sign out" in mine.content


def test_every_write_advances_the_version_once_per_save(product):
    before, _ = catalog_version.current()
    product.name = "Renamed"
    product.save()
    assert catalog_version.current()[0] == before + 1


def test_a_batch_advances_the_version_once(db):
    before, _ = catalog_version.current()
    with catalog_version.batched():
        for n in range(5):
            make_product(f"batch{n}")
    assert catalog_version.current()[0] == before + 1
