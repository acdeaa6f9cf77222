"""The personal Atom feed (/feeds/me/<user id>/<key>.atom): the events that concern one
user, behind a secret address that can be renewed and revoked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from accounts.models import Preferences
from accounts.services import renew_feed_key, revoke_feed_key
from events.log import Verb, record
from lifecycle.models import Decision, LifecycleRequest
from tests.conftest import grant, make_body, make_community, make_product, make_user

ATOM = "{http://www.w3.org/2005/Atom}"


def feed_path(user, key: str) -> str:
    return f"/feeds/me/{user.pk}/{key}.atom"


def entries(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "link": entry.find(f"{ATOM}link").get("href"),
        }
        for entry in root.iter(f"{ATOM}entry")
    ]


def make_request(product, community, *, by=None, state="draft", decision=None):
    req = LifecycleRequest.objects.create(
        kind="onramp", product=product, community=community, requested_by=by
    )
    LifecycleRequest.objects.filter(pk=req.pk).update(state=state, decision=decision)
    return req


@pytest.fixture
def world(maintainer, product, community, other_product, other_community):
    """Events about: the maintainer's product, a community they lead, a request they
    opened, a decision of a body where they hold a seat; and some that are none of theirs."""
    led = make_community("led", name="Led & <Co>")
    grant(maintainer, led)
    record(Verb.PRODUCT_UPDATED, product=product, data={"fields": ["summary"]})
    record(Verb.COMMUNITY_UPDATED, community=led)
    opened = make_request(other_product, other_community, by=maintainer, state="submitted")
    record(Verb.REQUEST_SUBMITTED, product=other_product, community=other_community, request=opened)
    body = make_body(make_community("council"), seats=[maintainer])
    seat_product = make_product("seated")
    decision = Decision.objects.create(community=body.community, body=body, subject="x")
    voted = make_request(seat_product, body.community, state="in_review", decision=decision)
    record(Verb.REVIEW_STARTED, product=seat_product, community=body.community, request=voted)
    # Not theirs.
    record(Verb.PRODUCT_UPDATED, product=other_product, data={"fields": ["summary"]})
    record(Verb.COMMUNITY_UPDATED, community=other_community)
    return {"opened": opened, "voted": voted}


def test_the_feed_lists_the_events_that_concern_the_user(client, maintainer, world):
    key = renew_feed_key(user=maintainer)
    items = entries(client, feed_path(maintainer, key))
    titles = sorted(item["title"] for item in items)
    assert titles == sorted(
        [
            "Product updated: Widget",
            "Community updated: Led & <Co>",
            "Request submitted: Gadget",
            "Review started: Seated",
        ]
    ), titles
    links = {item["link"] for item in items}
    assert f"http://testserver/requests/{world['opened'].pk}/" in links


def test_names_are_xml_escaped(client, maintainer, world):
    key = renew_feed_key(user=maintainer)
    body = client.get(feed_path(maintainer, key)).content.decode()
    assert "Led &amp; &lt;Co&gt;" in body
    assert "<Co>" not in body


def test_drafts_stay_private_in_the_feed(client, maintainer, community, product):
    """A draft of the reader's own product is theirs to see; someone else's draft is not,
    even when it sits before a body where the reader holds a seat."""
    other = make_community("other")
    body = make_body(other, seats=[maintainer])
    decision = Decision.objects.create(community=other, body=body, subject="d")
    secret = make_product("secret", maintainers=[make_user("owner")])
    hidden = make_request(secret, other, state="draft", decision=decision)
    record(Verb.REQUEST_CREATED, product=secret, community=other, request=hidden)
    own_draft = make_request(product, community, state="draft")
    record(Verb.REQUEST_CREATED, product=product, community=community, request=own_draft)
    key = renew_feed_key(user=maintainer)
    titles = [item["title"] for item in entries(client, feed_path(maintainer, key))]
    assert titles == ["Request created: Widget"]
    # Once submitted, the seat holder's feed shows it.
    LifecycleRequest.objects.filter(pk=hidden.pk).update(state="submitted")
    titles = [item["title"] for item in entries(client, feed_path(maintainer, key))]
    assert sorted(titles) == ["Request created: Secret", "Request created: Widget"]


def test_a_wrong_renewed_or_revoked_secret_is_a_404(client, maintainer, stranger, world):
    assert client.get(feed_path(maintainer, "0" * 40)).status_code == 404
    key = renew_feed_key(user=maintainer)
    assert client.get(feed_path(maintainer, key)).status_code == 200
    # Another user's id with this key opens nothing.
    assert client.get(feed_path(stranger, key)).status_code == 404
    newer = renew_feed_key(user=maintainer)
    assert newer != key
    assert client.get(feed_path(maintainer, key)).status_code == 404
    assert client.get(feed_path(maintainer, newer)).status_code == 200
    revoke_feed_key(user=maintainer)
    assert client.get(feed_path(maintainer, newer)).status_code == 404
    assert Preferences.objects.get(user=maintainer).feed_nonce == ""


def test_an_inactive_user_has_no_feed(client, maintainer, world):
    key = renew_feed_key(user=maintainer)
    maintainer.is_active = False
    maintainer.save()
    assert client.get(feed_path(maintainer, key)).status_code == 404


def test_the_secret_is_not_stored(maintainer):
    key = renew_feed_key(user=maintainer)
    row = Preferences.objects.filter(user=maintainer).values().get()
    assert row["feed_nonce"]
    assert all(key not in str(value) for value in row.values()), row


def test_the_account_page_and_my_work_show_and_advertise_the_address(client, maintainer):
    client.force_login(maintainer)
    assert "/feeds/me/" not in client.get("/me/").content.decode()
    response = client.post("/account/feed/renew/")
    assert response["Location"] == "/account/#feed"
    assert "Your personal feed is ready" in client.get("/account/").content.decode()
    client.post("/account/feed/renew/")
    assert "the previous one no longer works" in client.get("/account/").content.decode()
    key = Preferences.objects.get(user=maintainer).feed_key()
    url = f"http://testserver/feeds/me/{maintainer.pk}/{key}.atom"
    assert f'value="{url}"' in client.get("/account/").content.decode()
    me = client.get("/me/")
    assert me["Cache-Control"] == "private, no-store"
    html = me.content.decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" '
        f'title="My PESO Registry events" href="{url}">' in html
    )
    assert f'<a href="{url}"' in html
    client.post("/account/feed/revoke/")
    assert client.get(url.removeprefix("http://testserver")).status_code == 404
    assert "/feeds/me/" not in client.get("/me/").content.decode()


def test_the_feed_costs_the_same_queries_for_few_events_and_many(client, maintainer, product):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    key = renew_feed_key(user=maintainer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(feed_path(maintainer, key)).status_code == 200
        return len(ctx.captured_queries)

    record(Verb.PRODUCT_UPDATED, product=product, actor=maintainer, data={"fields": ["name"]})
    few = count()
    for _ in range(30):
        record(Verb.PRODUCT_UPDATED, product=product, actor=maintainer, data={"fields": ["name"]})
    assert count() == few
    assert few <= 4, few
