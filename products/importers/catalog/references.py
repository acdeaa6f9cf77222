"""A catalog file's references, resolved against the file and the registry before anything
is written.

``resolve(catalog, errors)`` fetches every registry row the file names (communities, policy
sets, products, stakeholders, users) and checks that each reference names a record of the
file or a row of the registry — policies and the policies they adapt included. It raises
ImportError_ listing every reference that does not resolve. With ``create_accounts``, a
username the registry does not have is not an error but an account to create (it must be
a username the registry would accept); ``Found.new_usernames`` lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from products.importers.catalog.records import Catalog, Errors, Rec
from products.models import Product, Stakeholder
from spokes.models import Community, Policy, PolicySet

# Products are looked up in chunks, so a file of many products makes no huge IN (...).
LOOKUP_CHUNK = 5000

PolicyKey = tuple[str, str, str]  # (policy set slug, version, code)


@dataclass
class Found:
    """The registry rows a catalog file refers to, by slug (users by username)."""

    communities: dict[str, Community]
    policy_sets: dict[str, PolicySet]
    products: dict[str, Product]
    stakeholders: dict[str, Stakeholder]
    users: dict[str, Any]
    # Usernames the file names that the registry lacks, to be created (create_accounts).
    new_usernames: list[str] = field(default_factory=list)


def resolve(catalog: Catalog, errors: Errors, *, create_accounts: bool = False) -> Found:
    """The registry rows the file refers to; raise ImportError_ if a reference resolves to
    neither a record of the file nor a row of the registry (with ``create_accounts``, an
    unknown username resolves to an account the import creates)."""
    found = _fetch(catalog)
    if create_accounts:
        found.new_usernames = sorted(
            {username for _, _, username in user_references(catalog)} - set(found.users)
        )
    check = _ReferenceCheck(catalog, found, errors)
    check.links()
    check.new_accounts()
    check.assessed_policies()
    check.adapted_policies()
    errors.raise_if_any()
    return found


def user_references(cat: Catalog) -> Iterator[tuple[Rec, str, str]]:
    """(record, field, username) for every user the file names: maintainers, assessors."""
    for r in cat.products:
        for username in r.get("maintainers", []):
            yield r, "maintainers", username
    for r in cat.assessments:
        if r.get("assessed_by"):
            yield r, "assessed_by", r["assessed_by"]


def chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def split_policy_ref(ref: str) -> tuple[str, str | None]:
    """'P1' → ('P1', None); 'P1@0.6.0' → ('P1', '0.6.0')."""
    code, _, version = ref.partition("@")
    return code, version or None


# --- Fetching what the file names -------------------------------------------------------------


def _fetch(cat: Catalog) -> Found:
    return Found(
        communities=_fetch_communities(cat),
        policy_sets=_fetch_policy_sets(cat),
        products=_fetch_products(cat),
        stakeholders=_fetch_stakeholders(cat),
        users=_fetch_users(cat),
    )


def _fetch_communities(cat: Catalog) -> dict[str, Community]:
    slugs = {r["slug"] for r in cat.communities}
    slugs |= {r["community"] for r in cat.memberships}
    slugs |= {r["owner"] for r in cat.policy_sets if r.get("owner")}
    return {c.slug: c for c in Community.objects.filter(slug__in=slugs)}


def _fetch_policy_sets(cat: Catalog) -> dict[str, PolicySet]:
    slugs = {r["slug"] for r in cat.policy_sets}
    slugs |= {r["policy_set"] for r in cat.communities if r.get("policy_set")}
    slugs |= {r["base"] for r in cat.policy_sets if r.get("base")}
    slugs |= {r["policy_set"] for r in cat.assessments}
    return {p.slug: p for p in PolicySet.objects.filter(slug__in=slugs)}


def _fetch_products(cat: Catalog) -> dict[str, Product]:
    slugs = cat.product_slugs()
    slugs |= {r["depends_on"] for r in cat.dependencies}
    slugs |= {r["successor"] for r in cat.memberships if r.get("successor")}
    products: dict[str, Product] = {}
    for chunk in chunks(sorted(slugs), LOOKUP_CHUNK):
        products.update({p.slug: p for p in Product.objects.filter(slug__in=chunk)})
    return products


def _fetch_stakeholders(cat: Catalog) -> dict[str, Stakeholder]:
    slugs = {r["slug"] for r in cat.stakeholders} | {r["stakeholder"] for r in cat.uses}
    if not slugs:
        return {}
    return {s.slug: s for s in Stakeholder.objects.filter(slug__in=slugs)}


def _fetch_users(cat: Catalog) -> dict[str, Any]:
    usernames = {username for _, _, username in user_references(cat)}
    User = get_user_model()
    return {
        u.get_username(): u
        for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames})
    }


# --- Checking each reference -------------------------------------------------------------------


class _ReferenceCheck:
    """Adds to ``errors`` every reference that names nothing in the file or the registry."""

    def __init__(self, catalog: Catalog, found: Found, errors: Errors) -> None:
        self.catalog = catalog
        self.found = found
        self.errors = errors
        self.file_sets = {r["slug"]: r for r in catalog.policy_sets}
        # What each kind of reference may name: a record of the file or a registry row.
        self.known: dict[str, set[str]] = {
            "community": {r["slug"] for r in catalog.communities} | set(found.communities),
            "policy set": set(self.file_sets) | set(found.policy_sets),
            "product": {r["slug"] for r in catalog.products} | set(found.products),
            "user": set(found.users) | set(found.new_usernames),
            "stakeholder": {r["slug"] for r in catalog.stakeholders} | set(found.stakeholders),
        }
        # A set's version in force: the file's word, else the registry's.
        self.set_versions = {slug: ps.version for slug, ps in found.policy_sets.items()}
        self.set_versions.update({slug: r["version"] for slug, r in self.file_sets.items()})
        self.policies = self._known_policies()

    def need(self, rec: Rec, **links: str) -> None:
        """Each field of ``links`` (field=what it names), when set, must name a known one."""
        for key, what in links.items():
            value = rec.get(key)
            if value and value not in self.known[what]:
                self.errors.add(
                    rec.where(key), f"{what} {value!r} is neither in the file nor in the registry"
                )

    def links(self) -> None:
        """Every reference of every section but the policies, in the order of the format."""
        cat = self.catalog
        for r in cat.communities:
            self.need(r, policy_set="policy set")
        for r in cat.policy_sets:
            self.need(r, owner="community", base="policy set")
            if r.get("base") == r["slug"]:
                self.errors.add(r.where("base"), "a policy set cannot be its own base")
        for r in cat.dependencies:
            self.need(r, product="product", depends_on="product")
        for r in cat.memberships:
            self.need(r, product="product", community="community", successor="product")
        for r in cat.products:
            self.maintainers(r)
        for r in cat.assessments:
            self.need(r, product="product", policy_set="policy set", assessed_by="user")
        for r in cat.uses:
            self.need(r, product="product", stakeholder="stakeholder")

    def maintainers(self, product: Rec) -> None:
        """Maintainers name registry users (a catalog file holds no users), or accounts the
        import creates."""
        for username in product.get("maintainers", []):
            if username not in self.known["user"]:
                self.errors.add(product.where("maintainers"), f"no user named {username!r}")

    def new_accounts(self) -> None:
        """An account to create needs a username the registry accepts (its field's length
        and characters), reported where the file first names it."""
        pending = set(self.found.new_usernames)
        if not pending:
            return
        User = get_user_model()
        username_field = User._meta.get_field(User.USERNAME_FIELD)
        for rec, key, username in user_references(self.catalog):
            if username not in pending:
                continue
            pending.discard(username)
            try:
                username_field.run_validators(username)
            except ValidationError as exc:
                self.errors.add(
                    rec.where(key),
                    f"cannot create an account named {username!r}: {' '.join(exc.messages)}",
                )

    # -- policies --

    def assessed_policies(self) -> None:
        """An assessment names a policy of its set (at the set's version in force unless
        it gives one)."""
        for r in self.catalog.assessments:
            if r["policy_set"] not in self.known["policy set"]:
                continue
            version = r.get("version") or self.set_versions[r["policy_set"]]
            if (r["policy_set"], version, r["policy"]) not in self.policies:
                self.errors.add(
                    r.where("policy"),
                    f"policy set {r['policy_set']!r} version {version} has no policy "
                    f"{r['policy']!r}",
                )

    def _known_policies(self) -> set[PolicyKey]:
        """(set slug, version, code) of every policy of the known sets, file and registry."""
        known = set(
            Policy.objects.filter(policy_set__slug__in=self.known["policy set"]).values_list(
                "policy_set__slug", "version", "code"
            )
        )
        for slug, r in self.file_sets.items():
            for p in r.children:
                known.add((slug, p.get("version") or r["version"], p["code"]))
        return known

    def adapted_policies(self) -> None:
        """A policy's 'adapts' names a policy of its set's base."""
        for r in self.catalog.policy_sets:
            base = r.get("base") or self._registry_base(r["slug"])
            for p in r.children:
                if p.get("adapts"):
                    self._check_adapts(p, base)

    def _registry_base(self, slug: str) -> str | None:
        ps = self.found.policy_sets.get(slug)
        return ps.base.slug if ps is not None and ps.base_id else None

    def _check_adapts(self, p: Rec, base: str | None) -> None:
        code, version = split_policy_ref(p["adapts"])
        if base is None:
            self.errors.add(p.where("adapts"), "'adapts' needs a policy set with a base")
        elif base in self.known["policy set"]:
            version = version or self.set_versions.get(base)
            if (base, version, code) not in self.policies:
                self.errors.add(
                    p.where("adapts"),
                    f"base set {base!r} version {version} has no policy {code!r}",
                )
