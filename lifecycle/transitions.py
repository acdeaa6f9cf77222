"""The onramp/offramp state machine (DESIGN §4). The only module that changes a request's state.

::

    draft ─submit→ submitted ─start_review→ in_review ─approve→ approved
                                                       └reject→ rejected
    draft | submitted | in_review ─withdraw→ withdrawn

Every service checks permission first (``PermissionDenied``: someone who may never take the
action is refused whatever the state), then the state (``TransitionNotAllowed``, HTTP 409).
A transition runs inside ``transaction.atomic``: the request row is locked
(``select_for_update``, a no-op on SQLite whose IMMEDIATE transactions serialise writers
anyway) and the state change is a conditional UPDATE on the expected state, so of two
concurrent approvals exactly one changes the row and the other gets 409.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.errors import TransitionNotAllowed
from events.log import Verb, record
from events.models import Event
from lifecycle import access as lifecycle_access
from lifecycle import checklist, decisions, notifications
from lifecycle.models import Decision, LifecycleRequest
from products.models import Membership, Product
from spokes.models import Community, GovernanceBody

State = LifecycleRequest.State
Kind = LifecycleRequest.Kind

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({State.DRAFT}), State.SUBMITTED),
    "start_review": (frozenset({State.SUBMITTED}), State.IN_REVIEW),
    "approve": (frozenset({State.IN_REVIEW}), State.APPROVED),
    "reject": (frozenset({State.IN_REVIEW}), State.REJECTED),
    "withdraw": (frozenset({State.DRAFT, State.SUBMITTED, State.IN_REVIEW}), State.WITHDRAWN),
}
ACTIONS = tuple(TRANSITIONS)
REVIEW_ACTIONS = frozenset({"start_review", "approve", "reject"})
OPEN_STATES = frozenset({State.DRAFT, State.SUBMITTED, State.IN_REVIEW})
ACTION_LABELS = {
    "submit": "Submit",
    "start_review": "Start review",
    "approve": "Approve",
    "reject": "Reject",
    "withdraw": "Withdraw",
}
_PHRASES = {
    "submit": "submit",
    "start_review": "start review of",
    "approve": "approve",
    "reject": "reject",
    "withdraw": "withdraw",
    "update": "update",
}
OPEN_REFUSED = "You may not open a request for this product and community."
EDITABLE_FIELDS = (
    "rationale",
    "reason",
    "successor",
    "support_organization",
    "end_of_support",
    "migration_notes",
    "acknowledge_dependents",
)


# --- Reads ------------------------------------------------------------------------------


def may_take(user, request: LifecycleRequest, action: str) -> bool:
    """Whether ``user`` has the permission for ``action`` (whatever the state)."""
    if action in REVIEW_ACTIONS:
        return lifecycle_access.can_review_request(user, request)
    return lifecycle_access.can_edit_request(user, request)


def allowed_actions(user, request: LifecycleRequest) -> list[str]:
    """The actions ``user`` may take on ``request`` now (permission and state)."""
    return [
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if request.state in sources and may_take(user, request, action)
    ]


def can_update(user, request: LifecycleRequest) -> bool:
    return request.state in OPEN_STATES and lifecycle_access.can_edit_request(user, request)


# --- Writes -----------------------------------------------------------------------------


def _validate_fields(
    *, kind: str, product: Product, successor: Product | None, reason: str
) -> None:
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [f"Choose one of: {', '.join(Kind.values)}."]
    if successor is not None and successor.pk == product.pk:
        errors["successor"] = ["A product cannot succeed itself."]
    if reason and reason not in LifecycleRequest.Reason.values:
        errors["reason"] = [f"Choose one of: {', '.join(LifecycleRequest.Reason.values)}."]
    if errors:
        raise ValidationError(errors)


def request_create(
    *,
    by,
    kind: str,
    product: Product,
    community: Community,
    rationale: str = "",
    reason: str = "",
    successor: Product | None = None,
    support_organization: str = "",
    end_of_support: datetime.date | None = None,
    migration_notes: str = "",
    acknowledge_dependents: bool = False,
) -> LifecycleRequest:
    """Open a draft request. Only the product's maintainers, the community's leads and hub
    admins may (``lifecycle_access.can_open_request``)."""
    if not lifecycle_access.can_open_request(by, product, community):
        raise PermissionDenied(OPEN_REFUSED)
    _validate_fields(kind=kind, product=product, successor=successor, reason=reason)
    if community.kind != Community.Kind.SPOKE:
        raise ValidationError({"community": ["Requests go into or out of a spoke."]})
    with transaction.atomic():
        req = LifecycleRequest(
            kind=kind,
            product=product,
            community=community,
            requested_by=by,
            rationale=rationale,
            reason=reason,
            successor=successor,
            support_organization=support_organization,
            end_of_support=end_of_support,
            migration_notes=migration_notes,
            acknowledge_dependents=acknowledge_dependents,
        )
        req._history_user = by
        req.save()
        record(
            Verb.REQUEST_CREATED,
            actor=by,
            product=product,
            community=community,
            request=req,
            data={"kind": kind},
        )
    return req


def request_update(*, request: LifecycleRequest, by, **changes) -> LifecycleRequest:
    """Change the editable fields (rationale and the offramp plan: reason, successor,
    support organisation, end of support, migration notes, acknowledge_dependents) until the
    request is decided."""
    if not lifecycle_access.can_edit_request(by, request):
        raise PermissionDenied("You may not edit this request.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    if "successor" in changes or "reason" in changes:
        _validate_fields(
            kind=request.kind,
            product=request.product,
            successor=changes.get("successor"),
            reason=changes.get("reason", ""),
        )
    with transaction.atomic():
        locked = _lock(request, "update", OPEN_STATES)
        changed = {k: v for k, v in changes.items() if getattr(locked, k) != v}
        if changed:
            for name, value in changed.items():
                setattr(locked, name, value)
            locked._history_user = by
            locked.save()
            record(
                Verb.REQUEST_UPDATED,
                actor=by,
                product=locked.product,
                community=locked.community,
                request=locked,
                data={"fields": sorted(changed)},
            )
    _refresh(request, locked)
    return request


def request_submit(*, request: LifecycleRequest, by, rationale: str = "") -> LifecycleRequest:
    """draft → submitted. The checklist is computed and recorded in the event; failing items
    do not stop a submission (they stop the approval)."""
    _authorise(by, request, "submit")
    with transaction.atomic():
        locked = _lock(request, "submit")
        now = timezone.now()
        _move(locked, "submit", by, submitted_at=now)
        result = checklist.compute(locked)
        _event(
            Verb.REQUEST_SUBMITTED,
            locked,
            by,
            rationale,
            checklist_passed=result.passed,
            failing=[i.key for i in result.failing],
        )
        notifications.request_moved(locked, by=by, rationale=rationale)
    _refresh(request, locked)
    return request


def request_start_review(*, request: LifecycleRequest, by, rationale: str = "") -> LifecycleRequest:
    """submitted → in_review; opens the governance decision."""
    _authorise(by, request, "start_review")
    with transaction.atomic():
        locked = _lock(request, "start_review")
        decision = decisions.open_decision(community=locked.community, subject=str(locked), by=by)
        _move(locked, "start_review", by, decision=decision)
        _event(Verb.REVIEW_STARTED, locked, by, rationale, decision=decision.pk)
        notifications.request_moved(locked, by=by, rationale=rationale)
        notifications.decision_opened(locked, decision, by=by)
    _refresh(request, locked)
    return request


def request_approve(
    *,
    request: LifecycleRequest,
    by,
    rationale: str = "",
    successor: Product | None = None,
    acknowledge_dependents: bool | None = None,
    acknowledge_critical: bool = False,
) -> LifecycleRequest:
    """in_review → approved, when every checklist item passes, the approver acknowledges
    the uses a stakeholder marks critical (an offramp; ``acknowledge_critical``) and, where
    the governance body requires a vote, quorum and threshold are met. An onramp opens a new
    active membership; an offramp closes the active one with the plan recorded, and records
    whom it is announced to (``told``)."""
    _authorise(by, request, "approve")
    if successor is not None:
        _validate_fields(kind=request.kind, product=request.product, successor=successor, reason="")
    with transaction.atomic():
        locked = _lock(request, "approve")
        if successor is not None:
            locked.successor = successor
        if acknowledge_dependents is not None:
            locked.acknowledge_dependents = acknowledge_dependents
        check, decision = _approvable(locked, by, acknowledge_critical=acknowledge_critical)
        result = check.checklist
        dependents = (
            notifications.dependents_to_tell(locked.product) if locked.kind == Kind.OFFRAMP else []
        )
        _move(
            locked,
            "approve",
            by,
            decided_at=timezone.now(),
            decision=decision,
            successor=locked.successor,
            acknowledge_dependents=locked.acknowledge_dependents,
            told=told_record(dependents, result.uses) if locked.kind == Kind.OFFRAMP else {},
        )
        _record_approval(locked, by, rationale, check, decision)
        if locked.kind == Kind.ONRAMP:
            _onramp(locked, by)
        else:
            _offramp(locked, by)
            notifications.offramp_approved(locked, uses=result.uses, dependents=dependents, by=by)
        notifications.request_moved(locked, by=by, rationale=rationale)
    _refresh(request, locked)
    return request


def told_record(dependents: Iterable[Product], uses: Iterable) -> dict:
    """What an approved offramp keeps of whom it was announced to (``LifecycleRequest.told``):
    the products depending on it and the stakeholders using it, with their criticality."""
    return {
        "dependents": sorted(p.slug for p in dependents),
        "stakeholders": [
            {
                "stakeholder": use.stakeholder.slug,
                "name": use.stakeholder.name,
                "kind": use.stakeholder.kind,
                "criticality": use.criticality,
            }
            for use in uses
        ],
    }


@dataclass(frozen=True)
class ApprovalCheck:
    """What approving a request waits for: the checklist's failing items, the approver's
    acknowledgement of the uses a stakeholder marks critical (offramps), and, where the
    governance body requires a vote, the votes still missing. ``request_approve`` refuses
    with ``refusal()``; the request page lists ``reasons`` beside a disabled Approve button
    and offers the acknowledgement when ``critical`` is not empty."""

    checklist: checklist.Checklist
    votes_missing: str | None  # decisions.approval_blocker's sentence, None when met
    # Offramp: the uses a stakeholder marks critical, and whether the approver acknowledged
    # them (their body's ``acknowledge_critical``).
    critical: tuple = ()
    critical_acknowledged: bool = False

    @property
    def critical_missing(self) -> str | None:
        """The sentence naming the critical uses still to acknowledge, None when none is."""
        if not self.critical or self.critical_acknowledged:
            return None
        names = ", ".join(
            f"{use.stakeholder.name} ({use.stakeholder.get_kind_display()})"
            for use in self.critical
        )
        product = self.critical[0].product
        return (
            f"Critical for {names}: {product} is marked critical by "
            f"{'this stakeholder' if len(self.critical) == 1 else 'these stakeholders'}; "
            "the approver must acknowledge the critical uses (acknowledge_critical)."
        )

    @property
    def ready(self) -> bool:
        return (
            self.checklist.passed and self.votes_missing is None and self.critical_missing is None
        )

    @property
    def reasons(self) -> list[str]:
        """One line per thing missing: each failing checklist item, the critical uses, then
        the votes."""
        lines = [
            item.label + (f" ({item.detail})" if item.detail else "")
            for item in self.checklist.failing
        ]
        if self.critical_missing:
            lines.append(self.critical_missing)
        if self.votes_missing:
            lines.append(self.votes_missing)
        return lines

    def refusal(self) -> str | None:
        if not self.checklist.passed:
            return (
                "Cannot approve: the checklist has failing items: "
                f"{self.checklist.failing_summary()}"
            )
        if self.critical_missing:
            return f"Cannot approve: {self.critical_missing}"
        if self.votes_missing:
            return f"Cannot approve yet. {self.votes_missing}"
        return None


def approval_check(
    request: LifecycleRequest,
    *,
    decision: Decision | None = None,
    successor: Product | None = None,
    acknowledge_dependents: bool | None = None,
    acknowledge_critical: bool = False,
) -> ApprovalCheck:
    """Whether ``request`` may be approved now, and if not why (the rule ``request_approve``
    applies). ``decision`` is the request's decision (None: the one approval would open,
    with no votes yet); ``successor``/``acknowledge_dependents``/``acknowledge_critical``
    as the approve body may carry them. An offramp of a product a stakeholder marks
    critical is refused unless the approver acknowledges it: neither a successor nor the
    requester's acknowledgement of dependents stands in for the approver's."""
    result = checklist.compute(
        request, successor=successor, acknowledge_dependents=acknowledge_dependents
    )
    if decision is None:
        decision = Decision(
            community=request.community,
            body=GovernanceBody.objects.filter(community_id=request.community_id).first(),
        )
    critical = tuple(result.critical_uses) if request.kind == Kind.OFFRAMP else ()
    for use in critical:
        use.product = request.product  # named in the sentence, without a query
    return ApprovalCheck(
        result,
        decisions.approval_blocker(decision),
        critical=critical,
        critical_acknowledged=acknowledge_critical,
    )


def _approvable(
    locked: LifecycleRequest, by, *, acknowledge_critical: bool = False
) -> tuple[ApprovalCheck, Decision]:
    """The check (its checklist passing) and the pending decision whose votes allow
    approval, or TransitionNotAllowed saying what is missing."""
    decision = _decision_for(locked, by)
    check = approval_check(locked, decision=decision, acknowledge_critical=acknowledge_critical)
    refusal = check.refusal()
    if refusal:
        raise TransitionNotAllowed(refusal)
    return check, decision


def _record_approval(
    locked: LifecycleRequest, by, rationale: str, check: ApprovalCheck, decision: Decision
) -> None:
    """Close the decision with the plan and append the approval's events."""
    result = check.checklist
    plan = {
        "successor": locked.successor.slug if locked.successor else None,
        "acknowledge_dependents": locked.acknowledge_dependents,
        "dependents": [p.slug for p in result.dependents],
        "stakeholders": [s.slug for s in result.stakeholders],
    }
    if check.critical:
        plan["critical"] = [use.stakeholder.slug for use in check.critical]
        plan["acknowledge_critical"] = True
    if locked.told:
        plan["told"] = locked.told
    decisions.close_decision(
        decision=decision,
        outcome=Decision.Outcome.APPROVED,
        by=by,
        rationale=_decision_rationale(rationale, locked, plan),
    )
    # The checklist is recorded as it stood: once the membership exists, a fresh
    # computation would fail "not already a member" and misread the decision.
    _event(
        Verb.REQUEST_APPROVED,
        locked,
        by,
        rationale,
        decision=decision.pk,
        checklist=[item.as_dict() for item in result.items],
        **plan,
    )
    _event(Verb.DECISION_TAKEN, locked, by, rationale, decision=decision.pk, outcome="approved")


