"""The seeded catalog: real facts land in the database, and loading is idempotent."""

from __future__ import annotations

from collections import Counter
from xml.etree import ElementTree

import pytest
import yaml
from django.utils.html import escape

from events.models import Event
from products.models import Assessment, Dependency, Membership, Product
from products.seed_loader import SEED_PATH, load_seed
from spokes.models import Community, GovernanceBody, Policy, PolicySet

DROPPED_FROM_XSDK_1_1_0 = ("alquimia", "pflotran", "exago")


@pytest.fixture(scope="module")
def seed_data() -> dict:
    return yaml.safe_load(SEED_PATH.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_the_hub_and_six_spokes_are_seeded_with_their_names(seeded):
    hub = Community.objects.get(kind=Community.Kind.HUB)
    assert (hub.slug, hub.name, hub.policy_set.slug) == ("peso", "PESO", "e4s")
    spokes = dict(Community.objects.spokes().values_list("slug", "name"))
    assert spokes == {
        "xsdk": "xSDK",
        "dav": "Data & Visualization SDK (DAV)",
        "s4pst": "S4PST",
        "step": "STEP (Tools)",
        "swas": "SWAS (Workflows)",
        "sciml": "SciML",
    }


@pytest.mark.django_db
def test_spoke_statuses_follow_the_sources(seeded):
    status = dict(Community.objects.exclude(kind="practice").values_list("slug", "status"))
    assert status == {
        "peso": "active",
        "xsdk": "active",
        "dav": "active",
        "s4pst": "active",
        "step": "active",
        "swas": "sunset",
        "sciml": "forming",
    }
    swas = Community.objects.get(slug="swas")
    assert "2025-10-07" in swas.status_note and "organization.yml" in swas.status_note
    assert "unmanaged product community" in Community.objects.get(slug="sciml").status_note


@pytest.mark.django_db
def test_only_the_sets_the_sources_give_are_assigned(seeded):
    """The hub holds E4S and xSDK its own set; no source gives another spoke a set."""
    sets = dict(Community.objects.values_list("slug", "policy_set__slug"))
    assert sets.pop("peso") == "e4s"
    assert sets.pop("xsdk") == "xsdk"
    assert set(sets.values()) == {None}


@pytest.mark.django_db
def test_xsdk_requires_interoperability_and_its_team_decides_without_seats(seeded):
    xsdk = Community.objects.get(slug="xsdk")
    assert xsdk.requires_interoperability
    body = GovernanceBody.objects.get(community=xsdk)
    assert body.name == "xSDK team"
    assert not body.requires_vote
    assert body.source.endswith("process-for-new-or-revised-policies.md")
    assert not body.seats.exists()
    assert GovernanceBody.objects.count() == 1
    assert not Community.objects.exclude(slug="xsdk").filter(requires_interoperability=True)


@pytest.mark.django_db
def test_the_seed_creates_no_user_accounts(seeded):
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_e4s_set_holds_p1_to_p9_and_no_proposed_policy(seeded):
    e4s = PolicySet.objects.get(slug="e4s")
    assert (e4s.version, e4s.owner, e4s.base) == ("1.0", None, None)
    codes = list(e4s.own_policies().values_list("code", flat=True))
    assert codes == [f"P{n}" for n in range(1, 10)]


@pytest.mark.django_db
def test_xsdk_set_builds_on_e4s_and_inherits_p2_p5_p8(seeded):
    xsdk = PolicySet.objects.get(slug="xsdk")
    assert (xsdk.version, xsdk.owner.slug, xsdk.base.slug) == ("1.0.0", "xsdk", "e4s")
    own = list(xsdk.own_policies().values_list("code", "level"))
    assert [c for c, level in own if level == "mandatory"] == [f"M{n}" for n in range(1, 18)]
    assert [c for c, level in own if level == "recommended"] == [f"R{n}" for n in range(1, 9)]

    effective = {p.code: p for p in xsdk.effective_policies()}
    inherited = {code for code, p in effective.items() if p.inherited}
    assert inherited == {"P2", "P5", "P8"}
    assert "P1" not in effective
    assert Policy.objects.get(policy_set=xsdk, code="M1").adapts.code == "P1"


@pytest.mark.django_db
def test_all_87_products_are_seeded_under_their_spack_names(seeded):
    assert Product.objects.count() == 87
    for slug in ("petsc", "hypre", "superlu-dist"):
        assert Product.objects.filter(slug=slug).exists()
    superlu = Product.objects.get(slug="superlu-dist")
    assert superlu.spack_package == "superlu-dist"
    assert superlu.facts["spack_packages"] == ["superlu-dist", "superlu"]
    # No Spack package: the slugified name.
    assert Product.objects.get(name="chipStar").slug == "chipstar"
    assert not Product.objects.exclude(contact_email="").exists()
    assert not Product.maintainers.through.objects.exists()


@pytest.mark.django_db
def test_license_conflicts_are_kept_in_the_facts(seeded):
    petsc = Product.objects.get(slug="petsc")
    assert petsc.license == "BSD-3-Clause"
    assert petsc.facts["license_source"] == "CASS catalog"
    assert petsc.facts["license_conflict"] == ["xSDK compatibility doc M7 says 2-clause BSD"]
    assert list(petsc.areas.values_list("name", flat=True)) == ["Math Libraries"]


@pytest.mark.django_db
def test_petsc_is_an_active_xsdk_member(seeded):
    membership = Membership.objects.get(product__slug="petsc", community__slug="xsdk")
    assert membership.state == Membership.State.ACTIVE
    assert not membership.inferred
    assert membership.joined_at is None  # unknown, not invented


@pytest.mark.django_db
@pytest.mark.parametrize("slug", DROPPED_FROM_XSDK_1_1_0)
def test_products_dropped_from_xsdk_1_1_0_are_offramped_not_active(seeded, slug):
    membership = Membership.objects.get(product__slug=slug, community__slug="xsdk")
    assert membership.state == Membership.State.OFFRAMPED
    assert membership.reason == "dropped from the xSDK 1.1.0 release"
    assert "xsdk" in membership.source and "package.py" in membership.source
    assert membership.left_at is None


@pytest.mark.django_db
def test_inferred_memberships_say_so_in_their_source(seeded):
    inferred = Membership.objects.filter(inferred=True)
    assert set(inferred.values_list("community__slug", flat=True)) == {"swas", "sciml"}
    assert all("inferred" in m.source for m in inferred)
    assert not Membership.objects.filter(community__slug__in=["swas", "sciml"], inferred=False)


@pytest.mark.django_db
def test_memberships_follow_the_spokes_each_product_lists(seeded, seed_data):
    listed = sum(len(p["memberships"]) for p in seed_data["products"])
    assert Membership.objects.count() == listed
    assert Membership.objects.active().count() == listed - len(DROPPED_FROM_XSDK_1_1_0)


def _independent_product_edges(seed_data: dict) -> set[tuple[str, str]]:
    """Product pairs of the Spack edges, computed here without the loader's code."""
    owner = {
        package: product["slug"]
        for product in seed_data["products"]
        for package in product["facts"]["spack_packages"]
    }
    pairs = {(owner[e["from"]], owner[e["to"]]) for e in seed_data["dependencies"]}
    return {(a, b) for a, b in pairs if a != b}


@pytest.mark.django_db
def test_one_dependency_per_product_edge(seeded, seed_data):
    expected = _independent_product_edges(seed_data)
    assert len(expected) == 181  # 184 Spack edges - 2 inside one product - 1 duplicate
    stored = set(Dependency.objects.values_list("product__slug", "depends_on__slug"))
    assert stored == expected
    assert set(Dependency.objects.values_list("source", flat=True)) == {"spack"}


@pytest.mark.django_db
def test_edges_inside_one_product_are_skipped_and_duplicates_merged(seeded):
    assert not Dependency.objects.filter(product__slug="flux-core", depends_on__slug="flux-core")
    vtkm = Dependency.objects.get(product__slug="vtk-m", depends_on__slug="kokkos")
    assert (vtkm.kind, vtkm.when) == ("optional", "+kokkos")
    assert "viskores" in vtkm.note


@pytest.mark.django_db
def test_optional_edges_keep_their_condition_and_derived_notes(seeded):
    edge = Dependency.objects.get(product__slug="slepc", depends_on__slug="petsc")
    assert edge.kind == "optional" and edge.when.startswith("@main")
    assert edge.note.startswith("Effectively required")
    assert not Dependency.objects.filter(kind="required").exclude(when="").exists()


@pytest.mark.django_db
def test_assessments_come_only_from_filed_compatibility_documents(seeded, seed_data):
    documents = [d for d in seed_data["compatibility_documents"] if d["product"]]
    assert len(documents) == 27
    expected = {
        (d["product"], code): (row["status"], d["url"])
        for d in documents
        for code, row in d["statuses"].items()
    }
    stored = {
        (a.product.slug, a.policy.code): (a.status, a.evidence_url)
        for a in Assessment.objects.select_related("product", "policy")
    }
    assert stored == expected
    assert set(Assessment.objects.values_list("source", flat=True)) == {"imported"}
    assert set(Assessment.objects.values_list("policy__policy_set__slug", flat=True)) == {"xsdk"}
    assert not Assessment.objects.filter(justification="").exists()


@pytest.mark.django_db
def test_an_assessment_says_how_the_document_filed_it(seeded):
    amrex_r3 = Assessment.objects.get(product__slug="amrex", policy__code="R3")
    assert amrex_r3.status == "none"
    assert amrex_r3.justification.startswith("As filed: 'No'.")
    assert "(numbering 0.6.x)" in amrex_r3.justification
    amrex_m10 = Assessment.objects.get(product__slug="amrex", policy__code="M10")
    assert "Filed under R1 as 'Full', mapped to M10." in amrex_m10.justification


@pytest.mark.django_db
def test_a_reload_keeps_what_people_recorded_since(seeded):
    reviewed = Assessment.objects.get(product__slug="petsc", policy__code="M1")
    reviewed.status, reviewed.source = "partial", Assessment.Source.REVIEWER
    reviewed.justification = "Reviewed by hand."
    reviewed.save()
    offramped = Membership.objects.get(product__slug="hypre", community__slug="xsdk")
    offramped.state = Membership.State.OFFRAMPED
    offramped.save()

    counts = load_seed()

    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.source) == ("partial", "reviewer")
    assert not Membership.objects.active().filter(product__slug="hypre", community__slug="xsdk")
    assert counts["assessments"]["kept"] == 1 and counts["memberships"]["kept"] == 1


