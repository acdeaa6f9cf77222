"""Imports keep the history of what they write, with the importer as its author."""

from __future__ import annotations

import pytest
from simple_history.utils import bulk_create_with_history

from products.importers import catalog, spack
from products.importers.catalog.bulk import create_with_history
from products.models import Area, Dependency, Product
from tests.conftest import make_product, make_user


@pytest.mark.django_db
def test_a_catalog_import_records_history_of_its_dependencies_and_areas(community, data_dir):
    admin = make_user("importer", is_staff=True)
    parsed = catalog.load_path(str(data_dir / "catalog/small.yaml"))
    catalog.import_catalog(parsed, actor=admin)

    dependency = Dependency.objects.get(product__slug="mathkit")
    created = dependency.history.get()
    assert (created.history_type, created.history_user) == ("+", admin)
    assert (created.kind, created.when) == ("optional", "+sparse")
    for area in Area.objects.filter(name__in=["Math libraries", "Solvers"]):
        assert area.history.get().history_user == admin


@pytest.mark.django_db
def test_a_spack_import_records_created_changed_and_removed_dependencies(data_dir):
    admin = make_user("importer", is_staff=True)
    make_product("sparsesolve")
    make_product("hdf5-registry", spack_package="hdf5")
    make_product("superlu", spack_package="", facts={"spack_packages": ["superlu-dist"]})
    recipe = data_dir / "spack/packages/mathkit/package.py"
    spack.import_packages([spack.read_package(recipe)], actor=admin)
    edges = Dependency.objects.filter(product__slug="mathkit")
    assert edges.count() == 3
    assert {h.history_user for e in edges for h in e.history.all()} == {admin}

    # The recipe loses a dependency and changes another: the history says so.
    text = recipe.read_text()
    trimmed = "\n".join(line for line in text.splitlines() if "sparsesolve" not in line)
    changed = trimmed.replace('"superlu-dist@8:", when="+superlu"', '"superlu-dist@8:"')
    assert changed != text
    spack.import_packages([spack.read_package(recipe, source=changed)], actor=admin)
    removed = Dependency.history.filter(
        product__slug="mathkit", depends_on__slug="sparsesolve", history_type="-"
    )
    assert [h.history_user for h in removed] == [admin]
    superlu = Dependency.objects.get(product__slug="mathkit", depends_on__slug="superlu")
    latest = superlu.history.first()
    assert (latest.history_type, latest.history_user, latest.kind) == ("~", admin, "required")


def _columns(obj, skip: set[str]) -> dict:
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in skip
    }


@pytest.mark.django_db
def test_the_catalog_bulk_insert_writes_the_rows_and_history_simple_history_writes():
    admin = make_user("importer", is_staff=True)
    mathkit, solver, mesh = (make_product(slug) for slug in ("mathkit", "solver", "mesh"))
    ours = [Dependency(product=mathkit, depends_on=solver, kind="optional", when="+x")]
    theirs = [Dependency(product=mesh, depends_on=solver, kind="optional", when="+x")]
    create_with_history(ours, Dependency, actor=admin)
    bulk_create_with_history(theirs, Dependency, default_user=admin)
    new_products = [Product(slug="ours", name="Ours", facts={"spack_versions": ["1.0"]})]
    old_products = [Product(slug="theirs", name="Theirs", facts={"spack_versions": ["1.0"]})]
    create_with_history(new_products, Product, actor=admin)
    bulk_create_with_history(old_products, Product, default_user=admin)

    for a, b, differ in (
        (ours[0], theirs[0], {"id", "product_id"}),
        (new_products[0], old_products[0], {"id", "slug", "name", "created_at", "updated_at"}),
    ):
        model = type(a)
        row_a, row_b = model.objects.get(pk=a.pk), model.objects.get(pk=b.pk)
        assert _columns(row_a, differ) == _columns(row_b, differ)
        history_a, history_b = row_a.history.get(), row_b.history.get()
        skip = differ | {"history_id", "history_date"}
        assert _columns(history_a, skip) == _columns(history_b, skip)
        assert (history_a.history_type, history_a.history_user) == ("+", admin)
    # auto_now and auto_now_add are set, as a save would.
    created = Product.objects.get(slug="ours")
    assert created.created_at is not None and created.updated_at is not None
