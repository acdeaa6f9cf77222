"""POST /api/v1/imports/ obeys the same permissions as the direct writes (DESIGN §5): per
section of a catalog file, and for a Spack recipe, a refused import answers 403 and leaves
every table exactly as it was; what the API allows, the import allows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
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
from spokes.models import Community, CommunityRole, Policy, PolicySet
from tests.conftest import make_assessment, make_product

pytestmark = pytest.mark.django_db

URL = reverse("api-import-list")

MODELS = (
    Product,
    Product.maintainers.through,
    Product.areas.through,
    Area,
    Dependency,
    Membership,
    Assessment,
    Stakeholder,
    ProductUse,
    Community,
    CommunityRole,
    PolicySet,
    Policy,
    Event,
    Product.history.model,
    Dependency.history.model,
    Membership.history.model,
    Assessment.history.model,
)


def snapshot() -> dict:
    """Every row of every model an import could touch."""
    return {m._meta.label: sorted(map(repr, m.objects.values())) for m in MODELS}


def post_catalog(client, text: str):
    upload = SimpleUploadedFile("catalog.yaml", text.encode())
    return client.post(URL, {"kind": "catalog", "file": upload}, format="multipart")


def post_recipe(client, text: str, **fields):
    upload = SimpleUploadedFile("package.py", text.encode())
    return client.post(URL, {"kind": "spack", "file": upload, **fields}, format="multipart")


def refused(client, text: str) -> dict:
    """Post the catalog; assert 403 and that nothing changed; return the answer."""
    before = snapshot()
    response = post_catalog(client, text)
    assert response.status_code == 403, response.json()
    assert snapshot() == before
    return response.json()


HEAD = "format: peso-catalog/1\n"


@pytest.fixture
def world(product, other_product, policy_set, lead, other_lead, stranger, hub_admin):
    """widget (alpha, maintained by `maintainer`), gadget (beta, by `other_maintainer`),
    each assessed `none` against the base set's P1, and a stakeholder."""
    p1 = policy_set.policies.get(code="P1")
    make_assessment(product, p1, "none")
    make_assessment(other_product, p1, "none")
    Stakeholder.objects.create(slug="olcf", name="OLCF", kind="facility")
    return {"widget": product, "gadget": other_product}


# --- refused: 403, nothing written --------------------------------------------------------


def test_a_strangers_catalog_import_is_refused(client_for, world, stranger):
    body = refused(client_for(stranger), HEAD + "products:\n- {slug: widget, name: Mine}\n")
    assert "hub admins and community leads" in body["detail"]


def test_a_foreign_lead_may_not_import_another_communitys_product(client_for, world, other_lead):
    body = refused(client_for(other_lead), HEAD + "products:\n- {slug: widget, name: Taken}\n")
    assert "'widget'" in body["detail"]


def test_a_lead_may_not_change_a_member_product_they_do_not_maintain(client_for, world, lead):
    """Through the API a lead assesses their members but edits only what they maintain."""
    text = HEAD + "products:\n- {slug: widget, name: Widget, summary: Rewritten}\n"
    body = refused(client_for(lead), text)
    assert body["detail"].startswith("catalog.yaml:3:3: product 'widget'")


def test_a_lead_may_not_add_maintainers(client_for, world, lead, maintainer, stranger):
    world["widget"].maintainers.add(lead)
    text = (
        HEAD + "products:\n- slug: widget\n  name: Widget\n"
        "  maintainers: [maintainer, lead, stranger]\n"
    )
    body = refused(client_for(lead), text)
    assert "maintainers" in body["detail"]


def test_a_lead_may_not_name_others_as_maintainers_of_a_new_product(client_for, world, lead):
    text = HEAD + "products:\n- {slug: fresh, name: Fresh, maintainers: [stranger]}\n"
    assert "maintainers" in refused(client_for(lead), text)["detail"]


@pytest.mark.parametrize(
    "membership",
    [
        "{product: gadget, community: alpha}",  # a product of another community joins
        "{product: widget, community: alpha, state: offramped, left_at: '2025-01-01'}",
        "{product: fresh, community: alpha}",  # a new product joins with no onramp
    ],
)
def test_a_lead_may_not_create_or_change_a_membership(client_for, world, lead, membership):
    world["widget"].maintainers.add(lead)
    text = HEAD + "products:\n- {slug: fresh, name: Fresh}\nmemberships:\n- " + membership + "\n"
    body = refused(client_for(lead), text)
    assert "onramp" in body["detail"]