def _active_members(seed_data: dict) -> dict[str, list[dict]]:
    """The products the seed lists as active members, by community slug."""
    members: dict[str, list[dict]] = {c["slug"]: [] for c in seed_data["communities"]}
    for product in seed_data["products"]:
        for membership in product["memberships"]:
            if membership["state"] == "active":
                members[membership["community"]].append(product)
    return members


@pytest.mark.django_db
def test_the_home_page_of_the_seeded_catalog_names_every_spoke(seeded, seed_data, client):
    body = client.get("/").content.decode()
    for name in Community.objects.spokes().values_list("name", flat=True):
        assert escape(name) in body, name
    # The totals, counted from the seed file rather than from the database.
    spokes = [c for c in seed_data["communities"] if c["kind"] == "spoke"]
    active = sum(len(members) for members in _active_members(seed_data).values())
    totals = [
        f'<li><strong>{len(seed_data["products"])}</strong> <a href="/products/">products</a></li>',
        f"<li><strong>{len(spokes)}</strong> spokes</li>",
        f"<li><strong>{active}</strong> active memberships</li>",
        f"<li><strong>{len(seed_data['policy_sets'])}</strong> policy sets</li>",
    ]
    for total in totals:
        assert total in body, total


def _squeeze(html: str) -> str:
    """Runs of white space as one space, so layout changes in templates do not matter."""
    return " ".join(html.split())


