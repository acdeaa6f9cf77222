"""The review queue's "Assessments due for re-review": per community the user leads (every
one for hub admins), active members' assessments older than the set's review interval."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from products.review import add_months, due_since
from spokes.models import Policy
from tests.conftest import (
    grant,
    make_assessment,
    make_community,
    make_membership,
    make_product,
    make_user,
)

pytestmark = pytest.mark.django_db


def assessed(product, policy, day: datetime.date):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return make_assessment(product, policy, assessed_at=moment)


@pytest.fixture
def due_world(community, policy_set, product, lead):
    old = add_months(datetime.date.today(), -14)
    p1 = Policy.objects.get(policy_set=policy_set, code="P1")
    p2 = Policy.objects.get(policy_set=policy_set, code="P2")
    due = assessed(product, p1, old)
    assessed(product, p2, datetime.date.today())  # fresh: not listed
    former = make_product("former")
    make_membership(former, community, state="offramped")
    assessed(former, p1, old)  # not an active member: not listed
    return due


def test_the_review_queue_lists_due_assessments_per_community(client_as, due_world, lead):
    html = client_as(lead).get(reverse("lifecycle:review-queue")).content.decode()
    assert "Assessments due for re-review" in html
    assert 'id="review-due-alpha"' in html
    section = html.split('id="review-due-alpha"')[1]
    assert "Widget" in section and "P1" in section and "Former" not in section
    assert "P2" not in section
    assert due_since(due_world).isoformat() in section


def test_a_lead_sees_only_their_communities(client_as, due_world, other_lead):
    html = client_as(other_lead).get(reverse("lifecycle:review-queue")).content.decode()
    assert 'id="review-due-alpha"' not in html
    assert "No assessment is due for re-review." in html


def test_hub_admins_see_every_community(client_as, due_world, hub_admin):
    html = client_as(hub_admin).get(reverse("lifecycle:review-queue")).content.decode()
    assert 'id="review-due-alpha"' in html


def test_the_list_costs_the_same_for_2_and_10_communities(client_as, policy_set, hub_admin):
    p1 = Policy.objects.get(policy_set=policy_set, code="P1")
    old = add_months(datetime.date.today(), -14)
    client = client_as(hub_admin)

    def grow(n: int) -> None:
        for _ in range(n):
            spoke = make_community(policy_set=policy_set)
            grant(make_user(), spoke)
            for _ in range(2):
                member = make_product()
                make_membership(member, spoke)
                assessed(member, p1, old)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("lifecycle:review-queue")).status_code == 200
        return len(ctx.captured_queries)

    grow(2)
    small = count()
    grow(8)
    assert count() == small
