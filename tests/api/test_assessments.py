"""assessments/: upsert on (product, policy), justification rules, filters, history."""

from __future__ import annotations

import pytest

from events.models import Event
from products.models import Assessment
from tests.conftest import make_assessment, make_policy, make_policy_set

URL = "/api/v1/assessments/"


def payload(**overrides):
    data = {"product": "widget", "policy_set": "base", "policy": "P1", "status": "full"}
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_post_creates_then_replaces_the_assessment(client_for, maintainer, product):
    client = client_for(maintainer)
    first = client.post(URL, payload(evidence_url="https://ci.example.org"), format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    for name in (
        "id",
        "product",
        "policy_set",
        "policy",
        "status",
        "justification",
        "evidence_url",
        "source",
        "assessed_by",
        "assessed_at",
    ):
        assert name in body
    assert body["product"] == "widget"
    assert body["policy_set"] == "base"
    assert body["policy"] == "P1"
    assert body["assessed_by"] == "maintainer"
    assert body["source"] == "self"

    second = client.post(URL, payload(status="none"), format="json")
    assert second.status_code == 200
    assert second.json()["id"] == body["id"]
    assert Assessment.objects.count() == 1
    row = Assessment.objects.get()
    assert row.status == "none"
    assert [h.status for h in row.history.all()] == ["none", "full"]
    assert row.history.first().history_user == maintainer
    assert Event.objects.filter(verb="assessment_changed").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["partial", "na"])
def test_partial_and_na_need_a_justification(client_for, maintainer, product, status):
    response = client_for(maintainer).post(URL, payload(status=status), format="json")
    assert response.status_code == 400
    assert "justification" in response.json()
    assert not Assessment.objects.exists()
    ok = client_for(maintainer).post(
        URL, payload(status=status, justification="Header-only"), format="json"
    )
    assert ok.status_code == 201


@pytest.mark.django_db
def test_patch_cannot_drop_the_justification_of_a_partial(client_for, maintainer, product):
    row = make_assessment(product, product_policy(product), "partial")
    response = client_for(maintainer).patch(f"{URL}{row.pk}/", {"justification": ""}, format="json")
    assert response.status_code == 400
    assert "justification" in response.json()
    row.refresh_from_db()
    assert row.justification


def product_policy(product):
    from spokes.models import Policy

    return Policy.objects.get(policy_set__slug="base", code="P1")


@pytest.mark.django_db
def test_a_lead_assessing_a_member_is_recorded_as_reviewer(client_for, lead, product):
    response = client_for(lead).post(URL, payload(), format="json")
    assert response.status_code == 201
    assert response.json()["source"] == "reviewer"


@pytest.mark.django_db
def test_an_inherited_code_names_the_base_sets_policy(client_for, maintainer, product, policy_set):
    child = make_policy_set("child", base=policy_set)
    make_policy(child, "C1")
    response = client_for(maintainer).post(
        URL, payload(policy_set="child", policy="P2"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["policy_set"] == "base"
    assert response.json()["policy"] == "P2"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("product", "ghost"), ("policy_set", "ghost"), ("policy", "Z9"), ("status", "great")],
)
def test_unknown_references_are_field_errors(client_for, maintainer, product, field, value):
    response = client_for(maintainer).post(URL, payload(**{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_assessments_filter_by_product_set_and_status(api_client, product, other_product):
    p1 = product_policy(product)
    make_assessment(product, p1, "full")
    make_assessment(other_product, p1, "none")
    other_set = make_policy_set("other")
    make_assessment(product, make_policy(other_set, "O1"), "none")

    def ids(query):
        response = api_client.get(f"{URL}?{query}")
        assert response.status_code == 200
        return sorted((r["product"], r["policy"]) for r in response.json()["results"])

    assert ids("product=widget") == [("widget", "O1"), ("widget", "P1")]
    assert ids("policy_set=base") == [("gadget", "P1"), ("widget", "P1")]
    assert ids("status=none") == [("gadget", "P1"), ("widget", "O1")]
    assert ids("product=widget&status=none&policy_set=other") == [("widget", "O1")]
    assert api_client.get(f"{URL}?status=bogus").status_code == 400