def _expected_pages(seed_data: dict) -> dict[str, list[str]]:
    """Each page of the seeded catalog and fragments of its body, taken from the seed file."""
    petsc = next(p for p in seed_data["products"] if p["slug"] == "petsc")
    petsc_document = next(
        d for d in seed_data["compatibility_documents"] if d["product"] == "petsc"
    )
    names = {c["slug"]: c["name"] for c in seed_data["communities"]}
    pages: dict[str, list[str]] = {
        "/products/": [
            f'<p role="status" class="results-count">{len(seed_data["products"])} products'
        ],
        "/products/petsc/": [
            f"<h1>{escape(petsc['name'])}</h1>",
            escape(petsc["summary"]),
            f"<dd>{escape(petsc['license'])}</dd>",
            *(
                f'<a href="/communities/{m["community"]}/">{escape(names[m["community"]])}</a>'
                for m in petsc["memberships"]
            ),
            *(f"<strong>{code}</strong>" for code in petsc_document["statuses"]),
        ],
        "/events/": ['<p role="status">0 events.</p>', "No events yet."],
    }
    members = _active_members(seed_data)
    for community in seed_data["communities"]:
        slug = community["slug"]
        listed = sum(
            1 for p in seed_data["products"] for m in p["memberships"] if m["community"] == slug
        )
        active = len(members[slug])
        full_name = community.get("full_name")
        subtitle = f' <span class="muted">— {escape(full_name)}</span>' if full_name else ""
        if community["kind"] == "practice":
            # Not a product community: no member list, only what it is and where it is.
            pages[f"/communities/{slug}/"] = [
                f"<h1>{escape(community['name'])}{subtitle}</h1>",
                "Community of practice",
            ]
            continue
        pages[f"/communities/{slug}/"] = [
            f"<h1>{escape(community['name'])}{subtitle}</h1>",
            f"<dd>{active} active, {listed - active} past</dd>",
            f"Active members ({active})",
            *(f'<a href="/products/{p["slug"]}/">{escape(p["name"])}</a>' for p in members[slug]),
        ]
    for policy_set in seed_data["policy_sets"]:
        pages[f"/policy-sets/{policy_set['slug']}/"] = [
            f"<h1>{escape(policy_set['name'])} "
            f'<span class="muted">version {policy_set["version"]}</span></h1>',
            *(
                f'<tr id="policy-{p["code"]}"> <th scope="row">{p["code"]}</th> '
                f"<td><strong>{escape(p['title'])}</strong>"
                for p in policy_set["policies"]
            ),
        ]
    return pages


