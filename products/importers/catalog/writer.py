"""Write a checked catalog into the registry: references resolved first (``references.py``),
then every section upserted by its natural key — in bulk, with history, for the sections
that can be large — inside one transaction. With ``create_accounts``, the accounts the file
names and the registry lacks are created first, in the same transaction: inactive, with an
unusable password, so they hold their products and assessments but cannot sign in until an
admin activates them and a password is set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_update_with_history

from events import log as events
from products import compliance_store
from products.importers.catalog.bulk import create_with_history
from products.importers.catalog.records import Catalog, Errors, Rec
from products.importers.catalog.references import (
    LOOKUP_CHUNK,
    chunks,
    resolve,
    split_policy_ref,
)
from products.importers.catalog.schema import COMMUNITY, MEMBERSHIP, PRODUCT, STAKEHOLDER
from products.importers.progress import Progress
from products.importers.summary import Summary
from products.models import (
    Area,
    Assessment,
    Dependency,
    Membership,
    Product,
    ProductUse,
    Stakeholder,
)
from spokes.models import Community, Policy, PolicySet

BATCH = 1000

# The summary lists what changed in this order (the order of the file format).
SUMMARY_ORDER = (
    "accounts",
    "communities",
    "policy_sets",
    "policies",
    "products",
    "dependencies",
    "memberships",
    "assessments",
    "stakeholders",
    "uses",
)

# File field → model field, for the fields copied as they are.
POLICY_FIELDS = {
    "title": "title",
    "summary": "summary",
    "level": "level",
    "url": "source_url",
    "position": "position",
}
POLICY_SET_FIELDS = {k: k for k in ("name", "version", "description", "adopted", "sources")}
COMMUNITY_FIELDS = {k: k for k in COMMUNITY if k not in ("slug", "policy_set")}
PRODUCT_FIELDS = {k: k for k in PRODUCT if k not in ("slug", "areas", "maintainers")}
DEPENDENCY_FIELDS = {k: k for k in ("kind", "when", "source", "note")}
MEMBERSHIP_FIELDS = {k: k for k in MEMBERSHIP if k not in ("product", "community", "successor")}
ASSESSMENT_FIELDS = {k: k for k in ("status", "justification", "evidence_url", "source")}
STAKEHOLDER_FIELDS = {k: k for k in STAKEHOLDER if k != "slug"}
USE_FIELDS = {k: k for k in ("criticality", "note", "contact", "source")}


def import_catalog(
    catalog: Catalog,
    *,
    actor=None,
    dry_run: bool = False,
    progress: Progress | None = None,
    create_accounts: bool = False,
) -> Summary:
    """Upsert everything in ``catalog`` in one transaction (rolled back on a dry run).

    ``create_accounts``: create each user the file names (maintainers, assessors) that the
    registry lacks, inactive and with an unusable password; without it such a name is an
    error. Who may ask for it is ``products.access.catalog_import_refusal``'s rule.

    Raises ImportError_ (nothing written) when a reference cannot be resolved.
    """
    summary = Summary(kind="catalog", dry_run=dry_run)
    with transaction.atomic(), compliance_store.deferred():
        importer = _Importer(
            catalog,
            actor=actor,
            progress=progress or Progress.silent(),
            summary=summary,
            create_accounts=create_accounts,
        )
        importer.run()
        # Bulk writes send no signals: the compliance of every product the file names.
        compliance_store.touch(
            Product.objects.filter(slug__in=catalog.product_slugs()).values_list("pk", flat=True)
        )
        if dry_run:
            transaction.set_rollback(True)
        else:
            events.record(
                events.Verb.CATALOG_IMPORTED,
                actor=actor,
                data={"kind": "catalog", "file": catalog.file, "changes": summary.changes},
            )
    return summary


@dataclass
class _Plan:
    """One section's writes: new rows, and changed rows with the fields that changed."""

    to_create: list = field(default_factory=list)
    to_update: list = field(default_factory=list)
    fields: set[str] = field(default_factory=set)

    def add(self, obj: models.Model, *, created: bool, changed: list[str]) -> str:
        """Queue ``obj`` for writing if it is new or changed; return the action."""
        if created:
            self.to_create.append(obj)
            return "created"
        if changed:
            self.to_update.append(obj)
            self.fields.update(changed)
            return "updated"
        return "unchanged"


