"""The compliance read model (``products.models.StoredCompliance``): its upkeep, and the
readers every list, facet, filter, the home page and the API use (``Held``,
``stored_summaries``).

Every write that can change a product's compliance refreshes that product's stored rows in
the same transaction:

- assessments, waivers and memberships: the product they belong to (signals, below);
- policies and policy sets (versions, levels, bases): every product held to a set that
  reads them;
- communities (their set, or the hub's set that spokes without one fall back to): their
  members;
- bulk writes (the catalog importer, the seed loader, policy-set versions) run inside
  ``deferred()``: the products they touch are refreshed once, when the block ends, still
  inside its transaction.

A row is the ``Summary.as_dict()`` of ``products.compliance.summaries_for`` for a product
against each set its communities hold it to, so a stored row and a fresh computation
cannot disagree in shape; a property-based test checks they agree in content after random
sequences of writes. A row counting a waiver is recomputed on the first read after the
waiver's last day (``refresh_stale``).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import orjson
from django.db import connection, connections, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, post_migrate, post_save

from products.compliance import (
    SUMMARY_FIELDS,
    Outcome,
    Status,
    Summary,
    Tally,
    held_set,
    hub_policy_set,
    summaries_for,
)
from products.models import Assessment, Membership, Product, StoredCompliance, Waiver
from spokes.models import Community, Policy, PolicySet

BATCH = 500

# Products whose rows a ``deferred()`` block will refresh when it ends; None outside one.
_pending: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar(
    "compliance_pending", default=None
)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Collect the products writes touch and refresh each once when the block ends (use it
    inside the block's transaction). Nested blocks join the outermost."""
    if _pending.get() is not None:
        yield
        return
    token = _pending.set(set())
    try:
        yield
        pending = _pending.get()
    finally:
        _pending.reset(token)
    if pending and not (
        transaction.get_connection().in_atomic_block and transaction.get_rollback()
    ):
        refresh(pending)  # (a block already marked for rollback, a dry run, writes nothing)


def touch(product_ids: Iterable[int]) -> None:
    """The rows of these products may have changed: refresh them now, or when the
    enclosing ``deferred()`` block ends."""
    ids = {int(pk) for pk in product_ids}
    if not ids:
        return
    pending = _pending.get()
    if pending is not None:
        pending.update(ids)
    else:
        refresh(ids)


def _products(ids: Sequence[int]):
    return (
        Product.objects.filter(pk__in=list(ids))
        .order_by("pk")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("community__policy_set__base"),
            )
        )
    )


def _row(product_id: int, summary: Summary) -> StoredCompliance:
    waived_until = [
        item.waiver.expires_on for item in summary.items if item.outcome == Outcome.WAIVED
    ]
    own, mandatory = summary.own, summary.mandatory
    return StoredCompliance(
        product_id=product_id,
        policy_set=summary.policy_set,
        status=summary.status,
        mandatory_met=mandatory.ok == mandatory.total,
        own_met=own.ok == own.total,
        summary=summary.as_dict(),
        valid_until=min(waived_until) if waived_until else None,
    )


@transaction.atomic
def refresh(product_ids: Iterable[int] | None = None, *, on: datetime.date | None = None) -> int:
    """Recompute the stored rows of these products (every product when None), in batches
    of a fixed number of queries. Returns how many rows were written."""
    if product_ids is None:
        ids = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({int(pk) for pk in product_ids})
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        summaries = summaries_for(_products(chunk), only=SUMMARY_FIELDS, on=on)
        rows = [_row(pk, s) for pk, by_set in summaries.items() for s in by_set.values()]
        StoredCompliance.objects.filter(product__in=chunk).delete()
        StoredCompliance.objects.bulk_create(rows, batch_size=BATCH)
        written += len(rows)
    return written


def refresh_stale(on: datetime.date | None = None) -> None:
    """Recompute rows that count a waiver whose last day has passed (one query when none
    has)."""
    on = on or datetime.date.today()
    stale = set(
        StoredCompliance.objects.filter(valid_until__lt=on).values_list("product_id", flat=True)
    )
    if stale:
        refresh(stale, on=on)


