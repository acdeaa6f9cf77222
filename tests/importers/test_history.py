"""Imports keep the history of what they write, with the importer as its author."""

from __future__ import annotations

import pytest

from products.importers import catalog, spack
from products.models import Area, Dependency
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
