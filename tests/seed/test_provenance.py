"""Provenance of the seeded catalog (DESIGN §11): nothing seeded without a source or the
inferred mark; the communities of practice and each spoke's origin; every seeded row traced
to the reference file and key it came from."""

from __future__ import annotations

import pytest

from products.models import Membership, Product
from products.seed_loader import load_seed
from spokes.models import Community, GovernanceBody

# The communities of practice of the reference notes (practice.yaml communities_of_practice),
# written out here rather than read from the seed, so the test checks the seed against them.
COMMUNITIES_OF_PRACTICE = {
    "cscce": ("community outreach", "https://cscce.org"),
    "numfocus": ("software foundation", "https://numfocus.org"),
    "linux-foundation": ("software foundation", "https://www.linuxfoundation.org"),
    "ideas": ("workforce development", "https://ideas-productivity.org"),
    "bssw": ("workforce development", "https://bssw.io"),
    "bssw-fellows": ("workforce development", "https://bssw.io/fellowship"),
    "hpc-best-practices": ("workforce development", ""),
    "us-rse": ("workforce development", "https://us-rse.org"),
    "sustainable-research-pathways": (
        "workforce development",
        "https://bssw.io/events/sustainable-research-pathways-srp",
    ),
}

# practice.yaml spoke_origins: the figure caption of seed page 003, spoke by spoke.
ORIGINS = {
    "peso": "funded_seed",
    "swas": "funded_seed",
    "s4pst": "funded_seed",
    "dav": "ecp_sdk",
    "xsdk": "ecp_sdk",
    "step": "reincorporation",
    "sciml": "unincorporated",
}

XSDK_PROCESS = (
    "https://github.com/xsdk-project/xsdk-community-policies/blob/master/"
    "process-for-new-or-revised-policies.md"
)


@pytest.mark.django_db
def test_no_community_has_a_status_policy_set_or_body_without_a_source(seeded):
    communities = list(Community.objects.select_related("policy_set"))
    assert communities
    bodies = {b.community_id: b for b in GovernanceBody.objects.all()}
    for c in communities:
        assert c.status_source or c.status_inferred, (c.slug, "status")
        if c.policy_set_id:
            assert c.policy_set_source or c.policy_set_inferred, (c.slug, "policy set")
        body = bodies.get(c.pk)
        if body is not None:
            assert body.source and body.decision_rule, (c.slug, "governance body")


@pytest.mark.django_db
def test_the_only_governance_body_is_the_xsdk_team_the_sources_describe(seeded):
    body = GovernanceBody.objects.get()
    assert body.community.slug == "xsdk"
    assert body.name == "xSDK team"
    assert not body.requires_vote
    assert body.source == XSDK_PROCESS
    assert "consensus" in body.decision_rule
    assert "at least 10" in body.decision_rule
    assert "formal vote of the member packages" in body.decision_rule
    assert "council" not in body.name.lower()


@pytest.mark.django_db
def test_spokes_no_source_gives_a_policy_set_have_none(seeded):
    sets = dict(Community.objects.exclude(kind="practice").values_list("slug", "policy_set__slug"))
    assert sets == {
        "peso": "e4s",
        "xsdk": "xsdk",
        "dav": None,
        "s4pst": None,
        "step": None,
        "swas": None,
        "sciml": None,
    }


@pytest.mark.django_db
def test_the_nine_communities_of_practice_are_seeded_with_their_websites(seeded):
    practice = Community.objects.filter(kind=Community.Kind.PRACTICE)
    found = {c.slug: (c.category, c.website) for c in practice}
    assert found == COMMUNITIES_OF_PRACTICE
    for c in practice:
        assert c.summary and c.seed_ref == f"practice.yaml communities_of_practice[{c.slug}]"
        assert c.policy_set_id is None
        assert not c.memberships.exists()
    assert not Community.objects.spokes().filter(slug__in=COMMUNITIES_OF_PRACTICE)


@pytest.mark.django_db
def test_every_spoke_has_its_origin_from_the_seed_pages(seeded):
    origins = dict(Community.objects.exclude(kind="practice").values_list("slug", "origin"))
    assert origins == ORIGINS
    for source in Community.objects.exclude(kind="practice").values_list(
        "origin_source", flat=True
    ):
        assert "003_9758a9ec250ab844.txt" in source


@pytest.mark.django_db
def test_leads_the_sources_name_are_recorded_as_people(seeded):
    leads = {
        c.slug: [(p["name"], p["role"]) for p in c.named_leads]
        for c in Community.objects.exclude(kind="practice")
    }
    assert leads["xsdk"] == [("Ulrike Meier Yang", "ECP SDK lead")]
    assert leads["dav"] == [("Patrick O'Leary", "ECP SDK lead")]
    assert leads["s4pst"] == [("Keita Teranishi", "Lead")]
    assert [name for name, _ in leads["step"]] == ["Terry Jones", "Bart Miller"]
    assert leads["swas"] == [("Rafael Ferreira da Silva", "Lead")]
    assert [name for name, _ in leads["peso"]][:2] == ["Michael A. Heroux", "Lois Curfman McInnes"]
    assert leads["sciml"] == []
    for c in Community.objects.all():
        for person in c.named_leads:
            assert person["source"].startswith("https://"), (c.slug, person)


@pytest.mark.django_db
def test_every_seeded_row_names_the_reference_key_it_came_from(seeded):
    assert not Community.objects.filter(seed_ref="").exists()
    assert not Product.objects.filter(seed_ref="").exists()
    assert not Membership.objects.filter(seed_ref="").exists()
    assert Community.objects.get(slug="xsdk").seed_ref == "communities.yaml spokes[xsdk]"
    assert Community.objects.get(slug="peso").seed_ref == "communities.yaml hub"
    assert Product.objects.get(slug="petsc").seed_ref == "products.yaml products[petsc]"
    petsc = Membership.objects.get(product__slug="petsc", community__slug="xsdk")
    assert petsc.seed_ref == "products.yaml products[petsc].spokes[xsdk]"
    dropped = Membership.objects.get(product__slug="alquimia", community__slug="xsdk")
    assert "dependencies.yaml bundle_summary.xsdk.dropped_after_1_0_0" in dropped.seed_ref


@pytest.mark.django_db
def test_no_sponsorship_or_support_organisation_is_invented(seeded):
    """The reference states neither for any product: both stay unknown."""
    assert not Product.objects.exclude(sponsorship="").exists()
    assert not Product.objects.exclude(support_organization="").exists()


@pytest.mark.django_db
def test_loading_twice_changes_no_provenance(seeded):
    from products.seed_loader import is_unchanged

    assert is_unchanged(load_seed())
