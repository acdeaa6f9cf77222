"""API permissions for lifecycle requests: thin wrappers over lifecycle.access and the
transitions' ``may_take``. Reads for everyone (drafts are filtered by the queryset); writes
for a signed-in user (401 otherwise) who may take that action on that request (403)."""

from __future__ import annotations

from lifecycle import access, transitions
from spokes.permissions import ReadOnly, SignedIn

__all__ = ["CanActOnRequest", "ReadOnly"]


class CanActOnRequest(SignedIn):
    """POST to the list: the service checks the product and community of the body. PATCH:
    ``access.can_edit_request``. A transition: ``transitions.may_take`` for that action."""

    def has_object_permission(self, request, view, obj) -> bool:
        if view.action in transitions.ACTIONS:
            return transitions.may_take(request.user, obj, view.action)
        return access.can_edit_request(request.user, obj)
