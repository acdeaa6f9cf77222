"""API permissions for communities and policy sets: thin wrappers over spokes.access.

Deny by default. Reads are open to everyone; every write needs a signed-in user (so an
anonymous write answers 401) and then the rule of DESIGN §5 for the object (403).
Rules that need the request body (who may own a new policy set) are checked by the
service, which raises PermissionDenied (403) before writing anything.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import roles
from spokes import access as spokes_access


class ReadOnly(BasePermission):
    """GET, HEAD and OPTIONS, for everyone."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS


class SignedIn(BasePermission):
    """An active, signed-in user (the object rules come from subclasses)."""

    def has_permission(self, request, view) -> bool:
        return roles.is_signed_in(request.user)


class CanCreateOrManageCommunity(SignedIn):
    """POST: hub admins. PATCH: leads of the community and hub admins."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method == "POST":
            return spokes_access.can_create_community(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return spokes_access.can_manage_community(request.user, obj)


class CanEditPolicySet(SignedIn):
    """POST: hub admins, or a lead for a set owned by their community (checked on the
    body by the service). PATCH: spokes_access.can_edit_policy_set."""

    def has_object_permission(self, request, view, obj) -> bool:
        return spokes_access.can_edit_policy_set(request.user, obj)
