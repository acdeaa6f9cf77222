"""Who may do what with lifecycle requests, decisions and votes (DESIGN §5), on top of
``spokes.access`` and ``products.access``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import is_signed_in
from lifecycle.models import LifecycleRequest
from products.access import can_edit_product
from spokes.access import is_community_lead
from spokes.models import Seat

if TYPE_CHECKING:
    from lifecycle.models import Decision
    from products.models import Product
    from spokes.models import Community


def can_open_request(user, product: Product, community: Community) -> bool:
    return can_edit_product(user, product) or is_community_lead(user, community)


def can_view_request(user, request: LifecycleRequest) -> bool:
    """Drafts are private (``LifecycleRequest.objects.visible_to`` is the rule); everything
    else is public."""
    if request.state != LifecycleRequest.State.DRAFT:
        return True
    return LifecycleRequest.objects.visible_to(user).filter(pk=request.pk).exists()


def can_edit_request(user, request: LifecycleRequest) -> bool:
    """Open and withdraw; edit until decided."""
    return can_open_request(user, request.product, request.community)


def can_review_request(user, request: LifecycleRequest) -> bool:
    """Start review, approve, reject."""
    return is_community_lead(user, request.community)


def seat_for(user, decision: Decision) -> Seat | None:
    if not is_signed_in(user) or decision.body_id is None:
        return None
    # Only a seat whose term covers today votes.
    return Seat.objects.current().filter(body_id=decision.body_id, user=user).first()


def can_vote(user, decision: Decision) -> bool:
    return seat_for(user, decision) is not None