def checklist_of(request: LifecycleRequest) -> tuple[checklist.Checklist, datetime.datetime | None]:
    """The checklist to show for a request, and the time it stands for.

    An approved request shows the checklist recorded at approval (and its time); any other
    request shows it computed now (time None).
    """
    if request.state == State.APPROVED:
        event = (
            Event.objects.filter(request=request, verb=Verb.REQUEST_APPROVED)
            .order_by("-created_at")
            .first()
        )
        if event is not None and "checklist" in event.data:
            recorded = checklist.Checklist(
                kind=request.kind,
                items=[checklist.Item(**item) for item in event.data["checklist"]],
                dependents=list(
                    Product.objects.filter(slug__in=event.data.get("dependents") or [])
                ),
                # The stakeholders recorded as users at approval (those still on record).
                uses=[
                    use
                    for use in checklist.uses_of(request.product)
                    if use.stakeholder.slug in (event.data.get("stakeholders") or [])
                ],
            )
            return recorded, event.created_at
    return checklist.compute(request), None


def request_reject(*, request: LifecycleRequest, by, rationale: str = "") -> LifecycleRequest:
    """in_review → rejected (no vote needed)."""
    _authorise(by, request, "reject")
    with transaction.atomic():
        locked = _lock(request, "reject")
        decision = _decision_for(locked, by)
        _move(locked, "reject", by, decided_at=timezone.now(), decision=decision)
        decisions.close_decision(
            decision=decision, outcome=Decision.Outcome.REJECTED, by=by, rationale=rationale
        )
        _event(Verb.REQUEST_REJECTED, locked, by, rationale, decision=decision.pk)
        _event(Verb.DECISION_TAKEN, locked, by, rationale, decision=decision.pk, outcome="rejected")
        notifications.request_moved(locked, by=by, rationale=rationale)
    _refresh(request, locked)
    return request