def test_a_lead_may_not_rewrite_another_communitys_assessments(client_for, world, lead):
    text = HEAD + "assessments:\n- {product: gadget, policy_set: base, policy: P1, status: full}\n"
    body = refused(client_for(lead), text)
    assert body["detail"].startswith("catalog.yaml:3:3: assessment of 'gadget'")


def test_a_lead_may_not_sign_an_assessment_in_someone_elses_name(client_for, world, lead):
    """As through the API, the assessor is whoever makes the write."""
    text = (
        HEAD + "assessments:\n- {product: widget, policy_set: base, policy: P1, status: full,"
        " assessed_by: maintainer}\n"
    )
    assert "assessed_by" in refused(client_for(lead), text)["detail"]


def test_a_lead_may_keep_an_assessments_recorded_assessor(client_for, world, lead, maintainer):
    Assessment.objects.filter(product=world["widget"]).update(assessed_by=maintainer)
    text = (
        HEAD + "assessments:\n- {product: widget, policy_set: base, policy: P1, status: full,"
        " assessed_by: maintainer}\n"
    )
    response = post_catalog(client_for(lead), text)
    assert response.status_code == 200, response.json()
    assert Assessment.objects.get(product=world["widget"]).status == "full"


def test_a_lead_may_not_change_dependencies_of_a_product_they_do_not_maintain(
    client_for, world, lead
):
    text = HEAD + "dependencies:\n- {product: widget, depends_on: gadget}\n"
    assert "dependencies" in refused(client_for(lead), text)["detail"]


def test_a_lead_may_not_record_uses_of_another_communitys_product(client_for, world, lead):
    text = HEAD + "uses:\n- {product: gadget, stakeholder: olcf}\n"
    assert "'gadget'" in refused(client_for(lead), text)["detail"]


def test_one_refused_record_refuses_the_whole_file(client_for, world, lead):
    """The product row alone would be allowed (they maintain widget); its offramp is not."""
    world["widget"].maintainers.add(lead)
    text = (
        HEAD + "products:\n- {slug: widget, name: Widget, summary: Allowed alone}\n"
        "memberships:\n- {product: widget, community: alpha, state: offramped}\n"
    )
    refused(client_for(lead), text)


# --- Spack: one resolution rule, which a stranger's spack_package cannot capture ---------

PETSC = '''from spack.package import *


class Petsc(Package):
    """Portable, Extensible Toolkit for Scientific Computation."""

    homepage = "https://petsc.org"
    git = "https://gitlab.com/petsc/petsc.git"

    version("3.22.0")
    depends_on("gadget")
'''


@pytest.fixture
def squat(world, stranger):
    """A stranger's product claiming the Spack name `petsc`, its gaps waiting to be filled."""
    return make_product(
        "squat", maintainers=[stranger], spack_package="petsc", homepage="", repository_url=""
    )


def _rows_of(product: Product) -> tuple:
    return (
        list(Product.objects.filter(pk=product.pk).values()),
        list(Dependency.objects.filter(product=product).values()),
        list(Membership.objects.filter(product=product).values()),
    )


def test_a_squatted_spack_name_does_not_capture_a_hub_admins_import(client_for, squat, hub_admin):
    before = _rows_of(squat)
    response = post_recipe(client_for(hub_admin), PETSC, community="alpha")
    assert response.status_code == 200, response.json()
    assert _rows_of(squat) == before
    petsc = Product.objects.get(slug="petsc")
    assert petsc.homepage == "https://petsc.org"
    assert Membership.objects.filter(product=petsc, community__slug="alpha").exists()
    assert Dependency.objects.filter(product=petsc, depends_on__slug="gadget").exists()


def test_a_squatted_spack_name_does_not_capture_a_leads_import(client_for, squat, lead):
    before = _rows_of(squat)
    response = post_recipe(client_for(lead), PETSC)
    assert response.status_code == 200, response.json()
    assert _rows_of(squat) == before
    assert Product.objects.filter(slug="petsc", homepage="https://petsc.org").exists()


