"""Who may plan, report progress, change plans and record meetings (DESIGN §5, §12).

On top of ``spokes.access`` (leads) and ``products.access`` (maintainers): leads and
co-leads of a community plan its year (plans, milestones, change requests, the end-of-year
assessment) and decide its change requests; hub admins may do all of that for every
community; a maintainer of a product a milestone concerns may post that milestone's
progress updates; hub admins record meetings. Everyone reads. Deny by default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import is_hub_admin
from products.access import is_maintainer
from spokes.access import is_community_lead

if TYPE_CHECKING:
    from planning.models import ChangeRequest, Milestone
    from spokes.models import Community


def can_plan(user, community: Community) -> bool:
    """Create and change the community's plans, milestones, change requests and
    assessments: its leads and hub admins."""
    return is_community_lead(user, community)


def can_post_progress(user, milestone: Milestone) -> bool:
    """The plan's leads, hub admins, and maintainers of a product the milestone concerns."""
    if can_plan(user, milestone.plan.community):
        return True
    return any(is_maintainer(user, product) for product in milestone.products.all())


def can_decide_change(user, change: ChangeRequest) -> bool:
    """Approve or reject a change request: the plan's community's leads and hub admins."""
    return can_plan(user, change.plan.community)


def can_manage_meetings(user) -> bool:
    return is_hub_admin(user)
