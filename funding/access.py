"""Who may do what in funding coordination (DESIGN §5 and §12), on top of
``accounts.roles``, ``spokes.access`` and ``products.access``.

- Hub admins open calls, appoint panels and take the funding decisions once the panel has
  scored; a hub admin who sits on a call's panel does not decide that call.
- Panel members review the call's proposals, except those they declared a conflict with
  (one of the proposal's products, or the proposing team's institution); they never decide.
  A member (and hub admins) may change the member's expertise and declared conflicts.
- A proposal is written by a team: the maintainers of one of its products or a lead of its
  spoke open it; its author (and hub admins) edit it while a draft, submit and withdraw it.
- Leads of the proposal's spoke, the contacts of stakeholders and hub admins comment.
- Drafts are private to their authors and hub admins (``Proposal.objects.visible_to``);
  reviews, scores and decisions are read by everyone once the call is decided, before that
  by hub admins and the call's panel (``FundingCall.objects.scored_by``).

The refusals that carry a reason (a conflicted reviewer) return the sentence; the others a
plain bool. Views, API permissions and services all ask these functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from accounts.roles import is_hub_admin, is_signed_in
from funding.models import FundingCall, PanelMember, Proposal
from products.models import Product
from spokes.access import is_community_lead

if TYPE_CHECKING:
    from spokes.models import Community


def can_manage_calls(user) -> bool:
    """Create and edit calls, open them, start their review, publish them, appoint panels."""
    return is_hub_admin(user)


def panel_seat(user, call: FundingCall) -> PanelMember | None:
    if not is_signed_in(user):
        return None
    return PanelMember.objects.filter(call=call, user=user).first()


def is_panel_member(user, call: FundingCall) -> bool:
    return panel_seat(user, call) is not None


def sits_on_a_panel(user) -> bool:
    return is_signed_in(user) and PanelMember.objects.filter(user=user).exists()


def can_edit_panel_member(user, member: PanelMember) -> bool:
    """Expertise and declared conflicts: the member, and hub admins."""
    return is_hub_admin(user) or (is_signed_in(user) and member.user_id == user.pk)


def can_see_scores(user, call: FundingCall) -> bool:
    """Reviews, scores, ranking and decisions of ``call``."""
    return FundingCall.objects.scored_by(user).filter(pk=call.pk).exists()


def conflict_of(member: PanelMember, proposal: Proposal) -> str | None:
    """Why ``member`` may not review ``proposal``, or None when they declared no conflict
    with it."""
    declared = PanelMember.conflict_products.through.objects.filter(panelmember=member)
    shared = sorted(
        Product.objects.filter(
            pk__in=declared.values("product_id"), proposals=proposal
        ).values_list("slug", flat=True)
    )
    if shared:
        return f"{member.user} declared a conflict of interest with {', '.join(shared)}."
    return _institution_conflict(member, proposal)


def conflict_in_hand(member: PanelMember, proposal: Proposal) -> str | None:
    """``conflict_of`` over rows already loaded: the member's ``conflict_products`` and the
    proposal's ``products`` prefetched (lists of many proposals, no query each)."""
    declared = {p.pk for p in member.conflict_products.all()}
    shared = sorted(p.slug for p in proposal.products.all() if p.pk in declared)
    if shared:
        return f"{member.user} declared a conflict of interest with {', '.join(shared)}."
    return _institution_conflict(member, proposal)


def _institution_conflict(member: PanelMember, proposal: Proposal) -> str | None:
    institution = proposal.institution.strip().casefold()
    if institution and institution in {
        str(name).strip().casefold() for name in member.conflict_institutions
    }:
        return (
            f"{member.user} declared a conflict of interest with {proposal.institution}, "
            "the proposing team's institution."
        )
    return None


def review_refusal(user, proposal: Proposal) -> str | None:
    """Why ``user`` may not review ``proposal`` (whatever its state), or None."""
    member = panel_seat(user, proposal.call)
    if member is None:
        return "Only members of the call's panel review its proposals."
    return conflict_of(member, proposal)


def can_propose(user, community: Community, products: Iterable[Product]) -> bool:
    """Open a proposal for ``community``: hub admins, its leads, or a maintainer of one of
    the proposal's products."""
    if not is_signed_in(user):
        return False
    if is_community_lead(user, community):
        return True
    pks = [p.pk for p in products]
    return bool(pks) and Product.objects.filter(pk__in=pks, maintainers=user).exists()


def can_edit_proposal(user, proposal: Proposal) -> bool:
    """Edit (while a draft), submit and withdraw: its author, and hub admins."""
    if is_hub_admin(user):
        return True
    return is_signed_in(user) and proposal.author_id == user.pk


def can_view_proposal(user, proposal: Proposal) -> bool:
    return Proposal.objects.visible_to(user).filter(pk=proposal.pk).exists()


def speaks_for_a_stakeholder(user) -> bool:
    """Whether ``user`` is a contact of some stakeholder (``Stakeholder.contacts``)."""
    return is_signed_in(user) and user.stakeholder_contacts.exists()


def can_comment(user, proposal: Proposal) -> bool:
    """Leads of the proposal's spoke, stakeholders' contacts and hub admins."""
    if not is_signed_in(user):
        return False
    return is_community_lead(user, proposal.community) or speaks_for_a_stakeholder(user)


def can_decide(user, call: FundingCall) -> bool:
    """Hub admins, unless they sit on the call's panel: a panel member never decides."""
    return is_hub_admin(user) and not is_panel_member(user, call)