def test_a_spack_name_claimed_by_an_active_member_resolves_to_it(client_for, world, hub_admin):
    """A claim an approved onramp has vetted counts (widget is a member of alpha)."""
    Product.objects.filter(pk=world["widget"].pk).update(spack_package="petsc", homepage="")
    response = post_recipe(client_for(hub_admin), PETSC)
    assert response.status_code == 200, response.json()
    assert not Product.objects.filter(slug="petsc").exists()
    assert Product.objects.get(slug="widget").homepage == "https://petsc.org"


def test_a_lead_may_not_import_a_recipe_for_a_member_they_do_not_maintain(client_for, world, lead):
    before = snapshot()
    response = post_recipe(client_for(lead), PETSC, product="widget")
    assert response.status_code == 403
    assert snapshot() == before


def test_a_lead_may_not_add_a_membership_through_a_recipe(client_for, world, lead):
    before = snapshot()
    response = post_recipe(client_for(lead), PETSC, community="alpha")
    assert response.status_code == 403
    assert "onramp" in response.json()["detail"]
    assert snapshot() == before


# --- allowed: what the API allows ---------------------------------------------------------


def test_a_hub_admin_imports_every_section(client_for, world, hub_admin, stranger):
    text = (
        HEAD + "products:\n- {slug: gadget, name: Gadget, maintainers: [stranger]}\n"
        "dependencies:\n- {product: gadget, depends_on: widget}\n"
        "memberships:\n- {product: gadget, community: alpha}\n"
        "assessments:\n- {product: gadget, policy_set: base, policy: P1, status: full}\n"
        "uses:\n- {product: gadget, stakeholder: olcf}\n"
    )
    response = post_catalog(client_for(hub_admin), text)
    assert response.status_code == 200, response.json()
    gadget = world["gadget"]
    assert list(gadget.maintainers.all()) == [stranger]
    assert Membership.objects.filter(product=gadget, community__slug="alpha").exists()
    assert Assessment.objects.get(product=gadget, policy__code="P1").status == "full"


def test_a_lead_who_maintains_a_member_imports_what_the_api_lets_them_write(
    client_for, world, lead, maintainer
):
    widget = world["widget"]
    widget.maintainers.add(lead)
    joined = widget.memberships.get().joined_at
    text = (
        HEAD + "products:\n- slug: widget\n  name: Widget\n  summary: Imported\n"
        "  maintainers: [maintainer, lead]\n"
        "- {slug: fresh, name: Fresh, maintainers: [lead]}\n"
        "dependencies:\n- {product: widget, depends_on: gadget}\n"
        "- {product: fresh, depends_on: widget}\n"
        f"memberships:\n- {{product: widget, community: alpha, state: active, "
        f"joined_at: {joined.isoformat() if joined else 'null'}}}\n"
        "assessments:\n- {product: widget, policy_set: base, policy: P1, status: full}\n"
        "uses:\n- {product: widget, stakeholder: olcf}\n"
    )
    response = post_catalog(client_for(lead), text)
    assert response.status_code == 200, response.json()
    assert response.json()["changes"]["memberships"]["unchanged"] == 1
    assert Product.objects.get(slug="widget").summary == "Imported"
    assert list(Product.objects.get(slug="fresh").maintainers.all()) == [lead]
    assert Dependency.objects.filter(product=widget, depends_on__slug="gadget").exists()
    assert Assessment.objects.get(product=widget, policy__code="P1").status == "full"
    assert ProductUse.objects.filter(product=widget, stakeholder__slug="olcf").exists()


def test_a_lead_assesses_their_members_without_maintaining_them(client_for, world, lead):
    """The API's can_assess: a lead reviews the members of their community."""
    text = HEAD + "assessments:\n- {product: widget, policy_set: base, policy: P1, status: full}\n"
    response = post_catalog(client_for(lead), text)
    assert response.status_code == 200, response.json()
    assert Assessment.objects.get(product=world["widget"], policy__code="P1").status == "full"


def test_a_lead_imports_the_recipe_of_a_member_they_maintain(client_for, world, lead):
    world["widget"].maintainers.add(lead)
    Product.objects.filter(pk=world["widget"].pk).update(description="")
    response = post_recipe(client_for(lead), PETSC, product="widget", community="alpha")
    assert response.status_code == 200, response.json()
    assert response.json()["changes"]["memberships"]["unchanged"] == 1
    assert Product.objects.get(slug="widget").description.startswith("Portable")
