"""A small world for waivers and interoperability: the hub (kind hub) with the E4S set
(no owner), and ``community`` ("alpha") holding its own set, owned by it, built on E4S.

Import the fixtures into a test module: ``from tests.waiver_world import owned_set, ...``.
"""

from __future__ import annotations

import datetime

import pytest

from spokes.models import Community
from tests.conftest import grant, make_community, make_policy, make_policy_set, make_user


def in_days(n: int) -> datetime.date:
    return datetime.date.today() + datetime.timedelta(days=n)


@pytest.fixture
def e4s(db):
    ps = make_policy_set("e4s", name="E4S")
    make_policy(ps, "E1", title="Spack installable")
    make_policy(ps, "E2", title="Has a license")
    return ps


@pytest.fixture
def hub(e4s):
    return make_community("peso", name="PESO", kind=Community.Kind.HUB, policy_set=e4s)


@pytest.fixture
def hub_lead(hub):
    user = make_user("hub_lead")
    grant(user, hub)
    return user


@pytest.fixture
def owned_set(community, e4s, hub):
    """Alpha's own set (A1, A2 mandatory; E1, E2 inherited from E4S), which alpha's
    members are held to."""
    ps = make_policy_set("alpha-set", owner=community, base=e4s)
    make_policy(ps, "A1", title="Has tests")
    make_policy(ps, "A2", title="Has docs")
    community.policy_set = ps
    community.save()
    return ps


@pytest.fixture
def a1(owned_set):
    return owned_set.policies.get(code="A1")


@pytest.fixture
def e1(e4s):
    return e4s.policies.get(code="E1")
