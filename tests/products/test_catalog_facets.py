"""The catalog's facet counts: each value's count is the number of products its link
shows, with no other filter in use (the facets then count over every product) and with
others in use (they count over the products the other filters leave)."""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict

from products.catalog import facets
from products.filters import ProductFilter
from products.models import Area, Membership, Product
from spokes.models import Community, Policy
from tests.conftest import (
    make_assessment,
    make_community,
    make_membership,
    make_policy,
    make_policy_set,
    make_product,
    module_transaction,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, request):
    with module_transaction(request, django_db_blocker, "world"):
        yield _build_world()


@pytest.fixture
def world(_world, db):
    """Ten products over a hub set, a spoke's own set and a spoke without one (built once
    for the module's tests)."""
    return _world


def _build_world():
    hub_set = make_policy_set("e4s")
    hub_policies = [make_policy(hub_set, c) for c in ("H1", "H2")]
    make_policy(hub_set, "H3", level=Policy.Level.RECOMMENDED)
    own_set = make_policy_set("xsdk", base=hub_set)
    own = make_policy(own_set, "X1")
    make_community("hub", kind=Community.Kind.HUB, name="Hub", policy_set=hub_set)
    xsdk = make_community("xsdk", name="xSDK", policy_set=own_set)
    plain = make_community("plain", name="Plain")  # the hub's set applies
    solvers = Area.objects.create(slug="solvers", name="Solvers")
    io = Area.objects.create(slug="io", name="I/O")
    statuses = ["full", "none", "partial", None]
    for i in range(10):
        p = make_product(f"p{i}", license=("MIT", "BSD-3-Clause", "")[i % 3])
        if i % 2:
            p.areas.add(solvers)
        if i % 3 == 0:
            p.areas.add(io)
        if i % 4 != 3:
            make_membership(p, xsdk)
        if i % 3 == 1:
            make_membership(p, plain)
        if i == 3:
            make_membership(
                p,
                xsdk,
                state=Membership.State.OFFRAMPED,
                end_of_support=TODAY + datetime.timedelta(days=30),
            )
        if i == 7:
            make_membership(p, plain, state=Membership.State.OFFRAMPED)
        for j, policy in enumerate([*hub_policies, own]):
            status = statuses[(i + j) % 4]
            if status:
                make_assessment(p, policy, status)
    return Product.objects.count()


BASES = [
    "",
    "license=MIT",
    "area=solvers",
    "community=xsdk",
    "community=plain&membership_state=active",
    "membership_state=offramped",
    "compliance=unknown",
    "mandatory_met=false",
    "q=p1",
]


@pytest.mark.parametrize("base", BASES)
def test_each_facet_value_counts_the_products_its_link_shows(world, base):
    params = QueryDict(base)
    filterset = ProductFilter(params, queryset=Product.objects.all())
    counted = 0
    for facet in facets(filterset, params):
        if facet.key == "community" and ("compliance" in params or "mandatory_met" in params):
            # A compliance filter reads the set of the community chosen with it; the
            # community facet counts under it against every set its products are held to.
            continue
        for value in facet.values:
            chosen = params.copy()
            chosen[facet.key] = value.value
            shown = ProductFilter(chosen, queryset=Product.objects.all())
            assert shown.is_valid(), (facet.key, value.value)
            assert value.count == shown.qs.distinct().count(), (base, facet.key, value.value)
            counted += value.count
    assert counted  # the world gives every base something to count
