"""Writes of funding coordination other than state changes (those are in
``funding.transitions``): calls and their criteria, the panel, proposals and their budget,
reviews and comments.

Each function is keyword-only, runs inside ``transaction.atomic``, checks permission first
(``PermissionDenied``), then the state (``TransitionNotAllowed``), then the values
(``ValidationError``), keeps the history user and appends an ``Event``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from events.errors import TransitionNotAllowed
from events.log import Verb, record
from funding import access
from funding.models import (
    SCORE_MAX,
    SCORE_MIN,
    BudgetLine,
    Comment,
    Criterion,
    FundingCall,
    PanelMember,
    Proposal,
    Review,
)
from products.models import Product
from spokes.models import Community

CALL_FIELDS = ("title", "year", "summary", "envelope", "opens_at", "closes_at", "reviewers_public")
PROPOSAL_FIELDS = ("title", "team", "institution", "work_plan")


def _actor(by):
    return by if getattr(by, "is_authenticated", False) else None


def _save(instance, by) -> None:
    instance._history_user = _actor(by)
    instance.save()


# --- Calls ------------------------------------------------------------------------------


def _check_call(opens_at: datetime.date, closes_at: datetime.date, envelope: Decimal) -> None:
    errors = {}
    if closes_at < opens_at:
        errors["closes_at"] = ["A call closes on or after the day it opens."]
    if envelope < 0:
        errors["envelope"] = ["The envelope cannot be negative."]
    if errors:
        raise ValidationError(errors)


def _check_criteria(criteria: Sequence[dict]) -> None:
    names = [c["name"].strip() for c in criteria]
    if not criteria:
        raise ValidationError({"criteria": ["A call needs at least one criterion."]})
    if len(set(n.casefold() for n in names)) != len(names):
        raise ValidationError({"criteria": ["Each criterion has its own name."]})
    if any(Decimal(str(c["weight"])) <= 0 for c in criteria):
        raise ValidationError({"criteria": ["Each weight is more than 0."]})


def _write_criteria(call: FundingCall, criteria: Sequence[dict], by) -> None:
    for old in call.criteria.all():
        old._history_user = _actor(by)
        old.delete()
    for n, c in enumerate(criteria):
        _save(
            Criterion(
                call=call,
                name=c["name"].strip(),
                weight=c["weight"],
                guide=c.get("guide", ""),
                position=n,
            ),
            by,
        )


def call_create(
    *,
    by,
    slug: str,
    title: str,
    year: int,
    envelope: Decimal,
    opens_at: datetime.date,
    closes_at: datetime.date,
    criteria: Sequence[dict],
    summary: str = "",
    reviewers_public: bool = False,
) -> FundingCall:
    """A new call, as a draft, with its criteria (name, weight, guide)."""
    if not access.can_manage_calls(by):
        raise PermissionDenied("Only hub admins open funding calls.")
    _check_call(opens_at, closes_at, envelope)
    _check_criteria(criteria)
    if FundingCall.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": ["A funding call with this slug already exists."]})
    with transaction.atomic():
        call = FundingCall(
            slug=slug,
            title=title,
            year=year,
            envelope=envelope,
            opens_at=opens_at,
            closes_at=closes_at,
            summary=summary,
            reviewers_public=reviewers_public,
            created_by=_actor(by),
        )
        _save(call, by)
        _write_criteria(call, criteria, by)
        record(Verb.FUNDING_CALL_CREATED, actor=by, data={"call": slug, "title": title})
    return call


def call_update(*, call: FundingCall, by, criteria: Sequence[dict] | None = None, **changes: Any):
    """Change a call until it is decided; its criteria only while it is a draft (reviews
    score them), its envelope never below what is already decided."""
    if not access.can_manage_calls(by):
        raise PermissionDenied("Only hub admins change funding calls.")
    unknown = set(changes) - set(CALL_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    with transaction.atomic():
        locked = FundingCall.objects.select_for_update().get(pk=call.pk)
        if locked.state == FundingCall.State.DECIDED:
            raise TransitionNotAllowed("A decided call no longer changes.")
        if criteria is not None and locked.state != FundingCall.State.DRAFT:
            raise TransitionNotAllowed("The criteria change only while the call is a draft.")
        changed = {k: v for k, v in changes.items() if getattr(locked, k) != v}
        for name, value in changed.items():
            setattr(locked, name, value)
        _check_call(locked.opens_at, locked.closes_at, locked.envelope)
        if "envelope" in changed and locked.envelope < locked.decided_total():
            raise TransitionNotAllowed(
                f"The envelope cannot go below the decided total, {locked.decided_total()}."
            )
        if criteria is not None:
            _check_criteria(criteria)
            _write_criteria(locked, criteria, by)
            changed["criteria"] = True
        if changed:
            _save(locked, by)
            record(
                Verb.FUNDING_CALL_UPDATED,
                actor=by,
                data={"call": locked.slug, "fields": sorted(changed)},
            )
    call.refresh_from_db()
    return call


# --- The panel --------------------------------------------------------------------------


def _clean_institutions(names: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        text = str(name).strip()
        if text:
            seen.setdefault(text.casefold(), text)
    return sorted(seen.values(), key=str.casefold)


def panel_appoint(
    *,
    call: FundingCall,
    by,
    user,
    expertise: str = "",
    conflict_products: Iterable[Product] = (),
    conflict_institutions: Iterable[str] = (),
) -> PanelMember:
    """Appoint ``user`` to the call's panel, with the conflicts they declare."""
    if not access.can_manage_calls(by):
        raise PermissionDenied("Only hub admins appoint panels.")
    with transaction.atomic():
        locked = FundingCall.objects.select_for_update().get(pk=call.pk)
        if locked.state == FundingCall.State.DECIDED:
            raise TransitionNotAllowed("The call is decided: its panel no longer changes.")
        if PanelMember.objects.filter(call=locked, user=user).exists():
            raise TransitionNotAllowed(f"{user} is already on this call's panel.")
        member = PanelMember(
            call=locked,
            user=user,
            expertise=expertise,
            conflict_institutions=_clean_institutions(conflict_institutions),
            appointed_by=_actor(by),
        )
        _save(member, by)
        member.conflict_products.set(list(conflict_products))
        record(
            Verb.PANEL_MEMBER_APPOINTED,
            actor=by,
            data={"call": locked.slug, "user": user.username, "panel_member": member.pk},
        )
    return member


