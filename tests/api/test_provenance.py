"""The API carries provenance (DESIGN §11): a product's facts and provenance, memberships'
source, inferred mark and note, communities' sources, origin, named leads and governance."""

from __future__ import annotations

import pytest

XSDK_PROCESS = (
    "https://github.com/xsdk-project/xsdk-community-policies/blob/master/"
    "process-for-new-or-revised-policies.md"
)


@pytest.mark.django_db
def test_a_product_carries_its_facts_and_provenance(seeded, api_client):
    body = api_client.get("/api/v1/products/petsc/").json()
    assert body["facts"]["license_source"] == "CASS catalog"
    assert body["facts"]["cass_steward"] == ["FASTMath"]
    assert body["facts"]["e4s_catalog_area"] == "Math Libraries"
    assert body["facts"]["e4s_spack_smoke_test"] == "Present"
    assert body["provenance"] == {
        "seed_ref": "products.yaml products[petsc]",
        "license_source": "CASS catalog",
        "license_conflict": ["xSDK compatibility doc M7 says 2-clause BSD"],
        "area_inferred": False,
        # The reference states neither: unknown, not invented.
        "sponsorship": "",
        "support_organization": "",
    }
    (membership,) = body["memberships"]
    assert membership["source"] == "xsdk-community-policies README v1.0.0 member list"
    assert membership["inferred"] is False
    assert membership["seed_ref"] == "products.yaml products[petsc].spokes[xsdk]"


@pytest.mark.django_db
def test_the_product_list_carries_provenance_and_inferred_memberships(seeded, api_client):
    rows = api_client.get("/api/v1/products/?page_size=500").json()["results"]
    assert len(rows) == 87
    assert all(row["provenance"]["seed_ref"].startswith("products.yaml ") for row in rows)
    inferred = [m for row in rows for m in row["memberships"] if m["inferred"]]
    assert inferred and all("inferred" in m["source"] for m in inferred)
    alquimia = next(row for row in rows if row["slug"] == "alquimia")
    (dropped,) = alquimia["memberships"]
    assert dropped["state"] == "offramped" and "1.1.0" in dropped["note"]


@pytest.mark.django_db
def test_a_community_carries_its_sources_origin_leads_and_governance(seeded, api_client):
    xsdk = api_client.get("/api/v1/communities/xsdk/").json()
    assert xsdk["kind"] == "spoke"
    assert (xsdk["origin"], xsdk["category"]) == ("ecp_sdk", "")
    assert "003_9758a9ec250ab844.txt" in xsdk["origin_source"]
    assert xsdk["status_inferred"] is False and xsdk["status_source"].startswith("https://")
    assert xsdk["policy_set_source"] == "https://github.com/xsdk-project/xsdk-community-policies"
    assert xsdk["named_leads"][0]["name"] == "Ulrike Meier Yang"
    assert xsdk["seed_ref"] == "communities.yaml spokes[xsdk]"
    governance = xsdk["governance"]
    assert governance["name"] == "xSDK team"
    assert governance["requires_vote"] is False
    assert governance["source"] == XSDK_PROCESS
    assert "consensus" in governance["decision_rule"]

    dav = api_client.get("/api/v1/communities/dav/").json()
    assert dav["policy_set"] is None and dav["policy_set_source"] == ""
    assert dav["status_inferred"] is True
    assert dav["governance"] is None


@pytest.mark.django_db
def test_the_community_list_holds_every_kind_and_filters_by_kind(seeded, api_client):
    rows = api_client.get("/api/v1/communities/?page_size=100").json()["results"]
    kinds = {row["slug"]: row["kind"] for row in rows}
    assert list(kinds.values()).count("hub") == 1
    assert list(kinds.values()).count("spoke") == 6
    assert list(kinds.values()).count("practice") == 9
    practice = api_client.get("/api/v1/communities/?kind=practice&page_size=100").json()
    assert {row["category"] for row in practice["results"]} == {
        "community outreach",
        "software foundation",
        "workforce development",
    }
    spokes = api_client.get("/api/v1/communities/?kind=spoke").json()["results"]
    assert {row["slug"] for row in spokes} == {"xsdk", "dav", "s4pst", "step", "swas", "sciml"}
