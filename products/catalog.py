"""The catalog page's read side: facet counts, per-row compliance, CSV/JSON export.

Facet counts follow the usual faceted-search rule: each facet counts over the products
matching every *other* active filter (so choosing a licence still shows how many products
each other licence would give). Each facet is one aggregate query, whatever the number
of products or facet values; the filtering itself is ``products.filters.ProductFilter``.
"""

from __future__ import annotations

import csv
import datetime
import json
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import HttpResponse, QueryDict

from peso_registry.renderers import neutralise_cell
from products import delivery
from products.compliance import TALLY_FIELDS, Status
from products.compliance_store import Held, SetTally
from products.filters import MEMBERSHIP_STATES, ProductFilter, search_products
from products.models import Membership, Product, display_state_q
from products.representation import PRODUCT_PUBLIC_FIELDS, public_fields
from spokes.models import Community, PolicySet

SORT_CHOICES = [
    ("", "Relevance / name"),
    ("name", "Name (A to Z)"),
    ("-name", "Name (Z to A)"),
    ("-updated_at", "Recently updated"),
    ("-created_at", "Recently registered"),
    ("license", "License"),
]
FACET_KEYS = (
    "community",
    "membership_state",
    "compliance",
    "mandatory_met",
    "license",
    "area",
    "in_e4s",
    "smoke_test",
    "testsuite",
    "distribution",
)
FACET_LABELS = {
    "community": "Spoke (SPC)",
    "membership_state": "Membership",
    "compliance": "Compliance",
    "mandatory_met": "Every mandatory policy met",
    "license": "License",
    "area": "Area",
    **delivery.FLAG_LABELS,
    "distribution": "Distribution through E4S",
}


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    key: str
    label: str
    values: list[FacetValue]


class _Bases:
    """The products matching every active filter but one, for each facet.

    Reuses the page's validated ProductFilter (one validation, one community lookup) and
    applies its filters itself, leaving one out; the compliance conditions are built once
    per community (they cost queries of their own).
    """

    def __init__(self, filterset: ProductFilter):
        self.filterset = filterset
        self.data = dict(filterset.form.cleaned_data)

    @property
    def held(self) -> Held:
        """The filter's compliance reading (the same sets, looked up once)."""
        return self.filterset.held()

    def _others(self, facet: str) -> dict:
        return {k: v for k, v in self.data.items() if k not in (facet, "ordering", "q")}

    def open(self, facet: str) -> bool:
        """No filter but this facet's own is in use: the facet counts over every product,
        and needs no condition on them."""
        if self.data.get("q") and facet != "q":
            return False
        return all(value in (None, "") for value in self._others(facet).values())

    def ids(self, facet: str) -> QuerySet | None:
        """The keys of the products the facet counts over; None when that is every one."""
        return None if self.open(facet) else _ids(self.without(facet))

    def status_counts(self, facet: str) -> dict[str, int]:
        """``Held.status_counts`` over the products the facet counts over (the compliance
        and mandatory_met facets share one query when they count over the same)."""
        ids = self.ids(facet)
        sql, params = ids.query.sql_with_params() if ids is not None else (None, ())
        key = (sql, tuple(params))
        cache = self.__dict__.setdefault("_status_counts", {})
        if key not in cache:
            cache[key] = self.held.status_counts(sql, list(params))
        return cache[key]

    def without(self, facet: str) -> QuerySet[Product]:
        data = self._others(facet)
        qs = Product.objects.all()
        if self.data.get("q") and facet != "q":
            qs = search_products(qs, self.data["q"])
        form = self.filterset.form
        saved, form.cleaned_data = form.cleaned_data, data  # the method filters read it
        try:
            for name, value in data.items():
                if value in (None, ""):
                    continue
                qs = self.filterset.filters[name].filter(qs, value)
        finally:
            form.cleaned_data = saved
        return qs.order_by()


def _ids(qs: QuerySet[Product]):
    return qs.values("pk")


def facets(filterset: ProductFilter, params: QueryDict) -> list[Facet]:
    """Every facet with its counts (a fixed number of queries)."""
    if not filterset.is_valid():
        return []
    bases = _Bases(filterset)
    current = {k: params.get(k, "") for k in FACET_KEYS}
    return [build(bases, current) for build in FACET_BUILDERS]


def _community_facet(bases: _Bases, current: dict[str, str]) -> Facet:
    """Products with a membership (any state, or the chosen one) in each community."""
    memberships = Membership.objects.all()
    if (ids := bases.ids("community")) is not None:
        memberships = memberships.filter(product__in=ids)
    if bases.data.get("membership_state"):
        memberships = memberships.filter(display_state_q(bases.data["membership_state"]))
    rows = (
        memberships.values("community__slug", "community__name")
        .annotate(n=Count("product", distinct=True))
        .order_by("community__name")
    )
    values = [
        FacetValue(
            r["community__slug"],
            r["community__name"],
            r["n"],
            r["community__slug"] == current["community"],
        )
        for r in rows
    ]
    return Facet("community", FACET_LABELS["community"], values)


