"""Who may do what with products, their dependencies, assessments and stakeholders' uses
(DESIGN §5), on top of the community rules of ``spokes.access``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from accounts.roles import is_hub_admin, is_signed_in
from products.models import Assessment, Membership, Product, Stakeholder
from spokes.access import is_community_lead, lead_community_ids
from spokes.models import Community, PolicySet

if TYPE_CHECKING:
    from products.importers.catalog import Catalog
    from products.models import Waiver
    from spokes.models import Policy


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


def is_stakeholder_contact(user, stakeholder: Stakeholder) -> bool:
    """Whether ``user`` is one of the stakeholder's own contacts (``Stakeholder.contacts``)."""
    if not is_signed_in(user):
        return False
    cache = getattr(user, "_stakeholder_contact_ids", None)
    if cache is None:
        cache = set(user.stakeholder_contacts.values_list("pk", flat=True))
        user._stakeholder_contact_ids = cache
    return stakeholder.pk in cache


def leads_a_community_of(user, product: Product) -> bool:
    """Whether ``user`` leads a community ``product`` belongs to (active or offramped)."""
    leads = lead_community_ids(user)
    return bool(leads) and product.memberships.filter(community_id__in=leads).exists()


def can_record_use(user, product: Product, stakeholder: Stakeholder | None = None) -> bool:
    """Record, change or remove ``stakeholder``'s use of ``product``: hub admins; leads of
    a community the product belongs to; and the stakeholder's own contacts, for that
    stakeholder's uses only. The product's maintainers are not asked: who relies on a
    product is a fact for its community and its users to state, not for its team.
    ``stakeholder`` None asks whether the user may record any stakeholder's use."""
    if is_hub_admin(user):
        return True
    if not is_signed_in(user):
        return False
    if leads_a_community_of(user, product):
        return True
    return stakeholder is not None and is_stakeholder_contact(user, stakeholder)


def may_record_uses(user) -> bool:
    """The check asked before a use page's form is read: only hub admins, leads of some
    community and stakeholders' contacts may ever record a use (which: ``can_record_use``)."""
    if is_hub_admin(user):
        return True
    if not is_signed_in(user):
        return False
    return bool(lead_community_ids(user)) or user.stakeholder_contacts.exists()


def may_record_uses_for(user, stakeholder: Stakeholder) -> bool:
    """Whether ``user`` may record some use of ``stakeholder``: hub admins and its contacts
    (any product), leads of some community (their communities' products)."""
    if is_hub_admin(user) or is_stakeholder_contact(user, stakeholder):
        return True
    return bool(lead_community_ids(user))


def can_manage_stakeholders(user) -> bool:
    """Stakeholder records (facilities, vendors, agencies ...) are the hub's: hub admins
    create them, change any field and name their contacts."""
    return is_hub_admin(user)


# What a stakeholder's own contact may change on its record (the rest is the hub's).
CONTACT_EDITABLE_FIELDS = frozenset({"website", "summary"})


def can_edit_stakeholder(user, stakeholder: Stakeholder, fields: Iterable[str] = ()) -> bool:
    """Change ``fields`` of ``stakeholder``: hub admins any; its own contacts only its
    website and summary. With no fields: whether the user may change any of them."""
    if can_manage_stakeholders(user):
        return True
    return is_stakeholder_contact(user, stakeholder) and set(fields) <= CONTACT_EDITABLE_FIELDS


# --- Waivers and interoperability (DESIGN §10) ---------------------------------------


def may_grant_waivers(user) -> bool:
    """The check asked before a waiver write's body is read: only hub admins and leads of
    some community may ever grant or revoke one (which one: ``can_grant_waiver``)."""
    return is_hub_admin(user) or bool(lead_community_ids(user))


def can_grant_waiver(user, product: Product, policy: Policy) -> bool:
    """Waive ``policy`` for ``product``: a lead or co-lead of the community that owns the
    policy's set, or a hub admin. The hub's own set (no owner, E4S) is waived only by hub
    admins and leads of the hub community."""
    return policy.policy_set_id in waivable_set_ids(user, [policy.policy_set])


def waivable_set_ids(user, policy_sets: Iterable[PolicySet]) -> set[int]:
    """The pks of the given sets whose policies ``user`` may waive (``can_grant_waiver``'s
    rule, for many sets at once: at most one query, whatever their number)."""
    policy_sets = list(policy_sets)
    if is_hub_admin(user):
        return {ps.pk for ps in policy_sets}
    leads = lead_community_ids(user)
    if not leads:
        return set()
    hub_lead = any(ps.owner_id is None for ps in policy_sets) and (
        Community.objects.filter(pk__in=leads, kind=Community.Kind.HUB).exists()
    )
    return {
        ps.pk
        for ps in policy_sets
        if (ps.owner_id in leads if ps.owner_id is not None else hub_lead)
    }


def can_revoke_waiver(user, waiver: Waiver) -> bool:
    """Whoever may grant the waiver may revoke it."""
    return can_grant_waiver(user, waiver.product, waiver.policy)