def panel_update(
    *,
    member: PanelMember,
    by,
    expertise: str | None = None,
    conflict_products: Iterable[Product] | None = None,
    conflict_institutions: Iterable[str] | None = None,
) -> PanelMember:
    """The member (or a hub admin) changes their expertise and declared conflicts."""
    if not access.can_edit_panel_member(by, member):
        raise PermissionDenied("Only the panel member and hub admins change their declaration.")
    with transaction.atomic():
        locked = PanelMember.objects.select_for_update().get(pk=member.pk)
        if locked.call.state == FundingCall.State.DECIDED:
            raise TransitionNotAllowed("The call is decided: its panel no longer changes.")
        fields = []
        if expertise is not None and expertise != locked.expertise:
            locked.expertise = expertise
            fields.append("expertise")
        if conflict_institutions is not None:
            cleaned = _clean_institutions(conflict_institutions)
            if cleaned != locked.conflict_institutions:
                locked.conflict_institutions = cleaned
                fields.append("conflicts")
        if fields:
            _save(locked, by)
        if conflict_products is not None:
            wanted = {p.pk for p in conflict_products}
            if wanted != set(locked.conflict_products.values_list("pk", flat=True)):
                locked._history_user = _actor(by)
                locked.conflict_products.set(list(wanted))
                fields.append("conflicts")
        if fields:
            record(
                Verb.PANEL_MEMBER_UPDATED,
                actor=by,
                data={
                    "call": locked.call.slug,
                    "panel_member": locked.pk,
                    "fields": sorted(set(fields)),
                },
            )
    member.refresh_from_db()
    return member


# --- Proposals --------------------------------------------------------------------------


def _check_budget(budget: Sequence[dict]) -> None:
    for line in budget:
        missing = [k for k in ("category", "year", "amount") if k not in line]
        if missing:
            raise ValidationError({"budget": [f"Each line needs {', '.join(missing)}."]})
        if line["category"] not in BudgetLine.Category.values:
            raise ValidationError({"budget": [f"Unknown category {line['category']!r}."]})
        if Decimal(str(line["amount"])) < 0:
            raise ValidationError({"budget": ["An amount cannot be negative."]})


def _write_budget(proposal: Proposal, budget: Sequence[dict], by) -> None:
    for old in proposal.budget_lines.all():
        old._history_user = _actor(by)
        old.delete()
    for line in budget:
        _save(
            BudgetLine(
                proposal=proposal,
                category=line["category"],
                year=line["year"],
                amount=line["amount"],
            ),
            by,
        )


def proposal_create(
    *,
    by,
    call: FundingCall,
    title: str,
    team: str,
    community: Community,
    products: Sequence[Product] = (),
    institution: str = "",
    work_plan: str = "",
    budget: Sequence[dict] = (),
) -> Proposal:
    """A draft proposal to an open call, by a maintainer of one of its products or a lead
    of its spoke (``access.can_propose``)."""
    if not access.can_propose(by, community, products):
        raise PermissionDenied(
            "Proposals come from a lead of the spoke or a maintainer of one of its products."
        )
    if call.state != FundingCall.State.OPEN:
        raise TransitionNotAllowed(f"The call is {call.get_state_display().lower()}, not open.")
    if community.kind != Community.Kind.SPOKE:
        raise ValidationError({"community": ["Proposals come from a spoke."]})
    _check_budget(budget)
    with transaction.atomic():
        proposal = Proposal(
            call=call,
            title=title,
            team=team,
            institution=institution,
            community=community,
            work_plan=work_plan,
            author=_actor(by),
        )
        _save(proposal, by)
        proposal.products.set(list(products))
        _write_budget(proposal, budget, by)
        # A draft is private: the event names no title.
        record(
            Verb.PROPOSAL_CREATED,
            actor=by,
            community=community,
            data={"call": call.slug, "proposal": proposal.pk},
        )
    return proposal


