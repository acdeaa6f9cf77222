"""Fixtures for the page tests: a catalog of a chosen size."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from events import log as events
from events.models import Event
from tests.conftest import (
    make_assessment,
    make_body,
    make_community,
    make_dependency,
    make_membership,
    make_policy,
    make_product,
)


@pytest.fixture
def client_as():
    """client_as(user) -> a Django test Client signed in as user (None: anonymous)."""

    def _make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return _make


def cheap_user():
    """A user with an unusable password: no slow password hashing in bulk fixtures."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create(username=f"u{next(_seq)}")


_seq = itertools.count(1)


def build_catalog(n: int, community, policy_set) -> list:
    """n products, all active members of `community`, each with assessments, dependencies,
    areas, a past membership elsewhere and events; plus a few more policies and seats."""
    from products.models import Area

    other = make_community(f"other{n}", name=f"Other {n}", policy_set=policy_set)
    policies = list(policy_set.own_policies())
    products = []
    area = Area.objects.create(slug=f"area{n}", name=f"Area {n}")
    for i in range(n):
        p = make_product(f"item{n}x{i}", maintainers=[cheap_user()])
        p.areas.add(area)
        make_membership(p, community, source="https://example.org/members")
        make_membership(p, other, state="offramped", support_organization="E4S")
        for j, policy in enumerate(policies):
            make_assessment(p, policy, ("full", "partial", "none")[(i + j) % 3])
        if products:
            make_dependency(p, products[-1], kind="optional", when="+mpi")
        events.record(events.Verb.PRODUCT_UPDATED, product=p, community=community)
        products.append(p)
    for i in range(n):
        make_policy(policy_set, f"X{n}_{i}")
    from spokes.models import GovernanceBody, Seat

    body = GovernanceBody.objects.filter(community=community).first()
    if body is None:
        make_body(community, seats=[cheap_user() for _ in range(n)])
    else:
        for _ in range(n):
            Seat.objects.create(body=body, user=cheap_user(), represents="stakeholder")
    assert Event.objects.count() >= n
    return products
