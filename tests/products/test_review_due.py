"""Re-review (products.review): an assessment older than its set's review interval is due,
in the ORM and on a row alike; the review queue's list is
tested in tests/pages/test_review_due.py, the API's ``review_due`` in
tests/api/test_review_due.py."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from products.models import Assessment
from products.review import add_months, due_since, is_review_due, review_due_q
from spokes.models import Policy
from tests.conftest import make_assessment, make_policy, make_policy_set

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def assessed(product, policy, day: datetime.date) -> Assessment:
    return make_assessment(product, policy, assessed_at=at(day))


def due_ids(on: datetime.date) -> set[int]:
    return set(Assessment.objects.filter(review_due_q(on)).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2026, 6, 15), -12, datetime.date(2025, 6, 15)),
        (datetime.date(2026, 3, 31), -1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 11, 30), 3, datetime.date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_months_end(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    "made, due",
    [
        (datetime.date(2025, 6, 16), False),  # the day before the anniversary
        (datetime.date(2025, 6, 15), True),  # twelve months ago today
        (datetime.date(2024, 1, 1), True),
        (TODAY, False),
    ],
)
def test_review_due_around_the_default_interval(product, policy_set, made, due):
    policy = Policy.objects.get(policy_set=policy_set, code="P1")
    row = assessed(product, policy, made)
    assert policy_set.review_interval_months == 12
    assert is_review_due(row, TODAY) is due
    assert (row.pk in due_ids(TODAY)) is due
    if due:
        assert due_since(row) <= TODAY
    else:
        assert due_since(row) > TODAY


def test_each_set_has_its_own_interval(product):
    quick = make_policy_set("quick", review_interval_months=3)
    slow = make_policy_set("slow", review_interval_months=24)
    four_months_ago = add_months(TODAY, -4)
    q = assessed(product, make_policy(quick, "Q1"), four_months_ago)
    s = assessed(product, make_policy(slow, "S1"), four_months_ago)
    assert is_review_due(q, TODAY) and not is_review_due(s, TODAY)
    assert due_ids(TODAY) == {q.pk}
    assert due_since(q) == add_months(four_months_ago, 3)


def test_due_since_is_the_first_day_the_rule_holds_at_a_months_end(product):
    monthly = make_policy_set("monthly", review_interval_months=1)
    row = assessed(product, make_policy(monthly, "M1"), datetime.date(2026, 1, 31))
    first = due_since(row)
    assert is_review_due(row, first)
    assert not is_review_due(row, first - datetime.timedelta(days=1))
