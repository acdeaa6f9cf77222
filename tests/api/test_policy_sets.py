"""policy-sets/: effective policies (inherited marked), writes and versions."""

from __future__ import annotations

import pytest

from events.models import Event
from spokes.models import Policy
from tests.conftest import make_assessment, make_policy, make_policy_set

URL = "/api/v1/policy-sets/"


@pytest.fixture
def xsdk(policy_set):
    xsdk = make_policy_set("xsdk", name="xSDK", version="1.0.0", base=policy_set)
    make_policy(xsdk, "M1", title="Own")
    make_policy(xsdk, "M2", title="Adapted", adapts=policy_set.policies.get(code="P2"))
    make_policy(xsdk, "OLD", title="Of an old version", version="0.9")
    return xsdk


@pytest.mark.django_db
def test_a_set_lists_its_effective_policies_with_inherited_marked(api_client, xsdk):
    body = api_client.get(f"{URL}xsdk/").json()
    assert body["slug"] == "xsdk"
    assert body["version"] == "1.0.0"
    assert body["base"] == "base"
    assert body["owner"] is None
    assert [(p["code"], p["inherited"]) for p in body["policies"]] == [
        ("M1", False),
        ("M2", False),
        ("P1", True),
        ("P3", True),
    ]
    for policy in body["policies"]:
        assert {"code", "title", "summary", "level", "url", "inherited"} <= set(policy)
    assert body["policies"][1]["adapts"] == "P2"


@pytest.mark.django_db
def test_the_list_shows_the_same_policies_as_the_detail(api_client, xsdk):
    rows = {r["slug"]: r for r in api_client.get(URL).json()["results"]}
    assert rows["xsdk"]["policies"] == api_client.get(f"{URL}xsdk/").json()["policies"]
    assert [p["inherited"] for p in rows["base"]["policies"]] == [False, False, False]


@pytest.mark.django_db
def test_a_lead_creates_a_set_for_their_community(client_for, lead, community, policy_set):
    response = client_for(lead).post(
        URL,
        {
            "slug": "alpha-set",
            "name": "Alpha policies",
            "version": "1",
            "owner": "alpha",
            "base": "base",
            "policies": [
                {"code": "A1", "title": "Own", "level": "mandatory"},
                {"code": "A2", "title": "Stricter tests", "adapts": "P2"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    codes = [(p["code"], p["inherited"]) for p in response.json()["policies"]]
    assert codes == [("A1", False), ("A2", False), ("P1", True), ("P3", True)]
    assert Event.objects.filter(verb="policy_set_created", community=community).exists()


@pytest.mark.django_db
def test_a_new_version_keeps_the_old_policies_and_their_assessments(
    client_for, hub_admin, policy_set, product
):
    old = policy_set.policies.get(code="P1")
    make_assessment(product, old, "full")
    client = client_for(hub_admin)
    refused = client.patch(f"{URL}base/", {"version": "2.0"}, format="json")
    assert refused.status_code == 400
    assert "policies" in refused.json()

    response = client.patch(
        f"{URL}base/",
        {"version": "2.0", "policies": [{"code": "P1", "title": "Now about containers"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == "2.0"
    assert [p["title"] for p in response.json()["policies"]] == ["Now about containers"]
    old.refresh_from_db()
    assert old.title == "Builds with Spack"
    assert old.assessments.count() == 1
    assert Policy.objects.filter(policy_set=policy_set).count() == 4


@pytest.mark.django_db
def test_a_policy_with_assessments_cannot_be_dropped_from_its_version(
    client_for, hub_admin, policy_set, product
):
    make_assessment(product, policy_set.policies.get(code="P2"), "full")
    response = client_for(hub_admin).patch(
        f"{URL}base/", {"policies": [{"code": "P1", "title": "Only one"}]}, format="json"
    )
    assert response.status_code == 400
    assert policy_set.policies.count() == 3


@pytest.mark.django_db
def test_a_set_cannot_encompass_itself(client_for, hub_admin, xsdk):
    response = client_for(hub_admin).patch(f"{URL}base/", {"base": "xsdk"}, format="json")
    assert response.status_code == 400
    assert "base" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "policy",
    [
        {"title": "A policy with no code"},
        {"code": "", "title": "A blank code"},
        {"code": "NEW"},
        {},
    ],
)
def test_a_policy_missing_its_code_or_a_new_one_missing_its_title_is_a_400(
    client_for, hub_admin, xsdk, policy
):
    before = sorted(Policy.objects.values_list("code", "title", "version"))
    events = Event.objects.count()
    response = client_for(hub_admin).patch(
        f"{URL}xsdk/", {"policies": [{"code": "M1", "title": "Own"}, policy]}, format="json"
    )
    assert response.status_code == 400, response.content
    problem = str(response.json()["policies"])
    assert "Policy 2" in problem or "code" in problem
    assert sorted(Policy.objects.values_list("code", "title", "version")) == before
    assert Event.objects.count() == events


@pytest.mark.django_db
def test_an_existing_policy_listed_by_code_alone_keeps_its_title(client_for, hub_admin, xsdk):
    response = client_for(hub_admin).patch(
        f"{URL}xsdk/",
        {"policies": [{"code": "M1"}, {"code": "M2", "title": "Adapted"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Policy.objects.get(policy_set=xsdk, version="1.0.0", code="M1").title == "Own"
