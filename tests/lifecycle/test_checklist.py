"""The onramp/offramp checklist (lifecycle.checklist)."""

from __future__ import annotations

import datetime

import pytest

from lifecycle.checklist import compute, is_public_repository
from lifecycle.models import LifecycleRequest
from products.models import Interoperability
from spokes.models import Policy
from tests.conftest import (
    make_assessment,
    make_community,
    make_dependency,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
)


def onramp(product, community):
    return LifecycleRequest(kind="onramp", product=product, community=community)


def offramp(product, community, **fields):
    return LifecycleRequest(kind="offramp", product=product, community=community, **fields)


def items(result):
    return {item.key: item for item in result.items}


@pytest.fixture
def ready(policy_set):
    product = make_product("ready")
    for code in ("P1", "P2"):
        make_assessment(product, Policy.objects.get(policy_set=policy_set, code=code))
    return product


def test_a_ready_product_passes_every_onramp_item(ready, community):
    result = compute(onramp(ready, community))
    assert result.passed
    assert [i.key for i in result.items] == [
        "metadata",
        "public_repository",
        "spack_package",
        "policies",
        "not_member",
    ]


def test_missing_metadata_is_named(community):
    product = make_product("thin", license="", contact_email="")
    item = items(compute(onramp(product, community)))["metadata"]
    assert not item.passed
    assert item.detail == "Missing: license, contact."


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://github.com/x/y", True),
        ("http://github.com/x/y", True),
        ("https://git.example.org/x", True),
        ("http://git.example.org/x", False),
        ("git@github.com:x/y.git", False),
        ("file:///srv/repo", False),
        ("", False),
    ],
)
def test_public_repository_rule(url, public):
    assert is_public_repository(url) is public


def test_a_private_repository_fails(community):
    product = make_product("private", repository_url="http://intranet.lab/x")
    assert not items(compute(onramp(product, community)))["public_repository"].passed


def test_a_spack_package_is_required(community):
    product = make_product("nospack", spack_package="")
    assert not items(compute(onramp(product, community)))["spack_package"].passed


def test_unmet_mandatory_policies_are_listed_by_code(community, policy_set):
    product = make_product("half")
    make_assessment(product, Policy.objects.get(code="P1"), "partial")
    item = items(compute(onramp(product, community)))["policies"]
    assert not item.passed
    assert "P1 (partial)" in item.detail and "P2 (unknown)" in item.detail
    assert "P3" not in item.detail  # recommended


def test_justified_na_counts_and_inherited_policies_are_effective(community):
    base = make_policy_set("e4s")
    p1 = make_policy(base, "E1")
    make_policy(base, "E2")
    own = make_policy_set("own", base=base)
    m1 = make_policy(own, "M1")
    spoke = make_community("own-spoke", policy_set=own)
    product = make_product("inherit")
    make_assessment(product, p1, "full")
    make_assessment(product, m1, "na", justification="No MPI.")
    item = items(compute(onramp(product, spoke)))["policies"]
    assert not item.passed
    assert "E2 (unknown)" in item.detail
    make_assessment(product, base.policies.get(code="E2"), "full")
    assert items(compute(onramp(product, spoke)))["policies"].passed


def test_an_active_member_cannot_onramp_again(product, community):
    assert not items(compute(onramp(product, community)))["not_member"].passed


def test_an_offramped_member_may_onramp_again(community):
    product = make_product("back")
    make_membership(product, community, state="offramped")
    assert items(compute(onramp(product, community)))["not_member"].passed


def test_interoperability_passes_vacuously_without_members(ready):
    spoke = make_community("interop", requires_interoperability=True)
    item = items(compute(onramp(ready, spoke)))["interoperability"]
    assert item.passed


def test_interoperability_needs_a_dependency_either_way(ready):
    spoke = make_community("interop", requires_interoperability=True)
    member = make_product("member")
    make_membership(member, spoke)
    assert not items(compute(onramp(ready, spoke)))["interoperability"].passed
    make_dependency(member, ready)  # the member depends on it
    assert items(compute(onramp(ready, spoke)))["interoperability"].passed


def test_interoperability_counts_a_dependency_on_a_member(ready):
    spoke = make_community("interop", requires_interoperability=True)
    member = make_product("member")
    make_membership(member, spoke)
    make_dependency(ready, member)
    item = items(compute(onramp(ready, spoke)))["interoperability"]
    assert item.passed and "member" in item.detail


def test_interoperability_is_not_checked_where_not_required(ready, community):
    assert "interoperability" not in items(compute(onramp(ready, community)))


# --- offramp --------------------------------------------------------------------------


PLAN = {"support_organization": "E4S", "migration_notes": "Use the successor."}


def test_an_offramp_with_a_plan_and_no_dependents_passes(product, community):
    result = compute(offramp(product, community, **PLAN))
    assert result.passed
    assert [i.key for i in result.items] == [
        "active_membership",
        "sustainability_plan",
        "dependents",
    ]


def test_the_plan_needs_support_or_an_end_date_and_migration_notes(product, community):
    item = items(compute(offramp(product, community)))["sustainability_plan"]
    assert not item.passed
    assert "support organisation" in item.detail and "migration notes" in item.detail
    eos = datetime.date(2030, 1, 1)
    result = compute(offramp(product, community, end_of_support=eos, migration_notes="x"))
    assert items(result)["sustainability_plan"].passed


def test_offramp_needs_an_active_membership(community):
    product = make_product("outsider")
    assert not items(compute(offramp(product, community, **PLAN)))["active_membership"].passed


def test_active_dependents_need_a_successor_or_an_acknowledgement(
    product, community, other_product
):
    make_dependency(other_product, product)  # other_product is active in other_community
    inactive = make_product("retired")
    make_membership(inactive, community, state="offramped")
    make_dependency(inactive, product)
    req = offramp(product, community, **PLAN)
    result = compute(req)
    assert [p.slug for p in result.dependents] == ["gadget"]
    assert not items(result)["dependents"].passed
    assert "gadget" in items(result)["dependents"].detail
    assert compute(req, acknowledge_dependents=True).passed
    assert compute(req, successor=make_product("next")).passed
    req.acknowledge_dependents = True
    assert compute(req).passed


def test_interoperability_says_a_dependency_stands_in_for_tested_interoperability(ready):
    spoke = make_community("interop", requires_interoperability=True)
    member = make_product("member")
    make_membership(member, spoke)
    make_dependency(ready, member)
    item = items(compute(onramp(ready, spoke)))["interoperability"]
    assert "recorded dependency with an active member" in item.label
    assert "standing in for the tested interoperability xSDK asks for" in item.label
    assert item.detail.startswith("A recorded dependency with: member")


def test_interoperability_is_satisfied_by_a_confirmation_with_an_active_member(ready):
    spoke = make_community("interop", requires_interoperability=True)
    member = make_product("member")
    make_membership(member, spoke)
    Interoperability.objects.create(
        product=member, partner=ready, evidence_url="https://ci.example.org/1"
    )
    item = items(compute(onramp(ready, spoke)))["interoperability"]
    assert item.passed
    assert item.detail == "Interoperability confirmed with: member."


def test_a_confirmation_with_a_former_member_does_not_count(ready):
    spoke = make_community("interop", requires_interoperability=True)
    make_membership(make_product("current"), spoke)
    former = make_product("former")
    make_membership(former, spoke, state="offramped")
    Interoperability.objects.create(
        product=ready, partner=former, evidence_url="https://ci.example.org/1"
    )
    item = items(compute(onramp(ready, spoke)))["interoperability"]
    assert not item.passed
    assert "no interoperability confirmed" in item.detail
