"""Re-review (DESIGN §10): an assessment older than its policy set's review interval
(``PolicySet.review_interval_months``, 12 by default) is *due for re-review*.

The one rule, read in the ORM (``review_due_q``, for lists such as the review queue's)
and on a loaded row (``is_review_due``, for the API serializer and pages): an assessment
made on day D is due from day D + interval months on (``due_since``). The interval is the
set of the assessed policy's own (an inherited policy follows its base set's interval).
"""

from __future__ import annotations

import calendar
import datetime

from django.db.models import F, Q
from django.utils import timezone

from products.models import Assessment, Membership
from spokes.models import PolicySet, effective_policies_by_set


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months`` (negative: back), clamped to the month's last day
    (31 January + 1 month is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _cutoff(on: datetime.date, months: int) -> datetime.datetime:
    """Assessments made before this moment are due on ``on``: those made on or before the
    day ``months`` before it."""
    return _start_of(add_months(on, -months) + datetime.timedelta(days=1))


def review_due_q(on: datetime.date | None = None, prefix: str = "") -> Q:
    """A condition on Assessment rows (``prefix`` reaches them from another model) for
    those due for re-review on ``on`` (today by default). One query for the intervals in
    use (the set table is small); none per row."""
    on = on or datetime.date.today()
    intervals = PolicySet.objects.values_list("review_interval_months", flat=True).distinct()
    condition = Q(pk__in=[])
    for months in sorted(set(intervals)):
        condition |= Q(
            **{
                f"{prefix}policy__policy_set__review_interval_months": months,
                f"{prefix}assessed_at__lt": _cutoff(on, months),
            }
        )
    return condition


def due_since(assessment: Assessment) -> datetime.date:
    """The first day ``assessment`` is due for re-review (reads
    ``assessment.policy.policy_set``: load it with the row)."""
    made = timezone.localdate(assessment.assessed_at)
    months = assessment.policy.policy_set.review_interval_months
    day = add_months(made, months)
    # Month ends clamp (31 January + 1 month = 28 February): step to the first day the
    # rule of ``is_review_due`` holds, at most three days on.
    while add_months(day, -months) < made:
        day += datetime.timedelta(days=1)
    return day


def is_review_due(assessment: Assessment, on: datetime.date | None = None) -> bool:
    """Is ``assessment`` due for re-review on ``on`` (today by default)? The rule of
    ``review_due_q`` on a loaded row."""
    on = on or datetime.date.today()
    months = assessment.policy.policy_set.review_interval_months
    return assessment.assessed_at < _cutoff(on, months)


def due_by_community(communities, on: datetime.date | None = None) -> dict[int, list[Assessment]]:
    """{community pk: the assessments due for re-review of its active members against the
    effective policies of its set, by product and policy}, each row with ``due_since``.
    Four queries whatever the number of communities and rows; a
    community without a set of its own has none listed."""
    communities = [c for c in communities if c.policy_set_id is not None]
    if not communities:
        return {}
    sets = {c.policy_set_id: c.policy_set for c in communities}
    effective = {
        pk: {policy.pk for policy, _ in rows}
        for pk, rows in effective_policies_by_set(sets.values()).items()
    }
    wanted = set().union(*effective.values()) if effective else set()
    rows = (
        Assessment.objects.filter(
            review_due_q(on),
            policy_id__in=wanted,
            product__memberships__state=Membership.State.ACTIVE,
            product__memberships__community_id__in=[c.pk for c in communities],
        )
        .annotate(member_of=F("product__memberships__community_id"))
        .select_related("product", "policy__policy_set")
        .order_by("product__name", "policy__position", "policy__code", "pk")
    )
    by_pk = {c.pk: c for c in communities}
    due: dict[int, list[Assessment]] = {c.pk: [] for c in communities}
    for row in rows:
        community = by_pk[row.member_of]
        if row.policy_id in effective.get(community.policy_set_id, ()):
            row.due_since = due_since(row)
            due[community.pk].append(row)
    return due
