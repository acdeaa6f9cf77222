"""The hub page (/hub/): each service with its live figures, counted from the registry."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hub import dashboard
from hub.models import Release, ReleaseItem
from lifecycle.models import LifecycleRequest
from products.models import Membership, ProductUse, Stakeholder
from spokes.models import Community
from tests.conftest import make_community, make_membership, make_product
from tests.hub.test_seeded_delivery import _section

pytestmark = pytest.mark.django_db

CHECKS = ("spack_package", "e4s_entry", "smoke_test", "testsuite")

# Each product: its Spack package column, its facts, and the spokes it is an active member of.
PRODUCTS = {
    "anvil": ("anvil", {"in_e4s_catalog": True, "e4s_spack_smoke_test": "Present",
                        "e4s_testsuite_test": "Absent"}, ["kit"]),
    "bare": ("", {"in_e4s_catalog": False}, ["kit"]),
    "chisel": ("chisel", {"in_e4s_catalog": True, "e4s_spack_smoke_test": "Absent",
                          "e4s_testsuite_test": "Absent"}, ["kit", "tool"]),
    "drill": ("", {"spack_packages": ["drill-core"], "in_e4s_catalog": True,
                   "e4s_spack_smoke_test": "Present", "e4s_testsuite_test": "Present"}, ["tool"]),
    "ember": ("ember", {}, ["tool"]),
}  # fmt: skip


def expected_missing(spoke: str) -> dict[str, int]:
    """Active members of ``spoke`` missing each check, read from the table above: no Spack
    package in either place; outside the E4S catalog; a test recorded as absent."""
    counts = dict.fromkeys(("members", *CHECKS), 0)
    for column, facts, spokes in PRODUCTS.values():
        if spoke not in spokes:
            continue
        counts["members"] += 1
        counts["spack_package"] += not (column or facts.get("spack_packages"))
        counts["e4s_entry"] += facts.get("in_e4s_catalog") is False
        counts["smoke_test"] += facts.get("e4s_spack_smoke_test") == "Absent"
        counts["testsuite"] += facts.get("e4s_testsuite_test") == "Absent"
    return counts


def make_release(slug, version, *, kind="bundle", community=None, products=(), **extra):
    release = Release.objects.create(
        slug=slug,
        name=slug.replace("-", " "),
        kind=kind,
        community=community,
        version=version,
        source="https://example.org/source",
        **extra,
    )
    for product in products:
        ReleaseItem.objects.create(release=release, package=product.slug, product=product)
    return release


@pytest.fixture
def registry(maintainer):
    hub = make_community("peso", name="PESO", kind=Community.Kind.HUB)
    spokes = {
        slug: make_community(slug, name=f"{slug.title()} SDK") for slug in ("kit", "tool", "empty")
    }
    practice = make_community("cop", name="Practice", kind=Community.Kind.PRACTICE)
    products = {}
    for slug, (column, facts, member_of) in PRODUCTS.items():
        products[slug] = make_product(slug, spack_package=column, facts=facts)
        for spoke in member_of:
            make_membership(products[slug], spokes[spoke])
    # Neither an offramped member nor a community of practice's member counts.
    gone = make_product("gone", spack_package="", facts={"in_e4s_catalog": False})
    make_membership(gone, spokes["kit"], state=Membership.State.OFFRAMPED)
    make_membership(products["bare"], practice)
    make_membership(products["bare"], hub)

    # The newest E4S tag by version, whatever the order the rows were made in.
    anvil, chisel = products["anvil"], products["chisel"]
    make_release("e4s-25.11", "25.11", kind="e4s", date=datetime.date(2025, 11, 20),
                 products=[anvil, chisel])  # fmt: skip
    make_release("e4s-23.08", "23.08", kind="e4s", products=[anvil])
    env = make_release("e4s-env", "main", kind="e4s", environment=True, products=[anvil])
    ReleaseItem.objects.create(release=env, package="not-in-catalog")
    for version in ("1.10.0", "1.2.0", "1.0.0"):
        make_release(f"kit-{version}", version, community=spokes["kit"])
    make_release("tool-0.9", "0.9", community=spokes["tool"])

    lab = Stakeholder.objects.create(slug="lab", name="Lab", kind=Stakeholder.Kind.FACILITY)
    centre = Stakeholder.objects.create(slug="centre", name="Centre", kind="facility")
    Stakeholder.objects.create(slug="chipco", name="ChipCo", kind=Stakeholder.Kind.VENDOR)
    uses = {lab: {"anvil": "critical", "chisel": "convenience"}, centre: {"anvil": "critical"}}
    for stakeholder, used in uses.items():
        for slug, criticality in used.items():
            ProductUse.objects.create(
                stakeholder=stakeholder, product=products[slug], criticality=criticality
            )

    def request(kind, state, community="kit"):
        return LifecycleRequest.objects.create(
            kind=kind,
            state=state,
            product=products["ember"],
            community=spokes[community],
            requested_by=maintainer,
        )

    request("onramp", "draft")
    request("onramp", "draft", "tool")
    request("onramp", "submitted")
    request("onramp", "submitted", "tool")
    request("onramp", "in_review")
    request("offramp", "in_review")
    request("offramp", "approved")
    request("offramp", "withdrawn")
    return {"spokes": spokes, "products": products}


def _cells(page: str, row_id: str) -> list[str]:
    """The text of a table row's cells (the row header first)."""
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert row, row_id
    cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip() for c in cells]


