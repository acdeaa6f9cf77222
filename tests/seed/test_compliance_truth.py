"""Compliance that tells the truth at a glance, on the real seeded catalog (DESIGN §10).

The expectations are computed here from the seed file's compatibility documents and from
the assessments themselves, independently of the compliance module's SQL."""

from __future__ import annotations

import csv
import datetime
import html
import io
import re

import pytest
import yaml

from products.compliance import Status, summaries_for
from products.models import Assessment, Membership, Product, Waiver
from products.seed_loader import SEED_PATH
from products.waivers import grant_waiver, record_expiries
from spokes.models import Community, Policy
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _card(page: str, name: str) -> str:
    cards = page.split('<li class="card">')[1:]
    (card,) = [c for c in cards if f">{name}</a></h3>" in c]
    return card.split("</li>")[0]


def _document(product: str) -> dict:
    data = yaml.safe_load(SEED_PATH.read_text())
    (doc,) = [d for d in data["compatibility_documents"] if d["product"] == product]
    return doc


def _held(product: Product) -> dict:
    product = Product.objects.prefetch_related("memberships__community__policy_set__base").get(
        pk=product.pk
    )
    return summaries_for([product])[product.pk]


def test_the_home_card_of_xsdk_gives_four_counts_and_own_mandatory_met(client, seeded):
    xsdk = Community.objects.get(slug="xsdk")
    members = Product.objects.filter(
        memberships__community=xsdk, memberships__state=Membership.State.ACTIVE
    ).prefetch_related("memberships__community__policy_set__base")
    summaries = [summaries_for([p])[p.pk]["xsdk"] for p in members]
    assert len(summaries) == 25
    card = html.unescape(_card(client.get("/").content.decode(), "xSDK"))
    for status in Status.ALL:
        n = sum(1 for s in summaries if s.status == status)
        assert f">{n} {status}</a>" in card, status
    own_met = sum(1 for s in summaries if s.own.ok == s.own.total)
    # Most members meet xSDK's own mandatory policies by their compatibility documents;
    # the card says so instead of a bare "0 %".
    assert own_met >= 10
    assert f"{own_met} of 25 meet all of xsdk's own mandatory policies" in card
    assert "%" not in re.sub(r"<svg.*?</svg>", "", card, flags=re.S)
    # The bar has four colours; unknown is drawn apart from failing.
    assert 'class="bar-unknown"' in card and 'class="bar-noncompliant"' in card


def test_petsc_breakdown_on_the_page_and_in_the_api(client, api_client, seeded):
    doc = _document("petsc")
    own_codes = {
        p.code
        for p in Policy.objects.filter(policy_set__slug="xsdk", version="1.0.0", level="mandatory")
    }
    filed_full = {
        code
        for code, row in doc["statuses"].items()
        if code in own_codes and row["status"] == "full"
    }
    body = api_client.get("/api/v1/products/petsc/").json()["compliance"]["xsdk"]
    assert body["own"]["total"] == len(own_codes) == 17
    assert body["own"]["met"] == len(filed_full)
    assert body["inherited"] == {
        "met": 0,
        "partial": 0,
        "none": 0,
        "unknown": 3,
        "waived": 0,
        "total": 3,
    }
    inherited = {m["code"] for m in body["missing"] if m["inherited"]}
    assert inherited == {"P2", "P5", "P8"}
    assert all(m["status"] == "unknown" for m in body["missing"] if m["inherited"])
    assert body["status"] == "unknown"
    assert "P2, P5, P8 inherited from E4S" in body["reason"]
    assert body["reason"].startswith(f"{len(filed_full)}/17 own mandatory met")

    page = html.unescape(client.get("/products/petsc/").content.decode())
    assert body["reason"] in page
    for title in ("Own mandatory", "Inherited from E4S Community Policies (mandatory)"):
        assert f"<caption>{title}</caption>" in page
    # The document the assessments were imported from is named once, not on every row;
    # what each row filed stays on its row.
    document = doc["url"]
    assert page.count("Imported from the xSDK policy-compatibility document") == 1
    assert Assessment.objects.filter(product__slug="petsc", evidence_url=document).count() > 20
    assert "As filed: &#x27;Full&#x27;." in client.get("/products/petsc/").content.decode()


