"""A product's distribution strategy is the team's to say: maintainers and hub admins set
it (page and API); nobody else can, and a refused or invalid write changes nothing."""

from __future__ import annotations

import pytest

from events.models import Event
from products.models import Product

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/widget/"


def test_a_maintainer_sets_the_distribution_through_the_api(client_for, product, maintainer):
    response = client_for(maintainer).patch(URL, {"distribution": "e4s_final"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["delivery"]["distribution"] == "e4s_final"
    product.refresh_from_db()
    assert product.distribution == "e4s_final"
    assert product.history.first().history_user == maintainer
    event = Event.objects.filter(product=product).latest("pk")
    assert event.data["fields"] == ["distribution"]


def test_a_hub_admin_sets_it_from_the_product_form(client, product, hub_admin):
    client.force_login(hub_admin)
    page = client.get("/products/widget/edit/").content.decode()
    assert 'name="distribution"' in page
    data = {"name": product.name, "distribution": "both", "areas_text": ""}
    response = client.post("/products/widget/edit/", data)
    assert response.status_code == 302
    assert Product.objects.get(pk=product.pk).distribution == "both"


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("stranger", 403), ("other_maintainer", 403), ("other_lead", 403)],
)
def test_nobody_else_can_set_it(client_for, product, request, who, status):
    user = request.getfixturevalue(who) if who else None
    events = Event.objects.count()
    response = client_for(user).patch(URL, {"distribution": "none"}, format="json")
    assert response.status_code == status
    assert Product.objects.get(pk=product.pk).distribution == "unknown"
    assert Event.objects.count() == events


def test_a_value_outside_the_strategies_is_refused(client_for, product, maintainer):
    response = client_for(maintainer).patch(URL, {"distribution": "ftp"}, format="json")
    assert response.status_code == 400 and "distribution" in response.json()
    assert Product.objects.get(pk=product.pk).distribution == "unknown"
