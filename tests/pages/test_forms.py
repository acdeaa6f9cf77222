"""The editing pages: register, edit, dependencies, assessments — state and events."""

from __future__ import annotations

import pytest

from events.models import Event
from products.models import Assessment, Dependency, Product
from spokes.models import Policy
from tests.conftest import make_assessment, make_dependency, make_product

pytestmark = pytest.mark.django_db


def test_registering_a_product_makes_you_its_maintainer(client_as, stranger):
    response = client_as(stranger).post(
        "/products/new/",
        {
            "name": "Frobnicator",
            "slug": "frob",
            "summary": "Frobnicates",
            "license": "MIT",
            "areas_text": "Solvers, Linear algebra",
        },
    )
    assert response.status_code == 302
    product = Product.objects.get(slug="frob")
    assert response["Location"] == "/products/frob/"
    assert list(product.maintainers.all()) == [stranger]
    assert sorted(a.name for a in product.areas.all()) == ["Linear algebra", "Solvers"]
    event = Event.objects.get(verb="product_registered")
    assert (event.product, event.actor) == (product, stranger)


def test_registering_with_a_taken_slug_shows_the_error(client_as, stranger, product):
    response = client_as(stranger).post("/products/new/", {"name": "X", "slug": "widget"})
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert Product.objects.filter(slug="widget").count() == 1


def test_a_maintainer_edits_their_product_and_an_event_is_written(client_as, maintainer, product):
    response = client_as(maintainer).post(
        "/products/widget/edit/",
        {"name": "Widget Pro", "summary": "Better", "license": "MIT", "areas_text": "Tools"},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.license) == ("Widget Pro", "MIT")
    event = Event.objects.get(verb="product_updated")
    assert "name" in event.data["fields"] and "areas" in event.data["fields"]


def test_saving_dependencies_replaces_manual_ones_and_keeps_spack_ones(
    client_as, maintainer, product
):
    spack_dep = make_dependency(product, make_product("mpi"), source="spack")
    make_dependency(product, make_product("old"), source="manual")
    make_product("blas")
    make_product("cuda")
    data = {
        "deps-TOTAL_FORMS": "3",
        "deps-INITIAL_FORMS": "1",
        "deps-0-depends_on": "blas",
        "deps-0-kind": "required",
        "deps-0-when": "",
        "deps-1-depends_on": "cuda",
        "deps-1-kind": "optional",
        "deps-1-when": "+cuda",
        "deps-2-depends_on": "",
        "deps-2-kind": "required",
        "deps-2-when": "",
    }
    response = client_as(maintainer).post("/products/widget/dependencies/", data)
    assert response.status_code == 302
    deps = {d.depends_on.slug: d for d in product.dependencies.select_related("depends_on")}
    assert set(deps) == {"mpi", "blas", "cuda"}
    assert deps["mpi"].pk == spack_dep.pk
    assert (deps["cuda"].kind, deps["cuda"].when) == ("optional", "+cuda")
    event = Event.objects.get(verb="dependencies_changed")
    assert event.data == {"added": ["blas", "cuda"], "removed": ["old"]}


def test_an_unknown_dependency_is_refused_and_nothing_changes(client_as, maintainer, product):
    make_dependency(product, make_product("old"))
    data = {
        "deps-TOTAL_FORMS": "1",
        "deps-INITIAL_FORMS": "1",
        "deps-0-depends_on": "does-not-exist",
        "deps-0-kind": "required",
        "deps-0-when": "",
    }
    response = client_as(maintainer).post("/products/widget/dependencies/", data)
    assert response.status_code == 200
    assert "No product with the slug" in response.content.decode()
    assert list(Dependency.objects.values_list("depends_on__slug", flat=True)) == ["old"]


def _assessment_data(rows: list[tuple[Policy, str, str]]) -> dict:
    data = {"a-TOTAL_FORMS": str(len(rows)), "a-INITIAL_FORMS": str(len(rows))}
    for i, (policy, status, justification) in enumerate(rows):
        data[f"a-{i}-policy"] = str(policy.pk)
        data[f"a-{i}-status"] = status
        data[f"a-{i}-justification"] = justification
        data[f"a-{i}-evidence_url"] = ""
    return data


