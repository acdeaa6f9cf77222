"""Who may do what with products, their dependencies, assessments and stakeholders' uses
(DESIGN §5), on top of the community rules of ``spokes.access``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import is_hub_admin, is_signed_in
from spokes.access import lead_community_ids

if TYPE_CHECKING:
    from products.models import Product


def is_maintainer(user, product: Product) -> bool:
    if not is_signed_in(user):
        return False
    cache = getattr(user, "_maintained_product_ids", None)
    if cache is None:
        cache = set(user.maintained_products.values_list("pk", flat=True))
        user._maintained_product_ids = cache
    return product.pk in cache


def can_create_product(user) -> bool:
    return is_signed_in(user)


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
