"""The funding state machines and the funding decision (DESIGN §12). The only module that
changes the state of a call or a proposal.

::

    call:      draft ─open→ open ─start_review→ under_review ─decide→ decided
    proposal:  draft ─submit→ submitted ─(the call's review starts)→ under_review
               under_review ─(a funding decision)→ decided
               draft | submitted | under_review ─withdraw→ withdrawn

Every service checks permission first (``PermissionDenied``: someone who may never take the
action is refused whatever the state), then the state (``TransitionNotAllowed``, HTTP 409).
As in ``lifecycle.transitions``, the row is locked (``select_for_update``) and the state
change is a conditional ``UPDATE … WHERE state = expected``, so of two concurrent
transitions exactly one applies.

A funding decision locks its call's row before anything else: two decisions of the same
call are taken one after the other, and the second sees the first's amount when it checks
the envelope (refused with 409 naming the total it would reach).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from events.errors import TransitionNotAllowed
from events.log import Verb, record
from funding import access
from funding.models import FundingCall, FundingDecision, PanelMember, Proposal, Review

CallState = FundingCall.State
State = Proposal.State
Outcome = FundingDecision.Outcome

# action -> (states it may start from, state it leads to)
CALL_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({CallState.DRAFT}), CallState.OPEN),
    "start_review": (frozenset({CallState.OPEN}), CallState.UNDER_REVIEW),
    "decide": (frozenset({CallState.UNDER_REVIEW}), CallState.DECIDED),
}
PROPOSAL_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({State.DRAFT}), State.SUBMITTED),
    "withdraw": (frozenset({State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW}), State.WITHDRAWN),
}
CALL_ACTIONS = tuple(CALL_TRANSITIONS)
PROPOSAL_ACTIONS = tuple(PROPOSAL_TRANSITIONS)
_CALL_PHRASES = {"open": "open", "start_review": "start the review of", "decide": "publish"}


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _move(model: type[models.Model], locked, target: str, by, **fields) -> None:
    """Conditional UPDATE from the state read under the lock to ``target``, with history."""
    fields["updated_at"] = timezone.now()
    rows = model.objects.filter(pk=locked.pk, state=locked.state).update(state=target, **fields)
    if rows != 1:  # pragma: no cover - the row lock makes this unreachable on PostgreSQL
        raise TransitionNotAllowed(f"The {model._meta.verbose_name} changed meanwhile; retry.")
    locked.state = target
    for name, value in fields.items():
        setattr(locked, name, value)
    # QuerySet.update() skips simple_history's signal; record the change explicitly.
    model.history.bulk_history_create([locked], update=True, default_user=_actor(by))


def _refresh(instance, locked) -> None:
    for f in type(instance)._meta.concrete_fields:
        setattr(instance, f.attname, getattr(locked, f.attname))
    instance._state.fields_cache = {}


# --- Calls ------------------------------------------------------------------------------


def allowed_call_actions(user, call: FundingCall) -> list[str]:
    if not access.can_manage_calls(user):
        return []
    return [a for a, (sources, _) in CALL_TRANSITIONS.items() if call.state in sources]


def call_transition(*, call: FundingCall, by, action: str) -> FundingCall:
    """Open a call, start its review (its submitted proposals go under review) or publish it
    (every proposal under review decided)."""
    if not access.can_manage_calls(by):
        raise PermissionDenied(f"Only hub admins {_CALL_PHRASES[action]} funding calls.")
    sources, target = CALL_TRANSITIONS[action]
    with transaction.atomic():
        locked = FundingCall.objects.select_for_update().get(pk=call.pk)
        if locked.state not in sources:
            raise TransitionNotAllowed(
                f"Cannot {_CALL_PHRASES[action]} a call in state '{locked.state}'."
            )
        data: dict = {"call": locked.slug}
        if action == "open" and not locked.criteria.exists():
            raise TransitionNotAllowed("Cannot open a call without criteria.")
        if action == "start_review":
            if not locked.panel.exists():
                raise TransitionNotAllowed("Cannot start the review: appoint the panel first.")
            data["proposals"] = _start_review(locked, by)
        if action == "decide":
            pending = locked.proposals.filter(state=State.UNDER_REVIEW).count()
            if pending:
                raise TransitionNotAllowed(
                    f"Cannot publish the call: {pending} proposal(s) under review have no "
                    "decision yet."
                )
            data["decided_total"] = str(locked.decided_total())
        _move(FundingCall, locked, target, by)
        verb = {
            "open": Verb.FUNDING_CALL_OPENED,
            "start_review": Verb.FUNDING_REVIEW_STARTED,
            "decide": Verb.FUNDING_CALL_DECIDED,
        }[action]
        record(verb, actor=by, data=data)
    _refresh(call, locked)
    return call


def _start_review(call: FundingCall, by) -> list[int]:
    """Every submitted proposal of the call goes under review."""
    proposals = list(
        Proposal.objects.select_for_update().filter(call=call, state=State.SUBMITTED).order_by("pk")
    )
    now = timezone.now()
    Proposal.objects.filter(pk__in=[p.pk for p in proposals], state=State.SUBMITTED).update(
        state=State.UNDER_REVIEW, updated_at=now
    )
    for p in proposals:
        p.state, p.updated_at = State.UNDER_REVIEW, now
    Proposal.history.bulk_history_create(proposals, update=True, default_user=_actor(by))
    return [p.pk for p in proposals]


# --- Proposals --------------------------------------------------------------------------


def allowed_proposal_actions(user, proposal: Proposal) -> list[str]:
    if not access.can_edit_proposal(user, proposal):
        return []
    return [a for a, (sources, _) in PROPOSAL_TRANSITIONS.items() if proposal.state in sources]


def _lock_proposal(proposal: Proposal, action: str, sources) -> Proposal:
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.state not in sources:
        raise TransitionNotAllowed(f"Cannot {action} a proposal in state '{locked.state}'.")
    return locked


def proposal_submit(*, proposal: Proposal, by) -> Proposal:
    """draft → submitted, while the call is open; it needs a work plan and a budget."""
    if not access.can_edit_proposal(by, proposal):
        raise PermissionDenied("Only the proposal's author submits it.")
    with transaction.atomic():
        locked = _lock_proposal(proposal, "submit", PROPOSAL_TRANSITIONS["submit"][0])
        call = FundingCall.objects.get(pk=locked.call_id)
        if call.state != CallState.OPEN:
            raise TransitionNotAllowed(f"The call is {call.get_state_display().lower()}, not open.")
        errors = {}
        if not locked.work_plan.strip():
            errors["work_plan"] = ["A submitted proposal needs a work plan."]
        if not locked.budget_lines.exists():
            errors["budget"] = ["A submitted proposal needs a budget."]
        if errors:
            raise ValidationError(errors)
        _move(Proposal, locked, State.SUBMITTED, by, submitted_at=timezone.now())
        _proposal_event(Verb.PROPOSAL_SUBMITTED, locked, by, title=locked.title)
    _refresh(proposal, locked)
    return proposal


def proposal_withdraw(*, proposal: Proposal, by) -> Proposal:
    """draft | submitted | under_review → withdrawn."""
    if not access.can_edit_proposal(by, proposal):
        raise PermissionDenied("Only the proposal's author withdraws it.")
    with transaction.atomic():
        locked = _lock_proposal(proposal, "withdraw", PROPOSAL_TRANSITIONS["withdraw"][0])
        was_draft = locked.state == State.DRAFT
        _move(Proposal, locked, State.WITHDRAWN, by)
        # A draft's title stays private to its author.
        extra = {} if was_draft else {"title": locked.title}
        _proposal_event(Verb.PROPOSAL_WITHDRAWN, locked, by, **extra)
    _refresh(proposal, locked)
    return proposal


PROPOSAL_SERVICES = {"submit": proposal_submit, "withdraw": proposal_withdraw}


def _proposal_event(verb: str, proposal: Proposal, by, **data) -> None:
    record(
        verb,
        actor=by,
        community=proposal.community,
        data={"call": proposal.call.slug, "proposal": proposal.pk, **data},
    )


# --- The funding decision ---------------------------------------------------------------


def unscored_by(proposal: Proposal) -> list[PanelMember]:
    """The panel members who may review ``proposal`` and have not yet."""
    reviewed = set(Review.objects.filter(proposal=proposal).values_list("panel_member", flat=True))
    members = PanelMember.objects.filter(call_id=proposal.call_id).select_related("user")
    return [m for m in members if m.pk not in reviewed and access.conflict_of(m, proposal) is None]


def _check_amount(outcome: str, amount: Decimal | None, requested: Decimal) -> Decimal:
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [f"Choose one of: {', '.join(Outcome.values)}."]})
    if outcome == Outcome.DECLINED:
        if amount not in (None, Decimal("0")):
            raise ValidationError({"amount": ["A declined proposal is awarded nothing."]})
        return Decimal("0")
    if outcome == Outcome.FUNDED:
        if amount is not None and amount != requested:
            raise ValidationError(
                {"amount": [f"A funded proposal is awarded what it requests ({requested})."]}
            )
        return requested
    if amount is None or not (Decimal("0") < amount < requested):
        raise ValidationError(
            {"amount": [f"A partial award is more than 0 and less than {requested}."]}
        )
    return amount


def decide(
    *, proposal: Proposal, by, outcome: str, rationale: str, amount: Decimal | None = None
) -> FundingDecision:
    """Take the funding decision on a proposal under review, once every panel member
    without a conflict has scored it: under_review → decided. Refused (409) when the call's
    decided total would go over its envelope; the call's row is locked first, so two
    decisions racing are checked one after the other."""
    if not access.can_decide(by, proposal.call):
        raise PermissionDenied(
            "Hub admins take the funding decisions; a panel member never decides."
        )
    if not rationale.strip():
        raise ValidationError({"rationale": ["Say why."]})
    with transaction.atomic():
        call = FundingCall.objects.select_for_update().get(pk=proposal.call_id)
        locked = _lock_proposal(proposal, "decide on", {State.UNDER_REVIEW})
        if call.state != CallState.UNDER_REVIEW:
            raise TransitionNotAllowed(f"The call is {call.get_state_display().lower()}.")
        missing = unscored_by(locked)
        if missing:
            names = ", ".join(str(m.user) for m in missing)
            raise TransitionNotAllowed(f"The panel has not scored this proposal yet: {names}.")
        award = _check_amount(outcome, amount, locked.requested_total)
        decided = call.decided_total()
        if decided + award > call.envelope:
            raise TransitionNotAllowed(
                f"This decision would take the call's decided total to {decided + award}, "
                f"over its envelope of {call.envelope} ({decided} decided so far)."
            )
        decision = FundingDecision(
            proposal=locked, outcome=outcome, amount=award, rationale=rationale, decided_by=by
        )
        decision._history_user = _actor(by)
        decision.save()
        _move(Proposal, locked, State.DECIDED, by)
        _proposal_event(
            Verb.FUNDING_DECIDED,
            locked,
            by,
            # The outcome and amount are published with the call, not before.
            title=locked.title,
        )
    _refresh(proposal, locked)
    return decision
