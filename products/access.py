"""Who may do what with products, their dependencies, assessments and stakeholders' uses
(DESIGN §5), on top of the community rules of ``spokes.access``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.roles import is_hub_admin, is_signed_in
from products.models import Membership, Product
from spokes.access import is_community_lead, lead_community_ids
from spokes.models import Community

if TYPE_CHECKING:
    from products.importers.catalog import Catalog


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


# --- Imports ------------------------------------------------------------------------------
# Hub admins import anything. A community lead imports a Spack recipe or an xSDK
# compatibility file for a product of a community they lead, and a catalog file only when
# every product it touches is a member of a community they lead (or joins one in the file)
# and it has no communities / policy sets / stakeholders sections. Each rule answers None
# when the import may proceed, or the reason it may not.


def _led_product_slugs(user, slugs: set[str]) -> set[str]:
    """Which of these products are active members of a community the user leads."""
    leads = lead_community_ids(user)
    if not leads or not slugs:
        return set()
    return set(
        Membership.objects.active()
        .filter(community_id__in=leads, product__slug__in=slugs)
        .values_list("product__slug", flat=True)
    )


def catalog_import_refusal(user, parsed: Catalog) -> str | None:
    if is_hub_admin(user):
        return None
    leads = lead_community_ids(user)
    if not leads:
        return "Only hub admins and community leads may import catalog files."
    if parsed.communities or parsed.policy_sets or parsed.stakeholders:
        return (
            "Only hub admins may import communities, policy sets or stakeholders; remove "
            "those sections."
        )
    led_slugs = set(Community.objects.filter(pk__in=leads).values_list("slug", flat=True))
    for m in parsed.memberships:
        if m["community"] not in led_slugs:
            return f"The file changes a membership in {m['community']!r}, which you do not lead."
    touched = parsed.product_slugs()
    # A new product may come in with a membership (in the file) of a community they lead.
    joining = {m["product"] for m in parsed.memberships if m.get("state", "active") == "active"}
    outside = sorted(touched - (_led_product_slugs(user, touched) | joining))
    if outside:
        shown = ", ".join(outside[:10]) + (" ..." if len(outside) > 10 else "")
        return f"These products are not members of a community you lead: {shown}."
    return None


def product_import_refusal(user, slug: str, community: str | None = None) -> str | None:
    """Spack / xSDK imports: the product must be in a community the user leads (or, for a
    new Spack product, be joining one they lead)."""
    if is_hub_admin(user):
        return None
    if not lead_community_ids(user):
        return "Only hub admins and community leads may import files."
    if community is not None:
        target = Community.objects.filter(slug=community).first()
        if target is not None and not is_community_lead(user, target):
            return f"You do not lead {community!r}."
    if _led_product_slugs(user, {slug}):
        return None
    if community is not None and not Product.objects.filter(slug=slug).exists():
        return None  # a new product joining the community they lead
    return f"{slug!r} is not a member of a community you lead."
