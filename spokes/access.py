"""Who may do what with communities, roles, governance bodies and policy sets (DESIGN §5).

The permission rules live in one ``access`` module per layer: this one (communities), then
``products.access`` (products, assessments, stakeholders' uses) and ``lifecycle.access``
(requests, decisions, votes), all built on ``accounts.roles``. HTML views, API permission
classes, importers and services all ask these functions; none re-implements them. Each takes
the user first and answers a plain bool. Deny by default: an anonymous or inactive user may
do nothing that changes state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import is_hub_admin, is_signed_in
from spokes.models import LEAD_ROLES, CommunityRole

if TYPE_CHECKING:
    from spokes.models import Community, PolicySet


def lead_community_ids(user) -> set[int]:
    """Ids of the communities where the user is lead or co-lead (cached on the user)."""
    if not is_signed_in(user):
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


def may_import(user) -> bool:
    """The check an import asks before reading its file: hub admins, and leads of some
    community. Which records a lead may then write is ``products.access``'s per-file rule."""
    return is_hub_admin(user) or bool(lead_community_ids(user))
