"""Release writes through the API (`releases/`): who may record, change and delete which
release (DESIGN §5, §12), and what a refused or a bad write leaves behind (nothing)."""

from __future__ import annotations

import datetime

import pytest

from events.models import Event
from hub.models import Release, ReleaseItem
from tests.hub.conftest import snapshot

pytestmark = pytest.mark.django_db

URL = "/api/v1/releases/"


def new_bundle(community="alpha", **overrides) -> dict:
    return {
        "slug": f"{community}-2.0",
        "name": f"{community}@2.0",
        "kind": "bundle",
        "community": community,
        "version": "2.0",
        "date": "2026-06-01",
        "products": ["widget"],
        "source": f"https://example.org/{community}/package.py",
    } | overrides


NEW_E4S = {
    "slug": "e4s-26.05",
    "name": "E4S 26.05",
    "kind": "e4s",
    "version": "26.05",
    "tag": "v26.05",
    "source": "https://github.com/E4S-Project/e4s",
}

# Each write, as (method, path, body), on alpha's bundle or on an E4S release.
WRITES = {
    "create-bundle": ("post", URL, new_bundle()),
    "change-bundle": ("patch", URL + "alpha-1.0/", {"name": "alpha 1.0", "products": []}),
    "delete-bundle": ("delete", URL + "alpha-1.0/", None),
    "create-e4s": ("post", URL, NEW_E4S),
    "change-e4s": ("patch", URL + "e4s-25.11/", {"date": "2025-11-20"}),
    "delete-e4s": ("delete", URL + "e4s-25.11/", None),
}
BUNDLE_WRITES = {"create-bundle", "change-bundle", "delete-bundle"}
PERSONAS = ("anonymous", "stranger", "maintainer", "lead", "other_lead", "hub_admin")
# Who may: hub admins everything; alpha's lead alpha's bundles only.
ALLOWED = {"hub_admin": set(WRITES), "lead": BUNDLE_WRITES}
VERBS = {"post": "release_created", "patch": "release_updated", "delete": "release_deleted"}


def _send(client, method, path, body, **headers):
    send = getattr(client, method)
    if body is None:
        return send(path, headers=headers)
    return send(path, body, format="json", headers=headers)


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_authorization_matrix(request, client_for, releases, persona, write):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    method, path, body = WRITES[write]
    before = snapshot()
    response = _send(client_for(user), method, path, body)
    if write in ALLOWED.get(persona, ()):
        assert response.status_code == {"post": 201, "patch": 200, "delete": 204}[method]
        event = Event.objects.latest("pk")
        assert event.verb == VERBS[method] and event.actor == user
        assert Event.objects.count() == before[2] + 1
    else:
        assert response.status_code == (401 if user is None else 403), response.content
        assert snapshot() == before  # nothing changed, no event written