def request_withdraw(*, request: LifecycleRequest, by, rationale: str = "") -> LifecycleRequest:
    """draft | submitted | in_review → withdrawn; an open decision closes as withdrawn."""
    _authorise(by, request, "withdraw")
    with transaction.atomic():
        locked = _lock(request, "withdraw")
        _move(locked, "withdraw", by, decided_at=timezone.now())
        _event(Verb.REQUEST_WITHDRAWN, locked, by, rationale)
        if locked.decision_id:
            decision = Decision.objects.select_for_update().get(pk=locked.decision_id)
            decisions.close_decision(
                decision=decision, outcome=Decision.Outcome.WITHDRAWN, by=by, rationale=rationale
            )
            _event(
                Verb.DECISION_TAKEN,
                locked,
                by,
                rationale,
                decision=decision.pk,
                outcome="withdrawn",
            )
        notifications.request_moved(locked, by=by, rationale=rationale)
    _refresh(request, locked)
    return request


SERVICES = {
    "submit": request_submit,
    "start_review": request_start_review,
    "approve": request_approve,
    "reject": request_reject,
    "withdraw": request_withdraw,
}


def action_arguments(
    action: str,
    *,
    rationale: str = "",
    successor: Product | None = None,
    acknowledge_dependents: bool = False,
    acknowledge_critical: bool = False,
) -> dict:
    """The service arguments an action's body (page form or API) stands for. Every action
    takes a rationale; approve may add a successor or the acknowledgement of dependents,
    never remove one already recorded on the request, and may carry the approver's
    acknowledgement of the uses a stakeholder marks critical."""
    arguments: dict = {"rationale": rationale or ""}
    if action == "approve":
        if successor is not None:
            arguments["successor"] = successor
        if acknowledge_dependents:
            arguments["acknowledge_dependents"] = True
        if acknowledge_critical:
            arguments["acknowledge_critical"] = True
    return arguments


