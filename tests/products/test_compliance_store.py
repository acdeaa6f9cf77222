"""The compliance read model stays equal to a computation from scratch, whatever sequence of
writes reaches it (property-based, with hypothesis): assessments set and removed,
waivers granted (some already expired), revoked, memberships joined and left, policy
levels changed, policies added, a community's set changed or removed, a set's version
moved on. After every write, and again on a later day (waivers past their last day), the
stored rows equal ``summaries_for`` over every product."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.db.models import Prefetch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from products import compliance_store
from products.compliance import summaries_for
from products.models import Assessment, Membership, Product, StoredCompliance, Waiver
from spokes.models import Community, Policy
from tests.conftest import make_community, make_policy, make_policy_set, make_product

TODAY = datetime.date.today()
PRODUCTS = 3
CODES = ("P1", "P2", "P3", "M1", "M2", "R1")
COMMUNITIES = ("alpha", "beta", "gamma")


def build_world() -> dict:
    e4s = make_policy_set("e4s", name="E4S")
    p1 = make_policy(e4s, "P1")
    make_policy(e4s, "P2")
    make_policy(e4s, "P3", level=Policy.Level.RECOMMENDED)
    xsdk = make_policy_set("xsdk", name="xSDK", base=e4s)
    make_policy(xsdk, "M1", adapts=p1)
    make_policy(xsdk, "M2")
    make_policy(xsdk, "R1", level=Policy.Level.RECOMMENDED)
    make_community("peso", kind=Community.Kind.HUB, policy_set=e4s)
    make_community("alpha", policy_set=xsdk)
    make_community("beta")  # no set: the hub's applies
    make_community("gamma", policy_set=e4s)
    products = [make_product(f"p{i}") for i in range(PRODUCTS)]
    for product, community in zip(products, COMMUNITIES, strict=True):
        Membership.objects.create(product=product, community=Community.objects.get(slug=community))
    return {"products": products, "sets": {"e4s": e4s, "xsdk": xsdk}}


def _policy(code: str) -> Policy:
    return Policy.objects.filter(code=code).order_by("-pk").first()


def _product(world, i: int) -> Product:
    return world["products"][i % PRODUCTS]


def assess(world, i, code, status, blank):
    justification = "  " if blank else "Because."
    Assessment.objects.update_or_create(
        product=_product(world, i),
        policy=_policy(code),
        defaults={"status": status, "justification": justification},
    )


def unassess(world, i, code):
    for a in Assessment.objects.filter(product=_product(world, i), policy=_policy(code)):
        a.delete()


def waive(world, i, code, days):
    Waiver.objects.create(
        product=_product(world, i),
        policy=_policy(code),
        reason="In progress",
        expires_on=TODAY + datetime.timedelta(days=days),
    )


def revoke(world, i, code):
    for waiver in Waiver.objects.filter(product=_product(world, i), policy=_policy(code)):
        waiver.revoked_at = datetime.datetime.now(datetime.UTC)
        waiver.save()


def join(world, i, community):
    product = _product(world, i)
    target = Community.objects.get(slug=community)
    if not Membership.objects.filter(product=product, community=target, state="active").exists():
        Membership.objects.create(product=product, community=target)


def leave(world, i, community):
    for m in Membership.objects.filter(product=_product(world, i), community__slug=community):
        m.state = Membership.State.OFFRAMPED
        m.save()


def set_level(world, code, mandatory):
    policy = _policy(code)
    policy.level = Policy.Level.MANDATORY if mandatory else Policy.Level.RECOMMENDED
    policy.save()


def add_policy(world, set_slug, n):
    ps = world["sets"][set_slug]
    ps.refresh_from_db()
    if not ps.policies.filter(version=ps.version, code=f"N{n}").exists():
        make_policy(ps, f"N{n}", version=ps.version)


def set_community_set(world, community, set_slug):
    c = Community.objects.get(slug=community)
    c.policy_set = world["sets"][set_slug] if set_slug else None
    c.save()


def new_version(world, set_slug):
    """The set moves to a new version with one mandatory policy (its old policies stop
    applying; assessments of them stay with the old version)."""
    ps = world["sets"][set_slug]
    ps.refresh_from_db()
    version = f"{ps.version}.1"
    Policy.objects.create(policy_set=ps, version=version, code="V1", title="New", level="mandatory")
    ps.version = version
    ps.save()


OPS = st.one_of(
    st.tuples(
        st.just(assess),
        st.integers(0, PRODUCTS - 1),
        st.sampled_from(CODES),
        st.sampled_from(["full", "partial", "none", "na"]),
        st.booleans(),
    ),
    st.tuples(st.just(unassess), st.integers(0, PRODUCTS - 1), st.sampled_from(CODES)),
    st.tuples(
        st.just(waive), st.integers(0, PRODUCTS - 1), st.sampled_from(CODES), st.integers(-2, 4)
    ),
    st.tuples(st.just(revoke), st.integers(0, PRODUCTS - 1), st.sampled_from(CODES)),
    st.tuples(st.just(join), st.integers(0, PRODUCTS - 1), st.sampled_from(COMMUNITIES)),
    st.tuples(st.just(leave), st.integers(0, PRODUCTS - 1), st.sampled_from(COMMUNITIES)),
    st.tuples(st.just(set_level), st.sampled_from(CODES), st.booleans()),
    st.tuples(st.just(add_policy), st.sampled_from(["e4s", "xsdk"]), st.integers(1, 3)),
    st.tuples(
        st.just(set_community_set),
        st.sampled_from(COMMUNITIES),
        st.sampled_from(["e4s", "xsdk", None]),
    ),
    st.tuples(st.just(new_version), st.sampled_from(["e4s", "xsdk"])),
)


def from_scratch(on: datetime.date | None = None) -> dict:
    products = Product.objects.prefetch_related(
        Prefetch(
            "memberships", queryset=Membership.objects.select_related("community__policy_set__base")
        )
    )
    return {
        (pk, slug): summary.as_dict()
        for pk, by_set in summaries_for(products, on=on).items()
        for slug, summary in by_set.items()
    }


def stored() -> dict:
    out = {}
    for row in StoredCompliance.objects.select_related("policy_set"):
        summary = row.summary
        assert row.status == summary["status"]
        m = summary["mandatory"]
        assert row.mandatory_met == (m["met"] + m["waived"] == m["total"])
        out[(row.product_id, row.policy_set.slug)] = summary
    return out


@pytest.mark.django_db(transaction=False)
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(OPS, min_size=1, max_size=12))
def test_the_stored_summaries_equal_a_computation_from_scratch(db, ops):
    with transaction.atomic():
        world = build_world()
        for op, *args in ops:
            op(world, *args)
            assert stored() == from_scratch(), (op.__name__, args)
        # Days later: waivers past their last day no longer count, once read.
        later = TODAY + datetime.timedelta(days=5)
        compliance_store.refresh_stale(on=later)
        assert stored() == from_scratch(on=later)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_bulk_block_refreshes_each_product_once(monkeypatch):
    world = build_world()
    product = world["products"][0]  # a member of alpha (xsdk)
    calls = []
    real = compliance_store.refresh
    monkeypatch.setattr(
        compliance_store, "refresh", lambda ids=None, **kw: calls.append(ids) or real(ids, **kw)
    )
    with transaction.atomic(), compliance_store.deferred():
        for code in ("M1", "M2", "P2"):
            assess(world, 0, code, "full", False)
        assert calls == []  # nothing yet: the block collects
    assert calls == [{product.pk}]
    row = StoredCompliance.objects.get(product=product, policy_set__slug="xsdk")
    assert row.status == "compliant" and row.mandatory_met
