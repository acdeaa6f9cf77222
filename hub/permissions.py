"""API permissions for releases: thin wrappers over hub.access.

Composed in the viewset as ``ReadOnly | CanWriteRelease``: reads for everyone; writes for a
signed-in user (401 otherwise) who may write the release (403 otherwise). Which kind and
community a new release names is in its body: ``hub.services`` checks that before writing.
"""

from __future__ import annotations

from hub import access as hub_access
from spokes.permissions import ReadOnly, SignedIn

__all__ = ["CanWriteRelease", "ReadOnly"]


class CanWriteRelease(SignedIn):
    """POST: hub admins and the leads of some community (for the release the body names,
    the service decides). PATCH and DELETE: ``hub_access.can_edit_release``."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method == "POST":
            return hub_access.may_record_releases(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return hub_access.can_edit_release(request.user, obj)