def _state_facet(bases: _Bases, current: dict[str, str]) -> Facet:
    """Membership state, within the chosen community as the filter reads it."""
    community = bases.data.get("community")
    # The products with a membership in each state: one pass over the memberships.
    rows = Membership.objects.all()
    if community is not None:
        rows = rows.filter(community=community)
    if (ids := bases.ids("membership_state")) is not None:
        rows = rows.filter(product__in=ids)
    counts = rows.aggregate(
        **{
            value: Count("product", distinct=True, filter=display_state_q(value))
            for value, _label in MEMBERSHIP_STATES
        }
    )
    values = [
        FacetValue(v, label.split(" (")[0], counts[v], v == current["membership_state"])
        for v, label in MEMBERSHIP_STATES
    ]
    return Facet("membership_state", FACET_LABELS["membership_state"], values)


def _compliance_facet(bases: _Bases, current: dict[str, str]) -> Facet:
    """The statuses the compliance filter applies, counted in one grouped pass over every
    (member product, set) pair."""
    counts = bases.status_counts("compliance")
    label = FACET_LABELS["compliance"]
    held = bases.held.sets
    if bases.data.get("community") is not None and held:
        label += f" ({held[0].slug}{', hub default' if bases.held.hub_default else ''})"
    values = [FacetValue(s, s, counts[s], s == current["compliance"]) for s in Status.ALL]
    return Facet("compliance", label, values)


def _mandatory_met_facet(bases: _Bases, current: dict[str, str]) -> Facet:
    """Held products that meet every mandatory policy, and those that do not."""
    counts = bases.status_counts("mandatory_met")
    chosen = current["mandatory_met"].lower()
    values = [
        FacetValue("true", "yes", counts["mandatory_met"], chosen == "true"),
        FacetValue("false", "no", counts["not_met"], chosen == "false"),
    ]
    return Facet("mandatory_met", FACET_LABELS["mandatory_met"], values)


def _license_facet(bases: _Bases, current: dict[str, str]) -> Facet:
    rows = (
        bases.without("license")
        .exclude(license="")
        .values("license")
        .annotate(n=Count("pk"))
        .order_by("-n", "license")
    )
    values = [
        FacetValue(
            r["license"], r["license"], r["n"], r["license"].lower() == current["license"].lower()
        )
        for r in rows[:30]
    ]
    return Facet("license", FACET_LABELS["license"], values)


def _area_facet(bases: _Bases, current: dict[str, str]) -> Facet:
    rows = Product.areas.through.objects.all()
    if (ids := bases.ids("area")) is not None:
        rows = rows.filter(product_id__in=ids)
    rows = (
        # (a product is filed under an area once: no DISTINCT needed)
        rows.values("area__slug", "area__name")
        .annotate(n=Count("product_id"))
        .order_by("-n", "area__name")
    )
    chosen = current["area"].lower()
    values = [
        FacetValue(
            r["area__slug"],
            r["area__name"],
            r["n"],
            chosen in (r["area__slug"].lower(), r["area__name"].lower()),
        )
        for r in rows[:40]
    ]
    return Facet("area", FACET_LABELS["area"], values)


def _flag_facet(key: str):
    """A delivery flag (in_e4s, smoke_test, testsuite): yes, no, unknown, in one query."""

    def build(bases: _Bases, current: dict[str, str]) -> Facet:
        counts = bases.without(key).aggregate(
            **{v: Count("pk", filter=delivery.flag_q(key, v)) for v, _ in delivery.FLAG_CHOICES}
        )
        values = [
            FacetValue(v, label, counts[v], v == current[key].lower())
            for v, label in delivery.FLAG_CHOICES
        ]
        return Facet(key, FACET_LABELS[key], values)

    return build


def _distribution_facet(bases: _Bases, current: dict[str, str]) -> Facet:
    counts = dict(
        bases.without("distribution")
        .values("distribution")
        .annotate(n=Count("pk"))
        .values_list("distribution", "n")
    )
    values = [
        FacetValue(v, label, counts.get(v, 0), v == current["distribution"])
        for v, label in Product.Distribution.choices
    ]
    return Facet("distribution", FACET_LABELS["distribution"], values)


FACET_BUILDERS = (
    _community_facet,
    _state_facet,
    _compliance_facet,
    _mandatory_met_facet,
    _license_facet,
    _area_facet,
    *(_flag_facet(key) for key in delivery.FLAGS),
    _distribution_facet,
)


