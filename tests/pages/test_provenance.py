"""Pages show where facts come from (DESIGN §11), on the seeded catalog: the community page's
status, policy set, origin, governance and named leads with their sources; the hub page's
communities of practice; the product page's sourced facts and memberships' provenance."""

from __future__ import annotations

import pytest
from django.utils.html import escape

XSDK_PROCESS = (
    "https://github.com/xsdk-project/xsdk-community-policies/blob/master/"
    "process-for-new-or-revised-policies.md"
)


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return " ".join(response.content.decode().split())


@pytest.mark.django_db
def test_the_xsdk_page_shows_its_team_how_it_decides_and_the_source(seeded, client):
    body = _page(client, "/communities/xsdk/")
    assert "<strong>xSDK team</strong>" in body
    assert "How it decides:" in body and "at least 10 xSDK team members present" in body
    assert f'href="{XSDK_PROCESS}"' in body
    # No vote is required, so no quorum or threshold is claimed.
    assert "quorum" not in body and "council" not in body
    assert "Software Product Community (SPC)" in body
    assert "Existing ECP SDK" in body and "003_9758a9ec250ab844.txt" in body
    # The lead the sources name is shown as a person, not "none recorded".
    assert "Ulrike Meier Yang" in body and "ECP SDK lead" in body
    assert "none recorded</span></dd>" not in body
    assert "https://github.com/xsdk-project/xsdk-community-policies" in body  # policy set source


@pytest.mark.django_db
def test_the_dav_page_says_the_hubs_e4s_policies_apply(seeded, client):
    body = _page(client, "/communities/dav/")
    assert "No published community policies; the hub's E4S policies apply." in body
    assert "Patrick O" in body  # the ECP SDK lead the report names
    # DAV's status is our reading, marked so, with what we read.
    assert (
        '<span class="tag" title="Our reading; no source states it outright">inferred</span>'
        in body
    )
    assert "<code>communities.yaml spokes[dav]</code>" in body


@pytest.mark.django_db
def test_a_community_of_practice_page_has_no_member_list(seeded, client):
    body = _page(client, "/communities/us-rse/")
    assert "Community of practice" in body and "workforce development" in body
    assert 'href="https://us-rse.org"' in body
    assert "Active members" not in body and "Open requests" not in body


@pytest.mark.django_db
def test_the_home_page_lists_the_communities_of_practice_by_category(seeded, client):
    body = _page(client, "/")
    assert '<h2 id="practice-h">Communities of practice</h2>' in body
    for category in ("Community outreach", "Software foundation", "Workforce development"):
        assert f'<h3 class="practice-category">{category}</h3>' in body
    assert 'href="https://numfocus.org"' in body
    assert "HPC Best Practices webinars" in body
    # Practice communities are not spokes: the spoke section comes first and holds none.
    spokes_section = body.split('id="practice-h"')[0]
    assert "NumFOCUS" not in spokes_section
    assert "<strong>6</strong> spokes" in body


@pytest.mark.django_db
def test_the_petsc_page_shows_where_its_facts_come_from(seeded, client):
    body = _page(client, "/products/petsc/")
    assert '<h3 id="provenance-h">' in body
    assert "according to CASS catalog" in body
    assert escape("xSDK compatibility doc M7 says 2-clause BSD") in body  # the conflict
    assert "Listed under <strong>Math Libraries</strong>" in body
    assert "Spack smoke test: Present" in body and "E4S testsuite test: Present" in body
    assert "E4S member product: yes" in body
    assert "<dt>CASS steward</dt><dd>FASTMath</dd>" in body
    assert '<dt>Sponsorship</dt><dd><span class="muted">unknown</span></dd>' in body
    assert "<code>products.yaml products[petsc]</code>" in body
    assert "Seeded from <code>products.yaml products[petsc].spokes[xsdk]</code>" in body


@pytest.mark.django_db
def test_inferred_areas_and_membership_notes_are_shown(seeded, client):
    from products.models import Membership, Product

    inferred = Product.objects.filter(facts__has_key="area_source").first()
    body = _page(client, inferred.get_absolute_url())
    assert escape(inferred.facts["area_source"]) in body
    assert "<dt>Areas</dt>" in body and ">inferred</span>" in body
    dropped = Membership.objects.get(product__slug="alquimia", community__slug="xsdk")
    body = _page(client, "/products/alquimia/")
    assert 'class="membership-note muted"' in body
    assert escape(dropped.note.split("(line")[0]).strip()[:40] in body
