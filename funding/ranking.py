"""Ranking by weighted score (DESIGN §12).

A review's weighted score is Σ weight * score / Σ weights over the call's criteria; a
proposal's score is the mean of its reviews' weighted scores (None before any review).
The ranking orders a call's proposals under review or decided by score, highest first
(unreviewed last, then by id). Everything is computed from rows read in a fixed number of
queries, whatever the number of proposals and reviews.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from accounts.roles import is_hub_admin
from funding.models import Criterion, FundingCall, Proposal, Review

PLACES = Decimal("0.01")
RANKED_STATES = (Proposal.State.UNDER_REVIEW, Proposal.State.DECIDED)


def _round(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def weighted(scores: dict, criteria: Sequence[Criterion]) -> Decimal:
    """One review's weighted score over ``criteria`` (unrounded)."""
    total_weight = sum((c.weight for c in criteria), Decimal("0"))
    if not total_weight:
        return Decimal("0")
    total = sum((c.weight * Decimal(str(scores.get(c.name, 0))) for c in criteria), Decimal("0"))
    return total / total_weight


def score_of(reviews: Iterable[Review], criteria: Sequence[Criterion]) -> Decimal | None:
    """A proposal's score: the mean of its reviews' weighted scores, to two places."""
    values = [weighted(r.scores, criteria) for r in reviews]
    if not values:
        return None
    return _round(sum(values, Decimal("0")) / len(values))


def criterion_means(reviews: Sequence[Review], criteria: Sequence[Criterion]) -> dict[str, Decimal]:
    """Each criterion's mean score over ``reviews`` (the published page's columns)."""
    if not reviews:
        return {}
    return {
        c.name: _round(
            sum((Decimal(str(r.scores.get(c.name, 0))) for r in reviews), Decimal("0"))
            / len(reviews)
        )
        for c in criteria
    }


@dataclass
class Ranked:
    rank: int | None
    proposal: Proposal
    score: Decimal | None
    reviews: list[Review] = field(default_factory=list)
    means: dict[str, Decimal] = field(default_factory=dict)


def scores_for(proposals: Sequence[Proposal], criteria: Sequence[Criterion]) -> dict[int, Decimal]:
    """Each reviewed proposal's score (one query for the reviews)."""
    by_proposal: dict[int, list[Review]] = defaultdict(list)
    for review in Review.objects.filter(proposal__in=[p.pk for p in proposals]):
        by_proposal[review.proposal_id].append(review)
    return {
        pk: score
        for pk, reviews in by_proposal.items()
        if (score := score_of(reviews, criteria)) is not None
    }


def rank(call: FundingCall) -> list[Ranked]:
    """The call's proposals under review or decided, best score first (four queries)."""
    criteria = list(call.criteria.all())
    proposals = list(
        Proposal.objects.filter(call=call, state__in=RANKED_STATES).for_list().order_by("pk")
    )
    reviews: dict[int, list[Review]] = defaultdict(list)
    for review in (
        Review.objects.filter(proposal__in=[p.pk for p in proposals])
        .select_related("panel_member__user")
        .order_by("pk")
    ):
        reviews[review.proposal_id].append(review)
    rows = [
        Ranked(
            rank=None,
            proposal=p,
            score=score_of(reviews[p.pk], criteria),
            reviews=reviews[p.pk],
            means=criterion_means(reviews[p.pk], criteria),
        )
        for p in proposals
    ]
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.proposal.pk))
    for n, row in enumerate(rows, start=1):
        row.rank = n if row.score is not None else None
    return rows


# --- What a reader sees -----------------------------------------------------------------


def _criteria_by_call(call_ids: Iterable[int]) -> dict[int, list[Criterion]]:
    found: dict[int, list[Criterion]] = defaultdict(list)
    for criterion in Criterion.objects.filter(call__in=set(call_ids)):
        found[criterion.call_id].append(criterion)
    return found


def with_visible_scores(proposals: Sequence[Proposal], user) -> Sequence[Proposal]:
    """Put on each proposal ``visible_score`` and ``visible_decision``: its score and its
    funding decision where ``user`` may see the call's scores, else None (three queries,
    whatever the number of proposals). Expects ``decision`` selected (``for_list``)."""
    call_ids = {p.call_id for p in proposals}
    seen = set(
        FundingCall.objects.scored_by(user).filter(pk__in=call_ids).values_list("pk", flat=True)
    )
    shown = [p for p in proposals if p.call_id in seen]
    criteria = _criteria_by_call(p.call_id for p in shown) if shown else {}
    reviews: dict[int, list[Review]] = defaultdict(list)
    if shown:
        for review in Review.objects.filter(proposal__in=[p.pk for p in shown]):
            reviews[review.proposal_id].append(review)
    for p in proposals:
        visible = p.call_id in seen
        p.visible_score = score_of(reviews[p.pk], criteria[p.call_id]) if visible else None
        decision = getattr(p, "decision", None) if visible else None
        p.visible_decision = decision
    return proposals


def with_reviewers(reviews: Sequence[Review], user) -> Sequence[Review]:
    """Put on each review ``weighted_score`` and ``reviewer_shown``: the reviewer is named
    where the call publishes its reviewers, to hub admins and to the reviewer (one query
    for the criteria). Expects ``proposal__call`` and ``panel_member__user`` selected."""
    criteria = _criteria_by_call(r.proposal.call_id for r in reviews) if reviews else {}
    admin = is_hub_admin(user)
    for r in reviews:
        r.weighted_score = _round(weighted(r.scores, criteria[r.proposal.call_id]))
        r.reviewer_shown = (
            admin or r.proposal.call.reviewers_public or r.panel_member.user_id == user.pk
        )
    return reviews
