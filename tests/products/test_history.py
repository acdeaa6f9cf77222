"""Dependencies and areas keep their history: replacing a product's dependencies (the
service and the dependencies page) and filing it under a new area leave history rows
saying who did it and what changed ('+' created, '~' changed, '-' removed)."""

from __future__ import annotations

import pytest
from django.test import Client

from products import services
from products.models import Area, Dependency
from tests.conftest import make_dependency, make_product

pytestmark = pytest.mark.django_db


def edge(product, depends_on) -> Dependency:
    return Dependency.objects.get(product=product, depends_on=depends_on)


def history_of(product, depends_on) -> list:
    """The history rows of the product's edge to ``depends_on``, oldest first."""
    return list(
        Dependency.history.filter(product=product, depends_on=depends_on).order_by(
            "history_date", "history_id"
        )
    )


def test_added_dependencies_are_recorded_as_created_by_the_editor(maintainer, product):
    blas, mpi = make_product("blas"), make_product("mpi")
    services.set_dependencies(product=product, by=maintainer, depends_on=[blas, mpi])
    for target in (blas, mpi):
        [entry] = history_of(product, target)
        assert (entry.history_type, entry.history_user) == ("+", maintainer)
        assert (entry.id, entry.source) == (edge(product, target).pk, "manual")


def test_a_removed_dependency_leaves_a_removal_row(maintainer, hub_admin, product):
    blas, mpi = make_product("blas"), make_product("mpi")
    services.set_dependencies(product=product, by=maintainer, depends_on=[blas, mpi])
    gone = edge(product, mpi).pk
    services.set_dependencies(product=product, by=hub_admin, depends_on=[blas])
    assert not Dependency.objects.filter(pk=gone).exists()
    added, removed = history_of(product, mpi)
    assert (added.history_type, added.history_user) == ("+", maintainer)
    assert (removed.history_type, removed.history_user, removed.id) == ("-", hub_admin, gone)
    assert [h.history_type for h in history_of(product, blas)] == ["+"]


def test_edges_from_spack_stay_out_of_a_manual_replacement(maintainer, product):
    spack = make_dependency(product, make_product("cmake"), source="spack")
    services.set_dependencies(product=product, by=maintainer, depends_on=[])
    assert Dependency.objects.filter(pk=spack.pk).exists()
    assert [h.history_type for h in Dependency.history.filter(id=spack.pk)] == ["+"]


def test_registering_a_product_with_dependencies_records_them(maintainer, product):
    new = services.create_product(by=maintainer, slug="gizmo", name="Gizmo", dependencies=[product])
    [entry] = history_of(new, product)
    assert (entry.history_type, entry.history_user) == ("+", maintainer)


# --- The dependencies page --------------------------------------------------------------


def post_dependencies(user, product, rows: list[tuple[str, str, str]]):
    data = {"deps-TOTAL_FORMS": str(len(rows)), "deps-INITIAL_FORMS": "0"}
    for i, (slug, kind, when) in enumerate(rows):
        data.update({f"deps-{i}-depends_on": slug, f"deps-{i}-kind": kind, f"deps-{i}-when": when})
    client = Client()
    client.force_login(user)
    return client.post(f"/products/{product.slug}/dependencies/", data)


def test_the_dependencies_page_records_each_edge_added_changed_and_removed(maintainer, product):
    kept, changed, gone = make_product("kept"), make_product("cuda"), make_product("old")
    new = make_product("blas")
    services.set_dependencies(product=product, by=maintainer, depends_on=[kept, changed, gone])
    ids = {p.slug: edge(product, p).pk for p in (kept, changed, gone)}
    response = post_dependencies(
        maintainer,
        product,
        [("kept", "required", ""), ("cuda", "optional", "+cuda"), ("blas", "required", "")],
    )
    assert response.status_code == 302
    # A listed edge keeps its row; only what changed is recorded.
    assert edge(product, kept).pk == ids["kept"]
    assert edge(product, changed).pk == ids["cuda"]
    assert [h.history_type for h in history_of(product, kept)] == ["+"]
    created, modified = history_of(product, changed)
    assert (modified.history_type, modified.history_user) == ("~", maintainer)
    assert (modified.kind, modified.when) == ("optional", "+cuda")
    assert set(modified.diff_against(created).changed_fields) == {"kind", "when"}
    _, removed = history_of(product, gone)
    assert (removed.history_type, removed.history_user, removed.id) == ("-", maintainer, ids["old"])
    [added] = history_of(product, new)
    assert (added.history_type, added.history_user, added.id) == (
        "+",
        maintainer,
        edge(product, new).pk,
    )


# --- Areas ----------------------------------------------------------------------------


def test_a_new_area_is_recorded_as_created_by_whoever_named_it(maintainer, product):
    services.update_product(product=product, by=maintainer, areas=["Linear algebra"])
    area = Area.objects.get(name="Linear algebra")
    [entry] = Area.history.filter(id=area.pk)
    assert (entry.history_type, entry.history_user) == ("+", maintainer)
    assert (entry.slug, entry.name) == ("linear-algebra", "Linear algebra")
    assert list(product.areas.all()) == [area]


def test_an_existing_area_is_reused_without_a_new_history_row(maintainer, product):
    services.update_product(product=product, by=maintainer, areas=["Solvers"])
    other = services.create_product(by=maintainer, slug="gizmo", name="Gizmo", areas=["solvers"])
    assert list(other.areas.values_list("name", flat=True)) == ["Solvers"]
    assert Area.history.count() == 1
