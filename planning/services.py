"""Writes for annual planning, change management and meetings (DESIGN §12).

Keyword-only functions, each inside ``transaction.atomic``: permission first
(``PermissionDenied``: someone who may never do it is refused whatever they send), then the
input (``ValidationError``), then the state (``TransitionNotAllowed``, HTTP 409), then the
rows, with history and one event each.

Change requests are a small state machine::

    open ─approve→ approved   (the change applies itself to the plan)
         └reject→  rejected

The decision locks the request's row and moves it with a conditional ``UPDATE … WHERE
state = 'open'``, as ``lifecycle.transitions`` does, so of two concurrent decisions exactly
one applies and the other gets 409. The change it approves (a milestone added, dropped or
re-scoped) is written in the same transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.errors import TransitionNotAllowed
from events.log import Verb, record
from planning import access
from planning.models import (
    CLOSED_STATUSES,
    AgendaItem,
    AnnualPlan,
    ChangeRequest,
    Meeting,
    MeetingOutcome,
    Milestone,
    MilestoneOutcome,
    PlanAssessment,
    ProgressUpdate,
    Status,
)
from products.models import Product
from spokes.models import Community

PLAN_REFUSED = "Only the community's leads and hub admins may plan its year."
PROGRESS_REFUSED = (
    "Only the plan's leads, hub admins and maintainers of the milestone's products may post "
    "its progress."
)
DECIDE_REFUSED = "Only the community's leads and hub admins may decide its change requests."
MEETING_REFUSED = "Only hub admins may record meetings."
# The statuses a progress update may set: a milestone is dropped by a change request.
PROGRESS_STATUSES = (Status.PLANNED, Status.ON_TRACK, Status.AT_RISK, Status.DONE)
PLANNING_KINDS = (Community.Kind.HUB, Community.Kind.SPOKE)
MEETING_FIELDS = ("title", "kind", "format", "starts", "ends", "place", "summary", "source")


def today() -> datetime.date:
    return timezone.localdate()


def _not_future(name: str, day: datetime.date) -> None:
    if day > today():
        raise ValidationError({name: ["A date in the future cannot be recorded yet."]})


def _plan_event(verb: str, plan: AnnualPlan, by, **data: Any) -> None:
    record(
        verb, actor=by, community=plan.community, data={"plan": plan.pk, "year": plan.year, **data}
    )


# --- Plans and milestones --------------------------------------------------------------


@transaction.atomic
def create_plan(*, by, community: Community, year: int, summary: str = "") -> AnnualPlan:
    """Open a community's plan for ``year`` (one per community and year)."""
    if not access.can_plan(by, community):
        raise PermissionDenied(PLAN_REFUSED)
    if community.kind not in PLANNING_KINDS:
        raise ValidationError({"community": ["Plans are made by the hub and its spokes."]})
    if AnnualPlan.objects.filter(community=community, year=year).exists():
        raise ValidationError({"year": [f"{community.name} already has a plan for {year}."]})
    plan = AnnualPlan(community=community, year=year, summary=summary, created_by=by)
    plan._history_user = by
    try:
        with transaction.atomic():
            plan.full_clean(exclude=["created_by"])
            plan.save()
    except IntegrityError:  # the same plan opened at the same moment
        raise ValidationError(
            {"year": [f"{community.name} already has a plan for {year}."]}
        ) from None
    _plan_event(Verb.PLAN_CREATED, plan, by)
    return plan


@transaction.atomic
def update_plan(*, plan: AnnualPlan, by, summary: str) -> AnnualPlan:
    if not access.can_plan(by, plan.community):
        raise PermissionDenied(PLAN_REFUSED)
    if plan.summary != summary:
        plan.summary = summary
        plan._history_user = by
        plan.save()
        _plan_event(Verb.PLAN_UPDATED, plan, by, fields=["summary"])
    return plan