def _action(created: bool, changed: list[str]) -> str:
    return "created" if created else ("updated" if changed else "unchanged")


class _MembershipMatcher:
    """Finds the registry membership a file record stands for: the one with the same
    product, community and join date, else (for an active record) the pair's active one.
    Each registry row stands for one record at most."""

    def __init__(self, rows: list[Membership]) -> None:
        self.by_key: dict[tuple, Membership] = {}
        self.active: dict[tuple, Membership] = {}
        self.used: set[int] = set()
        for m in sorted(rows, key=lambda m: m.pk):
            self.by_key.setdefault((m.product_id, m.community_id, m.joined_at), m)
            if m.state == Membership.State.ACTIVE:
                self.active[(m.product_id, m.community_id)] = m

    def match(self, product: Product, community: Community, r: Rec) -> Membership | None:
        obj = self.by_key.get((product.pk, community.pk, r.get("joined_at")))
        if obj is None or obj.pk in self.used:
            is_active = r.get("state", "active") == "active"
            obj = self.active.get((product.pk, community.pk)) if is_active else None
        if obj is None or obj.pk in self.used:
            return None
        self.used.add(obj.pk)
        return obj


class _Importer:
    """One import of one checked file: the rows it refers to (by slug), then each section
    written in turn, each object's action kept once for the summary."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        actor,
        progress: Progress,
        summary: Summary,
        create_accounts: bool = False,
    ):
        self.catalog = catalog
        self.create_accounts = create_accounts
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.progress = progress
        self.summary = summary
        self.errors = Errors(catalog.file)
        # slug → action, resolved at the end so an object changed twice counts once.
        self.actions: dict[str, dict[Any, str]] = defaultdict(dict)
        self.labels: dict[str, dict[Any, str]] = defaultdict(dict)
        self.now = timezone.now()

    def run(self) -> None:
        self.resolve_references()
        self.import_accounts()
        self.import_communities()
        self.import_policy_sets()
        self.import_products()
        self.import_dependencies()
        self.import_memberships()
        self.import_assessments()
        self.import_stakeholders()
        self.import_uses()
        self.summarise()

    def mark(self, kind: str, key: Any, action: str, label: str) -> None:
        current = self.actions[kind].get(key)
        if current == "created" or (current == "updated" and action == "unchanged"):
            return
        self.actions[kind][key] = action
        self.labels[kind][key] = label

    def summarise(self) -> None:
        """Count each object once, for every section the file has."""
        for kind in SUMMARY_ORDER:
            if kind == "accounts":
                in_file = self.create_accounts
            elif kind == "policies":
                in_file = self.catalog.policy_sets
            else:
                in_file = self.catalog.sections.get(kind)
            if not in_file:
                continue
            self.summary.ensure(kind)
            for key, action in self.actions.get(kind, {}).items():
                self.summary.count(kind, action, self.labels[kind][key])

    def resolve_references(self) -> None:
        found = resolve(self.catalog, self.errors, create_accounts=self.create_accounts)
        self.communities = found.communities
        self.policy_sets = found.policy_sets
        self.products = found.products
        self.stakeholders = found.stakeholders
        self.users = found.users
        self.new_usernames = found.new_usernames

    def import_accounts(self) -> None:
        """The accounts the file names and the registry lacks (create_accounts only):
        inactive, unusable password — an account that exists but cannot sign in."""
        if not self.create_accounts:
            return
        for username in self.users:
            self.mark("accounts", username, "unchanged", username)
        if not self.new_usernames:
            return
        User = get_user_model()
        new = []
        for username in self.new_usernames:
            user = User(**{User.USERNAME_FIELD: username}, is_active=False)
            user.set_unusable_password()
            new.append(user)
        User.objects.bulk_create(new, batch_size=BATCH)
        for chunk in chunks(self.new_usernames, LOOKUP_CHUNK):
            for user in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": chunk}):
                self.users[user.get_username()] = user
                self.mark("accounts", user.get_username(), "created", user.get_username())

    # -- generic helpers --

    @staticmethod
    def assign(obj, values: dict[str, Any], names: dict[str, str]) -> list[str]:
        """Set the given file fields on obj; return the model fields that changed."""
        changed = []
        for key, attr in names.items():
            if key in values and getattr(obj, attr) != values[key]:
                setattr(obj, attr, values[key])
                changed.append(attr)
        return changed

    @staticmethod
    def assign_link(obj, attr: str, target: models.Model | None, changed: list[str]) -> None:
        """Point the foreign key ``attr`` of obj at target (None: at nothing); note a change."""
        target_id = target.pk if target is not None else None
        if getattr(obj, f"{attr}_id") != target_id:
            setattr(obj, f"{attr}_id", target_id)
            changed.append(attr)

    def _existing_for_products(self, model, slugs: set[str]) -> list:
        ids = [self.products[s].pk for s in slugs if s in self.products and self.products[s].pk]
        rows = []
        for chunk in chunks(ids, LOOKUP_CHUNK):
            rows.extend(model.objects.filter(product_id__in=chunk))
        return rows

    def _sort_upserts(
        self,
        section: str,
        records: list[Rec],
        find: Callable[[Rec], Any],
        build: Callable[[Rec], Any],
        names: dict[str, str],
        label: Callable[[Rec], str],
        *,
        stamp: bool = False,
    ) -> _Plan:
        """Split `records` into new rows and changed rows (with the fields that changed),
        marking each in the summary. `find(record)` gives the existing row or None,
        `build(record)` a new unsaved one; `stamp` sets `updated_at` on changed rows
        (bulk updates skip auto_now)."""
        plan = _Plan()
        self.progress.start(section, len(records))
        for r in records:
            obj, text = find(r), label(r)
            created = obj is None
            if created:
                obj = build(r)
            changed = self.assign(obj, r.values, names)
            if changed and stamp and not created:
                obj.updated_at = self.now
            self.mark(section, text, plan.add(obj, created=created, changed=changed), text)
            self.progress.advance()
        self.progress.finish()
        return plan

    def _save_with_history(self, model, plan: _Plan) -> None:
        if plan.to_create:
            create_with_history(plan.to_create, model, actor=self.actor)
        if plan.to_update:
            bulk_update_with_history(
                plan.to_update,
                model,
                sorted(plan.fields | {"updated_at"}),
                batch_size=BATCH,
                default_user=self.actor,
            )

    # -- communities and policy sets --

    def import_communities(self) -> None:
        for r in self.catalog.communities:
            obj = self.communities.get(r["slug"])
            created = obj is None
            if created:
                obj = Community(slug=r["slug"])
            changed = self.assign(obj, r.values, COMMUNITY_FIELDS)
            if created or changed:
                obj._history_user = self.actor
                obj.save()
            self.communities[obj.slug] = obj
            self.mark("communities", obj.slug, _action(created, changed), obj.slug)

    def import_policy_sets(self) -> None:
        """The sets (bases first), their policies, then the links that need every set and
        policy to exist: what each policy adapts, and each community's set."""
        ordered = self._bases_first(self.catalog.policy_sets)
        for r in ordered:
            self._upsert_policy_set(r)
        sets = [self.policy_sets[r["slug"]] for r in ordered]
        existing = {
            (p.policy_set_id, p.version, p.code): p
            for p in Policy.objects.filter(policy_set__in=sets)
        }
        touched: list[tuple[Policy, Rec, PolicySet]] = []
        for ps, r in zip(sets, ordered, strict=True):
            for index, p in enumerate(r.children):
                touched.append((self._upsert_policy(ps, index, p, existing), p, ps))
        for obj, p, ps in touched:
            if "adapts" in p:
                self._link_adapted(obj, p["adapts"], ps, existing)
        self._link_community_policy_sets()

    def _bases_first(self, records: list[Rec]) -> list[Rec]:
        """The file's policy sets, each after the set it is based on (a cycle is an error)."""
        pending = list(records)
        file_slugs = {r["slug"] for r in pending}
        ordered: list[Rec] = []
        done: set[str] = set()
        while pending:
            ready = [r for r in pending if not r.get("base") or r["base"] not in file_slugs - done]
            if not ready:
                self.errors.add(pending[0].where("base"), "policy sets form a base cycle")
                self.errors.raise_if_any()
            for r in ready:
                ordered.append(r)
                done.add(r["slug"])
                pending.remove(r)
        return ordered

    def _upsert_policy_set(self, r: Rec) -> None:
        obj = self.policy_sets.get(r["slug"])
        created = obj is None
        if created:
            obj = PolicySet(slug=r["slug"])
        changed = self.assign(obj, r.values, POLICY_SET_FIELDS)
        if "owner" in r:
            owner = self.communities[r["owner"]] if r["owner"] else None
            self.assign_link(obj, "owner", owner, changed)
        if "base" in r:
            base = self.policy_sets[r["base"]] if r["base"] else None
            self.assign_link(obj, "base", base, changed)
        if created or changed:
            obj._history_user = self.actor
            obj.save()
        self.policy_sets[obj.slug] = obj
        self.mark("policy_sets", obj.slug, _action(created, changed), obj.slug)

    def _upsert_policy(self, ps: PolicySet, index: int, p: Rec, existing: dict) -> Policy:
        version = p.get("version") or ps.version
        key = (ps.pk, version, p["code"])
        obj = existing.get(key)
        created = obj is None
        if created:
            obj = Policy(policy_set=ps, version=version, code=p["code"], position=index)
        changed = self.assign(obj, p.values, POLICY_FIELDS)
        if created or changed:
            obj._history_user = self.actor
            obj.save()
        existing[key] = obj
        label = f"{ps.slug} {version} {obj.code}"
        self.mark("policies", (ps.slug, version, obj.code), _action(created, changed), label)
        return obj

    def _link_adapted(self, obj: Policy, ref: str, ps: PolicySet, existing: dict) -> None:
        """Point obj at the policy of its set's base that ``ref`` names ('' for none)."""
        target_id = None
        if ref:
            code, version = split_policy_ref(ref)
            base = self.policy_sets[ps.slug].base
            version = version or base.version
            target = existing.get((base.pk, version, code)) or Policy.objects.get(
                policy_set=base, version=version, code=code
            )
            target_id = target.pk
        if obj.adapts_id != target_id:
            obj.adapts_id = target_id
            obj._history_user = self.actor
            obj.save(update_fields=["adapts"])
            label = f"{ps.slug} {obj.version} {obj.code}"
            self.mark("policies", (ps.slug, obj.version, obj.code), "updated", label)

    def _link_community_policy_sets(self) -> None:
        for r in self.catalog.communities:
            if "policy_set" not in r:
                continue
            obj = self.communities[r["slug"]]
            target_id = self.policy_sets[r["policy_set"]].pk if r["policy_set"] else None
            if obj.policy_set_id != target_id:
                obj.policy_set_id = target_id
                obj._history_user = self.actor
                obj.save(update_fields=["policy_set", "updated_at"])
                self.mark("communities", obj.slug, "updated", obj.slug)

    # -- products --

    def import_products(self) -> None:
        plan = self._sort_upserts(
            "products",
            self.catalog.products,
            find=lambda r: self.products.get(r["slug"]),
            build=lambda r: Product(slug=r["slug"]),
            names=PRODUCT_FIELDS,
            label=lambda r: r["slug"],
            stamp=True,
        )
        self._save_with_history(Product, plan)
        for obj in plan.to_create:
            self.products[obj.slug] = obj
        self.import_areas()
        self.import_maintainers()

    def import_areas(self) -> None:
        records = [r for r in self.catalog.products if "areas" in r]
        if not records:
            return
        names = {name for r in records for name in r["areas"]}
        areas = {a.name: a for a in Area.objects.filter(name__in=names)}
        taken = set(Area.objects.values_list("slug", flat=True))
        for name in sorted(names - set(areas)):
            base = slugify(name)[:90] or "area"
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            areas[name] = Area(slug=slug, name=name)
            areas[name]._history_user = self.actor
            areas[name].save()
        wanted = {self.products[r["slug"]].pk: {areas[n].pk for n in r["areas"]} for r in records}
        self._m2m(Product.areas.through, "area_id", wanted, "areas")

    def import_maintainers(self) -> None:
        records = [r for r in self.catalog.products if "maintainers" in r]
        if not records:
            return
        wanted = {
            self.products[r["slug"]].pk: {self.users[u].pk for u in r["maintainers"]}
            for r in records
        }
        self._m2m(Product.maintainers.through, "user_id", wanted, "maintainers")

    def _m2m(self, through, column: str, wanted: dict[int, set[int]], label: str) -> None:
        """Make the product→X links of ``through`` match ``wanted`` (for listed products)."""
        current: dict[int, set[int]] = defaultdict(set)
        ids = list(wanted)
        for chunk in chunks(ids, LOOKUP_CHUNK):
            for product_id, other_id in through.objects.filter(product_id__in=chunk).values_list(
                "product_id", column
            ):
                current[product_id].add(other_id)
        add, remove = [], []
        slug_of = {p.pk: s for s, p in self.products.items()}
        for product_id, targets in wanted.items():
            have = current.get(product_id, set())
            if have != targets:
                add.extend(through(product_id=product_id, **{column: t}) for t in targets - have)
                remove.extend((product_id, t) for t in have - targets)
                slug = slug_of[product_id]
                self.mark("products", slug, "updated", f"{slug} ({label})")
        through.objects.bulk_create(add, batch_size=BATCH)
        by_product: dict[int, list[int]] = defaultdict(list)
        for product_id, t in remove:
            by_product[product_id].append(t)
        for product_id, targets in by_product.items():
            through.objects.filter(product_id=product_id, **{f"{column}__in": targets}).delete()

    # -- what links products --

    def import_dependencies(self) -> None:
        records = self.catalog.dependencies
        if not records:
            return
        existing = {
            (d.product_id, d.depends_on_id): d
            for d in self._existing_for_products(Dependency, {r["product"] for r in records})
        }

        def ends(r) -> tuple[Product, Product]:
            return self.products[r["product"]], self.products[r["depends_on"]]

        plan = self._sort_upserts(
            "dependencies",
            records,
            find=lambda r: existing.get(tuple(p.pk for p in ends(r))),
            build=lambda r: Dependency(product_id=ends(r)[0].pk, depends_on_id=ends(r)[1].pk),
            names=DEPENDENCY_FIELDS,
            label=lambda r: "{} → {}".format(*(p.slug for p in ends(r))),
        )
        # With history, like every other row the import writes (no updated_at here).
        if plan.to_create:
            create_with_history(plan.to_create, Dependency, actor=self.actor)
        if plan.to_update:
            bulk_update_with_history(
                plan.to_update,
                Dependency,
                sorted(plan.fields),
                batch_size=BATCH,
                default_user=self.actor,
            )

    def import_memberships(self) -> None:
        records = self.catalog.memberships
        if not records:
            return
        rows = self._existing_for_products(Membership, {r["product"] for r in records})
        matcher = _MembershipMatcher(rows)
        plan = _Plan()
        self.progress.start("memberships", len(records))
        for r in records:
            self._plan_membership(r, matcher, plan)
            self.progress.advance()
        self.progress.finish()
        # Updates first: a membership leaving 'active' frees its slot for a new active one.
        if plan.to_update:
            bulk_update_with_history(
                plan.to_update,
                Membership,
                sorted(plan.fields),
                batch_size=BATCH,
                default_user=self.actor,
            )
        if plan.to_create:
            create_with_history(plan.to_create, Membership, actor=self.actor)

    def _plan_membership(self, r: Rec, matcher: _MembershipMatcher, plan: _Plan) -> None:
        product, community = self.products[r["product"]], self.communities[r["community"]]
        label = f"{product.slug} in {community.slug} ({r.get('joined_at') or 'no date'})"
        obj = matcher.match(product, community, r)
        created = obj is None
        if created:
            obj = Membership(product=product, community=community)
        changed = self.assign(obj, r.values, MEMBERSHIP_FIELDS)
        if "successor" in r:
            successor = self.products[r["successor"]] if r["successor"] else None
            self.assign_link(obj, "successor", successor, changed)
        # Records have no natural key of their own: each is its own line of the summary.
        self.mark("memberships", id(r), plan.add(obj, created=created, changed=changed), label)

    def import_assessments(self) -> None:
        records = self.catalog.assessments
        if not records:
            return
        sets = {r["policy_set"] for r in records}
        policies = {
            (p.policy_set.slug, p.version, p.code): p
            for p in Policy.objects.filter(policy_set__slug__in=sets).select_related("policy_set")
        }
        existing = {
            (a.product_id, a.policy_id): a
            for a in self._existing_for_products(Assessment, {r["product"] for r in records})
        }
        plan = _Plan()
        self.progress.start("assessments", len(records))
        for r in records:
            self._plan_assessment(r, policies, existing, plan)
            self.progress.advance()
        self.progress.finish()
        if plan.to_create:
            create_with_history(plan.to_create, Assessment, actor=self.actor)
        if plan.to_update:
            bulk_update_with_history(
                plan.to_update,
                Assessment,
                sorted(plan.fields),
                batch_size=BATCH,
                default_user=self.actor,
            )

    def _plan_assessment(self, r: Rec, policies: dict, existing: dict, plan: _Plan) -> None:
        product = self.products[r["product"]]
        version = r.get("version") or self.policy_sets[r["policy_set"]].version
        policy = policies[(r["policy_set"], version, r["policy"])]
        label = f"{product.slug} {r['policy_set']} {version} {policy.code}"
        obj = existing.get((product.pk, policy.pk))
        created = obj is None
        if created:
            # By id: setting a relation by its descriptor costs more than the rest of the row.
            obj = Assessment(product_id=product.pk, policy_id=policy.pk, assessed_at=self.now)
        changed = self.assign(obj, r.values, ASSESSMENT_FIELDS)
        if "assessed_by" in r:
            user = self.users[r["assessed_by"]] if r["assessed_by"] else None
            self.assign_link(obj, "assessed_by", user, changed)
        self._stamp_assessed_at(obj, r, created=created, changed=changed)
        self.mark("assessments", label, plan.add(obj, created=created, changed=changed), label)

    def _stamp_assessed_at(
        self, obj: Assessment, r: Rec, *, created: bool, changed: list[str]
    ) -> None:
        """The file's assessed_at when it gives one; else a changed assessment is stamped
        with the time of the import."""
        if r.get("assessed_at") is not None:
            if obj.assessed_at != r["assessed_at"]:
                obj.assessed_at = r["assessed_at"]
                changed.append("assessed_at")
        elif changed and not created:
            obj.assessed_at = self.now
            changed.append("assessed_at")

    # -- stakeholders and their uses --

    def import_stakeholders(self) -> None:
        records = self.catalog.stakeholders
        if not records:
            return
        plan = self._sort_upserts(
            "stakeholders",
            records,
            find=lambda r: self.stakeholders.get(r["slug"]),
            build=lambda r: Stakeholder(slug=r["slug"]),
            names=STAKEHOLDER_FIELDS,
            label=lambda r: r["slug"],
            stamp=True,
        )
        self._save_with_history(Stakeholder, plan)
        for obj in plan.to_create:
            self.stakeholders[obj.slug] = obj

    def import_uses(self) -> None:
        records = self.catalog.uses
        if not records:
            return
        for r in records:
            # A criticality left null keeps the use's own (a new use's: important).
            if r.values.get("criticality") == "":
                del r.values["criticality"]
        existing = {
            (u.product_id, u.stakeholder_id): u
            for u in self._existing_for_products(ProductUse, {r["product"] for r in records})
        }

        def ends(r) -> tuple[Product, Stakeholder]:
            return self.products[r["product"]], self.stakeholders[r["stakeholder"]]

        plan = self._sort_upserts(
            "uses",
            records,
            find=lambda r: existing.get(tuple(o.pk for o in ends(r))),
            build=lambda r: ProductUse(product=ends(r)[0], stakeholder=ends(r)[1]),
            names=USE_FIELDS,
            label=lambda r: "{1} uses {0}".format(*(o.slug for o in ends(r))),
            stamp=True,
        )
        self._save_with_history(ProductUse, plan)
