"""Recording, changing and deleting releases from the releases pages: the same service and
rules as the API (hub.services, hub.access)."""

from __future__ import annotations

import re

import pytest

from events.models import Event
from hub.models import Release
from tests.hub.conftest import snapshot

pytestmark = pytest.mark.django_db


def form(**overrides) -> dict:
    return {
        "slug": "alpha-2.0",
        "name": "alpha@2.0",
        "kind": "bundle",
        "community": "",
        "version": "2.0",
        "tag": "",
        "date": "",
        "source": "https://example.org/alpha/package.py",
        "note": "",
        "products": "widget, gadget",
    } | overrides


def test_a_lead_records_a_bundle_of_their_spoke_from_the_page(client, releases, lead, community):
    client.force_login(lead)
    page = client.get("/releases/").content.decode()
    assert 'href="/releases/new/"' in page
    response = client.post("/releases/new/", form(community=community.pk))
    assert response.status_code == 302 and response["Location"] == "/releases/alpha-2.0/"
    release = Release.objects.get(slug="alpha-2.0")
    assert sorted(p.slug for p in release.products.all()) == ["gadget", "widget"]
    assert Event.objects.latest("pk").verb == "release_created"
    page = client.get(response["Location"]).content.decode()
    assert "alpha@2.0 recorded." in page and 'href="/releases/alpha-2.0/edit/"' in page


def test_a_lead_is_offered_their_own_spokes_bundles_only(client, releases, lead):
    client.force_login(lead)
    page = client.get("/releases/new/").content.decode()
    kinds = page[page.index('name="kind"') : page.index("</select>", page.index('name="kind"'))]
    assert 'value="bundle"' in kinds and 'value="e4s"' not in kinds
    communities = page[page.index('name="community"') :]
    communities = communities[: communities.index("</select>")]
    assert "Alpha SDK" in communities and "Beta SDK" not in communities


def test_a_lead_cannot_post_another_spokes_bundle_or_an_e4s_release(
    client, releases, lead, other_community
):
    client.force_login(lead)
    before = snapshot()
    response = client.post("/releases/new/", form(community=other_community.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    response = client.post("/releases/new/", form(kind="e4s", slug="e4s-26.05"))
    assert response.status_code == 200
    assert snapshot() == before


def test_mistakes_are_marked_beside_their_fields_and_nothing_is_saved(
    client, releases, hub_admin, community
):
    client.force_login(hub_admin)
    before = snapshot()
    response = client.post("/releases/new/", form(slug="Bad Slug", products="widget nothing"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the fields marked below." in page
    assert "Use lower-case letters" in page and "No product with the slug: nothing." in page
    # A bundle without its community: the service's rule, marked on the field.
    response = client.post("/releases/new/", form())
    page = response.content.decode()
    assert 'id="id_community_error"' in page
    assert "A Spack bundle belongs to a community: name it." in page
    assert snapshot() == before


def test_a_hub_admin_edits_a_seeded_e4s_release(client, releases, hub_admin):
    client.force_login(hub_admin)
    page = client.get("/releases/e4s-25.11/edit/").content.decode()
    assert re.search(r'name="products"[^>]*>\s*gadget</textarea>', page)
    data = form(slug="ignored", kind="e4s", name="E4S 25.11", version="25.11", products="")
    data["source"] = "https://github.com/E4S-Project/e4s"
    response = client.post("/releases/e4s-25.11/edit/", data | {"date": "2025-11-20"})
    assert response.status_code == 302
    release = Release.objects.get(slug="e4s-25.11")
    assert str(release.date) == "2025-11-20" and list(release.products.all()) == []
    assert Event.objects.latest("pk").data["fields"] == ["date", "products", "tag"]


def test_a_lead_deletes_their_spokes_bundle(client, releases, lead):
    client.force_login(lead)
    response = client.post("/releases/alpha-1.0/delete/")
    assert response.status_code == 302 and response["Location"] == "/releases/"
    assert not Release.objects.filter(slug="alpha-1.0").exists()
    assert Event.objects.latest("pk").verb == "release_deleted"


@pytest.mark.parametrize("persona", ["stranger", "maintainer", "other_lead", "lead"])
def test_those_who_may_not_are_refused_and_nothing_changes(request, client, releases, persona):
    client.force_login(request.getfixturevalue(persona))
    target = "e4s-25.11" if persona == "lead" else "alpha-1.0"  # a lead may not touch E4S
    before = snapshot()
    assert client.get(f"/releases/{target}/edit/").status_code == 403
    assert client.post(f"/releases/{target}/edit/", form(name="x")).status_code == 403
    assert client.post(f"/releases/{target}/delete/").status_code == 403
    detail = client.get(f"/releases/{target}/").content.decode()
    assert f'href="/releases/{target}/edit/"' not in detail
    if persona in ("stranger", "maintainer"):  # a lead of any spoke may record its bundles
        assert client.get("/releases/new/").status_code == 403
        assert client.post("/releases/new/", form()).status_code == 403
        assert 'href="/releases/new/"' not in client.get("/releases/").content.decode()
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, releases):
    for url in ("/releases/new/", "/releases/alpha-1.0/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/releases/alpha-1.0/delete/").status_code == 302
    assert Release.objects.filter(slug="alpha-1.0").exists()
