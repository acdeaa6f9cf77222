"""import_spack_package: recipes read statically, mapped to registry products."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from events.models import Event
from products.importers import spack
from products.importers.errors import ImportError_
from products.models import Dependency, Membership, Product
from tests.conftest import make_product

pytestmark = pytest.mark.django_db


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_a_recipe_is_read_without_executing_it(data_dir):
    package = spack.read_package(data_dir / "spack/packages/mathkit/package.py")
    assert package.name == "mathkit"
    assert package.class_name == "Mathkit"
    assert package.summary == (
        "MathKit is a portable toolkit of scalable solvers for sparse linear and nonlinear systems."
    )
    assert package.description.startswith("MathKit is a portable toolkit")
    assert "imaginary lab" in package.description
    assert package.homepage == "https://mathkit.example.org"
    assert package.repository_url == "https://github.com/example/mathkit"
    assert package.maintainers == ["alice-hpc", "bob-solver"]
    assert package.license == "BSD-3-Clause"
    assert package.versions == ["develop", "3.2.0", "3.1.1", "2.9.0"]
    assert package.variants == ["mpi", "hdf5", "superlu", "precision"]
    deps = {(d.name, d.when) for d in package.dependencies}
    assert ("sparsesolve", "") in deps
    assert ("superlu-dist", "+superlu") in deps
    assert ("hdf5", "+hdf5 +mpi") in deps  # with when("+hdf5") and when="+mpi"
    assert ("hdf5", "+hdf5 ~mpi") in deps
    assert ("sparsesolve", "+cuda") in deps
    assert ("mpi", "+mpi") in deps
    tinyjson = next(d for d in package.dependencies if d.name == "tinyjson")
    assert tinyjson.types == ("build", "link")


def test_the_old_maintainers_list_and_a_new_layout_directory_name_are_understood(data_dir):
    package = spack.read_package(data_dir / "spack/packages/superlu_dist/package.py")
    assert package.name == "superlu-dist"
    assert package.class_name == "SuperluDist"
    assert package.maintainers == ["xiaoye", "gchavez2", "pghysels"]
    assert package.license == "BSD-3-Clause-LBNL"


def test_a_download_url_on_a_forge_gives_the_repository(data_dir):
    package = spack.read_package(data_dir / "spack/packages/sparsesolve/package.py")
    assert package.git == ""
    assert package.repository_url == "https://gitlab.com/example-group/sparsesolve"
    assert package.provides == ["sparse-direct-api"]


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("SuperluDist", "superlu-dist"),
        ("Hdf5", "hdf5"),
        ("PyPetsc4py", "py-petsc4py"),
        ("_3dtk", "3dtk"),
        ("Petsc", "petsc"),
    ],
)
def test_class_names_map_back_to_package_names(class_name, expected):
    assert spack.class_to_package_name(class_name) == expected


def test_a_file_module_that_would_fail_if_run_is_never_executed(tmp_path):
    path = tmp_path / "danger.py"
    path.write_text(
        "import os\nos.remove('/etc/passwd')\nraise SystemExit(3)\n\n"
        "class Danger(Package):\n    '''Harmless when read.'''\n    homepage = 'https://x.org'\n"
    )
    package = spack.read_package(path)
    assert package.name == "danger"
    assert package.homepage == "https://x.org"


def test_importing_one_recipe_creates_the_product_and_maps_known_dependencies(data_dir):
    sparse = make_product("sparsesolve")
    hdf5 = make_product("hdf5-registry", spack_package="hdf5")
    superlu = make_product("superlu", spack_package="", facts={"spack_packages": ["superlu-dist"]})
    out, _ = run("import_spack_package", str(data_dir / "spack/packages/mathkit/package.py"))

    mathkit = Product.objects.get(slug="mathkit")
    assert mathkit.name == "Mathkit"
    assert mathkit.spack_package == "mathkit"
    assert mathkit.license == "BSD-3-Clause"
    assert mathkit.repository_url == "https://github.com/example/mathkit"
    assert mathkit.facts["spack_maintainers"] == ["alice-hpc", "bob-solver"]
    assert mathkit.facts["spack_versions"] == ["develop", "3.2.0", "3.1.1", "2.9.0"]
    assert not mathkit.maintainers.exists()  # GitHub handles, not registry users

    edges = {d.depends_on_id: d for d in Dependency.objects.filter(product=mathkit)}
    assert set(edges) == {sparse.pk, hdf5.pk, superlu.pk}
    assert (edges[sparse.pk].kind, edges[sparse.pk].when) == ("required", "")
    assert edges[superlu.pk].kind == "optional"
    assert edges[superlu.pk].when == "+superlu"
    assert edges[hdf5.pk].when == "+hdf5 +mpi or +hdf5 ~mpi"
    assert all(d.source == "spack" for d in edges.values())
    # Unknown names are reported, never invented; virtuals (mpi, blas, c ...) are ignored.
    assert "'cmake', which is not in the registry" in out
    assert "'tinyjson', which is not in the registry" in out
    assert "'mpi'" not in out and "'blas'" not in out
    assert not Product.objects.filter(slug__in=["cmake", "tinyjson", "mpi"]).exists()
    assert Event.objects.filter(verb="catalog_imported", product=mathkit).exists()


def test_a_directory_of_packages_is_imported_with_progress_and_a_summary(data_dir, community):
    out, err = run("import_spack_package", str(data_dir / "spack/packages"), community="alpha")
    assert "read 3 packages" in out
    assert "products: 3 created, 0 updated, 0 unchanged" in out
    assert "packages 3/3" in err
    slugs = set(Product.objects.values_list("slug", flat=True))
    assert {"mathkit", "superlu-dist", "sparsesolve"} <= slugs
    # Dependencies among packages of the same run resolve to each other.
    sparse = Product.objects.get(slug="sparsesolve")
    assert Dependency.objects.filter(
        product=sparse, depends_on__slug="superlu-dist", kind="optional", when="@2.4:"
    ).exists()
    assert Dependency.objects.filter(product__slug="mathkit", depends_on=sparse).exists()
    assert Membership.objects.filter(community=community, state="active").count() == 3
    # A second run changes nothing.
    out, _ = run("import_spack_package", str(data_dir / "spack/packages"), community="alpha")
    assert "products: 0 created, 0 updated, 3 unchanged" in out
    assert "memberships: 0 created, 0 updated, 3 unchanged" in out


def test_a_recipe_fills_gaps_but_keeps_what_the_registry_says(data_dir):
    make_product("mathkit", homepage="https://curated.example.org", description="", license="")
    out, _ = run("import_spack_package", str(data_dir / "spack/packages/mathkit/package.py"))
    product = Product.objects.get(slug="mathkit")
    assert product.homepage == "https://curated.example.org"
    assert product.license == "BSD-3-Clause"
    assert product.description.startswith("MathKit is")
    assert "kept the registry's homepage" in out


def test_a_manual_dependency_is_left_alone_and_a_stale_spack_one_is_removed(data_dir):
    mathkit = make_product("mathkit")
    sparse = make_product("sparsesolve")
    other = make_product("other")
    Dependency.objects.create(product=mathkit, depends_on=sparse, source="manual", kind="optional")
    Dependency.objects.create(product=mathkit, depends_on=other, source="spack")
    out, _ = run("import_spack_package", str(data_dir / "spack/packages/mathkit/package.py"))
    kept = Dependency.objects.get(product=mathkit, depends_on=sparse)
    assert (kept.source, kept.kind) == ("manual", "optional")
    assert not Dependency.objects.filter(product=mathkit, depends_on=other).exists()
    assert "removed the Spack dependency on other" in out


def test_a_dry_run_writes_nothing(data_dir):
    out, _ = run("import_spack_package", str(data_dir / "spack/packages"), dry_run=True)
    assert "products: 3 created" in out
    assert not Product.objects.exists()
    assert not Event.objects.exists()


def test_a_file_that_does_not_parse_is_rejected_with_file_line_and_column(data_dir):
    path = data_dir / "bad/broken_package.py"
    with pytest.raises(CommandError) as excinfo:
        run("import_spack_package", str(path))
    assert str(excinfo.value).startswith(f"{path}:9:12: not valid Python")
    assert not Product.objects.exists()


def test_one_broken_recipe_in_a_directory_stops_the_whole_import(data_dir, tmp_path):
    packages = tmp_path / "packages"
    (packages / "good").mkdir(parents=True)
    (packages / "good" / "package.py").write_text(
        (data_dir / "spack/packages/sparsesolve/package.py").read_text()
    )
    (packages / "zbroken").mkdir()
    (packages / "zbroken" / "package.py").write_text("class Zbroken(Package:\n    pass\n")
    with pytest.raises(CommandError, match=r"zbroken/package.py:1:\d+: not valid Python"):
        run("import_spack_package", str(packages))
    assert not Product.objects.exists()


def test_a_file_without_a_package_class_is_an_error(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("x = 1\n")
    with pytest.raises(ImportError_, match="no package class found"):
        spack.read_package(path)


def test_an_unknown_community_is_an_error(data_dir, db):
    with pytest.raises(CommandError, match="no community 'nowhere'"):
        run(
            "import_spack_package",
            str(data_dir / "spack/packages/mathkit/package.py"),
            community="nowhere",
        )
    assert not Product.objects.exists()
