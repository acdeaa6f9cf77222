"""API permissions for planning and meetings: thin wrappers over ``planning.access``.
Reads for everyone; writes for a signed-in user (401 otherwise) whom the rule allows (403).
A POST to a list names its plan or community in the body: the service checks it."""

from __future__ import annotations

from planning import access
from planning.models import AnnualPlan, ChangeRequest, Milestone
from spokes.permissions import ReadOnly, SignedIn

__all__ = ["CanManageMeetings", "CanPlan", "ReadOnly"]


class CanPlan(SignedIn):
    """A plan, a milestone's progress, a change request's decision: ``planning.access``."""

    def has_object_permission(self, request, view, obj) -> bool:
        if isinstance(obj, AnnualPlan):
            return access.can_plan(request.user, obj.community)
        if isinstance(obj, Milestone):
            return access.can_post_progress(request.user, obj)
        if isinstance(obj, ChangeRequest):
            return access.can_decide_change(request.user, obj)
        return False


class CanManageMeetings(SignedIn):
    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and access.can_manage_meetings(request.user)
