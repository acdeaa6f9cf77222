"""assessments/bulk/: many assessments of one product in one all-or-nothing call."""

from __future__ import annotations

import pytest

from events.models import Event
from products.models import Assessment, StoredCompliance
from tests.conftest import grant, make_assessment, make_product, make_user

URL = "/api/v1/assessments/bulk/"


def body(*items, product="widget", policy_set="base"):
    return {"product": product, "policy_set": policy_set, "assessments": list(items)}


def item(policy, status="full", **overrides):
    return {"policy": policy, "status": status, **overrides}


def snapshot():
    """Every assessment's values, the events and the history: what a refused call must
    leave as it was."""
    return (
        sorted(Assessment.objects.values_list("product_id", "policy_id", "status")),
        Event.objects.count(),
        Assessment.history.count(),
    )


def stored_status(product) -> str:
    return StoredCompliance.objects.get(product=product, policy_set__slug="base").status


@pytest.mark.django_db
def test_a_maintainer_creates_updates_and_leaves_unchanged_in_one_call(
    client_for, maintainer, product, policy_set
):
    p1, p2, _ = policy_set.policies.order_by("position")
    make_assessment(product, p1, "full", justification="", evidence_url="", source="self")
    make_assessment(product, p2, "none", source="self")
    assert stored_status(product) != "compliant"
    events_before = Event.objects.filter(verb="assessment_changed").count()

    response = client_for(maintainer).post(
        URL,
        body(
            item("P1", "full"),  # as stored
            item("P2", "full", evidence_url="https://ci.example.org/widget"),
            item("P3", "partial", justification="Half of it"),
        ),
        format="json",
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["created"], data["updated"], data["unchanged"]) == (1, 1, 1)
    assert [a["policy"] for a in data["assessments"]] == ["P1", "P2", "P3"]
    assert [a["status"] for a in data["assessments"]] == ["full", "full", "partial"]
    assert all(
        a["product"] == "widget" and a["url"].startswith("http") for a in data["assessments"]
    )
    assert data["assessments"][1]["assessed_by"] == "maintainer"
    changed = Event.objects.filter(verb="assessment_changed").order_by("pk")[events_before:]
    assert [(e.data["policy"], e.data["previous"]) for e in changed] == [
        ("P2", "none"),
        ("P3", None),
    ]
    p2_row = Assessment.objects.get(product=product, policy=p2)
    assert p2_row.history.first().history_user == maintainer
    assert stored_status(product) == "compliant"


@pytest.mark.django_db
def test_an_invalid_item_answers_400_naming_its_index_and_field_and_writes_nothing(
    client_for, maintainer, product, policy_set
):
    make_assessment(product, policy_set.policies.get(code="P1"), "none")
    before = snapshot()
    client = client_for(maintainer)

    bad_status = client.post(URL, body(item("P1"), item("P2"), item("P3", "maybe")), format="json")
    assert bad_status.status_code == 400
    assert list(bad_status.json()["assessments"]) == ["2"]
    assert "status" in bad_status.json()["assessments"]["2"]

    no_justification = client.post(URL, body(item("P1"), item("P2", "na")), format="json")
    assert no_justification.status_code == 400
    assert "justification" in no_justification.json()["assessments"]["1"]

    unknown_policy = client.post(URL, body(item("P1"), item("P9")), format="json")
    assert unknown_policy.status_code == 400
    assert "policy" in unknown_policy.json()["assessments"]["1"]

    bad_url = client.post(
        URL, body(item("P1"), item("P2", evidence_url="javascript:alert(1)")), format="json"
    )
    assert bad_url.status_code == 400
    assert "evidence_url" in bad_url.json()["assessments"]["1"]
    assert snapshot() == before


@pytest.mark.django_db
def test_a_policy_named_twice_answers_400(client_for, maintainer, product):
    before = snapshot()
    response = client_for(maintainer).post(
        URL, body(item("P1"), item("P2"), item("P1", "none")), format="json"
    )
    assert response.status_code == 400
    assert "policy" in response.json()["assessments"]["2"]
    assert snapshot() == before


@pytest.mark.django_db
def test_more_items_than_the_limit_answer_400(client_for, maintainer, product):
    before = snapshot()
    response = client_for(maintainer).post(
        URL, body(*[item(f"P{n}") for n in range(201)]), format="json"
    )
    assert response.status_code == 400
    assert "assessments" in response.json()
    assert snapshot() == before


@pytest.mark.django_db
def test_an_empty_list_and_an_unknown_product_answer_400(client_for, maintainer, product):
    client = client_for(maintainer)
    assert client.post(URL, body(), format="json").status_code == 400
    unknown = client.post(URL, body(item("P1"), product="nothing"), format="json")
    assert unknown.status_code == 400
    assert "product" in unknown.json()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["stranger", "other_maintainer", "other_lead"])
def test_people_who_may_not_assess_the_product_get_403_and_nothing_changes(
    client_for, request, product, other_product, who
):
    user = request.getfixturevalue(who)
    before = snapshot()
    # Refused before the items are read: an invalid item does not turn the 403 into a 400.
    for items in ([item("P1"), item("P2")], [item("P1", "maybe")]):
        response = client_for(user).post(URL, body(*items), format="json")
        assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.django_db
def test_anonymous_gets_401_and_nothing_changes(client_for, product):
    before = snapshot()
    response = client_for(None).post(URL, body(item("P1")), format="json")
    assert response.status_code == 401
    assert snapshot() == before


@pytest.mark.django_db
def test_a_lead_of_the_products_community_may_assess_it_as_a_reviewer(client_for, lead, product):
    response = client_for(lead).post(URL, body(item("P1"), item("P2", "none")), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    assert set(Assessment.objects.filter(product=product).values_list("source", flat=True)) == {
        "reviewer"
    }


@pytest.mark.django_db
def test_a_lead_of_a_community_the_product_is_not_in_is_refused(client_for, community):
    outsider = make_product("outsider", maintainers=[make_user("someone")])
    user = make_user("alpha_colead")
    grant(user, community)
    response = client_for(user).post(URL, body(item("P1"), product=outsider.slug), format="json")
    assert response.status_code == 403
    assert not Assessment.objects.filter(product=outsider).exists()