def _policies(policy_set):
    return policy_set.effective_policies()


def test_assessments_for_a_set_are_edited_in_one_form(client_as, maintainer, product, policy_set):
    p1, p2, p3 = _policies(policy_set)
    make_assessment(product, p3, "full")
    data = _assessment_data([(p1, "full", ""), (p2, "na", "No GPU code."), (p3, "full", "")])
    response = client_as(maintainer).post("/products/widget/assessments/?policy_set=base", data)
    assert response.status_code == 302
    statuses = dict(Assessment.objects.values_list("policy__code", "status"))
    assert statuses == {"P1": "full", "P2": "na", "P3": "full"}
    # Only the two rows that changed are recorded.
    changes = Event.objects.filter(verb="assessment_changed").order_by("id")
    assert [(e.data["policy"], e.data["previous"], e.data["status"]) for e in changes] == [
        ("P1", None, "full"),
        ("P2", None, "na"),
    ]
    assert Assessment.objects.get(policy=p1).assessed_by == maintainer


def test_partial_without_justification_reshows_the_form_with_the_error(
    client_as, maintainer, product, policy_set
):
    p1, p2, p3 = _policies(policy_set)
    data = _assessment_data([(p1, "full", ""), (p2, "partial", ""), (p3, "unknown", "")])
    response = client_as(maintainer).post("/products/widget/assessments/?policy_set=base", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "A justification is required" in html
    assert 'id="row-P2" class="has-error"' in html
    assert not Assessment.objects.exists()
    assert not Event.objects.exists()


def test_choosing_unknown_removes_an_assessment_and_records_it(
    client_as, maintainer, product, policy_set
):
    p1, p2, p3 = _policies(policy_set)
    make_assessment(product, p1, "full")
    data = _assessment_data([(p1, "unknown", ""), (p2, "unknown", ""), (p3, "unknown", "")])
    response = client_as(maintainer).post("/products/widget/assessments/?policy_set=base", data)
    assert response.status_code == 302
    assert not Assessment.objects.exists()
    event = Event.objects.get(verb="assessment_changed")
    assert (event.data["policy"], event.data["previous"], event.data["status"]) == (
        "P1",
        "full",
        "unknown",
    )


def test_a_lead_assessing_a_member_is_recorded_as_reviewer(client_as, lead, product, policy_set):
    p1, p2, p3 = _policies(policy_set)
    data = _assessment_data([(p1, "none", ""), (p2, "unknown", ""), (p3, "unknown", "")])
    assert client_as(lead).post("/products/widget/assessments/", data).status_code == 302
    assert Assessment.objects.get().source == "reviewer"


def test_events_page_filters_by_verb_community_and_product(client, product, community):
    from events import log as events

    events.record("product_updated", product=product)
    events.record("onramped", product=product, community=community)
    html = client.get("/events/?verb=onramped").content.decode()
    assert "Onramped" in html and "1 event." in html
    html = client.get("/events/?community=alpha").content.decode()
    assert "1 event." in html
    html = client.get("/events/?product=widget").content.decode()
    assert "2 events." in html


def test_the_atom_feed_lists_events_and_can_be_scoped(client, product, other_product):
    from events import log as events

    events.record("product_updated", product=product)
    events.record("product_updated", product=other_product)
    response = client.get("/feeds/events.atom?product=widget")
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert body.count("<entry>") == 1 and "Widget" in body
    assert client.get("/feeds/events.atom").content.decode().count("<entry>") == 2
    assert client.get("/feeds/events.atom?product=nope").status_code == 404


def test_a_slug_that_names_a_page_is_refused_on_the_form_and_in_the_api(
    client_as, client_for, stranger
):
    response = client_as(stranger).post("/products/new/", {"name": "New", "slug": "new"})
    assert response.status_code == 200
    assert b"is reserved" in response.content
    api = client_for(stranger).post(
        "/api/v1/products/", {"slug": "new", "name": "New"}, format="json"
    )
    assert api.status_code == 400
    assert "reserved" in str(api.json()["slug"])
    assert not Product.objects.filter(slug="new").exists()
