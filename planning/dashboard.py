"""The planning figures of the hub dashboard (DESIGN §12): every plan of a year, and the
milestones at risk or overdue as of a date. Each is a fixed number of queries, whatever
the number of plans and milestones.

A milestone's status on a date is that of its last progress update dated on or before it
(``MilestoneQuerySet.with_status_on``), so the figures as of a past date read the plan as
it stood then: a milestone done in April is overdue as of 10 April if it was due in March.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from planning.models import CLOSED_STATUSES, AnnualPlan, Milestone, Status


@dataclass(frozen=True)
class PlanRow:
    plan: AnnualPlan
    milestones: int
    by_status: dict[str, int]


def plans_for(year: int) -> list[PlanRow]:
    """Every community's plan for ``year``, with its milestones counted by status (one
    query)."""
    counts = {s: Count("milestones", filter=Q(milestones__status=s)) for s in Status.values}
    plans = (
        AnnualPlan.objects.filter(year=year)
        .select_related("community")
        .annotate(n_milestones=Count("milestones"), **{f"n_{s}": c for s, c in counts.items()})
        .order_by("community__name", "pk")
    )
    return [
        PlanRow(
            plan=plan,
            milestones=plan.n_milestones,
            by_status={s: getattr(plan, f"n_{s}") for s in Status.values},
        )
        for plan in plans
    ]


def _milestones(as_of: datetime.date, year: int | None):
    milestones = Milestone.objects.with_status_on(as_of).select_related("plan__community", "owner")
    if year is not None:
        milestones = milestones.filter(plan__year=year)
    return milestones.order_by("due", "plan__community__name", "pk")


def at_risk(as_of: datetime.date, *, year: int | None = None) -> list[Milestone]:
    """Milestones whose status as of ``as_of`` is at risk (one query)."""
    return list(_milestones(as_of, year).filter(status_then=Status.AT_RISK))


def overdue(as_of: datetime.date, *, year: int | None = None) -> list[Milestone]:
    """Milestones due before ``as_of`` and, as of then, neither done nor dropped (one
    query)."""
    return list(
        _milestones(as_of, year).filter(due__lt=as_of).exclude(status_then__in=CLOSED_STATUSES)
    )