def products_held_to(policy_sets: Iterable[int]) -> set[int]:
    """Products with a membership in a community whose set reads any of these sets (the
    set itself, a set built on it), or — for the hub's set — in a spoke with no set."""
    wanted = set(policy_sets)
    if not wanted:
        return set()
    sets = dict(PolicySet.objects.values_list("pk", "base_id"))
    reading = set()
    for pk in sets:
        seen, cursor = set(), pk
        while cursor is not None and cursor not in seen:
            if cursor in wanted:
                reading.add(pk)
                break
            seen.add(cursor)
            cursor = sets.get(cursor)
    held = Q(community__policy_set__in=reading)
    if Community.objects.filter(kind=Community.Kind.HUB, policy_set__in=reading).exists():
        held |= Q(community__policy_set__isnull=True, community__kind=Community.Kind.SPOKE)
    return set(Membership.objects.filter(held).values_list("product_id", flat=True))


# --- Signals: the writes that change compliance ----------------------------------------


def _product_rows_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    touch([instance.product_id])


def _policy_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    touch(products_held_to([instance.policy_set_id]))


def _policy_set_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    touch(products_held_to([instance.pk]))


def _community_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    members = Membership.objects.filter(community=instance).values_list("product_id", flat=True)
    ids = set(members)
    if instance.kind == Community.Kind.HUB:
        # Spokes with no set of their own hold their members to the hub's.
        ids |= set(
            Membership.objects.filter(
                community__policy_set__isnull=True, community__kind=Community.Kind.SPOKE
            ).values_list("product_id", flat=True)
        )
    touch(ids)


def _fill_after_migrate(sender, **kwargs):
    """A database migrated to the read model fills it once (an empty one costs nothing)."""
    using = kwargs.get("using", "default")
    plan = kwargs.get("plan") or []
    if any(backwards for _migration, backwards in plan):
        return  # a database taken back to an older state has no read model to fill
    tables = connections[using].introspection.table_names()
    if StoredCompliance._meta.db_table not in tables:
        return
    if StoredCompliance.objects.using(using).exists():
        return
    if Membership.objects.using(using).exists() and using == "default":
        refresh()


def connect() -> None:
    for model in (Assessment, Waiver, Membership):
        post_save.connect(_product_rows_changed, sender=model, dispatch_uid=f"cs-{model.__name__}")
        post_delete.connect(
            _product_rows_changed, sender=model, dispatch_uid=f"cs-del-{model.__name__}"
        )
    post_save.connect(_policy_changed, sender=Policy, dispatch_uid="cs-policy")
    post_delete.connect(_policy_changed, sender=Policy, dispatch_uid="cs-del-policy")
    post_save.connect(_policy_set_changed, sender=PolicySet, dispatch_uid="cs-policyset")
    post_save.connect(_community_changed, sender=Community, dispatch_uid="cs-community")
    post_migrate.connect(_fill_after_migrate, dispatch_uid="cs-fill")


# --- Reading the stored rows -----------------------------------------------------------


@dataclass(frozen=True)
class SetTally:
    """A stored (product, set) row: the breakdown's tallies and the status."""

    policy_set: PolicySet
    mandatory: Tally
    own: Tally
    inherited: Tally
    recommended: Tally
    status: str

    @property
    def own_met(self) -> bool:
        return self.own.ok == self.own.total

    @property
    def mandatory_met(self) -> bool:
        return self.mandatory.ok == self.mandatory.total


def _int(value) -> int:
    return int(value)  # every number spliced into SQL goes through int()


def _held_set_sql(hub_set: PolicySet | None) -> str:
    """SQL for the set the community ``c`` holds its members to (``held_set``)."""
    hub = _int(hub_set.pk) if hub_set else "CAST(NULL AS INTEGER)"
    return f"COALESCE(c.policy_set_id, CASE WHEN c.kind = '{Community.Kind.SPOKE}' THEN {hub} END)"


def _held_pairs_sql(
    community: Community | None,
    hub_set: PolicySet | None,
    product_ids: Sequence[int] | None = None,
) -> str:
    """(product_id, set_id) for every active membership (or, for one community, every
    membership of it) and the set the community holds its members to; only of the given
    products when ``product_ids`` is given."""
    held = _held_set_sql(hub_set)
    where = (
        f"m.community_id = {_int(community.pk)}"
        if community is not None
        else f"m.state = '{Membership.State.ACTIVE}'"
    )
    if product_ids is not None:
        ids = ", ".join(str(_int(pk)) for pk in product_ids) or "NULL"
        where += f" AND m.product_id IN ({ids})"
    return (
        f"SELECT DISTINCT m.product_id, {held} AS set_id FROM products_membership m "
        f"JOIN spokes_community c ON c.id = m.community_id WHERE {where} AND {held} IS NOT NULL"
    )


