"""ETag on detail reads; If-Match on writes: stale → 412 and nothing changes."""

from __future__ import annotations

import pytest

from events.models import Event
from lifecycle import transitions
from lifecycle.models import LifecycleRequest
from products.models import Assessment, Product
from spokes.models import Community, PolicySet
from tests.conftest import make_assessment

STALE = '"0123456789abcdef0123456789abcdef"'


@pytest.fixture
def assessment(product, policy_set):
    return make_assessment(product, policy_set.policies.get(code="P1"), "none")


@pytest.fixture
def draft(product, community, maintainer):
    return transitions.request_create(
        by=maintainer, kind="onramp", product=product, community=community, rationale="First"
    )


@pytest.fixture
def targets(product, community, assessment, draft, lead, hub_admin, maintainer):
    """(url, payload, user, read the changed value back) per editable resource."""
    return {
        "product": (
            "/api/v1/products/widget/",
            {"summary": "New summary"},
            maintainer,
            lambda: Product.objects.get(slug="widget").summary,
        ),
        "community": (
            "/api/v1/communities/alpha/",
            {"charter": "New charter"},
            lead,
            lambda: Community.objects.get(slug="alpha").charter,
        ),
        "policy_set": (
            "/api/v1/policy-sets/base/",
            {"description": "New description"},
            hub_admin,
            lambda: PolicySet.objects.get(slug="base").description,
        ),
        "assessment": (
            f"/api/v1/assessments/{assessment.pk}/",
            {"status": "full"},
            maintainer,
            lambda: Assessment.objects.get(pk=assessment.pk).status,
        ),
        "request": (
            f"/api/v1/requests/{draft.pk}/",
            {"rationale": "Second"},
            maintainer,
            lambda: LifecycleRequest.objects.get(pk=draft.pk).rationale,
        ),
    }


KINDS = ["product", "community", "policy_set", "assessment", "request"]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(targets, client_for, kind):
    url, payload, user, read = targets[kind]
    client = client_for(user)
    before, events = read(), Event.objects.count()
    response = client.patch(url, payload, format="json", HTTP_IF_MATCH=STALE)
    assert response.status_code == 412
    assert "detail" in response.json()
    assert read() == before
    assert Event.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_matching_if_match_proceeds_and_returns_the_new_etag(targets, client_for, kind):
    url, payload, user, read = targets[kind]
    client = client_for(user)
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"')
    response = client.patch(url, payload, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert read() == next(iter(payload.values()))
    assert response["ETag"] != etag
    assert client.get(url)["ETag"] == response["ETag"]
    # The old tag is now stale.
    again = client.patch(url, payload, format="json", HTTP_IF_MATCH=etag)
    assert again.status_code == 412


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_without_if_match_the_write_proceeds(targets, client_for, kind):
    url, payload, user, read = targets[kind]
    assert client_for(user).patch(url, payload, format="json").status_code == 200
    assert read() == next(iter(payload.values()))


@pytest.mark.django_db
def test_if_none_match_answers_304(api_client, product):
    etag = api_client.get("/api/v1/products/widget/")["ETag"]
    response = api_client.get("/api/v1/products/widget/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


@pytest.mark.django_db
def test_permission_is_checked_before_the_precondition(client_for, stranger, product):
    response = client_for(stranger).patch(
        "/api/v1/products/widget/", {"summary": "x"}, format="json", HTTP_IF_MATCH=STALE
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_assessment_upsert_honours_if_match(client_for, maintainer, assessment):
    client = client_for(maintainer)
    body = {"product": "widget", "policy_set": "base", "policy": "P1", "status": "full"}
    stale = client.post("/api/v1/assessments/", body, format="json", HTTP_IF_MATCH=STALE)
    assert stale.status_code == 412
    assert Assessment.objects.get(pk=assessment.pk).status == "none"
    etag = client.get(f"/api/v1/assessments/{assessment.pk}/")["ETag"]
    ok = client.post("/api/v1/assessments/", body, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    assert Assessment.objects.get(pk=assessment.pk).status == "full"


@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_etag_cannot_both_win(product, maintainer, hub_admin):
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    etag = APIClient().get("/api/v1/products/widget/")["ETag"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def write(user, summary):
        try:
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait()
            response = client.patch(
                "/api/v1/products/widget/", {"summary": summary}, format="json", HTTP_IF_MATCH=etag
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(maintainer, "first")),
        threading.Thread(target=write, args=(hub_admin, "second")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 412]
    assert Event.objects.filter(verb="product_updated").count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_request_patches_with_one_etag_let_exactly_one_through(
    product, community, maintainer
):
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    req = transitions.request_create(
        by=maintainer, kind="onramp", product=product, community=community, rationale="First"
    )
    url = f"/api/v1/requests/{req.pk}/"
    reader = APIClient()
    reader.force_authenticate(maintainer)  # a draft is visible to its product's maintainers
    etag = reader.get(url)["ETag"]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def write(n: int) -> None:
        try:
            client = APIClient()
            client.force_authenticate(maintainer)
            barrier.wait()
            response = client.patch(
                url, {"rationale": f"Writer {n}"}, format="json", HTTP_IF_MATCH=etag
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [412] * 19
    winner = LifecycleRequest.objects.get(pk=req.pk).rationale
    assert winner.startswith("Writer ")
    assert Event.objects.filter(request=req, verb="request_updated").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["/api/v1/requests/null,null/", "/api/v1/requests/abc/"])
def test_a_write_to_a_request_address_that_names_no_row_is_a_404(client_for, maintainer, address):
    client = client_for(maintainer)
    assert client.patch(address, {"rationale": "x"}, format="json").status_code == 404
    assert client.post(f"{address}submit/", {}, format="json").status_code == 404
