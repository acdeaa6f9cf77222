"""Stakeholder engagement (issue 16, DESIGN §12): who may write stakeholders and their uses
(the authorization matrix, through the API and the pages: a refused write changes nothing
and writes no event), the criticality of a use, the stakeholder pages (what it relies on,
how critically, the spokes of those products and every lifecycle change touching them,
drafts kept private) and the product page's "Who relies on this"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.log import Verb
from events.models import Event
from lifecycle import transitions
from products.models import Product, ProductUse, Stakeholder
from tests.conftest import make_membership, make_product, make_user

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "stranger",
    "maintainer",
    "lead",
    "other_lead",
    "contact",
    "other_contact",
    "hub_admin",
)
PLAN = {"support_organization": "E4S", "migration_notes": "Use the successor."}


@pytest.fixture
def facility(db) -> Stakeholder:
    return Stakeholder.objects.create(
        slug="olcf", name="Oak Ridge Leadership Computing Facility", kind="facility"
    )


@pytest.fixture
def vendor(db) -> Stakeholder:
    return Stakeholder.objects.create(slug="acme", name="Acme Computers", kind="vendor")


@pytest.fixture
def contact(facility):
    """A contact of the facility (and of nothing else)."""
    user = make_user("contact")
    facility.contacts.add(user)
    return user


@pytest.fixture
def other_contact(vendor):
    """A contact of the vendor, a stakeholder other than the facility."""
    user = make_user("other_contact")
    vendor.contacts.add(user)
    return user


@pytest.fixture
def world(request, product, other_product, facility, vendor):
    """Every persona exists whoever acts: `widget` is a member of alpha (led by `lead`),
    `gadget` of beta (led by `other_lead`)."""
    return {name: request.getfixturevalue(name) for name in PERSONAS if name != "anonymous"}


def persona(world, role: str):
    return None if role == "anonymous" else world[role]


def snapshot() -> dict:
    """Every row a stakeholder or use write could touch."""
    return {
        "stakeholders": sorted(map(repr, Stakeholder.objects.values())),
        "contacts": sorted(
            map(repr, Stakeholder.contacts.through.objects.values("stakeholder_id", "user_id"))
        ),
        "uses": sorted(map(repr, ProductUse.objects.values())),
        "use history": ProductUse.history.count(),
        "stakeholder history": Stakeholder.history.count(),
        "events": Event.objects.count(),
    }


def page_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api(client_for, user):
    return client_for(user)


# --- the rule, one home -----------------------------------------------------------------


USE_WRITE = {
    "anonymous": 401,
    "stranger": 403,
    "maintainer": 403,  # the product's own team does not say who relies on it
    "lead": 201,  # leads alpha, which widget is a member of
    "other_lead": 403,  # leads beta only
    "contact": 201,  # the facility's own contact, for the facility's use
    "other_contact": 403,  # the vendor's contact may not speak for the facility
    "hub_admin": 201,
}


@pytest.mark.parametrize(("role", "expected"), list(USE_WRITE.items()))
def test_who_may_record_a_use_through_the_api(world, client_for, role, expected):
    user = persona(world, role)
    before = snapshot()
    body = {"stakeholder": "olcf", "criticality": "critical", "note": "Frontier"}
    response = api(client_for, user).post(reverse("api-product-uses", args=["widget"]), body)
    assert response.status_code == expected, response.content
    if expected != 201:
        assert snapshot() == before
        return
    use = ProductUse.objects.get(product__slug="widget", stakeholder__slug="olcf")
    assert (use.criticality, use.note) == ("critical", "Frontier")
    assert response.json()["criticality"] == "critical"
    event = Event.objects.get(verb=Verb.PRODUCT_USE_RECORDED)
    assert event.actor == user and event.product.slug == "widget"
    assert event.data["stakeholder"] == "olcf" and event.data["criticality"] == "critical"
    assert use.history.first().history_user == user


USE_CHANGE = {**USE_WRITE, "lead": 200, "contact": 200, "hub_admin": 200}


@pytest.mark.parametrize(("role", "expected"), list(USE_CHANGE.items()))
def test_who_may_change_a_uses_criticality_through_the_api(world, client_for, role, expected):
    ProductUse.objects.create(
        product=world["maintainer"].maintained_products.get(), stakeholder_id=_olcf()
    )
    user = persona(world, role)
    before = snapshot()
    body = {"stakeholder": "olcf", "criticality": "convenience"}
    response = api(client_for, user).post(reverse("api-product-uses", args=["widget"]), body)
    assert response.status_code == expected, response.content
    if expected != 200:
        assert snapshot() == before
        return
    assert ProductUse.objects.get().criticality == "convenience"
    event = Event.objects.get(verb=Verb.PRODUCT_USE_RECORDED)
    assert event.data["previous_criticality"] == "important"
    assert event.data["fields"] == ["criticality"]


USE_REMOVE = {**USE_WRITE, "lead": 204, "contact": 204, "hub_admin": 204}


@pytest.mark.parametrize(("role", "expected"), list(USE_REMOVE.items()))
def test_who_may_remove_a_use_through_the_api(world, client_for, role, expected):
    ProductUse.objects.create(
        product=world["maintainer"].maintained_products.get(), stakeholder_id=_olcf()
    )
    user = persona(world, role)
    before = snapshot()
    url = reverse("api-product-use-detail", args=["widget", "olcf"])
    response = api(client_for, user).delete(url)
    assert response.status_code == expected, response.content
    if expected != 204:
        assert snapshot() == before
        return
    assert not ProductUse.objects.exists()
    event = Event.objects.get(verb=Verb.PRODUCT_USE_REMOVED)
    assert event.actor == user and event.data["stakeholder"] == "olcf"


def _olcf() -> int:
    return Stakeholder.objects.get(slug="olcf").pk


def test_a_contact_records_only_its_own_stakeholders_uses(world, client_for):
    response = client_for(world["contact"]).post(
        reverse("api-product-uses", args=["gadget"]), {"stakeholder": "acme"}
    )
    assert response.status_code == 403
    # Its own stakeholder's use of any product, in a spoke it leads or not.
    response = client_for(world["contact"]).post(
        reverse("api-product-uses", args=["gadget"]), {"stakeholder": "olcf"}
    )
    assert response.status_code == 201, response.content
    assert list(ProductUse.objects.values_list("stakeholder__slug", "product__slug")) == [
        ("olcf", "gadget")
    ]


def test_an_unknown_criticality_is_refused(world, client_for):
    response = client_for(world["lead"]).post(
        reverse("api-product-uses", args=["widget"]),
        {"stakeholder": "olcf", "criticality": "vital"},
    )
    assert response.status_code == 400
    assert "criticality" in response.json()
    assert not ProductUse.objects.exists()


def test_a_new_use_is_important_unless_it_says_otherwise(world, client_for):
    client_for(world["lead"]).post(
        reverse("api-product-uses", args=["widget"]), {"stakeholder": "olcf"}
    )
    assert ProductUse.objects.get().criticality == "important"


# --- stakeholder records ----------------------------------------------------------------

STAKEHOLDER_CREATE = {role: 403 for role in PERSONAS} | {"anonymous": 401, "hub_admin": 201}


@pytest.mark.parametrize(("role", "expected"), list(STAKEHOLDER_CREATE.items()))
def test_only_hub_admins_create_stakeholders_through_the_api(world, client_for, role, expected):
    user = persona(world, role)
    before = snapshot()
    body = {"slug": "nersc", "name": "NERSC", "kind": "facility", "contacts": ["contact"]}
    response = client_for(user).post(reverse("api-stakeholder-list"), body, format="json")
    assert response.status_code == expected, response.content
    if expected != 201:
        assert snapshot() == before
        return
    assert response.json()["contacts"] == ["contact"]
    nersc = Stakeholder.objects.get(slug="nersc")
    assert list(nersc.contacts.all()) == [world["contact"]]
    event = Event.objects.get(verb=Verb.STAKEHOLDER_CREATED)
    assert event.data == {"stakeholder": "nersc", "contacts": ["contact"]}


SUMMARY_EDIT = {role: 403 for role in PERSONAS} | {
    "anonymous": 401,
    "contact": 200,
    "hub_admin": 200,
}


@pytest.mark.parametrize(("role", "expected"), list(SUMMARY_EDIT.items()))
def test_a_contact_and_hub_admins_edit_a_stakeholders_summary(world, client_for, role, expected):
    user = persona(world, role)
    before = snapshot()
    url = reverse("api-stakeholder-detail", args=["olcf"])
    body = {"summary": "Home of Frontier.", "website": "https://www.olcf.ornl.gov"}
    response = client_for(user).patch(url, body, format="json")
    assert response.status_code == expected, response.content
    if expected != 200:
        assert snapshot() == before
        return
    facility = Stakeholder.objects.get(slug="olcf")
    assert (facility.summary, facility.website) == (body["summary"], body["website"])
    event = Event.objects.get(verb=Verb.STAKEHOLDER_UPDATED)
    assert event.actor == user and event.data["fields"] == ["summary", "website"]


@pytest.mark.parametrize(
    "body", [{"name": "Renamed"}, {"kind": "vendor"}, {"contacts": ["contact", "stranger"]}]
)
def test_a_contact_may_not_change_the_rest_of_its_stakeholder(world, client_for, body):
    before = snapshot()
    url = reverse("api-stakeholder-detail", args=["olcf"])
    response = client_for(world["contact"]).patch(url, body, format="json")
    assert response.status_code == 403, response.content
    assert snapshot() == before


def test_hub_admins_name_and_replace_a_stakeholders_contacts(world, client_for):
    url = reverse("api-stakeholder-detail", args=["olcf"])
    response = client_for(world["hub_admin"]).patch(url, {"contacts": ["stranger"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["contacts"] == ["stranger"]
    event = Event.objects.get(verb=Verb.STAKEHOLDER_UPDATED)
    assert event.data["contacts"] == {"added": ["stranger"], "removed": ["contact"]}
    unknown = client_for(world["hub_admin"]).patch(url, {"contacts": ["nobody"]}, format="json")
    assert unknown.status_code == 400
    # The new contact now records the facility's uses; the former one no longer does.
    body = {"stakeholder": "olcf"}
    uses = reverse("api-product-uses", args=["gadget"])
    assert client_for(_fresh(world["contact"])).post(uses, body).status_code == 403
    assert client_for(_fresh(world["stranger"])).post(uses, body).status_code == 201


def _fresh(user):
    """The user read again (the access rules cache a user's roles on the instance)."""
    return type(user).objects.get(pk=user.pk)


def test_the_slug_new_is_reserved(world, client_for):
    response = client_for(world["hub_admin"]).post(
        reverse("api-stakeholder-list"), {"slug": "new", "name": "New"}
    )
    assert response.status_code == 400
    assert not Stakeholder.objects.filter(slug="new").exists()


# --- the pages: the same rule -----------------------------------------------------------

# A refused write through a page: 403, or for anonymous the sign-in page.
PAGE_USE = {
    "anonymous": 302,
    "stranger": 403,
    "maintainer": 403,
    "lead": 302,
    "other_lead": 403,
    "contact": 302,
    "other_contact": 403,
    "hub_admin": 302,
}


@pytest.mark.parametrize(("role", "expected"), list(PAGE_USE.items()))
def test_who_may_record_a_use_on_the_stakeholder_page(world, role, expected):
    user = persona(world, role)
    before = snapshot()
    url = reverse("hub:stakeholder-use", args=["olcf"])
    body = {"product": "widget", "criticality": "critical", "note": "Frontier"}
    response = page_client(user).post(url, body)
    assert response.status_code == expected, response.content
    if user is None or expected == 403:
        if user is None:
            assert "/accounts/login/" in response["Location"]
        assert snapshot() == before
        return
    assert response["Location"] == "/stakeholders/olcf/"
    assert ProductUse.objects.get().criticality == "critical"
    assert Event.objects.get(verb=Verb.PRODUCT_USE_RECORDED).actor == user


PAGE_PRODUCT_USE = {**PAGE_USE, "other_contact": 400}


@pytest.mark.parametrize(("role", "expected"), list(PAGE_PRODUCT_USE.items()))
def test_who_may_record_a_use_on_the_product_page(world, role, expected):
    user = persona(world, role)
    before = snapshot()
    url = reverse("hub:product-use", args=["widget"])
    response = page_client(user).post(url, {"stakeholder": "olcf", "criticality": "critical"})
    # The vendor's contact chooses among its own stakeholders only: the facility is not a
    # choice (400, the form re-shown with the mistake marked).
    assert response.status_code == expected, response.content
    if expected != 302 or user is None:
        assert snapshot() == before
        return
    assert response["Location"] == "/products/widget/#relies-h"
    assert ProductUse.objects.get().stakeholder.slug == "olcf"


@pytest.mark.parametrize(("role", "expected"), list(PAGE_USE.items()))
def test_who_may_remove_a_use_on_the_pages(world, role, expected):
    ProductUse.objects.create(
        product=world["maintainer"].maintained_products.get(), stakeholder_id=_olcf()
    )
    user = persona(world, role)
    before = snapshot()
    url = reverse("hub:use-remove", args=["olcf", "widget"])
    response = page_client(user).post(url, {"next": "product"})
    assert response.status_code == expected
    if user is None or expected == 403:
        assert snapshot() == before
        return
    assert response["Location"] == "/products/widget/#relies-h"
    assert not ProductUse.objects.exists()
    assert Event.objects.get(verb=Verb.PRODUCT_USE_REMOVED).actor == user


PAGE_CREATE = {role: 403 for role in PERSONAS} | {"anonymous": 302, "hub_admin": 302}


@pytest.mark.parametrize(("role", "expected"), list(PAGE_CREATE.items()))
def test_only_hub_admins_record_stakeholders_on_the_pages(world, role, expected):
    user = persona(world, role)
    before = snapshot()
    body = {"slug": "nersc", "name": "NERSC", "kind": "facility", "contacts": "contact"}
    response = page_client(user).post(reverse("hub:stakeholder-new"), body)
    assert response.status_code == expected
    if user is None or expected == 403:
        assert snapshot() == before
        return
    assert response["Location"] == "/stakeholders/nersc/"
    nersc = Stakeholder.objects.get(slug="nersc")
    assert list(nersc.contacts.values_list("username", flat=True)) == ["contact"]
    assert Event.objects.filter(verb=Verb.STAKEHOLDER_CREATED).count() == 1


PAGE_EDIT = {role: 403 for role in PERSONAS} | {"anonymous": 302, "contact": 302, "hub_admin": 302}


@pytest.mark.parametrize(("role", "expected"), list(PAGE_EDIT.items()))
def test_who_may_edit_a_stakeholder_on_its_page(world, role, expected):
    user = persona(world, role)
    before = snapshot()
    body = {
        "name": "Renamed",
        "kind": "facility",
        "website": "https://www.olcf.ornl.gov",
        "summary": "Home of Frontier.",
        "contacts": "contact",
    }
    response = page_client(user).post(reverse("hub:stakeholder-edit", args=["olcf"]), body)
    assert response.status_code == expected
    if user is None or expected == 403:
        assert snapshot() == before
        return
    facility = Stakeholder.objects.get(slug="olcf")
    assert facility.summary == "Home of Frontier."
    # A contact's form has only the website and summary: the name stays the hub's.
    expected_name = "Renamed" if role == "hub_admin" else "Oak Ridge Leadership Computing Facility"
    assert facility.name == expected_name
    assert Event.objects.get(verb=Verb.STAKEHOLDER_UPDATED).actor == user


def test_a_contacts_edit_form_shows_only_what_it_may_change(world):
    html = page_client(world["contact"]).get(reverse("hub:stakeholder-edit", args=["olcf"]))
    text = html.content.decode()
    assert 'name="summary"' in text and 'name="website"' in text
    assert 'name="name"' not in text and 'name="contacts"' not in text


def test_a_bad_use_form_comes_back_with_its_mistakes_marked(world):
    response = page_client(world["lead"]).post(
        reverse("hub:stakeholder-use", args=["olcf"]), {"product": "nope", "criticality": "x"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "No product with this slug." in text and 'aria-invalid="true"' in text
    assert not ProductUse.objects.exists()


def test_a_lead_may_not_record_a_use_of_another_spokes_product_on_the_page(world):
    before = snapshot()
    response = page_client(world["lead"]).post(
        reverse("hub:stakeholder-use", args=["olcf"]), {"product": "gadget", "criticality": "x"}
    )
    assert response.status_code == 400  # the criticality is wrong too: said first
    response = page_client(world["lead"]).post(
        reverse("hub:stakeholder-use", args=["olcf"]),
        {"product": "gadget", "criticality": "critical"},
    )
    assert response.status_code == 403
    assert "the stakeholder&#x27;s own contacts" in response.content.decode()
    assert snapshot() == before


# --- what the pages show ----------------------------------------------------------------


def _relying(world, facility):
    widget = world["maintainer"].maintained_products.get()
    ProductUse.objects.create(
        product=widget, stakeholder=facility, criticality="critical", note="Runs on Frontier"
    )
    gadget = _gadget()
    ProductUse.objects.create(product=gadget, stakeholder=facility, criticality="convenience")
    return widget, gadget


def _gadget():
    return Product.objects.get(slug="gadget")


def test_the_list_groups_stakeholders_by_kind_with_their_counts(world, facility, client):
    _relying(world, facility)
    text = client.get(reverse("hub:stakeholder-list")).content.decode()
    assert "Computing facility (1)" in text and "Vendor (1)" in text
    row = text[text.index("Oak Ridge Leadership Computing Facility") :]
    row = row[: row.index("</tr>")]
    assert "<td>2</td>" in row and "1 critical" in row
    vendors = client.get(reverse("hub:stakeholder-list"), {"kind": "vendor"}).content.decode()
    assert "Acme Computers" in vendors and "Oak Ridge" not in vendors


def test_the_stakeholder_page_shows_what_it_relies_on_and_how_critically(
    world, facility, client, other_community
):
    widget, _ = _relying(world, facility)
    make_membership(widget, other_community, state="offramped")
    text = client.get(reverse("hub:stakeholder-detail", args=["olcf"])).content.decode()
    assert "2 products, 1 critically" in text
    critical = text.index('data-product="widget"')
    convenience = text.index('data-product="gadget"')
    assert critical < convenience  # critical first
    row = text[critical : text.index("</tr>", critical)]
    assert "criticality-critical" in row and "Critical" in row and "Runs on Frontier" in row
    assert "Alpha SDK" in row and "status-active" in row
    assert "Beta SDK" in row and "status-offramped" in row
    assert "Convenience" in text[convenience:]
    # No write form for someone who may not write.
    assert "Record a product" not in text and "Remove" not in text


def test_the_stakeholder_page_offers_its_forms_to_those_who_may_write(world, facility):
    _relying(world, facility)
    lead_page = page_client(world["lead"]).get("/stakeholders/olcf/").content.decode()
    assert "Record a product Oak Ridge Leadership Computing Facility relies on" in lead_page
    widget_row = lead_page[lead_page.index('data-product="widget"') :]
    widget_row = widget_row[: widget_row.index("</tr>")]
    gadget_row = lead_page[lead_page.index('data-product="gadget"') :]
    gadget_row = gadget_row[: gadget_row.index("</tr>")]
    assert "/stakeholders/olcf/uses/widget/remove/" in widget_row
    assert "remove/" not in gadget_row  # beta is not the lead's
    contact_page = page_client(world["contact"]).get("/stakeholders/olcf/").content.decode()
    assert "/stakeholders/olcf/uses/gadget/remove/" in contact_page
    assert "/stakeholders/olcf/edit/" in contact_page


def test_the_stakeholder_page_lists_every_lifecycle_change_touching_its_products(
    world, facility, community, other_maintainer
):
    widget, _ = _relying(world, facility)
    maintainer, lead = world["maintainer"], world["lead"]
    submitted = transitions.request_create(
        by=maintainer, kind="offramp", product=widget, community=community, **PLAN
    )
    transitions.request_submit(request=submitted, by=maintainer)
    draft = transitions.request_create(
        by=other_maintainer,
        kind="onramp",
        product=_gadget(),
        community=community,
        rationale="A secret plan",
    )
    elsewhere = make_product("elsewhere", maintainers=[maintainer])
    transitions.request_create(
        by=_fresh(maintainer), kind="onramp", product=elsewhere, community=community
    )

    def page(user) -> str:
        return page_client(user).get("/stakeholders/olcf/").content.decode()

    public = page(None)
    requests = public[public.index('id="changes-h"') :]
    assert f'href="/requests/{submitted.pk}/">#{submitted.pk} offramp' in requests
    assert "state-submitted" in requests
    events = requests[requests.index('id="events-h"') :]
    assert events.count(f"request #{submitted.pk}") == 2  # created, submitted
    # Someone else's draft, and its events, stay private.
    assert f"/requests/{draft.pk}/" not in public
    assert f"/requests/{draft.pk}/" not in page(world["stranger"])
    assert f"/requests/{draft.pk}/" not in page(world["contact"])
    assert f"/requests/{draft.pk}/" not in page(maintainer)  # widget's, not gadget's
    for user in (other_maintainer, lead, world["hub_admin"]):
        assert f"/requests/{draft.pk}/" in page(user)
    # Only the products it relies on.
    assert "elsewhere" not in public.lower()


def test_the_product_page_says_who_relies_on_it(world, facility, vendor, client):
    widget, _ = _relying(world, facility)
    ProductUse.objects.create(product=widget, stakeholder=vendor, criticality="convenience")
    text = client.get("/products/widget/").content.decode()
    assert "Who relies on this (2)" in text
    section = text[text.index('id="relies-h"') :]
    assert section.index("Oak Ridge") < section.index("Acme")  # critical first
    assert 'href="/stakeholders/olcf/"' in section and "criticality-critical" in section
    assert "Record who relies on" not in section
    lead_page = page_client(world["lead"]).get("/products/widget/").content.decode()
    assert "Record who relies on Widget" in lead_page
    # A contact may record its own stakeholder's use: the facility is its only choice.
    contact_page = page_client(world["contact"]).get("/products/gadget/").content.decode()
    form = contact_page[contact_page.index("Record who relies on") :]
    assert '<option value="olcf">' in form and '<option value="acme">' not in form
    assert (
        "Record who relies on"
        not in page_client(world["maintainer"]).get("/products/widget/").content.decode()
    )


def test_the_use_form_page_fills_in_the_use_to_change(world, facility):
    _relying(world, facility)
    text = (
        page_client(world["lead"])
        .get(reverse("hub:stakeholder-use", args=["olcf"]), {"product": "widget"})
        .content.decode()
    )
    assert "<h1>A product Oak Ridge Leadership Computing Facility relies on</h1>" in text
    assert 'value="widget"' in text and "Runs on Frontier" in text
    assert '<option value="critical" selected>' in text
    refused = page_client(world["lead"]).get(
        reverse("hub:product-use", args=["gadget"]), {"stakeholder": "olcf"}
    )
    assert (
        refused.status_code == 403
    )  # gadget is not in the lead's spoke, and the lead speaks for nobody
    text = (
        page_client(world["contact"])
        .get(reverse("hub:product-use", args=["gadget"]), {"stakeholder": "olcf"})
        .content.decode()
    )
    assert "<h1>Who relies on Gadget</h1>" in text
    assert '<option value="olcf" selected>' in text
    assert '<option value="convenience" selected>' in text


def test_the_navigation_links_the_stakeholders(client, db):
    assert 'href="/stakeholders/"' in client.get("/").content.decode()


# --- query counts -----------------------------------------------------------------------


def _grow(facility, community, n: int, maintainer) -> None:
    widget = Product.objects.get(slug="widget")
    for i in range(n):
        product = make_product(f"p{n}x{i}", maintainers=[maintainer])
        make_membership(product, community)
        ProductUse.objects.create(product=product, stakeholder=facility, criticality="critical")
        transitions.request_create(
            by=_fresh(maintainer), kind="offramp", product=product, community=community, **PLAN
        )
        other = Stakeholder.objects.create(slug=f"s{n}x{i}", name=f"S {n} {i}", kind="agency")
        ProductUse.objects.create(product=widget, stakeholder=other, criticality="critical")


@pytest.mark.parametrize("who", ["anonymous", "lead", "contact", "hub_admin"])
def test_the_stakeholder_pages_read_a_fixed_number_of_queries(world, facility, community, who):
    user = persona(world, who)
    client = page_client(user)
    counts = []
    for n in (2, 8):
        _grow(facility, community, n, world["maintainer"])
        for url in ("/stakeholders/", "/stakeholders/olcf/", "/products/widget/"):
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200
            counts.append((url, len(ctx.captured_queries)))
    assert counts[:3] == counts[3:], counts