def perform(action: str, *, request: LifecycleRequest, by, **kwargs) -> LifecycleRequest:
    """Dispatch an action name (as in the API and page URLs) to its service."""
    return SERVICES[action](request=request, by=by, **kwargs)


# --- Helpers ----------------------------------------------------------------------------


def _authorise(by, request: LifecycleRequest, action: str) -> None:
    if not may_take(by, request, action):
        raise PermissionDenied(f"You may not {_PHRASES[action]} this request.")


def _not_allowed(action: str, state: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(f"Cannot {_PHRASES[action]} a request in state '{state}'.")


def _lock(
    request: LifecycleRequest, action: str, sources: Iterable[str] | None = None
) -> LifecycleRequest:
    """The request's row, locked for the rest of the transaction, in a state ``action`` may
    start from."""
    sources = TRANSITIONS[action][0] if sources is None else sources
    locked = LifecycleRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state not in sources:
        raise _not_allowed(action, locked.state)
    return locked


def _move(locked: LifecycleRequest, action: str, by, **fields) -> None:
    """Conditional UPDATE from the state read under the lock to the action's target."""
    target = TRANSITIONS[action][1]
    fields["updated_at"] = timezone.now()
    rows = LifecycleRequest.objects.filter(pk=locked.pk, state=locked.state).update(
        state=target, **fields
    )
    if rows != 1:
        current = LifecycleRequest.objects.values_list("state", flat=True).get(pk=locked.pk)
        raise _not_allowed(action, current)
    locked.state = target
    for name, value in fields.items():
        setattr(locked, name, value)
    # QuerySet.update() skips simple_history's signal; record the change explicitly.
    LifecycleRequest.history.bulk_history_create(
        [locked], update=True, default_user=by if getattr(by, "is_authenticated", False) else None
    )


def _refresh(request: LifecycleRequest, locked: LifecycleRequest) -> None:
    """Copy the committed row onto the caller's instance."""
    for f in LifecycleRequest._meta.concrete_fields:
        setattr(request, f.attname, getattr(locked, f.attname))
    request._state.fields_cache = {}


def _decision_for(locked: LifecycleRequest, by) -> Decision:
    """The request's pending decision, locked; opened now if the review had none."""
    if locked.decision_id:
        # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
        return Decision.objects.select_for_update().get(pk=locked.decision_id)
    return decisions.open_decision(community=locked.community, subject=str(locked), by=by)


def _decision_rationale(rationale: str, req: LifecycleRequest, plan: dict) -> str:
    if req.kind != Kind.OFFRAMP:
        return rationale
    notes = []
    if plan["dependents"]:
        notes.append(f"Dependents: {', '.join(plan['dependents'])}.")
    if plan.get("stakeholders"):
        notes.append(f"Used by: {', '.join(plan['stakeholders'])}.")
    if plan["successor"]:
        notes.append(f"Successor: {plan['successor']}.")
    if plan["acknowledge_dependents"]:
        notes.append("Impact on dependents and users acknowledged.")
    if plan.get("critical"):
        notes.append(f"Critical for: {', '.join(plan['critical'])}; acknowledged by the approver.")
    return "\n\n".join(part for part in (rationale, " ".join(notes)) if part)


def _event(verb: str, req: LifecycleRequest, by, rationale: str, **data) -> None:
    if rationale:
        data["rationale"] = rationale
    record(
        verb,
        actor=by,
        product=req.product,
        community=req.community,
        request=req,
        data={"kind": req.kind, **data},
    )


def _onramp(req: LifecycleRequest, by) -> None:
    try:
        # A savepoint: another request for the same pair approved at the same moment hits
        # the one-active-membership constraint, which becomes a 409, not a 500.
        with transaction.atomic():
            membership = Membership(
                product=req.product,
                community=req.community,
                state=Membership.State.ACTIVE,
                joined_at=timezone.localdate(),
                source=f"onramp request #{req.pk}",
            )
            membership._history_user = by
            membership.save()
    except IntegrityError:
        raise TransitionNotAllowed(
            f"Cannot approve: {req.product} is already an active member of {req.community}."
        ) from None
    _event(Verb.ONRAMPED, req, by, "", membership=membership.pk)


def _offramp(req: LifecycleRequest, by) -> None:
    membership = (
        Membership.objects.active()
        .select_for_update()
        .filter(product=req.product, community=req.community)
        .first()
    )
    if membership is None:
        raise TransitionNotAllowed(
            f"Cannot approve: {req.product} is not an active member of {req.community}."
        )
    membership.state = Membership.State.OFFRAMPED
    membership.left_at = timezone.localdate()
    membership.reason = req.get_reason_display() if req.reason else ""
    membership.support_organization = req.support_organization
    membership.end_of_support = req.end_of_support
    membership.migration_notes = req.migration_notes
    membership.successor = req.successor
    membership._history_user = by
    membership.save()
    _event(
        Verb.OFFRAMPED,
        req,
        by,
        "",
        membership=membership.pk,
        support_organization=req.support_organization,
        end_of_support=req.end_of_support.isoformat() if req.end_of_support else None,
        successor=req.successor.slug if req.successor else None,
    )