def test_a_lead_records_a_bundle_of_their_spoke_with_its_products(client_for, releases, lead):
    response = client_for(lead).post(URL, new_bundle(products=["widget", "gadget"]), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["products"] == ["gadget", "widget"] and body["community"] == "alpha"
    assert body["date"] == "2026-06-01"
    assert response["Location"] == "http://testserver/api/v1/releases/alpha-2.0/"
    release = Release.objects.get(slug="alpha-2.0")
    assert release.history.get().history_user == lead
    event = Event.objects.latest("pk")
    assert (event.verb, event.community.slug) == ("release_created", "alpha")
    assert event.data == {
        "release": "alpha-2.0",
        "kind": "bundle",
        "products": ["gadget", "widget"],
    }
    # The products are listed on the release page and the product page.
    page = client_for(lead).get("/releases/alpha-2.0/").content.decode()
    assert 'href="/products/gadget/"' in page


def test_a_lead_may_not_move_a_bundle_to_another_spoke_or_make_it_an_e4s_release(
    client_for, releases, lead
):
    client = client_for(lead)
    before = snapshot()
    for change in ({"community": "beta"}, {"kind": "e4s", "community": None}):
        response = client.patch(URL + "alpha-1.0/", change, format="json")
        assert response.status_code == 403, change
    assert client.post(URL, new_bundle("beta"), format="json").status_code == 403
    assert snapshot() == before


def test_a_hub_admin_moves_a_bundle_to_another_spoke(client_for, releases, hub_admin):
    response = client_for(hub_admin).patch(URL + "alpha-1.0/", {"community": "beta"}, format="json")
    assert response.status_code == 200
    assert Release.objects.get(slug="alpha-1.0").community.slug == "beta"
    assert Event.objects.latest("pk").data == {"release": "alpha-1.0", "fields": ["community"]}


def test_setting_products_replaces_the_catalog_products_and_keeps_other_packages(
    client_for, releases, lead, other_product
):
    response = client_for(lead).patch(URL + "alpha-1.0/", {"products": ["gadget"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["products"] == ["gadget"]
    assert body["packages"] == ["gadget", "py-helper"]  # widget gone, py-helper kept
    event = Event.objects.latest("pk")
    assert event.data == {
        "release": "alpha-1.0",
        "fields": ["products"],
        "added": ["gadget"],
        "removed": ["widget"],
    }
    assert ReleaseItem.history.filter(package="widget", history_type="-").get().history_user == lead


def test_a_change_that_changes_nothing_writes_no_event(client_for, releases, lead):
    before = Event.objects.count()
    body = {"name": "alpha@1.0", "products": ["widget"]}
    assert client_for(lead).patch(URL + "alpha-1.0/", body, format="json").status_code == 200
    assert Event.objects.count() == before


def test_a_seeded_release_is_changed_like_any_other(client_for, releases, hub_admin):
    response = client_for(hub_admin).patch(
        URL + "e4s-25.11/", {"date": "2025-11-20", "note": "Released at SC25."}, format="json"
    )
    assert response.status_code == 200
    release = Release.objects.get(slug="e4s-25.11")
    assert release.date == datetime.date(2025, 11, 20) and release.seed_ref
    assert release.history.latest().history_user == hub_admin


def test_deleting_a_release_removes_it_and_its_items(client_for, releases, lead):
    assert client_for(lead).delete(URL + "alpha-1.0/").status_code == 204
    assert not Release.objects.filter(slug="alpha-1.0").exists()
    assert not ReleaseItem.objects.filter(package="py-helper").exists()
    assert Event.objects.latest("pk").data["release"] == "alpha-1.0"
    assert client_for(lead).get(URL + "alpha-1.0/").status_code == 404
    assert Release.history.filter(slug="alpha-1.0", history_type="-").get().history_user == lead


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(client_for, releases, lead):
    client = client_for(lead)
    etag = client.get(URL + "alpha-1.0/")["ETag"]
    assert client.patch(URL + "alpha-1.0/", {"name": "first"}, format="json", headers={
        "If-Match": etag
    }).status_code == 200  # fmt: skip
    before = snapshot()
    stale = {"If-Match": etag}
    assert (
        _send(client, "patch", URL + "alpha-1.0/", {"name": "second"}, **stale).status_code == 412
    )
    assert _send(client, "delete", URL + "alpha-1.0/", None, **stale).status_code == 412
    assert snapshot() == before
    fresh = {"If-Match": client.get(URL + "alpha-1.0/")["ETag"]}
    assert _send(client, "delete", URL + "alpha-1.0/", None, **fresh).status_code == 204


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"slug": "Alpha 2"}, "slug", "Use lower-case letters"),
        ({"slug": "alpha-1.0"}, "slug", "already exists"),
        ({"community": None}, "community", "A Spack bundle belongs to a community"),
        ({"community": "nowhere"}, "community", "does not exist"),
        ({"kind": "rpm"}, "kind", "is not a valid choice"),
        ({"products": ["widget", "nothing"]}, "products", "does not exist"),
        ({"date": "June"}, "date", "Date has wrong format"),
        ({"source": ""}, "source", "may not be blank"),
        ({"name": "x" * 201}, "name", "no more than 200 characters"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, releases, hub_admin, body, field, message):
    before = snapshot()
    response = client_for(hub_admin).post(URL, new_bundle() | body, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json().get(field, [])), response.json()
    assert snapshot() == before


def test_required_fields_are_named(client_for, releases, hub_admin):
    response = client_for(hub_admin).post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"slug", "name", "kind", "version", "source"}


def test_an_e4s_release_names_no_community(client_for, releases, hub_admin):
    before = snapshot()
    client = client_for(hub_admin)
    response = client.post(URL, NEW_E4S | {"community": "alpha"}, format="json")
    assert response.status_code == 400
    assert response.json()["community"] == [
        "An E4S release belongs to no community: leave it empty."
    ]
    response = client.patch(URL + "alpha-1.0/", {"kind": "e4s"}, format="json")
    assert response.status_code == 400 and "community" in response.json()
    assert snapshot() == before


def test_a_slug_cannot_change(client_for, releases, hub_admin):
    response = client_for(hub_admin).patch(URL + "alpha-1.0/", {"slug": "alpha-9"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"slug": ["A release's slug cannot be changed."]}


def test_an_unknown_release_is_a_404(client_for, releases, hub_admin):
    client = client_for(hub_admin)
    assert client.patch(URL + "nothing-1.0/", {"name": "x"}, format="json").status_code == 404
    assert client.delete(URL + "nothing-1.0/").status_code == 404
