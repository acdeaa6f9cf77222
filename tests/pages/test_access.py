"""Who may open each page: everyone reads; only the right roles reach the forms."""

from __future__ import annotations

import pytest

from tests.conftest import make_body

pytestmark = pytest.mark.django_db

PERSONAS = ["stranger", "maintainer", "other_maintainer", "lead", "other_lead", "hub_admin"]


@pytest.fixture
def world(product, other_product, community, policy_set, lead, other_lead, hub_admin):
    make_body(community, seats=[lead])
    return product


def _user(request, name):
    return None if name == "anonymous" else request.getfixturevalue(name)


PUBLIC = [
    "/",
    "/products/",
    "/products/?q=widget",
    "/products/widget/",
    "/products/widget/badge.svg",
    "/communities/alpha/",
    "/policy-sets/base/",
    "/events/",
    "/feeds/events.atom",
    "/feeds/events.atom?product=widget",
]


@pytest.mark.parametrize("persona", ["anonymous", *PERSONAS])
@pytest.mark.parametrize("url", PUBLIC)
def test_everyone_reads_the_public_pages(request, client_as, world, persona, url):
    response = client_as(_user(request, persona)).get(url)
    assert response.status_code == 200


EDIT_URLS = ["/products/widget/edit/", "/products/widget/dependencies/"]
ASSESS_URL = "/products/widget/assessments/?policy_set=base"


@pytest.mark.parametrize("url", [*EDIT_URLS, ASSESS_URL, "/products/new/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("stranger", 403),
        ("other_maintainer", 403),
        ("lead", 403),
        ("other_lead", 403),
        ("maintainer", 200),
        ("hub_admin", 200),
    ],
)
@pytest.mark.parametrize("url", EDIT_URLS)
def test_only_maintainers_and_hub_admins_edit_a_product(
    request, client_as, world, persona, status, url
):
    response = client_as(_user(request, persona)).get(url)
    assert response.status_code == status
    if status == 403:
        assert b"You may not do that" in response.content
        assert b'aria-label="Main"' in response.content  # the site layout, with navigation


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("stranger", 403),
        ("other_maintainer", 403),
        ("other_lead", 403),
        ("lead", 200),  # leads review their members' assessments
        ("maintainer", 200),
        ("hub_admin", 200),
    ],
)
def test_assessments_are_edited_by_maintainers_leads_of_its_spoke_and_admins(
    request, client_as, world, persona, status
):
    assert client_as(_user(request, persona)).get(ASSESS_URL).status_code == status


@pytest.mark.parametrize("persona", PERSONAS)
def test_any_signed_in_user_may_register_a_product(request, client_as, world, persona):
    assert client_as(_user(request, persona)).get("/products/new/").status_code == 200


@pytest.mark.parametrize("persona", ["stranger", "other_maintainer", "lead", "other_lead"])
def test_a_refused_edit_changes_nothing(request, client_as, world, persona):
    client = client_as(_user(request, persona))
    response = client.post("/products/widget/edit/", {"name": "Hijacked"})
    assert response.status_code == 403
    world.refresh_from_db()
    assert world.name == "Widget"


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("anonymous", False), ("stranger", False), ("maintainer", True), ("hub_admin", True)],
)
def test_the_edit_link_shows_only_for_those_allowed(request, client_as, world, persona, shown):
    html = client_as(_user(request, persona)).get("/products/widget/").content.decode()
    assert ('href="/products/widget/edit/"' in html) is shown


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("anonymous", False), ("stranger", False), ("maintainer", True), ("lead", True)],
)
def test_request_links_show_for_maintainers_and_leads(request, client_as, world, persona, shown):
    html = client_as(_user(request, persona)).get("/products/widget/").content.decode()
    assert ("/requests/new/?product=widget&amp;kind=onramp" in html) is shown
    assert ("kind=offramp&amp;community=alpha" in html) is shown


def test_unknown_objects_answer_a_friendly_404(client, world):
    for url in ["/products/nope/", "/communities/nope/", "/policy-sets/nope/", "/nowhere/"]:
        response = client.get(url)
        assert response.status_code == 404
        assert b"Page not found" in response.content
        assert b'aria-label="Main"' in response.content


def test_a_badge_for_an_unknown_policy_set_is_404(client, world):
    assert client.get("/products/widget/badge.svg?policy_set=nope").status_code == 404


def test_the_500_page_renders_without_a_request_context():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert 'aria-label="Main"' in html
