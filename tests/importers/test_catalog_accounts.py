"""Export → import into an empty registry when the catalog names maintainers and assessors:
``import_catalog --create-accounts`` (API: ``create_accounts``) creates each named account
the registry lacks, inactive and with an unusable password, in the import's transaction;
without it an unknown username is refused as before; only a hub admin may ask for it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from events.models import Event
from products.models import (
    Area,
    Assessment,
    Dependency,
    Membership,
    Product,
    ProductUse,
    Stakeholder,
)
from products.seed_loader import load_seed
from spokes.models import Community, CommunityRole, GovernanceBody, Policy, PolicySet
from tests.conftest import make_assessment, make_product, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()
URL = reverse("api-import-list")


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def wipe_registry() -> None:
    """Back to an empty registry: no catalog rows, no accounts."""
    ProductUse.objects.all().delete()
    Stakeholder.objects.all().delete()
    Assessment.objects.all().delete()
    Membership.objects.all().delete()
    Dependency.objects.all().delete()
    Product.objects.all().delete()
    Area.objects.all().delete()
    GovernanceBody.objects.all().delete()
    CommunityRole.objects.all().delete()
    Community.objects.update(policy_set=None)
    Policy.objects.update(adapts=None)
    Policy.objects.all().delete()
    PolicySet.objects.exclude(base=None).delete()
    PolicySet.objects.all().delete()
    Community.objects.all().delete()
    Event.objects.all().delete()
    User.objects.all().delete()


@pytest.fixture
def seeded_export(tmp_path):
    """The real seed, with maintainers and assessors: (exported file, usernames named)."""
    load_seed()
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    petsc, hypre = Product.objects.get(slug="petsc"), Product.objects.get(slug="hypre")
    petsc.maintainers.add(alice, bob)
    hypre.maintainers.add(bob)
    assessment = Assessment.objects.filter(product=petsc).order_by("pk").first()
    assessment.assessed_by = carol
    assessment.save()
    m1 = Policy.objects.filter(policy_set__slug="xsdk", code="M1").order_by("-version").first()
    make_assessment(make_product("newcomer", maintainers=[carol]), m1, "full", assessed_by=alice)
    path = tmp_path / "catalog.yaml"
    run("export_catalog", output=str(path))
    return path, {"alice", "bob", "carol"}


def test_an_export_imports_into_an_empty_registry_creating_the_accounts_it_names(seeded_export):
    path, usernames = seeded_export
    before = {
        "products": Product.objects.count(),
        "memberships": Membership.objects.count(),
        "assessments": Assessment.objects.count(),
        "maintainers": Product.maintainers.through.objects.count(),
    }
    wipe_registry()
    assert not User.objects.exists() and not Product.objects.exists()

    out = run("import_catalog", str(path), create_accounts=True)

    assert "accounts: 3 created, 0 updated, 0 unchanged" in out
    assert run("export_catalog") == path.read_text()
    assert before == {
        "products": Product.objects.count(),
        "memberships": Membership.objects.count(),
        "assessments": Assessment.objects.count(),
        "maintainers": Product.maintainers.through.objects.count(),
    }
    assert {u.username for u in Product.objects.get(slug="petsc").maintainers.all()} == {
        "alice",
        "bob",
    }
    assert Assessment.objects.filter(assessed_by__username="carol", product__slug="petsc")
    accounts = User.objects.all()
    assert {u.username for u in accounts} == usernames
    for user in accounts:
        assert not user.is_active
        assert not user.has_usable_password()
        assert not user.is_staff and not user.is_superuser


def test_without_the_option_unknown_accounts_are_refused_with_file_line_and_reason(
    seeded_export,
):
    path, _ = seeded_export
    wipe_registry()

    with pytest.raises(CommandError) as excinfo:
        run("import_catalog", str(path))

    message = str(excinfo.value)
    assert f"{path}:" in message
    assert "no user named 'alice'" in message
    assert "user 'carol' is neither in the file nor in the registry" in message
    assert not Product.objects.exists() and not User.objects.exists()


def test_existing_accounts_are_used_as_they_are_and_only_missing_ones_created(tmp_path, db):
    alice = make_user("alice")
    path = tmp_path / "users.yaml"
    path.write_text(
        "format: peso-catalog/1\nproducts:\n- slug: a\n  name: A\n  maintainers: [alice, zoe]\n"
    )

    out = run("import_catalog", str(path), create_accounts=True)

    assert "accounts: 1 created, 0 updated, 1 unchanged" in out
    alice.refresh_from_db()
    assert alice.is_active and alice.has_usable_password()
    zoe = User.objects.get(username="zoe")
    assert not zoe.is_active and not zoe.has_usable_password()
    assert {u.username for u in Product.objects.get(slug="a").maintainers.all()} == {
        "alice",
        "zoe",
    }


def test_a_failed_import_creates_no_account(tmp_path, db):
    path = tmp_path / "late.yaml"
    path.write_text(
        "format: peso-catalog/1\n"
        "products:\n- {slug: fresh, name: Fresh, maintainers: [zoe]}\n"
        "memberships:\n- {product: fresh, community: nowhere}\n"
    )
    with pytest.raises(CommandError, match="community 'nowhere'"):
        run("import_catalog", str(path), create_accounts=True)
    assert not User.objects.exists() and not Product.objects.exists()


def test_a_dry_run_counts_the_accounts_and_creates_none(tmp_path, db):
    path = tmp_path / "users.yaml"
    path.write_text("format: peso-catalog/1\nproducts:\n- {slug: a, name: A, maintainers: [zoe]}\n")
    out = run("import_catalog", str(path), create_accounts=True, dry_run=True)
    assert "accounts: 1 created" in out
    assert not User.objects.exists()


def test_a_username_the_registry_would_not_accept_is_an_error_with_its_line(tmp_path, db):
    path = tmp_path / "users.yaml"
    path.write_text(
        "format: peso-catalog/1\nproducts:\n- slug: a\n  name: A\n  maintainers: ['no spaces']\n"
    )
    with pytest.raises(CommandError) as excinfo:
        run("import_catalog", str(path), create_accounts=True)
    assert str(excinfo.value).startswith(f"{path}:5:")
    assert "cannot create an account named 'no spaces'" in str(excinfo.value)
    assert not User.objects.exists()


# --- through the API --------------------------------------------------------------------

CATALOG = "format: peso-catalog/1\nproducts:\n- slug: fresh\n  name: Fresh\n  maintainers: [zoe]\n"


def post(client, text: str = CATALOG, **fields):
    upload = SimpleUploadedFile("catalog.yaml", text.encode())
    return client.post(URL, {"kind": "catalog", "file": upload, **fields}, format="multipart")


def test_a_hub_admin_imports_creating_the_accounts(client_for, hub_admin):
    response = post(client_for(hub_admin), create_accounts="true")
    assert response.status_code == 200, response.json()
    assert response.json()["changes"]["accounts"]["created"] == 1
    zoe = User.objects.get(username="zoe")
    assert not zoe.is_active and not zoe.has_usable_password()
    assert list(Product.objects.get(slug="fresh").maintainers.all()) == [zoe]


def test_through_the_api_an_unknown_account_is_refused_without_the_option(client_for, hub_admin):
    response = post(client_for(hub_admin))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["file"], error["line"], error["reason"]) == (
        "catalog.yaml",
        5,
        "no user named 'zoe'",
    )
    assert not Product.objects.exists()


def test_a_lead_may_not_create_accounts(client_for, lead):
    users, events = User.objects.count(), Event.objects.count()
    response = post(client_for(lead), create_accounts="true")
    assert response.status_code == 403
    assert "Only hub admins may create accounts" in response.json()["detail"]
    assert (User.objects.count(), Event.objects.count()) == (users, events)
    assert not Product.objects.exists()


def test_a_stranger_may_not_create_accounts(client_for, stranger):
    response = post(client_for(stranger), create_accounts="true")
    assert response.status_code == 403
    assert not User.objects.filter(username="zoe").exists()
    assert not Product.objects.exists()