def _milestone_fields(title: str, owner, owner_name: str) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = ["A milestone needs a title."]
    if owner is not None and owner_name.strip():
        errors["owner_name"] = ["Name the owner either as a user or by name, not both."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def add_milestone(
    *,
    by,
    plan: AnnualPlan,
    title: str,
    due: datetime.date,
    owner=None,
    owner_name: str = "",
    products: Iterable[Product] = (),
) -> Milestone:
    """Add a milestone to the plan (planned, until a progress update says otherwise)."""
    if not access.can_plan(by, plan.community):
        raise PermissionDenied(PLAN_REFUSED)
    _milestone_fields(title, owner, owner_name)
    milestone = _create_milestone(
        plan=plan, by=by, title=title, due=due, owner=owner, owner_name=owner_name
    )
    milestone.products.set(list(products))
    _plan_event(Verb.MILESTONE_ADDED, plan, by, milestone=milestone.pk, title=milestone.title)
    return milestone


def _create_milestone(*, plan: AnnualPlan, by, **fields: Any) -> Milestone:
    milestone = Milestone(plan=plan, status=Status.PLANNED, **fields)
    milestone._history_user = by
    milestone.save()
    return milestone


@transaction.atomic
def record_progress(
    *, by, milestone: Milestone, date: datetime.date, status: str, note: str = ""
) -> ProgressUpdate:
    """A dated progress update; the milestone's status becomes that of its latest update
    (by date). A dropped milestone takes no more updates (409)."""
    if not access.can_post_progress(by, milestone):
        raise PermissionDenied(PROGRESS_REFUSED)
    if status not in PROGRESS_STATUSES:
        raise ValidationError(
            {"status": [f"Choose one of: {', '.join(PROGRESS_STATUSES)} (a change request drops)."]}
        )
    _not_future("date", date)
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if locked.status == Status.DROPPED:
        raise TransitionNotAllowed("Cannot record progress on a dropped milestone.")
    update = ProgressUpdate(milestone=locked, date=date, status=status, note=note, author=by)
    update._history_user = by
    update.save()
    latest = locked.updates.order_by("-date", "-pk").values_list("status", flat=True).first()
    if latest != locked.status:
        locked.status = latest
        locked._history_user = by
        locked.save()
    milestone.status = locked.status
    _plan_event(
        Verb.PROGRESS_RECORDED,
        locked.plan,
        by,
        milestone=locked.pk,
        update=update.pk,
        status=status,
        date=date.isoformat(),
    )
    return update


# --- Change requests --------------------------------------------------------------------


@transaction.atomic
def request_change(
    *,
    by,
    plan: AnnualPlan,
    kind: str,
    reason: str,
    milestone: Milestone | None = None,
    title: str = "",
    due: datetime.date | None = None,
    products: Sequence[Product] | None = None,
) -> ChangeRequest:
    """Propose a change to the plan: ``add`` a milestone (title and due date; products),
    ``drop`` one, or ``rescope`` one (a new title, due date or products: ``products``
    given replaces them, None keeps them)."""
    if not access.can_plan(by, plan.community):
        raise PermissionDenied(PLAN_REFUSED)
    _validate_change(plan, kind, reason, milestone, title, due, products)
    change = ChangeRequest(
        plan=plan,
        kind=kind,
        milestone=milestone if kind != ChangeRequest.Kind.ADD else None,
        title=title,
        due=due,
        rescope_products=kind == ChangeRequest.Kind.RESCOPE and products is not None,
        reason=reason,
        requested_by=by,
    )
    change._history_user = by
    change.save()
    if products:
        change.products.set(list(products))
    _plan_event(
        Verb.CHANGE_REQUESTED, plan, by, change=change.pk, kind=kind, milestone=change.milestone_id
    )
    return change


def _validate_change(plan, kind, reason, milestone, title, due, products) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in ChangeRequest.Kind.values:
        errors["kind"] = [f"Choose one of: {', '.join(ChangeRequest.Kind.values)}."]
    if not reason.strip():
        errors["reason"] = ["Say why the plan should change."]
    if kind == ChangeRequest.Kind.ADD:
        errors |= _add_errors(milestone, title, due)
    elif kind in ChangeRequest.Kind.values:
        errors |= _change_errors(plan, kind, milestone, title, due, products)
    if errors:
        raise ValidationError(errors)


def _add_errors(milestone, title, due) -> dict[str, list[str]]:
    errors = {}
    if milestone is not None:
        errors["milestone"] = ["An added milestone does not exist yet: leave this empty."]
    if not title.strip():
        errors["title"] = ["The new milestone needs a title."]
    if due is None:
        errors["due"] = ["The new milestone needs a due date."]
    return errors


def _change_errors(plan, kind, milestone, title, due, products) -> dict[str, list[str]]:
    """A drop or a re-scope: an open milestone of this plan, and what changes."""
    errors = {}
    if milestone is None:
        errors["milestone"] = ["Name the milestone to change."]
    elif milestone.plan_id != plan.pk:
        errors["milestone"] = ["That milestone belongs to another plan."]
    elif milestone.status in CLOSED_STATUSES:
        errors["milestone"] = [f"That milestone is {milestone.get_status_display().lower()}."]
    if kind == ChangeRequest.Kind.DROP and (title.strip() or due or products):
        errors["kind"] = ["A drop proposes no title, due date or products."]
    if kind == ChangeRequest.Kind.RESCOPE and not (title.strip() or due or products is not None):
        errors["kind"] = ["A re-scope proposes a new title, due date or products."]
    return errors


def _lock_open(change: ChangeRequest, action: str) -> ChangeRequest:
    locked = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if locked.state != ChangeRequest.State.OPEN:
        raise TransitionNotAllowed(f"Cannot {action} a change request in state '{locked.state}'.")
    return locked


def _decide(
    locked: ChangeRequest, target: str, by, note: str, decided_on: datetime.date, action: str
) -> None:
    """Conditional UPDATE open → ``target``: of two concurrent decisions one applies."""
    fields = {
        "decided_by": by,
        "decided_on": decided_on,
        "decision_note": note,
        "updated_at": timezone.now(),
    }
    rows = ChangeRequest.objects.filter(pk=locked.pk, state=ChangeRequest.State.OPEN).update(
        state=target, **fields
    )
    if rows != 1:
        raise TransitionNotAllowed(f"Cannot {action} a change request that is no longer open.")
    locked.state = target
    for name, value in fields.items():
        setattr(locked, name, value)
    # QuerySet.update() skips simple_history's signal; record the change explicitly.
    ChangeRequest.history.bulk_history_create([locked], update=True, default_user=by)


def _check_decision(change: ChangeRequest, by, decided_on: datetime.date | None) -> datetime.date:
    if not access.can_decide_change(by, change):
        raise PermissionDenied(DECIDE_REFUSED)
    decided_on = decided_on or today()
    _not_future("decided_on", decided_on)
    return decided_on


@transaction.atomic
def approve_change(
    *, change: ChangeRequest, by, note: str = "", decided_on: datetime.date | None = None
) -> ChangeRequest:
    """open → approved, and the plan changes: an add creates its milestone, a drop drops
    the milestone (a progress update dated the decision), a re-scope changes its title,
    due date or products."""
    decided_on = _check_decision(change, by, decided_on)
    locked = _lock_open(change, "approve")
    milestone = None
    if locked.milestone_id is not None:
        milestone = Milestone.objects.select_for_update().get(pk=locked.milestone_id)
        if milestone.status in CLOSED_STATUSES:
            raise TransitionNotAllowed(
                f"Cannot approve: the milestone is {milestone.get_status_display().lower()}."
            )
    _decide(locked, ChangeRequest.State.APPROVED, by, note, decided_on, "approve")
    milestone = _apply(locked, milestone, by)
    _plan_event(
        Verb.CHANGE_APPROVED,
        locked.plan,
        by,
        change=locked.pk,
        kind=locked.kind,
        milestone=milestone.pk,
        decided_on=decided_on.isoformat(),
        **({"note": note} if note else {}),
    )
    _refresh(change, locked)
    return change


def _apply(change: ChangeRequest, milestone: Milestone | None, by) -> Milestone:
    proposed = list(change.products.all())
    if change.kind == ChangeRequest.Kind.ADD:
        milestone = _create_milestone(plan=change.plan, by=by, title=change.title, due=change.due)
        milestone.products.set(proposed)
        ChangeRequest.objects.filter(pk=change.pk).update(milestone=milestone)
        change.milestone = milestone
        return milestone
    if change.kind == ChangeRequest.Kind.DROP:
        update = ProgressUpdate(
            milestone=milestone,
            date=change.decided_on,
            status=Status.DROPPED,
            note=f"Dropped by change request #{change.pk}: {change.reason}",
            author=by,
        )
        update._history_user = by
        update.save()
        milestone.status = Status.DROPPED
    else:
        if change.title.strip():
            milestone.title = change.title
        if change.due is not None:
            milestone.due = change.due
        if change.rescope_products:
            milestone.products.set(proposed)
    milestone._history_user = by
    milestone.save()
    return milestone


@transaction.atomic
def reject_change(
    *, change: ChangeRequest, by, note: str = "", decided_on: datetime.date | None = None
) -> ChangeRequest:
    """open → rejected; the plan stays as it is."""
    decided_on = _check_decision(change, by, decided_on)
    locked = _lock_open(change, "reject")
    _decide(locked, ChangeRequest.State.REJECTED, by, note, decided_on, "reject")
    _plan_event(
        Verb.CHANGE_REJECTED,
        locked.plan,
        by,
        change=locked.pk,
        kind=locked.kind,
        decided_on=decided_on.isoformat(),
        **({"note": note} if note else {}),
    )
    _refresh(change, locked)
    return change


DECISIONS = {"approve": approve_change, "reject": reject_change}


def _refresh(change: ChangeRequest, locked: ChangeRequest) -> None:
    for f in ChangeRequest._meta.concrete_fields:
        setattr(change, f.attname, getattr(locked, f.attname))
    change._state.fields_cache = {}


# --- The end-of-year assessment ---------------------------------------------------------


@transaction.atomic
def assess_plan(
    *,
    by,
    plan: AnnualPlan,
    narrative: str,
    outcomes: Sequence[dict],
    assessed_on: datetime.date | None = None,
) -> PlanAssessment:
    """Record (or replace) the plan's assessment: a narrative and one outcome for every
    milestone of the plan (``outcomes``: ``milestone``, ``outcome``, ``note``)."""
    if not access.can_plan(by, plan.community):
        raise PermissionDenied(PLAN_REFUSED)
    assessed_on = assessed_on or today()
    _not_future("assessed_on", assessed_on)
    AnnualPlan.objects.select_for_update().filter(pk=plan.pk).exists()
    milestones = {m.pk: m for m in plan.milestones.all()}
    errors: dict[str, list[str]] = {}
    if not narrative.strip():
        errors["narrative"] = ["Say how the year went."]
    given: dict[int, dict] = {}
    for item in outcomes:
        milestone = item["milestone"]
        if milestone.pk not in milestones:
            errors.setdefault("outcomes", []).append(f"{milestone} is not in this plan.")
        elif milestone.pk in given:
            errors.setdefault("outcomes", []).append(f"{milestone} has two outcomes.")
        if item["outcome"] not in MilestoneOutcome.Outcome.values:
            errors.setdefault("outcomes", []).append(f"Unknown outcome {item['outcome']!r}.")
        given[milestone.pk] = item
    missing = [str(m) for pk, m in milestones.items() if pk not in given]
    if missing:
        errors.setdefault("outcomes", []).append(f"No outcome for: {'; '.join(missing)}.")
    if errors:
        raise ValidationError(errors)
    assessment = PlanAssessment.objects.filter(plan=plan).first()
    created = assessment is None
    if created:
        assessment = PlanAssessment(plan=plan)
    assessment.narrative = narrative
    assessment.assessed_by = by
    assessment.assessed_on = assessed_on
    assessment._history_user = by
    assessment.save()
    existing = {o.milestone_id: o for o in assessment.outcomes.all()}
    for pk, item in given.items():
        row = existing.get(pk) or MilestoneOutcome(assessment=assessment, milestone_id=pk)
        if not row.pk or (row.outcome, row.note) != (item["outcome"], item.get("note", "")):
            row.outcome = item["outcome"]
            row.note = item.get("note", "")
            row._history_user = by
            row.save()
    _plan_event(
        Verb.PLAN_ASSESSED,
        plan,
        by,
        created=created,
        outcomes={str(pk): item["outcome"] for pk, item in given.items()},
    )
    plan.__dict__.pop("_prefetched_objects_cache", None)
    return assessment


# --- Meetings ---------------------------------------------------------------------------


def _validate_meeting(fields: dict, communities, outcomes) -> None:
    errors: dict[str, list[str]] = {}
    if fields.get("starts") and fields.get("ends") and fields["ends"] < fields["starts"]:
        errors["ends"] = ["A meeting ends on or after the day it starts."]
    if communities is not None and any(c.kind == Community.Kind.HUB for c in communities):
        errors["communities"] = ["Participants are spokes and communities of practice."]
    for item in outcomes or ():
        if not item.get("summary", "").strip():
            errors.setdefault("outcomes", []).append("An outcome needs a summary.")
        if item.get("milestone") is None and item.get("change_request") is None:
            errors.setdefault("outcomes", []).append(
                "An outcome links to the milestone or change request it produced."
            )
    if errors:
        raise ValidationError(errors)


def _replace_agenda(meeting: Meeting, agenda: Sequence[dict], by) -> None:
    for old in meeting.agenda_items.all():
        old._history_user = by
        old.delete()
    for position, item in enumerate(agenda, start=1):
        row = AgendaItem(
            meeting=meeting, position=position, title=item["title"], note=item.get("note", "")
        )
        row._history_user = by
        row.save()


def _replace_outcomes(meeting: Meeting, outcomes: Sequence[dict], by) -> None:
    for old in meeting.outcomes.all():
        old._history_user = by
        old.delete()
    for item in outcomes:
        row = MeetingOutcome(
            meeting=meeting,
            summary=item["summary"],
            milestone=item.get("milestone"),
            change_request=item.get("change_request"),
        )
        row._history_user = by
        row.save()


@transaction.atomic
def create_meeting(
    *,
    by,
    slug: str,
    title: str,
    kind: str,
    starts: datetime.date,
    ends: datetime.date,
    communities: Iterable[Community] = (),
    agenda: Sequence[dict] = (),
    outcomes: Sequence[dict] = (),
    **fields: Any,
) -> Meeting:
    """Record a meeting with its agenda (in order) and outcomes (hub admins)."""
    if not access.can_manage_meetings(by):
        raise PermissionDenied(MEETING_REFUSED)
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown meeting fields: {sorted(unknown)}")
    communities = list(communities)
    _validate_meeting({"starts": starts, "ends": ends}, communities, outcomes)
    if Meeting.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": ["A meeting with this slug already exists."]})
    meeting = Meeting(slug=slug, title=title, kind=kind, starts=starts, ends=ends, **fields)
    meeting._history_user = by
    meeting.full_clean()
    meeting.save()
    meeting.communities.set(communities)
    _replace_agenda(meeting, agenda, by)
    _replace_outcomes(meeting, outcomes, by)
    record(Verb.MEETING_CREATED, actor=by, data={"meeting": slug})
    return meeting


@transaction.atomic
def update_meeting(*, meeting: Meeting, by, **changes: Any) -> Meeting:
    """Change a meeting; ``communities``, ``agenda`` and ``outcomes`` given replace them."""
    if not access.can_manage_meetings(by):
        raise PermissionDenied(MEETING_REFUSED)
    changes.pop("slug", None)
    communities = changes.pop("communities", None)
    agenda = changes.pop("agenda", None)
    outcomes = changes.pop("outcomes", None)
    unknown = set(changes) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Unknown meeting fields: {sorted(unknown)}")
    dates = {
        "starts": changes.get("starts", meeting.starts),
        "ends": changes.get("ends", meeting.ends),
    }
    _validate_meeting(dates, communities, outcomes)
    changed = sorted(k for k, v in changes.items() if getattr(meeting, k) != v)
    for key in changed:
        setattr(meeting, key, changes[key])
    if changed:
        meeting._history_user = by
        meeting.full_clean()
        meeting.save()
    if communities is not None and set(communities) != set(meeting.communities.all()):
        meeting.communities.set(list(communities))
        changed.append("communities")
    if agenda is not None:
        _replace_agenda(meeting, agenda, by)
        changed.append("agenda")
    if outcomes is not None:
        _replace_outcomes(meeting, outcomes, by)
        changed.append("outcomes")
    if changed:
        record(Verb.MEETING_UPDATED, actor=by, data={"meeting": meeting.slug, "fields": changed})
    meeting.__dict__.pop("_prefetched_objects_cache", None)
    return meeting
