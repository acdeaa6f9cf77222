"""The authorization matrix (DESIGN §5): every unsafe endpoint of the catalog API, for every
persona → exactly the status the rules imply; a refused write changes nothing at all."""

from __future__ import annotations

import pytest

from events.models import Event
from products.models import Assessment, Dependency, Membership, Product
from spokes.models import Community, CommunityRole, GovernanceBody, Policy, PolicySet, Seat
from tests.conftest import make_assessment, make_policy, make_policy_set

PERSONAS = (
    "anonymous",
    "stranger",
    "other_maintainer",
    "other_lead",
    "maintainer",
    "lead",
    "hub_admin",
)
MODELS = (
    Product,
    Dependency,
    Membership,
    Assessment,
    Community,
    CommunityRole,
    GovernanceBody,
    Seat,
    PolicySet,
    Policy,
    Event,
    Product.history.model,
    Assessment.history.model,
    Community.history.model,
    PolicySet.history.model,
)


def snapshot() -> dict:
    """Every row of every model a write could touch."""
    return {m._meta.label: sorted(map(repr, m.objects.values())) for m in MODELS}


@pytest.fixture
def world(request, product, other_product, policy_set):
    """Every persona exists, whoever makes the request, so the matrix compares like with
    like. `alpha` owns the set `alpha-set`; `base` is a hub set."""
    users = {name: request.getfixturevalue(name) for name in PERSONAS if name != "anonymous"}
    community = Community.objects.get(slug="alpha")
    own = make_policy_set("alpha-set", owner=community)
    make_policy(own, "A1")
    assessment = make_assessment(product, policy_set.policies.get(code="P1"), "none")
    return {"users": users, "assessment": assessment}


def _product_post(world):
    return "post", "/api/v1/products/", {"slug": "fresh", "name": "Fresh"}


def _product_patch(world):
    return "patch", "/api/v1/products/widget/", {"summary": "Changed", "dependencies": ["gadget"]}


def _assessment_post(world):
    return (
        "post",
        "/api/v1/assessments/",
        {"product": "widget", "policy_set": "base", "policy": "P2", "status": "full"},
    )


def _assessment_patch(world):
    return "patch", f"/api/v1/assessments/{world['assessment'].pk}/", {"status": "full"}


def _community_post(world):
    return "post", "/api/v1/communities/", {"slug": "gamma", "name": "Gamma SDK"}


def _community_patch(world):
    return (
        "patch",
        "/api/v1/communities/alpha/",
        {"charter": "New charter", "governance": {"name": "Council", "requires_vote": True}},
    )


def _owned_set_post(world):
    return (
        "post",
        "/api/v1/policy-sets/",
        {"slug": "alpha-2", "name": "Alpha 2", "version": "2.0", "owner": "alpha"},
    )


def _hub_set_post(world):
    return "post", "/api/v1/policy-sets/", {"slug": "hub-2", "name": "Hub 2", "version": "1"}


def _owned_set_patch(world):
    return (
        "patch",
        "/api/v1/policy-sets/alpha-set/",
        {"name": "Renamed", "policies": [{"code": "A1", "title": "Changed"}]},
    )


def _hub_set_patch(world):
    return "patch", "/api/v1/policy-sets/base/", {"description": "Changed"}


# persona → expected status; personas not listed get `default`.
MATRIX = [
    (_product_post, 201, {"anonymous": 401}),
    (_product_patch, 403, {"anonymous": 401, "maintainer": 200, "hub_admin": 200}),
    (_assessment_post, 403, {"anonymous": 401, "maintainer": 201, "lead": 201, "hub_admin": 201}),
    (_assessment_patch, 403, {"anonymous": 401, "maintainer": 200, "lead": 200, "hub_admin": 200}),
    (_community_post, 403, {"anonymous": 401, "hub_admin": 201}),
    (_community_patch, 403, {"anonymous": 401, "lead": 200, "hub_admin": 200}),
    (_owned_set_post, 403, {"anonymous": 401, "lead": 201, "hub_admin": 201}),
    (_hub_set_post, 403, {"anonymous": 401, "hub_admin": 201}),
    (_owned_set_patch, 403, {"anonymous": 401, "lead": 200, "hub_admin": 200}),
    (_hub_set_patch, 403, {"anonymous": 401, "hub_admin": 200}),
]
CASES = [
    pytest.param(make, persona, overrides.get(persona, default), id=f"{make.__name__}-{persona}")
    for make, default, overrides in MATRIX
    for persona in PERSONAS
]


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "persona", "expected"), CASES)
def test_authorization_matrix(world, client_for, make, persona, expected):
    method, url, payload = make(world)
    client = client_for(None if persona == "anonymous" else world["users"][persona])
    before = snapshot()

    response = getattr(client, method)(url, payload, format="json")

    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert "detail" in response.json()
        assert snapshot() == before, "a refused write changed the database"
        if expected == 401:
            assert response.has_header("WWW-Authenticate")
    else:
        assert snapshot() != before
        assert Event.objects.count() > len(before["events.Event"]), "no event recorded"


@pytest.mark.django_db
def test_a_lead_cannot_hand_a_set_to_a_community_they_do_not_lead(world, client_for, lead):
    before = snapshot()
    response = client_for(lead).patch(
        "/api/v1/policy-sets/alpha-set/", {"owner": "beta"}, format="json"
    )
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.django_db
def test_a_session_write_without_csrf_token_is_refused(world, maintainer):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(maintainer)
    before = snapshot()
    response = client.patch("/api/v1/products/widget/", {"summary": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert snapshot() == before