def test_a_waiver_makes_a_product_compliant_until_it_expires(client, seeded):
    lead = make_user("hubadmin", is_superuser=True, is_staff=True)
    petsc = Product.objects.get(slug="petsc")
    before = _held(petsc)["xsdk"]
    assert before.status == Status.UNKNOWN
    # Waive what is not met (the inherited E4S policies and any own gap) until a date.
    today = datetime.date.today()
    expires = today + datetime.timedelta(days=30)
    not_met = [i.policy for i in before.items if i.policy.is_mandatory and not i.satisfied]
    for policy in not_met:
        grant_waiver(
            by=lead, product=petsc, policy=policy, reason="Being assessed", expires_on=expires
        )
    during = _held(petsc)["xsdk"]
    assert during.status == Status.COMPLIANT
    assert during.mandatory.waived == len(not_met)
    api = client.get("/api/v1/products/?mandatory_met=true").json()
    assert "petsc" in {r["slug"] for r in api["results"]}
    # Time passes: on the day after expiry the waivers no longer count.
    later = expires + datetime.timedelta(days=1)
    after = summaries_for(
        [
            Product.objects.prefetch_related("memberships__community__policy_set__base").get(
                pk=petsc.pk
            )
        ],
        on=later,
    )[petsc.pk]["xsdk"]
    assert after.status == before.status and after.mandatory == before.mandatory
    assert record_expiries(on=later) == len(not_met)
    assert petsc.events.filter(verb="waiver_granted").count() == len(not_met)
    assert petsc.events.filter(verb="waiver_expired").count() == len(not_met)
    assert Waiver.objects.filter(product=petsc).count() == len(not_met)


def _independent_mandatory_met() -> set[str]:
    """Products held to some set (through an active membership) whose every mandatory
    effective policy of every such set is met (full, or na with a justification) or
    waived, computed from the rows with none of the compliance module's code."""
    hub = Community.objects.get(kind=Community.Kind.HUB).policy_set
    met = set()
    for product in Product.objects.all():
        communities = [
            m.community
            for m in product.memberships.filter(state="active").select_related("community")
            if m.community.kind == Community.Kind.SPOKE or m.community.policy_set_id
        ]
        sets = {c.policy_set or hub for c in communities} - {None}
        if not sets:
            continue
        waived = set(
            product.waivers.filter(
                revoked_at=None, expires_on__gte=datetime.date.today()
            ).values_list("policy_id", flat=True)
        )
        assessed = {a.policy_id: a for a in product.assessments.all()}
        ok = True
        for ps in sets:
            for policy in ps.effective_policies():
                if not policy.is_mandatory:
                    continue
                a = assessed.get(policy.pk)
                good = a is not None and (
                    a.status == "full" or (a.status == "na" and a.justification.strip())
                )
                ok = ok and (good or policy.pk in waived)
        if ok:
            met.add(product.slug)
    return met


def test_mandatory_met_on_the_api_and_the_catalog_match_an_independent_computation(client, seeded):
    # Make the answer non-empty: waive every gap of two xSDK members.
    admin = make_user("hubadmin", is_superuser=True, is_staff=True)
    for slug in ("petsc", "hypre"):
        product = Product.objects.get(slug=slug)
        for item in _held(product)["xsdk"].items:
            if item.policy.is_mandatory and not item.satisfied:
                grant_waiver(
                    by=admin,
                    product=product,
                    policy=item.policy,
                    reason="Assessment in progress",
                    expires_on=datetime.date.today() + datetime.timedelta(days=10),
                )
    expected = _independent_mandatory_met()
    assert {"petsc", "hypre"} <= expected
    api = client.get("/api/v1/products/?mandatory_met=true&page_size=200").json()
    assert {r["slug"] for r in api["results"]} == expected
    rows = client.get("/products/?mandatory_met=true&export=json").json()["results"]
    assert {r["slug"] for r in rows} == expected
    held_not_met = client.get("/api/v1/products/?mandatory_met=false&page_size=200").json()
    assert not expected & {r["slug"] for r in held_not_met["results"]}
    page = client.get("/products/").content.decode()
    assert f'<span>yes</span><span class="count">{len(expected)}</span>' in page


def test_the_badge_the_csv_export_and_the_api_agree_for_every_product(client, seeded):
    api = client.get("/api/v1/products/?page_size=200").json()["results"]
    csv_rows = {
        r["slug"]: r
        for r in csv.DictReader(io.StringIO(client.get("/products/?export=csv").content.decode()))
    }
    compared = 0
    for row in api:
        slug = row["slug"]
        for membership in row["memberships"]:
            if membership["state"] != "active":
                continue
            community = membership["community"]
            column = f"compliance.{community}.mandatory."
            if not csv_rows[slug].get(column + "total"):
                continue  # a community that holds its members to no set
            set_slug = next(k for k, v in row["compliance"].items() if k == _held_slug(community))
            api_tally = row["compliance"][set_slug]["mandatory"]
            csv_tally = {name: int(csv_rows[slug][column + name]) for name in api_tally}
            assert csv_tally == api_tally, (slug, community)
            badge = client.get(f"/products/{slug}/badge.svg?policy_set={set_slug}")
            ok = api_tally["met"] + api_tally["waived"]
            status = row["compliance"][set_slug]["status"]
            assert f">{status} {ok}/{api_tally['total']}<" in badge.content.decode(), slug
            compared += 1
    assert compared >= 60


def _held_slug(community_slug: str) -> str:
    community = Community.objects.select_related("policy_set").get(slug=community_slug)
    if community.policy_set:
        return community.policy_set.slug
    return Community.objects.get(kind=Community.Kind.HUB).policy_set.slug
