"""API permissions for products and assessments: thin wrappers over spokes.access.

Composed in the viewsets as ``ReadOnly | CanEditProduct``: reads for everyone; writes for
a signed-in user (401 otherwise) who holds the right of DESIGN §5 (403 otherwise).
"""

from __future__ import annotations

from products import access as product_access
from spokes.permissions import ReadOnly, SignedIn

__all__ = ["CanAssess", "CanEditProduct", "CanManageStakeholders", "CanRecordUse", "ReadOnly"]


class CanEditProduct(SignedIn):
    """POST: any signed-in user (who becomes the maintainer). PATCH: the product's
    maintainers and hub admins."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method == "POST":
            return product_access.can_create_product(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return product_access.can_edit_product(request.user, obj)


class CanAssess(SignedIn):
    """Assessments: the product's maintainers, leads of a community it belongs to, hub
    admins. For POST the product comes from the body, so the service checks it."""

    def has_object_permission(self, request, view, obj) -> bool:
        return product_access.can_assess(request.user, obj.product)


class CanRecordUse(SignedIn):
    """Who uses a product: hub admins, leads of a community it belongs to, and a
    stakeholder's own contacts for its uses (the object is the product; the stakeholder
    the write names is ``view.use_stakeholder``, None when it names none that exists)."""

    def has_object_permission(self, request, view, obj) -> bool:
        stakeholder = getattr(view, "use_stakeholder", None)
        return product_access.can_record_use(request.user, obj, stakeholder)


class CanManageStakeholders(SignedIn):
    """Stakeholder records: hub admins create them; hub admins and a stakeholder's own
    contacts may change one (the service refuses a contact any field but its website and
    summary)."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method == "POST":
            return product_access.can_manage_stakeholders(request.user)
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return product_access.can_edit_stakeholder(request.user, obj)
