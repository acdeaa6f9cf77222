"""What funding coordination asks of one user ("My work", ``/me/``): the proposals a panel
member is assigned to review."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import is_signed_in
from funding import access
from funding.models import PanelMember, Proposal, Review


@dataclass(frozen=True)
class Assignment:
    proposal: Proposal
    reviewed: bool


def assigned_proposals(user) -> list[Assignment]:
    """The proposals under review in the calls whose panel ``user`` sits on, except those
    they declared a conflict with; unreviewed first (five queries, whatever the number)."""
    if not is_signed_in(user):
        return []
    seats = list(
        PanelMember.objects.filter(user=user)
        .select_related("user")
        .prefetch_related("conflict_products")
    )
    if not seats:
        return []
    by_call = {seat.call_id: seat for seat in seats}
    proposals = list(
        Proposal.objects.filter(call__in=by_call, state=Proposal.State.UNDER_REVIEW)
        .select_related("call", "community")
        .prefetch_related("products")
        .order_by("call__slug", "pk")
    )
    reviewed = set(
        Review.objects.filter(panel_member__in=seats).values_list("proposal_id", flat=True)
    )
    rows = [
        Assignment(p, p.pk in reviewed)
        for p in proposals
        if access.conflict_in_hand(by_call[p.call_id], p) is None
    ]
    return sorted(rows, key=lambda a: a.reviewed)