def may_confirm_interoperability(user) -> bool:
    """The check asked before a confirmation's body is read (``may_grant_waivers``'s twin)."""
    return is_hub_admin(user) or bool(lead_community_ids(user))


def can_confirm_interoperability(user, product: Product, partner: Product | None = None) -> bool:
    """Confirm that ``product`` works with ``partner``: a lead of a community either of them
    is an active member of, or a hub admin."""
    if is_hub_admin(user):
        return True
    leads = lead_community_ids(user)
    if not leads:
        return False
    products = [product.pk] + ([partner.pk] if partner is not None else [])
    return (
        Membership.objects.active().filter(product_id__in=products, community_id__in=leads).exists()
    )


# --- Imports ------------------------------------------------------------------------------
# An import writes what the API writes, so it asks the same rules, section by section.
# Hub admins import anything. Anyone else must lead a community, and then:
#   products      an existing product only if they may edit it (can_edit_product); a new
#                 one as can_create_product; a `maintainers` list only unchanged (on a new
#                 product: none, or just the importer, as the API's create makes them)
#   dependencies  only of a product they may edit, or one the file creates
#   memberships   never created or changed: memberships come from an approved onramp;
#                 a record must match an existing membership field for field
#   assessments   only of a product they may assess (can_assess), or one the file creates;
#                 `assessed_by` only themselves, unless the assessment already names another
#   uses          only of a product in the registry they may record the use of
#                 (can_record_use: a community of it they lead, or the stakeholder's contact)
#   communities, policy sets, stakeholders: hub admins only.
#   creating the accounts a file names (create_accounts): hub admins only — an account
#                 is the hub's, not a community's.
# A Spack recipe writes its product's metadata and dependencies (can_edit_product, or
# can_create_product for a new one) and, with a community, would add a membership (refused
# unless the product is already an active member of it, which they lead); an xSDK
# compatibility file writes assessments (can_assess). Each rule answers None when the
# import may proceed, or the reason it may not, naming the first offending record.

IMPORTERS = "Only hub admins and community leads may import files."
USE_REFUSED = (
    "only hub admins, leads of a community the product belongs to, or the stakeholder's own "
    "contacts may record its uses."
)
CREATE_ACCOUNTS = "Only hub admins may create accounts through an import."


def _row(parsed: Catalog, what: str, rec) -> str:
    """Where a record is and what it is about, to begin a refusal."""
    line, column = rec.where()
    return f"{parsed.file}:{line}:{column}: {what} of {rec['product']!r}"


class _Products:
    """The products a catalog file names: those in the registry (by slug) and those the
    file creates, with each permission answer asked once."""

    def __init__(self, user, parsed: Catalog) -> None:
        self.user = user
        self.existing = {
            p.slug: p
            for p in Product.objects.filter(slug__in=parsed.product_slugs()).prefetch_related(
                "maintainers"
            )
        }
        self.created = {r["slug"] for r in parsed.products} - set(self.existing)
        self._answers: dict[tuple, bool] = {}

    def may(self, rule, slug: str) -> bool:
        """``rule(user, product)`` for an existing product; True for one the file creates
        (its creator may edit, assess and record uses of it, as through the API)."""
        if slug in self.created:
            return True
        product = self.existing.get(slug)
        if product is None:
            return False  # neither in the file nor in the registry: refused, never guessed
        key = (rule, slug)
        if key not in self._answers:
            self._answers[key] = rule(self.user, product)
        return self._answers[key]


def catalog_products_refusal(user, parsed: Catalog, products: _Products) -> str | None:
    for r in parsed.products:
        line, column = r.where()
        where = f"{parsed.file}:{line}:{column}: product {r['slug']!r}"
        product = products.existing.get(r["slug"])
        if product is None:
            if not can_create_product(user):
                return f"{where}: sign in to register a product."
            if "maintainers" in r and r["maintainers"] not in ([], [user.get_username()]):
                return f"{where}: only hub admins may name the maintainers of a product."
            continue
        if not can_edit_product(user, product):
            return f"{where}: only its maintainers or a hub admin may change it."
        current = {u.get_username() for u in product.maintainers.all()}
        if "maintainers" in r and set(r["maintainers"]) != current:
            return f"{where}: only hub admins may change a product's maintainers."
    return None


def catalog_dependencies_refusal(user, parsed: Catalog, products: _Products) -> str | None:
    for r in parsed.dependencies:
        if not products.may(can_edit_product, r["product"]):
            return (
                f"{_row(parsed, 'dependency', r)}: only the product's maintainers or a hub "
                "admin may change its dependencies."
            )
    return None


