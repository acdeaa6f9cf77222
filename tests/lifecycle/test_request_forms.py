"""The request forms: pickers instead of slug boxes, and only the chosen kind's fields."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from lifecycle.forms import OFFRAMP_FIELDS
from lifecycle.models import LifecycleRequest
from tests.conftest import make_membership, make_product
from tests.lifecycle import test_pages
from tests.lifecycle.test_pages import make_request

browser = test_pages.browser  # fixtures shared with the request pages' tests
newbie = test_pages.newbie

NEW = reverse("lifecycle:request-new")


def _select_options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def _datalist(html: str, field_id: str) -> list[str]:
    assert f'list="{field_id}_options"' in html
    block = re.search(rf'<datalist id="{field_id}_options">(.*?)</datalist>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', block.group(1))


def test_a_maintainer_picks_one_of_their_products(newbie, community, browser, maintainer, product):
    make_product("someone-elses")
    html = browser(maintainer).get(NEW + "?kind=onramp").content.decode()
    assert _select_options(html, "product") == ["", "newbie", "widget"]
    assert _select_options(html, "community") == ["", "alpha"]


def test_a_value_outside_the_pickers_set_is_refused_and_nothing_written(
    newbie, community, browser, maintainer
):
    make_product("someone-elses")
    client = browser(maintainer)
    # A product they do not maintain: refused (403) before the form is read further.
    response = client.post(
        NEW, {"kind": "onramp", "product": "someone-elses", "community": "alpha"}
    )
    assert response.status_code == 403
    assert "You may not open a request for this product and community." in (
        response.content.decode()
    )
    # No such product, or not a spoke: not a choice (400), the field marked.
    for data, field, message in [
        ({"product": "nope", "community": "alpha"}, "product", "Choose one of the products"),
        ({"product": "newbie", "community": "nowhere"}, "community", "Select a valid choice"),
    ]:
        response = client.post(NEW, {"kind": "onramp", **data})
        assert response.status_code == 400
        html = response.content.decode()
        assert re.search(rf'<div class="field has-error">\s*<label for="id_{field}"', html)
        assert message in html
    assert not LifecycleRequest.objects.exists()


def test_a_lead_types_a_slug_with_their_products_and_members_suggested(
    community, other_community, browser, lead, product, other_product
):
    make_product("far-away")
    html = browser(lead).get(NEW + "?kind=onramp").content.decode()
    assert re.search(r'<input type="text" name="product"[^>]*list="id_product_options"', html)
    # Widget is an active member of the lead's community; gadget and far-away are not.
    assert _datalist(html, "id_product") == ["widget"]
    # Any product may be typed: a lead opens onramps for products outside their community.
    response = browser(lead).post(
        NEW, {"kind": "onramp", "product": "far-away", "community": "alpha"}
    )
    assert response.status_code == 302


def test_without_a_kind_the_page_asks_which_keeping_the_prefill(browser, maintainer, newbie):
    html = browser(maintainer).get(NEW + "?product=newbie&community=alpha").content.decode()
    assert 'name="product"' not in html and "Create draft" not in html
    links = re.findall(r'<a href="(\?kind=[^"]+)">(Onramp|Offramp)</a>', html)
    assert [(u.replace("&amp;", "&"), k) for u, k in links] == [
        ("?kind=onramp&product=newbie&community=alpha", "Onramp"),
        ("?kind=offramp&product=newbie&community=alpha", "Offramp"),
    ]


def test_an_onramp_form_has_no_offramp_fields(newbie, community, browser, maintainer):
    html = browser(maintainer).get(NEW + "?kind=onramp&product=newbie").content.decode()
    for name in OFFRAMP_FIELDS:
        assert f'name="{name}"' not in html
    assert 'name="rationale"' in html
    # Posted anyway, they are ignored.
    response = browser(maintainer).post(
        NEW,
        {
            "kind": "onramp",
            "product": "newbie",
            "community": "alpha",
            "support_organization": "E4S",
            "migration_notes": "Go",
        },
    )
    assert response.status_code == 302
    req = LifecycleRequest.objects.get()
    assert (req.kind, req.support_organization, req.migration_notes) == ("onramp", "", "")


def test_an_offramp_form_has_its_plan_and_suggests_the_communitys_members_as_successor(
    community, browser, maintainer, product
):
    make_membership(make_product("heir"), community)
    url = NEW + "?kind=offramp&product=widget&community=alpha"
    html = browser(maintainer).get(url).content.decode()
    for name in OFFRAMP_FIELDS:
        assert f'name="{name}"' in html
    assert _datalist(html, "id_successor") == ["heir"]  # widget itself is not suggested


def test_the_edit_form_of_an_onramp_has_only_the_rationale(
    newbie, product, community, browser, maintainer
):
    onramp = make_request(newbie, community)
    html = browser(maintainer).get(reverse("lifecycle:request-edit", args=[onramp.pk]))
    html = html.content.decode()
    assert 'name="rationale"' in html
    for name in OFFRAMP_FIELDS:
        assert f'name="{name}"' not in html
    offramp = make_request(product, community, kind="offramp")
    html = browser(maintainer).get(reverse("lifecycle:request-edit", args=[offramp.pk]))
    assert all(f'name="{name}"' in html.content.decode() for name in OFFRAMP_FIELDS)


@pytest.mark.parametrize("kind", ["onramp", "offramp"])
def test_the_kind_posted_decides_the_fields(newbie, community, browser, maintainer, kind):
    response = browser(maintainer).post(NEW, {"kind": kind})
    html = response.content.decode()
    assert response.status_code == 400
    assert ('name="migration_notes"' in html) == (kind == "offramp")
