"""Governance decisions: opening them, casting votes, counting them.

A decision is opened when a lifecycle request goes into review and closed when the request
is approved, rejected or withdrawn (``lifecycle.transitions`` calls ``close_decision``). Seat
holders of the community's governance body vote while the outcome is pending; one vote per
seat, and a new vote from the same seat replaces the earlier one.

Where the body ``requires_vote``, approval needs both:

- quorum: votes cast (yes + no + abstain) / seats >= body.quorum, and
- threshold: yes / (yes + no) >= body.threshold (no yes-or-no vote at all: not met).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from events.errors import TransitionNotAllowed
from lifecycle import access as lifecycle_access
from lifecycle.models import Decision, Vote
from spokes.models import Community, GovernanceBody


@dataclass(frozen=True)
class Tally:
    yes: int = 0
    no: int = 0
    abstain: int = 0
    seats: int = 0
    quorum: Decimal = Decimal("0")
    threshold: Decimal = Decimal("0")
    requires_vote: bool = False

    @property
    def cast(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def quorum_met(self) -> bool:
        # Exact decimal arithmetic: 2 of 4 seats meets a quorum of 0.5.
        return self.seats > 0 and Decimal(self.cast) >= self.quorum * self.seats

    @property
    def threshold_met(self) -> bool:
        decisive = self.yes + self.no
        return decisive > 0 and Decimal(self.yes) >= self.threshold * decisive

    @property
    def passes(self) -> bool:
        return self.quorum_met and self.threshold_met

    def as_dict(self) -> dict[str, int]:
        return {"yes": self.yes, "no": self.no, "abstain": self.abstain}

    def describe(self) -> str:
        """One sentence with the tally and what approval needs."""
        share = f"{self.yes / (self.yes + self.no):.0%}" if self.yes + self.no else "no"
        return (
            f"{self.cast} of {self.seats} seats voted (yes {self.yes}, no {self.no}, "
            f"abstain {self.abstain}); approval needs at least {self.quorum:.0%} of seats "
            f"voting ({'met' if self.quorum_met else 'not met'}) and at least "
            f"{self.threshold:.0%} yes among yes and no votes ({share} yes: "
            f"{'met' if self.threshold_met else 'not met'})."
        )


def tally(
    decision: Decision, *, votes: list[Vote] | None = None, seats: int | None = None
) -> Tally:
    """Count a decision's votes. Pass prefetched ``votes`` and an annotated ``seats`` count
    to avoid queries (list endpoints do)."""
    body: GovernanceBody | None = decision.body
    if votes is None:
        votes = list(decision.votes.all())
    if seats is None:
        seats = body.seats.current().count() if body is not None else 0
    counts = {choice: 0 for choice in Vote.Choice.values}
    for vote in votes:
        counts[vote.choice] += 1
    return Tally(
        yes=counts["yes"],
        no=counts["no"],
        abstain=counts["abstain"],
        seats=seats,
        quorum=body.quorum if body else Decimal("0"),
        threshold=body.threshold if body else Decimal("0"),
        requires_vote=bool(body and body.requires_vote),
    )


def approval_blocker(decision: Decision | None) -> str | None:
    """Why the recorded votes do not yet allow approval, or None when they do."""
    if decision is None or decision.body is None or not decision.body.requires_vote:
        return None
    # A decision not opened yet (approval would open it) has no votes.
    result = tally(decision, votes=[] if decision.pk is None else None)
    if result.passes:
        return None
    return f"{decision.body} requires a vote before approval: {result.describe()}"


def open_decision(*, community: Community, subject: str, by=None) -> Decision:
    """A pending decision for the community's governance body (if it has one); ``by``, who
    opened it, is the user of its first history row (left out: the request's user)."""
    body = GovernanceBody.objects.filter(community=community).first()
    decision = Decision(community=community, body=body, subject=subject[:300])
    if by is not None:
        decision._history_user = _user(by)
    decision.save()
    return decision


def close_decision(*, decision: Decision, outcome: str, by, rationale: str = "") -> None:
    """Record the outcome; only a pending decision changes (a closed one is history)."""
    user = _user(by)
    rows = Decision.objects.filter(pk=decision.pk, outcome=Decision.Outcome.PENDING).update(
        outcome=outcome,
        rationale=rationale,
        closed_at=timezone.now(),
        closed_by=user,
    )
    decision.refresh_from_db()
    if rows:
        # QuerySet.update() skips simple_history's signal; record the change explicitly
        # (set on the instance: one that opened the decision still carries the opener).
        decision._history_user = user
        Decision.history.bulk_history_create([decision], update=True)


def _user(by):
    """``by`` when it is a signed-in user, else None (an anonymous user is no history user)."""
    return by if getattr(by, "is_authenticated", False) else None


def cast_vote(*, decision: Decision, by, choice: str, comment: str = "") -> tuple[Vote, bool]:
    """Record ``by``'s vote on ``decision``; returns (vote, created).

    Only a seat holder of the decision's body may vote (PermissionDenied otherwise), and
    only while the outcome is pending (TransitionNotAllowed). A second vote from the same
    seat replaces the first.
    """
    from events.log import Verb, record  # products depends on spokes, not the reverse

    seat = lifecycle_access.seat_for(by, decision)
    if seat is None:
        raise PermissionDenied("Only seat holders of the governance body may vote.")
    if choice not in Vote.Choice.values:
        raise ValidationError({"choice": [f"Choose one of: {', '.join(Vote.Choice.values)}."]})
    with transaction.atomic():
        # The row lock serialises votes with each other and with the approval that closes
        # the decision, so no vote lands after the tally that approved it.
        locked = Decision.objects.select_for_update().get(pk=decision.pk)
        if locked.outcome != Decision.Outcome.PENDING:
            raise TransitionNotAllowed(
                f"Cannot vote on a decision that is {locked.outcome}; voting is closed."
            )
        # The decision's lock also keeps two votes from one seat from racing to create.
        vote = Vote.objects.filter(decision=locked, seat=seat).first()
        created = vote is None
        if created:
            vote = Vote(decision=locked, seat=seat)
        vote.voter, vote.choice, vote.comment = by, choice, comment
        vote._history_user = by
        vote.save()
        lifecycle_request = _request_of(locked)
        record(
            Verb.VOTE_CAST,
            actor=by,
            product=lifecycle_request.product if lifecycle_request else None,
            community=locked.community,
            request=lifecycle_request,
            data={"decision": locked.pk, "choice": choice, "replaced": not created},
        )
    return vote, created


def _request_of(decision: Decision):
    try:
        return decision.request
    except Decision.request.RelatedObjectDoesNotExist:
        return None