def proposal_update(
    *,
    proposal: Proposal,
    by,
    products: Sequence[Product] | None = None,
    budget: Sequence[dict] | None = None,
    **changes: Any,
) -> Proposal:
    """Its author (or a hub admin) changes a draft: fields, products, budget (replaced)."""
    if not access.can_edit_proposal(by, proposal):
        raise PermissionDenied("Only the proposal's author edits it.")
    unknown = set(changes) - set(PROPOSAL_FIELDS)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    if budget is not None:
        _check_budget(budget)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.state != Proposal.State.DRAFT:
            raise TransitionNotAllowed(
                f"Only a draft changes; this proposal is {locked.get_state_display().lower()}."
            )
        changed = sorted(k for k, v in changes.items() if getattr(locked, k) != v)
        for name in changed:
            setattr(locked, name, changes[name])
        if changed:
            _save(locked, by)
        if products is not None:
            wanted = {p.pk for p in products}
            if wanted != set(locked.products.values_list("pk", flat=True)):
                locked._history_user = _actor(by)
                locked.products.set(list(wanted))
                changed.append("products")
        if budget is not None:
            _write_budget(locked, budget, by)
            changed.append("budget")
        if changed:
            record(
                Verb.PROPOSAL_UPDATED,
                actor=by,
                community=locked.community,
                data={"call": locked.call.slug, "proposal": locked.pk, "fields": changed},
            )
    proposal.refresh_from_db()
    return proposal


# --- Reviews and comments ---------------------------------------------------------------


def check_scores(scores: Any, criteria: Sequence[Criterion]) -> dict[str, int]:
    """One whole score per criterion of the call, on the scale, and nothing else."""
    if not isinstance(scores, dict):
        raise ValidationError({"scores": ["An object: criterion name → score."]})
    names = [c.name for c in criteria]
    errors = []
    missing = [n for n in names if n not in scores]
    unknown = sorted(set(scores) - set(names))
    if missing:
        errors.append(f"Score every criterion; missing: {', '.join(missing)}.")
    if unknown:
        errors.append(f"Not a criterion of this call: {', '.join(unknown)}.")
    for name in names:
        value = scores.get(name)
        if name in scores and (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not SCORE_MIN <= value <= SCORE_MAX
        ):
            errors.append(f"{name}: a whole number from {SCORE_MIN} to {SCORE_MAX}.")
    if errors:
        raise ValidationError({"scores": errors})
    return {n: scores[n] for n in names}


def review_record(
    *, proposal: Proposal, by, scores: dict, comment: str = ""
) -> tuple[Review, bool]:
    """A panel member's review of a proposal under review: scores per criterion and a
    comment; a second review by the same member replaces the first. Refused (403, with the
    reason) to anyone off the panel and to a member with a declared conflict."""
    refusal = access.review_refusal(by, proposal)
    if refusal:
        raise PermissionDenied(refusal)
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.state != Proposal.State.UNDER_REVIEW:
            raise TransitionNotAllowed(
                f"Only a proposal under review is reviewed; this one is "
                f"{locked.get_state_display().lower()}."
            )
        clean = check_scores(scores, list(locked.call.criteria.all()))
        member = access.panel_seat(by, locked.call)
        review = Review.objects.filter(proposal=locked, panel_member=member).first()
        created = review is None
        if created:
            review = Review(proposal=locked, panel_member=member)
        review.scores, review.comment = clean, comment
        try:
            with transaction.atomic():
                _save(review, by)
        except IntegrityError:
            raise TransitionNotAllowed(
                "Another review by you was saved meanwhile; retry."
            ) from None
        record(
            Verb.PROPOSAL_REVIEWED,
            actor=by,
            community=locked.community,
            data={"call": locked.call.slug, "proposal": locked.pk, "review": review.pk},
        )
    return review, created


def comment_add(*, proposal: Proposal, by, body: str) -> Comment:
    """A lead of the proposal's spoke, a stakeholder's contact or a hub admin comments on a
    submitted proposal or one under review."""
    if not access.can_comment(by, proposal):
        raise PermissionDenied("Leads of the proposal's spoke and stakeholders comment.")
    if not body.strip():
        raise ValidationError({"body": ["Write something."]})
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.state not in (Proposal.State.SUBMITTED, Proposal.State.UNDER_REVIEW):
            raise TransitionNotAllowed(
                f"Comments are taken while a proposal is submitted or under review; this one "
                f"is {locked.get_state_display().lower()}."
            )
        comment = Comment(proposal=locked, author=_actor(by), body=body)
        _save(comment, by)
        record(
            Verb.PROPOSAL_COMMENTED,
            actor=by,
            community=locked.community,
            data={"call": locked.call.slug, "proposal": locked.pk, "comment": comment.pk},
        )
    return comment