def test_each_spoke_shows_its_active_members_and_how_many_miss_each_check(client, registry):
    page = client.get("/hub/").content.decode()
    for spoke in ("kit", "tool", "empty"):
        cells = _cells(page, f"spoke-{spoke}")
        expected = expected_missing(spoke)
        assert cells[1:6] == [str(expected[k]) for k in ("members", *CHECKS)], spoke
    assert expected_missing("kit") == {
        "members": 3, "spack_package": 1, "e4s_entry": 1, "smoke_test": 1, "testsuite": 2
    }  # fmt: skip
    # Spokes only: neither the hub nor a community of practice has a row.
    assert 'id="spoke-peso"' not in page and 'id="spoke-cop"' not in page
    assert 'href="/communities/kit/delivery/#missing-testsuite">2</a>' in page


def test_each_spokes_missing_counts_equal_its_delivery_page(client, registry):
    page = client.get("/hub/").content.decode()
    for spoke in ("kit", "tool"):
        delivery = client.get(f"/communities/{spoke}/delivery/").content.decode()
        named = [len(_section(delivery, check)) for check in CHECKS]
        assert _cells(page, f"spoke-{spoke}")[2:6] == [str(n) for n in named], spoke


def test_the_releases_are_the_newest_e4s_tag_the_environment_and_each_spokes_newest_bundle(
    client, registry
):
    page = client.get("/hub/").content.decode()
    latest = re.search(r'<dd id="latest-e4s">(.*?)</dd>', page, re.S).group(1)
    assert 'href="/releases/e4s-25.11/"' in latest and "2025-11-20" in latest
    assert "2 catalog products" in latest
    environment = re.search(r'<dd id="current-environment">(.*?)</dd>', page, re.S).group(1)
    assert "2 Spack packages, 1 of them catalog products" in environment
    assert _cells(page, "spoke-kit")[-1] == "kit 1.10.0"  # 1.10.0 is newer than 1.2.0
    assert _cells(page, "spoke-tool")[-1] == "tool 0.9"
    assert _cells(page, "spoke-empty")[-1] == "none"


def test_stakeholders_are_counted_by_kind_with_their_uses_and_critical_uses(client, registry):
    page = client.get("/hub/").content.decode()
    assert _cells(page, "kind-facility") == ["Computing facility", "2", "3", "2"]
    assert _cells(page, "kind-vendor") == ["Vendor", "1", "0", "0"]
    assert 'id="kind-agency"' not in page  # a kind with no stakeholder has no row
    assert 'href="/stakeholders/?kind=facility"' in page
    # Two critical uses, of one product (anvil).
    critical = re.search(r'<p id="critically-used">(.*?)</p>', page, re.S).group(1)
    assert critical.startswith("<strong>1</strong> product has a stakeholder")


def test_open_requests_are_counted_by_kind_and_state_without_drafts(client, registry):
    page = client.get("/hub/").content.decode()
    assert _cells(page, "requests-onramp") == ["Onramps", "2", "1"]
    assert _cells(page, "requests-offramp") == ["Offramps", "0", "1"]
    assert 'href="/requests/?kind=onramp&amp;state=submitted">2</a>' in page
    assert "<strong>4</strong> open requests" in page


def test_drafts_are_not_counted_even_for_those_who_may_see_them(client, registry, maintainer):
    client.force_login(maintainer)  # the requester of the drafts
    page = client.get("/hub/").content.decode()
    assert _cells(page, "requests-onramp") == ["Onramps", "2", "1"]


def test_the_site_navigation_leads_to_the_hub_page(client, registry):
    home = client.get("/").content.decode()
    assert '<a href="/hub/">Hub</a>' in home
    page = client.get("/hub/").content.decode()
    assert '<a href="/hub/" aria-current="page">Hub</a>' in page


def test_an_empty_registry_still_shows_the_hub_page(client, db):
    page = client.get("/hub/").content.decode()
    assert "No spokes yet." in page
    assert "No stakeholder is recorded yet." in page


def test_the_hub_page_reads_a_fixed_number_of_queries(client, registry):
    counts = []
    for n in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/hub/").status_code == 200
        counts.append(len(queries.captured_queries))
        # More of everything: spokes, members, releases, stakeholders, uses, requests.
        spoke = make_community(f"more{n}")
        for m in range(3):
            product = make_product(f"more{n}-{m}", facts={"in_e4s_catalog": False})
            make_membership(product, spoke)
            make_release(f"more{n}-1.{m}", f"1.{m}", community=spoke, products=[product])
            who = Stakeholder.objects.create(slug=f"who{n}-{m}", name=f"Who {n} {m}")
            ProductUse.objects.create(stakeholder=who, product=product, criticality="critical")
            LifecycleRequest.objects.create(
                kind="offramp", state="submitted", product=product, community=spoke
            )
    assert counts[0] == counts[1]


def test_the_hub_figures_read_at_most_six_queries(registry, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        figures = dashboard.read()
    assert [s.community.slug for s in figures.spokes] == ["empty", "kit", "tool"]