def catalog_memberships_refusal(user, parsed: Catalog, products: _Products) -> str | None:
    """Memberships are made by approving an onramp (or offramp), never by a lead's import:
    each record must stand for an existing membership and change none of its fields."""
    # The writer's own matching rule, so "unchanged" means what the import would do.
    from products.importers.catalog.writer import MEMBERSHIP_FIELDS, _MembershipMatcher

    records = parsed.memberships
    if not records:
        return None
    found = [
        products.existing[r["product"]].pk for r in records if r["product"] in products.existing
    ]
    rows = list(
        Membership.objects.filter(product_id__in=found).select_related("community", "successor")
    )
    matcher = _MembershipMatcher(rows)
    communities = {c.community.slug: c.community for c in rows}
    for r in records:
        product = products.existing.get(r["product"])
        community = communities.get(r["community"])
        row = matcher.match(product, community, r) if product and community else None
        changed = row is None or any(
            getattr(row, name) != r[key] for key, name in MEMBERSHIP_FIELDS.items() if key in r
        )
        if row is not None and "successor" in r:
            changed |= (row.successor.slug if row.successor else None) != (r["successor"] or None)
        if changed:
            return (
                f"{_row(parsed, 'membership', r)} in {r['community']!r}: memberships are made "
                "by approving an onramp or offramp request; an import may not create or change one."
            )
    return None


def catalog_assessments_refusal(user, parsed: Catalog, products: _Products) -> str | None:
    """can_assess, as ``products.services.upsert_assessment``; and as there, the assessor
    is the importer: ``assessed_by`` may name someone else only where it already does."""
    for r in parsed.assessments:
        if not products.may(can_assess, r["product"]):
            return (
                f"{_row(parsed, 'assessment', r)}: only the product's maintainers, leads of a "
                "community it belongs to, or a hub admin may assess it."
            )
        if r.get("assessed_by") not in (None, user.get_username()) and not _assessed_by(r):
            return f"{_row(parsed, 'assessment', r)}: assessed_by may name only you."
    return None


def _assessed_by(r) -> bool:
    """Does the registry's assessment of this record already name its ``assessed_by``?"""
    version = (
        r.get("version")
        or PolicySet.objects.filter(slug=r["policy_set"]).values_list("version", flat=True).first()
    )
    return Assessment.objects.filter(
        product__slug=r["product"],
        policy__policy_set__slug=r["policy_set"],
        policy__version=version,
        policy__code=r["policy"],
        assessed_by__username=r["assessed_by"],
    ).exists()


def catalog_uses_refusal(user, parsed: Catalog, products: _Products) -> str | None:
    """can_record_use, as ``products.services.record_use``: the product must be in the
    registry (a product the file creates belongs to no community the importer leads), and
    the importer must lead a community it belongs to or be the stakeholder's contact."""
    slugs = {r["stakeholder"] for r in parsed.uses}
    stakeholders = {s.slug: s for s in Stakeholder.objects.filter(slug__in=slugs)}
    for r in parsed.uses:
        product = products.existing.get(r["product"])
        stakeholder = stakeholders.get(r["stakeholder"])
        if product is None or not can_record_use(user, product, stakeholder):
            return f"{_row(parsed, 'use', r)}: {USE_REFUSED}"
    return None


CATALOG_SECTION_RULES = (
    catalog_products_refusal,
    catalog_dependencies_refusal,
    catalog_memberships_refusal,
    catalog_assessments_refusal,
    catalog_uses_refusal,
)


def catalog_import_refusal(user, parsed: Catalog, *, create_accounts: bool = False) -> str | None:
    if is_hub_admin(user):
        return None
    if not lead_community_ids(user):
        return IMPORTERS
    if create_accounts:
        return CREATE_ACCOUNTS
    if parsed.communities or parsed.policy_sets or parsed.stakeholders:
        return (
            "Only hub admins may import communities, policy sets or stakeholders; remove "
            "those sections."
        )
    products = _Products(user, parsed)
    for rule in CATALOG_SECTION_RULES:
        refusal = rule(user, parsed, products)
        if refusal is not None:
            return refusal
    return None


def spack_import_refusal(
    user, product: Product | None, name: str, community: str | None = None
) -> str | None:
    """A recipe for ``product`` (None: a new product ``name``), as resolved by
    ``products.importers.spack.resolve_product`` for the write too."""
    if is_hub_admin(user):
        return None
    if not lead_community_ids(user):
        return IMPORTERS
    if product is None:
        if not can_create_product(user):
            return "Sign in to register a product."
    elif not can_edit_product(user, product):
        return f"Only the maintainers of {product.slug!r} or a hub admin may change it."
    if community is None:
        return None
    target = Community.objects.filter(slug=community).first()
    if target is not None and not is_community_lead(user, target):
        return f"You do not lead {community!r}."
    if product is None or not product.memberships.active().filter(community=target).exists():
        return (
            f"{name!r} is not an active member of {community!r}: memberships are made by "
            "approving an onramp request, not by an import."
        )
    return None


def compat_import_refusal(user, product: Product) -> str | None:
    """An xSDK compatibility file writes assessments of ``product``."""
    if is_hub_admin(user):
        return None
    if not lead_community_ids(user):
        return IMPORTERS
    if not can_assess(user, product):
        return (
            f"Only the maintainers of {product.slug!r}, leads of a community it belongs to, "
            "or a hub admin may assess it."
        )
    return None
