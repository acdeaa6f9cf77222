"""Every save on a form page ends with a success message on the page that follows."""

from __future__ import annotations

import re

import pytest

from accounts.models import ApiToken
from tests.conftest import make_product

pytestmark = pytest.mark.django_db


def _success(client, response) -> str:
    """The success message shown after ``response`` (followed when it redirects)."""
    if response.status_code == 302:
        response = client.get(response["Location"])
    assert response.status_code == 200
    found = re.findall(r'<li class="success">(.*?)</li>', response.content.decode(), re.S)
    assert len(found) == 1, found
    return found[0]


def test_registering_a_product(client_as, stranger):
    client = client_as(stranger)
    response = client.post("/products/new/", {"name": "Frobnicator", "slug": "frob"})
    assert _success(client, response) == "Frobnicator registered: you are its maintainer."


def test_editing_a_product(client_as, maintainer, product):
    client = client_as(maintainer)
    response = client.post("/products/widget/edit/", {"name": "Widget Pro"})
    assert _success(client, response) == "Widget Pro saved."


def test_saving_dependencies(client_as, maintainer, product):
    make_product("blas")
    client = client_as(maintainer)
    data = {
        "deps-TOTAL_FORMS": "1",
        "deps-INITIAL_FORMS": "0",
        "deps-0-depends_on": "blas",
        "deps-0-kind": "required",
        "deps-0-when": "",
    }
    response = client.post("/products/widget/dependencies/", data)
    assert (
        _success(client, response) == "Dependencies of Widget saved: 1 dependency entered by hand."
    )


def test_saving_assessments_says_how_many_changed(client_as, maintainer, product, policy_set):
    p1, p2, p3 = policy_set.effective_policies()
    data = {"a-TOTAL_FORMS": "3", "a-INITIAL_FORMS": "3"}
    for i, (policy, status) in enumerate([(p1, "full"), (p2, "unknown"), (p3, "none")]):
        data.update(
            {
                f"a-{i}-policy": str(policy.pk),
                f"a-{i}-status": status,
                f"a-{i}-justification": "",
                f"a-{i}-evidence_url": "",
            }
        )
    client = client_as(maintainer)
    response = client.post("/products/widget/assessments/?policy_set=base", data)
    message = _success(client, response)
    assert (
        message == "Assessments of Widget against Policy set base 1.0 saved: 2 assessments changed."
    )


def test_creating_a_token(client_as, stranger):
    client = client_as(stranger)
    response = client.post("/account/", {"name": "ci", "expires_days": ""})
    token = ApiToken.objects.get(user=stranger)
    assert _success(client, response) == f"Token {token.prefix}… created: copy its key below now."


# --- Pickers: suggestions instead of bare slug boxes --------------------------------------


def _datalist(html: str, list_id: str) -> list[str]:
    block = re.search(rf'<datalist id="{list_id}">(.*?)</datalist>', html, re.S)
    assert block, f"no datalist {list_id}"
    return re.findall(r'<option value="([^"]*)"', block.group(1))


def test_dependency_rows_suggest_the_products_communities_members(
    client_as, maintainer, product, community, other_product
):
    from tests.conftest import make_membership

    make_membership(make_product("hypre"), community)
    html = client_as(maintainer).get("/products/widget/dependencies/").content.decode()
    assert html.count('list="dependency-options"') == 3  # every row, one shared list
    assert _datalist(html, "dependency-options") == ["hypre"]
    # Anything else typed is still checked: an unknown slug is refused beside its row.
    data = {
        "deps-TOTAL_FORMS": "1",
        "deps-INITIAL_FORMS": "0",
        "deps-0-depends_on": "nope",
        "deps-0-kind": "required",
        "deps-0-when": "",
    }
    response = client_as(maintainer).post("/products/widget/dependencies/", data)
    assert "No product with the slug “nope”." in response.content.decode()


def test_the_interoperability_partner_is_suggested_from_the_communities(
    client_as, lead, product, community, other_product
):
    from tests.conftest import make_membership

    make_membership(make_product("hypre"), community)
    html = client_as(lead).get("/products/widget/interoperability/new/").content.decode()
    assert 'list="id_partner_options"' in html
    assert _datalist(html, "id_partner_options") == ["hypre"]
    response = client_as(lead).post(
        "/products/widget/interoperability/new/",
        {"partner": "nope", "evidence_url": "https://ci.example.org/run/1"},
    )
    assert "No product with the slug “nope”." in response.content.decode()