@pytest.mark.django_db
def test_every_page_of_the_seeded_catalog_answers(seeded, seed_data, client):
    pages = _expected_pages(seed_data)
    assert set(pages) >= {f"/communities/{c.slug}/" for c in Community.objects.all()}
    for page, fragments in pages.items():
        response = client.get(page)
        assert response.status_code == 200, page
        body = _squeeze(response.content.decode())
        for fragment in fragments:
            assert _squeeze(fragment) in body, (page, fragment)

    # The badge: petsc against the xSDK set, with the statuses its document filed.
    response = client.get("/products/petsc/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(response.content)
    title = svg.findtext("{http://www.w3.org/2000/svg}title")
    document = next(d for d in seed_data["compatibility_documents"] if d["product"] == "petsc")
    filed = Counter(row["status"] for row in document["statuses"].values())
    xsdk = next(s for s in seed_data["policy_sets"] if s["slug"] == "xsdk")
    assert title.startswith(f"{xsdk['name']} {xsdk['version']} — ")
    assert f"full {filed['full']}, partial {filed['partial']}, none {filed['none']}" in title

    # The feed: valid Atom, and empty, as the seed records no events.
    response = client.get("/feeds/events.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.tag == f"{atom}feed"
    assert feed.findtext(f"{atom}title") == "PESO Registry events"
    assert feed.findall(f"{atom}entry") == []
    assert not Event.objects.exists()
