"""A community's compliance over time (DESIGN §10), read from the history tables.

For each month — the last ``MONTHS``, or fewer when the first assessment the history holds
is more recent — how many of the community's active members are compliant, partial,
noncompliant or unknown against the set the community holds its members to (its own, or
the hub's). Each month is judged as the registry stood at its end (the current month: as
it stands today): the memberships, assessments and waivers that django-simple-history
recorded until then, and waivers in force on the month's last day.

The rule is ``products.compliance``'s: the rows a month held are handed to
``compliance.assemble``, the same function ``summaries_for`` builds today's summaries
with, so the current month's counts are today's. The policies are those the set holds
today (its version in force): the chart shows how the members came to meet the bar that
applies now.

Cost: a fixed number of queries whatever the number of months or members (the set's
policies, then one query per history table: memberships, assessments, waivers), then
Python; ``monthly_compliance_cached`` keeps the result under the catalog version and the
day, so a page view after no write reads it from the cache.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone

from events import version as catalog_version
from products.compliance import Status, assemble, waiver_by_pair
from products.models import Assessment, Membership, Waiver, waiver_in_force
from spokes.models import Community, PolicySet, effective_policies_by_set

MONTHS = 12
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Month:
    """One month's counts of active members by status."""

    month: datetime.date  # its first day
    as_of: datetime.date  # the day it is judged on: its last day, or today
    counts: dict[str, int] = field(default_factory=dict)
    current: bool = False  # the month still running, judged on today

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Trend:
    community: Community
    policy_set: PolicySet
    hub_default: bool
    months: list[Month]


def _first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def _last_day(month: datetime.date) -> datetime.date:
    return _add_months(month, 1) - datetime.timedelta(days=1)


def _start_of(day: datetime.date) -> datetime.datetime:
    """The first instant of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class _Replay:
    """The rows of one history table as they stood at a moment: history rows applied in
    order (``+`` and ``~`` put the row's state, ``-`` removes it), up to each cut-off."""

    def __init__(self, rows: Iterable):
        self.rows = list(rows)
        self.position = 0
        self.state: dict[int, object] = {}

    def until(self, cutoff: datetime.datetime) -> dict:
        rows = self.rows
        while self.position < len(rows) and rows[self.position].history_date < cutoff:
            row = rows[self.position]
            if row.history_type == "-":
                self.state.pop(row.id, None)
            else:
                self.state[row.id] = row
            self.position += 1
        return self.state


def _history(model, *fields: str, **filters):
    """Light rows (named tuples) of a model's history, oldest first."""
    rows = model.history.filter(**filters).order_by("history_date", "history_id")
    return rows.values_list("id", "history_date", "history_type", *fields, named=True)


def monthly_compliance(
    community: Community,
    policy_set: PolicySet,
    *,
    hub_default: bool = False,
    today: datetime.date | None = None,
    months: int = MONTHS,
) -> Trend:
    """The community's active members by status against ``policy_set`` for each month up
    to today's (the module docstring)."""
    today = today or timezone.localdate()
    effective = effective_policies_by_set([policy_set])
    policy_ids = [p.pk for p, _ in effective.get(policy_set.pk, [])]
    ever_members = Membership.history.filter(community=community).values("product_id")
    memberships = _Replay(_history(Membership, "product_id", "state", community=community))
    pairs = {"product_id__in": ever_members, "policy_id__in": policy_ids}
    assessments = _Replay(
        _history(Assessment, "product_id", "policy_id", "status", "justification", **pairs)
    )
    waivers = _Replay(
        _history(Waiver, "product_id", "policy_id", "expires_on", "revoked_at", **pairs)
    )
    this_month = _first_of_month(today)
    first = _add_months(this_month, 1 - months)
    if assessments.rows:
        started = _first_of_month(timezone.localtime(assessments.rows[0].history_date).date())
        first = max(first, started)
    else:
        first = this_month
    out = []
    for month in _months(first, this_month):
        as_of = min(_last_day(month), today)
        cutoff = _start_of(as_of + datetime.timedelta(days=1))
        members = sorted(
            {
                m.product_id
                for m in memberships.until(cutoff).values()
                if m.state == Membership.State.ACTIVE
            }
        )
        found = {(a.product_id, a.policy_id): a for a in assessments.until(cutoff).values()}
        in_force = waiver_by_pair(
            w
            for w in waivers.until(cutoff).values()
            if waiver_in_force(w.expires_on, w.revoked_at, as_of)
        )
        sets_of = {pk: [(policy_set, hub_default)] for pk in members}
        summaries = assemble(members, sets_of, effective, found, in_force)
        tally = Counter(by_set[policy_set.slug].status for by_set in summaries.values())
        counts = {status: tally.get(status, 0) for status in Status.ALL}
        out.append(Month(month, as_of, counts, current=month == this_month))
    return Trend(community=community, policy_set=policy_set, hub_default=hub_default, months=out)


def _months(first: datetime.date, last: datetime.date) -> Iterator[datetime.date]:
    month = first
    while month <= last:
        yield month
        month = _add_months(month, 1)


def monthly_compliance_cached(
    community: Community, policy_set: PolicySet, *, hub_default: bool = False
) -> Trend:
    """``monthly_compliance``, kept in the default cache under the catalog version (every
    write advances it) and the day (months turn and waivers expire by the calendar).

    The version's number and the moment it advanced name it together: a number advanced in
    a transaction that then rolled back is given again to the next write, its moment is not.
    """
    today = timezone.localdate()
    number, changed_at = catalog_version.current()
    stamp = f"{number}@{changed_at.isoformat() if changed_at else ''}"
    key = f"compliance-trend:{community.pk}:{policy_set.pk}:{int(hub_default)}:{stamp}:{today}"
    months = cache.get(key)
    if months is None:
        months = monthly_compliance(
            community, policy_set, hub_default=hub_default, today=today
        ).months
        cache.set(key, months, CACHE_SECONDS)
    return Trend(community=community, policy_set=policy_set, hub_default=hub_default, months=months)
