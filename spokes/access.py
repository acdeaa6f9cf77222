"""Who may do what (DESIGN §5). The single source of permission rules.

HTML views, API permissions and services all ask these functions; none re-implements
them. Each takes the user first and answers a plain bool. Deny by default: an anonymous
or inactive user may do nothing that changes state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spokes.models import LEAD_ROLES, CommunityRole, Seat

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from products.models import LifecycleRequest, Product
    from spokes.models import Community, Decision, PolicySet


def _active(user: AbstractBaseUser | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_hub_admin(user) -> bool:
    return _active(user) and bool(user.is_staff or user.is_superuser)


def lead_community_ids(user) -> set[int]:
    """Ids of the communities where the user is lead or co-lead (cached on the user)."""
    if not _active(user):
        return set()
    cached = getattr(user, "_lead_community_ids", None)
    if cached is None:
        cached = set(
            CommunityRole.objects.filter(user=user, role__in=LEAD_ROLES).values_list(
                "community_id", flat=True
            )
        )
        user._lead_community_ids = cached
    return cached


def is_community_lead(user, community: Community) -> bool:
    return is_hub_admin(user) or community.pk in lead_community_ids(user)


def is_maintainer(user, product: Product) -> bool:
    if not _active(user):
        return False
    cache = getattr(user, "_maintained_product_ids", None)
    if cache is None:
        cache = set(user.maintained_products.values_list("pk", flat=True))
        user._maintained_product_ids = cache
    return product.pk in cache


def can_create_product(user) -> bool:
    return _active(user)


def can_edit_product(user, product: Product) -> bool:
    """Maintainers edit their product; hub admins edit any."""
    return is_hub_admin(user) or is_maintainer(user, product)


def can_assess(user, product: Product) -> bool:
    """Self-assessments: the product's maintainers, leads of a community it belongs to
    (as reviewers of their members), and hub admins."""
    if can_edit_product(user, product):
        return True
    leads = lead_community_ids(user)
    if not leads:
        return False
    return product.memberships.filter(community_id__in=leads).exists()


def can_record_use(user, product: Product) -> bool:
    """Record (or remove) a stakeholder's use of a product: the same people who assess it
    — its maintainers, leads of a community it belongs to, and hub admins."""
    return can_assess(user, product)


def can_manage_stakeholders(user) -> bool:
    """Stakeholder records (facilities, vendors, agencies ...) are the hub's."""
    return is_hub_admin(user)


def can_create_community(user) -> bool:
    return is_hub_admin(user)


def can_manage_community(user, community: Community) -> bool:
    """Charter, roles, governance body and seats."""
    return is_community_lead(user, community)


def can_edit_policy_set(user, policy_set: PolicySet) -> bool:
    """Hub admins edit every set (the E4S set among them); a lead edits the set their
    community owns."""
    if is_hub_admin(user):
        return True
    return policy_set.owner_id is not None and policy_set.owner_id in lead_community_ids(user)


def can_open_request(user, product: Product, community: Community) -> bool:
    return can_edit_product(user, product) or is_community_lead(user, community)


def can_view_request(user, request: LifecycleRequest) -> bool:
    """Drafts are visible to their requester, the product's maintainers and the
    community's leads; everything else is public."""
    if request.state != "draft":
        return True
    if not _active(user):
        return False
    return (
        request.requested_by_id == user.pk
        or can_edit_product(user, request.product)
        or is_community_lead(user, request.community)
    )


def can_edit_request(user, request: LifecycleRequest) -> bool:
    """Open and withdraw; edit until decided."""
    return can_open_request(user, request.product, request.community)


def can_review_request(user, request: LifecycleRequest) -> bool:
    """Start review, approve, reject."""
    return is_community_lead(user, request.community)


def seat_for(user, decision: Decision) -> Seat | None:
    if not _active(user) or decision.body_id is None:
        return None
    # Only a seat whose term covers today votes.
    return Seat.objects.current().filter(body_id=decision.body_id, user=user).first()


def can_vote(user, decision: Decision) -> bool:
    return seat_for(user, decision) is not None
