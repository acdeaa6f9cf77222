"""``review_due`` on the assessments API (the rule: products.review)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from products.review import add_months
from spokes.models import Policy
from tests.conftest import make_assessment

pytestmark = pytest.mark.django_db


def assessed(product, policy, day: datetime.date):
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    return make_assessment(product, policy, assessed_at=moment)


def test_the_api_flags_review_due(client_for, product, policy_set):
    p1 = Policy.objects.get(policy_set=policy_set, code="P1")
    p2 = Policy.objects.get(policy_set=policy_set, code="P2")
    old = assessed(product, p1, add_months(datetime.date.today(), -13))
    fresh = assessed(product, p2, datetime.date.today())
    rows = client_for(None).get("/api/v1/assessments/?product=widget").json()["results"]
    flags = {r["id"]: r["review_due"] for r in rows}
    assert flags == {old.pk: True, fresh.pk: False}
    detail = client_for(None).get(f"/api/v1/assessments/{old.pk}/").json()
    assert detail["review_due"] is True