def sets_held_by_members(hub_set: PolicySet | None) -> list[PolicySet]:
    """The sets active members are held to (their communities', and the hub's for spokes
    without one)."""
    # Communities with an active member, each found by the (community, state) index: no
    # scan of every membership.
    active = Membership.objects.filter(community=OuterRef("pk"), state=Membership.State.ACTIVE)
    held = Community.objects.filter(Exists(active)).values("policy_set_id")
    sets = list(PolicySet.objects.filter(pk__in=held).select_related("base").order_by("pk"))
    if hub_set is not None and hub_set.pk not in {s.pk for s in sets}:
        sets.append(hub_set)
    return sets


def _json(value) -> dict:
    return loads(value) if isinstance(value, str) else value


class Held:
    """What one page needs to read stored compliance: the hub's set and the sets members
    are held to, looked up once, and the stored rows of the pairs it asks about. Stale rows
    (a waiver past its last day) are recomputed first."""

    def __init__(self, community: Community | None = None, on: datetime.date | None = None):
        refresh_stale(on)
        self.community = community
        self.hub_set = hub_policy_set()
        if community is not None:
            ps, self.hub_default = held_set(community, self.hub_set)
            self.sets = [ps] if ps is not None else []
        else:
            self.hub_default = False
            self.sets = sets_held_by_members(self.hub_set)
        self._by_pk = {ps.pk: ps for ps in self.sets}

    def relation(
        self, product_ids: Sequence[int] | None = None, *, with_summary: bool = True
    ) -> tuple[str, list]:
        """SQL (and parameters) for (product_id, set_id, status, summary): the stored row
        of every pair this page reads (of the given products only, when given). Without
        the summary (an empty one), the rows are read from an index alone."""
        if not self.sets:
            return (
                "SELECT 0 AS product_id, 0 AS set_id, '' AS status, '' AS summary WHERE 1 = 0",
                [],
            )
        pairs = _held_pairs_sql(self.community, self.hub_set, product_ids)
        table = StoredCompliance._meta.db_table
        summary = "s.summary" if with_summary else "'' AS summary"
        sql = (
            f"SELECT pr.product_id, pr.set_id, s.status, {summary} FROM ({pairs}) pr "
            f"JOIN {table} s ON s.product_id = pr.product_id AND s.policy_set_id = pr.set_id"
        )
        return sql, []

    def status_q(self, status: str) -> Q:
        """Products whose status is ``status`` against some set they are held to."""
        if status not in Status.ALL:
            return Q(pk__in=[])
        relation, params = self.relation(with_summary=False)
        sql = f"SELECT t.product_id FROM ({relation}) t WHERE t.status = %s"
        return Q(pk__in=RawSQL(sql, [*params, status]))

    def mandatory_met_q(self, met: bool) -> Q:
        """Products held to some set whose every mandatory policy is met or waived against
        every set they are held to (``met``), or the held products for which that is not
        so (not ``met``)."""
        relation, params = self.relation(with_summary=False)
        failing = RawSQL(
            f"SELECT t.product_id FROM ({relation}) t WHERE t.status <> %s",
            [*params, Status.COMPLIANT],
        )
        if not met:
            return Q(pk__in=failing)
        held = RawSQL(f"SELECT t.product_id FROM ({relation}) t", params)
        return Q(pk__in=held) & ~Q(pk__in=failing)

    def status_counts(self, product_ids_sql: str | None, ids_params: list) -> dict[str, int]:
        """Of the given products (every product when ``product_ids_sql`` is None): {status:
        how many have it against some set they are held to}, ``held`` (how many are held
        to a set), ``mandatory_met`` (how many meet every mandatory policy of every set
        they are held to) and ``not_met`` (the others), in one query."""
        counts = {**dict.fromkeys(Status.ALL, 0), "held": 0, "mandatory_met": 0, "not_met": 0}
        if not self.sets:
            return counts
        relation, params = self.relation(with_summary=False)
        where = f"WHERE r.product_id IN ({product_ids_sql})" if product_ids_sql else ""
        sql = f"""
            WITH t AS (
                SELECT r.product_id, r.status FROM ({relation}) r {where}
            ),
            per AS (
                SELECT t.product_id,
                    MAX(CASE WHEN t.status <> '{Status.COMPLIANT}' THEN 1 ELSE 0 END) AS failing
                FROM t GROUP BY t.product_id
            )
            SELECT t.status, COUNT(DISTINCT t.product_id) FROM t GROUP BY t.status
            UNION ALL SELECT 'not_met', COALESCE(SUM(per.failing), 0) FROM per
            UNION ALL SELECT 'held', COUNT(*) FROM per
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *ids_params])
            for key, n in cursor.fetchall():
                counts[key] = int(n)
        counts["mandatory_met"] = counts["held"] - counts["not_met"]
        return counts

    def tallies(self, product_ids: Sequence[int]) -> dict[tuple[int, int], SetTally]:
        """{(product pk, set pk): SetTally} for the given products (one query)."""
        if not self.sets or not product_ids:
            return {}
        relation, params = self.relation(product_ids)
        out = {}
        with connection.cursor() as cursor:
            cursor.execute(relation, params)
            for product_id, set_id, status, summary in cursor.fetchall():
                summary = _json(summary)
                out[(product_id, set_id)] = SetTally(
                    policy_set=self._by_pk[set_id],
                    mandatory=Tally(**summary["mandatory"]),
                    own=Tally(**summary["own"]),
                    inherited=Tally(**summary["inherited"]),
                    recommended=Tally(**summary["recommended"]),
                    status=status,
                )
        return out

    def by_community(self) -> dict[int, tuple[dict[str, int], int]]:
        """{community pk: ({status: active members with it}, members meeting every own
        mandatory policy)} against the set each community holds its members to: one
        grouped query over the stored rows, whatever the number of members."""
        out: dict[int, tuple[dict[str, int], int]] = {}
        if not self.sets:
            return out
        sql = (
            f"SELECT m.community_id, s.status, COUNT(*), "
            f"SUM(CASE WHEN s.own_met THEN 1 ELSE 0 END) "
            f"FROM products_membership m JOIN spokes_community c ON c.id = m.community_id "
            f"JOIN {StoredCompliance._meta.db_table} s ON s.product_id = m.product_id "
            f"AND s.policy_set_id = {_held_set_sql(self.hub_set)} "
            f"WHERE m.state = %s GROUP BY m.community_id, s.status"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [Membership.State.ACTIVE])
            for community_id, status, n, own in cursor.fetchall():
                counts, own_met = out.get(community_id, (dict.fromkeys(Status.ALL, 0), 0))
                counts[status] = int(n)
                out[community_id] = (counts, own_met + int(own or 0))
        return out

    def held_set_of(self, community: Community) -> tuple[PolicySet | None, bool]:
        """``held_set`` from the sets already loaded (no query per community)."""
        ps = self._by_pk.get(community.policy_set_id)
        if ps is not None:
            return ps, False
        return held_set(community, self.hub_set)


def stored_summaries(products: Iterable[Product]) -> dict[int, dict[str, dict]]:
    """{product pk: {set slug: the stored ``Summary.as_dict()``}}, sets in slug order, for
    every set each product is held to (one query, after ``refresh_stale``)."""
    return stored_summaries_of([p.pk for p in products])


def loads(text: str):
    """JSON text read back as the standard library reads it, faster (orjson; the
    standard library for what orjson refuses: NaN, integers past 64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def stored_summaries_of(pks: Sequence[int]) -> dict[int, dict[str, dict]]:
    """``stored_summaries`` of the products with these primary keys."""
    refresh_stale()
    out: dict[int, dict[str, dict]] = {pk: {} for pk in pks}
    rows = (
        StoredCompliance.objects.filter(product__in=pks)
        # The summary as JSON text, decoded here: several times faster than the field's
        # own decoding for a page of products.
        .annotate(summary_text=Cast("summary", TextField()))
        .values_list("product_id", "policy_set__slug", "summary_text")
        .order_by("product_id", "policy_set__slug")
    )
    for product_id, slug, summary in rows:
        out[product_id][slug] = loads(summary)
    return out
