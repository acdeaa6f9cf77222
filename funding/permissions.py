"""API permissions for funding coordination: thin wrappers over ``funding.access``. Reads
for everyone (drafts and unpublished scores are filtered by the querysets); writes for a
signed-in user (401 otherwise) whom the rule allows (403). Rules that need the body (who
may propose for a spoke, who may review a proposal) are checked by the services."""

from __future__ import annotations

from funding import access
from spokes.permissions import ReadOnly, SignedIn

__all__ = [
    "CanEditPanelMember",
    "CanEditProposal",
    "DecidesFunding",
    "ManagesCalls",
    "ReadOnly",
    "Reviews",
]


class ManagesCalls(SignedIn):
    """Hub admins: calls, their transitions, appointing panel members."""

    message = "Only hub admins open funding calls and appoint their panels."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and access.can_manage_calls(request.user)


class CanEditPanelMember(SignedIn):
    """POST: hub admins (appoint). PATCH: the member and hub admins."""

    message = "Only hub admins appoint panel members; a member changes their own declaration."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method != "POST" or access.can_manage_calls(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        return access.can_edit_panel_member(request.user, obj)


class CanEditProposal(SignedIn):
    """POST to the list: the service checks the spoke and products of the body. PATCH,
    submit, withdraw: the author and hub admins. Comments: the service's rule."""

    message = "Only the proposal's author changes, submits or withdraws it."

    def has_object_permission(self, request, view, obj) -> bool:
        if view.action == "comments":
            return True
        return access.can_edit_proposal(request.user, obj)


class Reviews(SignedIn):
    """POST: members of some call's panel (which proposal they may review, the service)."""

    message = "Only members of the call's panel review its proposals."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and access.sits_on_a_panel(request.user)


class DecidesFunding(SignedIn):
    """POST: hub admins (one on the call's panel is refused by the service)."""

    message = "Hub admins take the funding decisions; a panel member never decides."

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and access.can_manage_calls(request.user)
