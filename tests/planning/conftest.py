"""A small planning world: the alpha spoke's plan for 2025 with three milestones, one of
them concerning the maintainer's product."""

from __future__ import annotations

import datetime

import pytest

from planning.models import AnnualPlan, Milestone
from tests.conftest import make_user

D = datetime.date


@pytest.fixture
def plain_user(db):
    """A signed-in user with no role anywhere (as a funding panel member is, for planning)."""
    return make_user("plain")


@pytest.fixture
def plan(community) -> AnnualPlan:
    return AnnualPlan.objects.create(community=community, year=2025, summary="Ship 1.0.")


@pytest.fixture
def milestone(plan, product) -> Milestone:
    m = Milestone.objects.create(plan=plan, title="Release 1.0", due=D(2025, 3, 31))
    m.products.add(product)
    return m


@pytest.fixture
def other_milestone(plan) -> Milestone:
    return Milestone.objects.create(plan=plan, title="Spack smoke tests", due=D(2025, 6, 30))
