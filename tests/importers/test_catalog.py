"""import_catalog / export_catalog: strict validation, upsert, dry run, round trip."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from events.log import Verb
from events.models import Event
from products.importers import catalog
from products.importers.errors import ImportError_
from products.models import (
    Area,
    Assessment,
    Dependency,
    Membership,
    Product,
    ProductUse,
    Stakeholder,
)
from spokes.models import Community, Policy, PolicySet
from tests.conftest import (
    make_assessment,
    make_community,
    make_dependency,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db


def run(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Community,
            PolicySet,
            Policy,
            Product,
            Dependency,
            Membership,
            Assessment,
            Event,
            Area,
            Stakeholder,
            ProductUse,
        )
    }


# --- importing --------------------------------------------------------------------------


def test_a_catalog_file_creates_products_dependencies_memberships_and_assessments(
    community, data_dir
):
    out, _ = run("import_catalog", str(data_dir / "catalog/small.yaml"))

    mathkit = Product.objects.get(slug="mathkit")
    assert mathkit.name == "MathKit"
    assert sorted(a.name for a in mathkit.areas.all()) == ["Math libraries", "Solvers"]
    dep = Dependency.objects.get(product=mathkit)
    assert (dep.depends_on.slug, dep.kind, dep.when, dep.source) == (
        "sparsesolve",
        "optional",
        "+sparse",
        "spack",
    )
    membership = Membership.objects.get(product=mathkit)
    assert membership.community == community
    assert membership.joined_at == datetime.date(2024, 3, 1)
    assessment = Assessment.objects.get(product=mathkit)
    assert assessment.policy.code == "P1"
    assert assessment.status == "partial"
    assert assessment.assessed_at == datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)
    assert "products: 2 created, 0 updated, 0 unchanged" in out
    assert "assessments: 1 created" in out


def test_importing_the_same_file_again_changes_nothing(community, data_dir):
    run("import_catalog", str(data_dir / "catalog/small.yaml"))
    out, _ = run("import_catalog", str(data_dir / "catalog/small.yaml"))
    assert "products: 0 created, 0 updated, 2 unchanged" in out
    assert "memberships: 0 created, 0 updated, 1 unchanged" in out
    assert "assessments: 0 created, 0 updated, 1 unchanged" in out


def test_an_import_updates_existing_products_and_leaves_unlisted_fields_alone(community, tmp_path):
    make_product("mathkit", description="Kept as it is.", license="MIT")
    path = tmp_path / "update.yaml"
    path.write_text("format: peso-catalog/1\nproducts:\n- slug: mathkit\n  name: MathKit 2\n")
    out, _ = run("import_catalog", str(path), verbosity=2)
    product = Product.objects.get(slug="mathkit")
    assert product.name == "MathKit 2"
    assert product.description == "Kept as it is."
    assert product.license == "MIT"
    assert "products: 0 created, 1 updated, 0 unchanged" in out
    assert "updated product: mathkit" in out
    assert product.history.count() == 2


def test_a_dry_run_reports_the_changes_and_writes_nothing(community, data_dir):
    before = counts()
    out, _ = run("import_catalog", str(data_dir / "catalog/small.yaml"), dry_run=True)
    assert "products: 2 created" in out
    assert "dry run: nothing was written" in out
    assert counts() == before


def test_an_import_records_one_catalog_imported_event_with_the_counts(community, data_dir):
    run("import_catalog", str(data_dir / "catalog/small.yaml"))
    event = Event.objects.get(verb=Verb.CATALOG_IMPORTED)
    assert event.data["kind"] == "catalog"
    assert event.data["changes"]["products"]["created"] == 2


BAD_FILES = [
    ("malformed.yaml", 5, 10, "invalid YAML"),
    ("malformed.json", 4, 43, "invalid JSON: Expecting property name"),
    ("unknown_field.yaml", 5, 3, "unknown field 'homepages' in product"),
    ("wrong_type.yaml", 5, 10, "'areas' must be a list of strings, not a string"),
    ("wrong_type.json", 13, 19, "'inferred' must be true or false, not a string"),
    ("missing_ref.yaml", 7, 15, "product 'no-such-product' is neither in the file nor"),
]


@pytest.mark.parametrize(("name", "line", "column", "reason"), BAD_FILES)
def test_a_bad_file_is_rejected_with_file_line_and_reason_and_nothing_is_written(
    community, data_dir, name, line, column, reason
):
    path = data_dir / "catalog" / name
    before = counts()
    with pytest.raises(CommandError) as excinfo:
        run("import_catalog", str(path))
    message = str(excinfo.value)
    assert message.startswith(f"{path}:{line}:{column}: "), message
    assert reason in message
    assert counts() == before


def test_every_problem_in_a_file_is_reported_not_only_the_first(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(
        "format: peso-catalog/1\n"
        "products:\n"
        "- slug: a\n"
        "  name: A\n"
        "  colour: red\n"
        "- slug: b\n"
        "  name: 12\n"
        "- name: C\n"
    )
    with pytest.raises(ImportError_) as excinfo:
        catalog.load_path(str(path))
    reasons = [(p.line, p.reason) for p in excinfo.value.errors]
    assert reasons[0][0] == 5 and "unknown field 'colour'" in reasons[0][1]
    assert reasons[1][0] == 7 and "'name' must be a string, not a number" in reasons[1][1]
    assert reasons[2][0] == 8 and "missing the required field 'slug'" in reasons[2][1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("format: peso-catalog/2\n", "'format' must be 'peso-catalog/1'"),
        ("products: []\n", "missing 'format: peso-catalog/1'"),
        ("format: peso-catalog/1\nproduct: []\n", "unknown top-level key 'product'"),
        ("- 1\n- 2\n", "must be a mapping"),
        (
            "format: peso-catalog/1\nproducts:\n- {slug: a, name: A}\n- {slug: a, name: B}\n",
            "duplicate product slug (first at line 3)",
        ),
        ("format: peso-catalog/1\nformat: x\n", "duplicate key 'format'"),
        (
            "format: peso-catalog/1\nproducts:\n- {slug: a, name: A, homepage: 'not a url'}\n",
            "'homepage' 'not a url' is not a valid URL",
        ),
        (
            "format: peso-catalog/1\nmemberships:\n- {product: a, community: b, "
            "joined_at: 'March 2020'}\n",
            "'joined_at' must be a date",
        ),
        (
            "format: peso-catalog/1\nassessments:\n- {product: a, policy_set: s, policy: P1, "
            "status: na}\n",
            "status 'na' needs a justification",
        ),
        (
            "format: peso-catalog/1\npolicy_sets:\n- {slug: s, name: S, version: 1.0}\n",
            "'version' must be a string, not a number (quote it)",
        ),
        (
            "format: peso-catalog/1\nproducts:\n- {slug: 'not a slug', name: A}\n",
            "is not a slug",
        ),
        (
            "format: peso-catalog/1\nstakeholders:\n- {slug: olcf, name: OLCF, type: x}\n",
            "unknown field 'type' in stakeholder",
        ),
        (
            "format: peso-catalog/1\nstakeholders:\n- {slug: olcf, name: OLCF, kind: lab}\n",
            "'kind' must be one of facility, application",
        ),
        (
            "format: peso-catalog/1\nuses:\n- {product: a, stakeholder: s, users: 3}\n",
            "unknown field 'users' in use",
        ),
        (
            "format: peso-catalog/1\nuses:\n- {product: a}\n",
            "use is missing the required field 'stakeholder'",
        ),
        (
            "format: peso-catalog/1\nuses:\n- {product: a, stakeholder: s}\n"
            "- {product: a, stakeholder: s}\n",
            "duplicate use (first at line 3)",
        ),
    ],
)
def test_strict_validation_explains_what_is_wrong(text, reason):
    with pytest.raises(ImportError_) as excinfo:
        catalog.load(text, "inline.yaml")
    assert reason in str(excinfo.value)
    assert str(excinfo.value).startswith("inline.yaml:")


def test_an_unknown_maintainer_username_is_an_error(tmp_path, db):
    path = tmp_path / "users.yaml"
    path.write_text(
        "format: peso-catalog/1\nproducts:\n- slug: a\n  name: A\n  maintainers: [nobody]\n"
    )
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run("import_catalog", str(path))
    assert not Product.objects.exists()


def test_maintainers_are_set_by_username(tmp_path, db):
    alice = make_user("alice")
    path = tmp_path / "users.yaml"
    path.write_text(
        "format: peso-catalog/1\nproducts:\n- slug: a\n  name: A\n  maintainers: [alice]\n"
    )
    run("import_catalog", str(path))
    assert list(Product.objects.get(slug="a").maintainers.all()) == [alice]


def test_a_reference_to_a_policy_the_set_does_not_have_is_an_error(policy_set, tmp_path):
    make_product("a")
    path = tmp_path / "a.yaml"
    path.write_text(
        "format: peso-catalog/1\nassessments:\n"
        "- {product: a, policy_set: base, policy: P99, status: full}\n"
    )
    with pytest.raises(CommandError, match=r"a.yaml:3:\d+: policy set 'base' version 1.0 has"):
        run("import_catalog", str(path))


def test_a_use_of_an_unknown_stakeholder_is_an_error_with_its_line(product, tmp_path):
    path = tmp_path / "uses.yaml"
    path.write_text("format: peso-catalog/1\nuses:\n- product: widget\n  stakeholder: nobody\n")
    with pytest.raises(CommandError) as excinfo:
        run("import_catalog", str(path))
    message = str(excinfo.value)
    assert message.startswith(f"{path}:4:16: "), message
    assert "stakeholder 'nobody' is neither in the file nor in the registry" in message
    assert not ProductUse.objects.exists()


def test_an_error_found_late_rolls_back_everything(community, tmp_path):
    """Reference errors are found before any write, and the transaction guards the rest."""
    path = tmp_path / "late.yaml"
    path.write_text(
        "format: peso-catalog/1\n"
        "products:\n- {slug: fresh, name: Fresh}\n"
        "memberships:\n- {product: fresh, community: nowhere}\n"
    )
    with pytest.raises(CommandError, match="community 'nowhere'"):
        run("import_catalog", str(path))
    assert not Product.objects.filter(slug="fresh").exists()


def test_progress_is_shown_on_stderr(community, data_dir):
    _, err = run("import_catalog", str(data_dir / "catalog/small.yaml"))
    assert "products 2/2" in err


def test_a_thousand_products_import_in_one_go_and_reimport_unchanged(tmp_path, community):
    data = {
        "format": catalog.FORMAT,
        "products": [
            {
                "slug": f"pkg-{i:04d}",
                "name": f"Package {i}",
                "summary": f"Package number {i}",
                "areas": [f"Area {i % 7}"],
            }
            for i in range(1000)
        ],
        "dependencies": [
            {"product": f"pkg-{i:04d}", "depends_on": f"pkg-{i - 1:04d}"} for i in range(1, 1000)
        ],
        "memberships": [
            {"product": f"pkg-{i:04d}", "community": "alpha", "joined_at": "2024-01-01"}
            for i in range(1000)
        ],
        "assessments": [
            {"product": f"pkg-{i:04d}", "policy_set": "base", "policy": "P1", "status": "full"}
            for i in range(1000)
        ],
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data, indent=1))
    out, _ = run("import_catalog", str(path))
    assert "products: 1000 created" in out
    assert Product.objects.count() == 1000
    assert Dependency.objects.count() == 999
    assert Membership.objects.filter(community=community).count() == 1000
    assert Assessment.objects.count() == 1000
    assert Area.objects.count() == 7
    assert Product.history.count() == 1000
    out, _ = run("import_catalog", str(path))
    assert "products: 0 created, 0 updated, 1000 unchanged" in out
    assert "assessments: 0 created, 0 updated, 1000 unchanged" in out


# --- round trip -------------------------------------------------------------------------


def build_world() -> None:
    """A catalog that exercises every field of the format."""
    alice, bob = make_user("alice"), make_user("bob")
    e4s = make_policy_set(
        "e4s",
        name="E4S Community Policies",
        version="1.0",
        adopted="2020-10",
        description="The hub's policies.",
        sources=["https://e4s.io/policies"],
    )
    p1 = make_policy(e4s, "P1", title="Spack-based Build", source_url="https://e4s.io/p1")
    make_policy(e4s, "P2", title="Minimal Validation Testing")
    hub = make_community(
        "peso",
        name="PESO",
        kind=Community.Kind.HUB,
        policy_set=e4s,
        sources=["https://pesoproject.org"],
    )
    e4s.owner = hub
    e4s.save()
    spoke = make_community(
        "xsdk",
        name="xSDK",
        full_name="Extreme-scale Scientific Software Development Kit",
        summary="Math libraries.",
        website="https://xsdk.info",
        charter="# Charter\n\nMembers meet the xSDK policies.\n\n- one\n- two\n",
        status=Community.Status.ACTIVE,
        status_note="Active since 2014.",
        requires_interoperability=True,
    )
    make_community("sciml", name="SciML", status=Community.Status.FORMING)
    xsdk = make_policy_set("xsdk", version="1.0.0", base=e4s, owner=spoke)
    make_policy(xsdk, "M1", title="Spack installation", adapts=p1, summary="Our words.")
    m10 = make_policy(xsdk, "M10", title="Public repository")
    make_policy(xsdk, "M2", title="Test suite")
    r1 = make_policy(xsdk, "R1", title="Smoke test", level=Policy.Level.RECOMMENDED)
    old_r1 = make_policy(xsdk, "R1", version="0.6.0", title="Have a public repository")
    spoke.policy_set = xsdk
    spoke.save()

    petsc = make_product(
        "petsc",
        name="PETSc",
        description="Long text\nover two lines.",
        documentation_url="https://petsc.org/docs",
        maintainers=[alice, bob],
        facts={"spack_packages": ["petsc", "py-petsc4py"], "e4s": {"smoke": "Present"}},
    )
    petsc.areas.add(Area.objects.create(slug="math", name="Math libraries"))
    hypre = make_product("hypre", name="hypre")
    alquimia = make_product("alquimia", name="Alquimia", contact_email="")
    make_dependency(petsc, hypre, kind="optional", when="+hypre", source="spack")
    make_dependency(alquimia, petsc, source="import", note="from the bundle")
    make_membership(petsc, spoke, joined_at=datetime.date(2018, 1, 1), source="xsdk.info")
    make_membership(hypre, hub)
    make_membership(
        alquimia,
        spoke,
        state=Membership.State.OFFRAMPED,
        joined_at=datetime.date(2018, 1, 1),
        left_at=datetime.date(2023, 12, 1),
        reason="dropped from the 1.1.0 release",
        support_organization="Its own team",
        end_of_support=datetime.date(2030, 1, 1),
        migration_notes="Use PFLOTRAN directly.",
        successor=petsc,
        source="inferred",
        inferred=True,
        note="Bundle limits it to xSDK <= 1.0.0.",
    )
    make_membership(alquimia, spoke, joined_at=datetime.date(2025, 6, 1))
    make_assessment(
        petsc,
        m10,
        "full",
        evidence_url="https://github.com/petsc/petsc",
        assessed_by=alice,
        assessed_at=datetime.datetime(2024, 2, 3, 4, 5, 6, 789, tzinfo=datetime.UTC),
        source="imported",
    )
    make_assessment(petsc, r1, "partial", justification="Only some tests.")
    make_assessment(petsc, old_r1, "full")
    make_assessment(hypre, p1, "na", justification="Not relevant.", source="reviewer")
    olcf = Stakeholder.objects.create(
        slug="olcf",
        name="Oak Ridge Leadership Computing Facility",
        kind=Stakeholder.Kind.FACILITY,
        website="https://www.olcf.ornl.gov",
        summary="Home of Frontier.\nAnd of Summit before it.",
    )
    Stakeholder.objects.create(slug="acme", name="Acme", kind=Stakeholder.Kind.VENDOR)
    ProductUse.objects.create(
        product=petsc,
        stakeholder=olcf,
        note="Deployed on Frontier.",
        contact="help@olcf.ornl.gov",
        source="https://www.olcf.ornl.gov/software",
    )
    ProductUse.objects.create(product=hypre, stakeholder=olcf)


def wipe_catalog() -> None:
    ProductUse.objects.all().delete()
    Stakeholder.objects.all().delete()
    Assessment.objects.all().delete()
    Membership.objects.all().delete()
    Dependency.objects.all().delete()
    Product.objects.all().delete()
    Area.objects.all().delete()
    Community.objects.update(policy_set=None)
    Policy.objects.update(adapts=None)
    Policy.objects.all().delete()
    PolicySet.objects.exclude(base=None).delete()
    PolicySet.objects.all().delete()
    Community.objects.all().delete()


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_import_into_an_empty_database_then_export_is_identical(db, tmp_path, fmt):
    build_world()
    first = tmp_path / f"first.{fmt}"
    run("export_catalog", format=fmt, output=str(first))
    wipe_catalog()
    assert not Product.objects.exists() and not PolicySet.objects.exists()

    run("import_catalog", str(first))
    second, _ = run("export_catalog", format=fmt)

    assert second == first.read_text()
    assert Stakeholder.objects.count() == 2
    use = ProductUse.objects.get(product__slug="petsc")
    assert (use.stakeholder.slug, use.note, use.contact) == (
        "olcf",
        "Deployed on Frontier.",
        "help@olcf.ornl.gov",
    )
    data = json.loads(second) if fmt == "json" else None
    if data:
        assert [m["state"] for m in data["memberships"] if m["product"] == "alquimia"] == [
            "offramped",
            "active",
        ]


def test_importing_an_export_into_the_same_database_changes_nothing(db, tmp_path):
    build_world()
    path = tmp_path / "catalog.yaml"
    run("export_catalog", output=str(path))
    out, _ = run("import_catalog", str(path))
    for line in out.splitlines():
        assert " 0 created, 0 updated" in line, line


def test_the_export_is_deterministic_and_sorted(db):
    build_world()
    first, _ = run("export_catalog")
    second, _ = run("export_catalog")
    assert first == second
    data = json.loads(run("export_catalog", format="json")[0])
    assert [p["slug"] for p in data["products"]] == ["alquimia", "hypre", "petsc"]
    assert [c["slug"] for c in data["communities"]] == ["peso", "sciml", "xsdk"]
    petsc = data["products"][2]
    assert petsc["maintainers"] == ["alice", "bob"]
    assert petsc["facts"]["spack_packages"] == ["petsc", "py-petsc4py"]
    m1 = next(p for p in data["policy_sets"][1]["policies"] if p["code"] == "M1")
    assert m1["adapts"] == "P1"


def test_a_community_export_holds_its_members_and_policy_sets(db):
    build_world()
    data = json.loads(run("export_catalog", format="json", community="xsdk")[0])
    assert [p["slug"] for p in data["products"]] == ["alquimia", "petsc"]
    assert {s["slug"] for s in data["policy_sets"]} == {"e4s", "xsdk"}
    assert {c["slug"] for c in data["communities"]} == {"peso", "xsdk"}
    assert {m["community"] for m in data["memberships"]} == {"xsdk"}
    assert data["dependencies"] == [
        {
            "product": "alquimia",
            "depends_on": "petsc",
            "kind": "required",
            "when": "",
            "source": "import",
            "note": "from the bundle",
        }
    ]


def test_exporting_an_unknown_community_is_an_error(db):
    with pytest.raises(CommandError, match="no community 'nope'"):
        run("export_catalog", community="nope")


def test_json_and_yaml_exports_hold_the_same_data(db):
    build_world()
    import yaml

    from_yaml = yaml.safe_load(run("export_catalog")[0])
    from_json = json.loads(run("export_catalog", format="json")[0])
    assert from_yaml == from_json
    assert Path  # keep the import used


def _catalog_of(n: int) -> str:
    data = {
        "format": catalog.FORMAT,
        "products": [{"slug": f"p{i}", "name": f"P{i}", "areas": ["Solvers"]} for i in range(n)],
        "dependencies": [{"product": f"p{i}", "depends_on": "p0"} for i in range(1, n)],
        "memberships": [{"product": f"p{i}", "community": "alpha"} for i in range(n)],
        "assessments": [
            {"product": f"p{i}", "policy_set": "base", "policy": "P1", "status": "full"}
            for i in range(n)
        ],
    }
    return json.dumps(data)


def test_the_number_of_queries_does_not_grow_with_the_number_of_rows(community):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Area.objects.create(slug="solvers", name="Solvers")
    small, large = catalog.load(_catalog_of(20), "s.json"), catalog.load(_catalog_of(300), "l.json")
    with CaptureQueriesContext(connection) as few:
        catalog.import_catalog(small, dry_run=True)
    with CaptureQueriesContext(connection) as many:
        catalog.import_catalog(large, dry_run=True)
    assert len(many) == len(few)