def active_filters(params: QueryDict, facets: list[Facet] = ()) -> list[tuple[str, str, str]]:
    """(key, label, value) of every filter in use, for the "remove filter" links; the
    value as its facet names it (a community's name, not its slug) where the facet has
    it."""
    names = {
        (facet.key, value.value.lower()): value.label for facet in facets for value in facet.values
    }
    out = []
    if params.get("q"):
        out.append(("q", "Search", params["q"]))
    for key in FACET_KEYS:
        if params.get(key):
            shown = names.get((key, params[key].lower()), params[key])
            out.append((key, FACET_LABELS[key], shown))
    return out


@dataclass(frozen=True)
class RowCompliance:
    """A catalog row's compliance with the set one of its communities holds it to."""

    community: Community
    tally: SetTally
    hub_default: bool

    @property
    def policy_set(self) -> PolicySet:
        return self.tally.policy_set

    @property
    def status(self) -> str:
        return self.tally.status


def attach_compliance(products: list[Product], held: Held | None = None) -> None:
    """Set ``product.compliance``: a RowCompliance for each active membership whose
    community holds its members to a set (the hub's where a spoke has none). A fixed
    number of queries for the whole list, in SQL: no assessment row is loaded."""
    held = held or Held()
    tallies = held.tallies([p.pk for p in products])
    for product in products:
        rows = []
        for m in product.memberships.all():
            if m.state != Membership.State.ACTIVE:
                continue
            ps, default = held.held_set_of(m.community)
            tally = tallies.get((product.pk, ps.pk)) if ps is not None else None
            if tally is not None:
                rows.append(RowCompliance(m.community, tally, default))
        product.compliance = rows


EXPORT_FIELDS = [
    "slug",
    "name",
    "summary",
    "homepage",
    "repository_url",
    "documentation_url",
    "license",
    "spack_package",
    "contact_email",
    "areas",
    "memberships",
    "compliance",
    "url",
]


# The export's own columns after the product's public ones (``products.representation``).
_PUBLIC_COLUMNS = tuple(f for f in EXPORT_FIELDS if f in PRODUCT_PUBLIC_FIELDS)


def _record(product: Product) -> dict:
    return {
        **public_fields(product, _PUBLIC_COLUMNS),
        "memberships": [
            {
                "community": m.community.slug,
                "state": m.display_state,
                "joined_at": m.joined_at.isoformat() if m.joined_at else None,
                "left_at": m.left_at.isoformat() if m.left_at else None,
            }
            for m in product.memberships.all()
        ],
        "compliance": {
            row.community.slug: {
                "status": row.status,
                "policy_set": row.policy_set.slug,
                "hub_default": row.hub_default,
                **{group: getattr(row.tally, group).as_dict() for group in TALLY_GROUPS},
            }
            for row in product.compliance
        },
        "url": product.get_absolute_url(),
    }


# The tallies a row reports for each set, as JSON keys and CSV column groups.
TALLY_GROUPS = ("mandatory", "own", "inherited", "recommended")


def _count_columns(records: list[dict]) -> list[tuple[str, object]]:
    """The CSV's count columns: ``compliance.<community>.<group>.<count>`` for every
    community some exported product is an active member of (blank where it is not)."""
    slugs = sorted({slug for r in records for slug in r["compliance"]})
    columns = []
    for slug in slugs:
        for group in TALLY_GROUPS:
            for name in TALLY_FIELDS:

                def read(r, slug=slug, group=group, name=name):
                    values = r["compliance"].get(slug)
                    return "" if values is None else values[group][name]

                columns.append((f"compliance.{slug}.{group}.{name}", read))
    return columns


def export(products: QuerySet[Product], fmt: str) -> HttpResponse:
    """Every product matching the current search, facets and sort (not just one page)."""
    rows = list(products)
    attach_compliance(rows)
    records = [_record(p) for p in rows]
    stamp = datetime.date.today().isoformat()
    if fmt == "json":
        response = HttpResponse(
            json.dumps({"count": len(records), "results": records}, indent=1),
            content_type="application/json",
        )
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.writer(response)
        count_columns = _count_columns(records)
        writer.writerow([*EXPORT_FIELDS, *(name for name, _ in count_columns)])
        for r in records:
            cells = [
                *(r[k] for k in EXPORT_FIELDS[:9]),
                "; ".join(r["areas"]),
                "; ".join(f"{m['community']}:{m['state']}" for m in r["memberships"]),
                "; ".join(f"{k}:{v['status']}" for k, v in r["compliance"].items()),
                r["url"],
                *(read(r) for _, read in count_columns),
            ]
            writer.writerow([neutralise_cell(c) for c in cells])
    response["Content-Disposition"] = f'attachment; filename="peso-products-{stamp}.{fmt}"'
    return response
