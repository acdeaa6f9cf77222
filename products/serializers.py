"""API representations of products, assessments, compliance and events (DESIGN §6).

Field names are the contract. Read serializers never query: everything they show comes
from the prefetches of the viewsets' querysets, and compliance is read from the stored read
model for a whole page at once (`products.compliance_store.stored_summaries`).
"""

from __future__ import annotations

import copy
import datetime
from collections import defaultdict
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.db import models as dj_models
from django.db.models import Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer, inline_serializer
from rest_framework import serializers

from events.validation import validate_web_url
from hub.models import Release, ReleaseItem
from peso_registry.fields import AbsoluteURLField
from products import delivery as delivery_facts
from products.compliance import (
    STATUSES,
    Outcome,
    PolicyStatus,
)
from products.compliance_store import loads, refresh_stale, stored_summaries, stored_summaries_of
from products.models import (
    Assessment,
    Dependency,
    Membership,
    Product,
    ProductUse,
    Stakeholder,
    StoredCompliance,
)
from products.representation import (
    PRODUCT_PUBLIC_FIELDS,
    area_names,
    maintainer_usernames,
    provenance,
)
from products.review import is_review_due
from spokes.models import Policy, PolicySet

User = get_user_model()


class ComplianceTallySerializer(serializers.Serializer):
    """How many policies of a group have each outcome."""

    # ``products.compliance.Tally``. (The docstring is the schema's description.)

    met = serializers.IntegerField()
    partial = serializers.IntegerField()
    none = serializers.IntegerField()
    unknown = serializers.IntegerField()
    waived = serializers.IntegerField()
    total = serializers.IntegerField()


def _tally(help_text: str) -> ComplianceTallySerializer:
    """A tally field (a fresh instance each time: a DRF field is bound to one parent)."""
    return ComplianceTallySerializer(help_text=help_text)


COMPLIANCE_SUMMARY = inline_serializer(
    "ComplianceSummary",
    fields={
        "status": serializers.ChoiceField(
            choices=["compliant", "partial", "noncompliant", "unknown"],
            help_text="Over the mandatory policies: compliant (every one met or waived), "
            "noncompliant (one `none`), partial (none unassessed), unknown (some unassessed).",
        ),
        **{
            name: serializers.IntegerField(help_text=f"Policies assessed `{name}`.")
            for name in STATUSES
        },
        "mandatory": _tally("The mandatory policies (they decide the status)."),
        "recommended": _tally("The recommended policies (reported only)."),
        "own": _tally("The set's own mandatory policies."),
        "inherited": _tally("The mandatory policies inherited from its base."),
        "missing": inline_serializer(
            "ComplianceMissing",
            many=True,
            fields={
                "code": serializers.CharField(),
                "status": serializers.ChoiceField(choices=list(Outcome.NOT_MET)),
                "level": serializers.ChoiceField(choices=Policy.Level.choices),
                "inherited": serializers.BooleanField(),
            },
            help_text="Every policy not met, with its outcome.",
        ),
        "reason": serializers.CharField(help_text="The breakdown in one sentence."),
        "hub_default": serializers.BooleanField(
            help_text="The product's community publishes no set; the hub's applies."
        ),
    },
)


class MembershipSerializer(serializers.ModelSerializer):
    community = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    state = serializers.ChoiceField(
        source="display_state",
        choices=["active", "offramped", "sunsetting"],
        read_only=True,
        help_text="active, offramped, or sunsetting (offramped, end of support ahead).",
    )
    successor = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Membership
        fields = (
            "community",
            "state",
            "joined_at",
            "left_at",
            "reason",
            "support_organization",
            "end_of_support",
            "successor",
            # Where the membership comes from (DESIGN §11); `inferred`: our reading.
            "source",
            "inferred",
            "note",
            "seed_ref",
        )


class ProductProvenanceSerializer(serializers.Serializer):
    """Where a product's facts come from; empty text means unknown."""

    seed_ref = serializers.CharField(help_text="The reference file and key it was seeded from.")
    license_source = serializers.CharField()
    license_conflict = serializers.ListField(
        child=serializers.CharField(), help_text="Sources that give another license."
    )
    area_inferred = serializers.BooleanField(
        help_text="The areas are our reading (from its community), not a source's."
    )
    sponsorship = serializers.ChoiceField(
        choices=[("", "unknown"), *Product.Sponsorship.choices],
        help_text="doe, community, commercial, or empty: unknown.",
    )
    support_organization = serializers.CharField()


class DeliverySerializer(serializers.Serializer):
    """How the product reaches its users through Spack and E4S; null: unknown."""

    spack_packages = serializers.ListField(child=serializers.CharField())
    in_e4s = serializers.BooleanField(allow_null=True, help_text="In the E4S product catalog.")
    e4s_area = serializers.CharField(allow_null=True, help_text="Its area in the E4S catalog.")
    smoke_test = serializers.BooleanField(
        allow_null=True, help_text="A Spack smoke test is present (E4S catalog)."
    )
    testsuite = serializers.BooleanField(
        allow_null=True, help_text="An E4S testsuite test is present (E4S catalog)."
    )
    in_current_environment = serializers.BooleanField(
        allow_null=True,
        help_text="A root spec of the current E4S environment; null when none is recorded.",
    )
    distribution = serializers.ChoiceField(
        choices=Product.Distribution.choices,
        help_text="e4s_final, e4s_staging, both, none, or unknown until the team says.",
    )


def _related_order(relation: str, key: str) -> str:
    """An ordering key of a related model, read through the relation (``-kind`` stays
    descending)."""
    return f"-{relation}__{key[1:]}" if key.startswith("-") else f"{relation}__{key}"


def release_slugs_of(pks: list[int]) -> tuple[dict[int, list[str]], dict[int, bool], bool]:
    """The releases including each product (slugs, in the releases' order), whether each is
    in the current E4S environment, and whether an environment is recorded: two queries."""
    slugs: dict[int, list[str]] = defaultdict(list)
    in_env: dict[int, bool] = {}
    rows = (
        ReleaseItem.objects.filter(product_id__in=pks)
        .order_by(*(_related_order("release", key) for key in Release._meta.ordering), "pk")
        .values_list("product_id", "release__slug", "release__environment")
    )
    for pk, slug, environment in rows:
        if slug not in slugs[pk]:
            slugs[pk].append(slug)
        in_env[pk] = in_env.get(pk, False) or environment
    return slugs, in_env, Release.objects.environments().exists()


class UsedBySerializer(serializers.ModelSerializer):
    """A stakeholder recorded as using a product, as listed with the product."""

    stakeholder = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="stakeholder.name", read_only=True)
    kind = serializers.ChoiceField(
        source="stakeholder.kind", choices=Stakeholder.Kind.choices, read_only=True
    )

    class Meta:
        model = ProductUse
        fields = ("stakeholder", "name", "kind", "criticality", "note")


class ProductListSerializer(serializers.ListSerializer):
    """Reads the page's stored compliance in one query before rendering the rows."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        self._context.setdefault("compliance", {}).update(stored_summaries(items))
        self._context["releases"] = release_slugs_of([p.pk for p in items])
        self._context["releases_of"] = {p.pk for p in items}
        return super().to_representation(items)


class ProductSerializer(serializers.ModelSerializer):
    """A product as read (list and detail)."""

    url = serializers.HyperlinkedIdentityField(view_name="api-product-detail", lookup_field="slug")
    html_url = AbsoluteURLField(source="get_absolute_url")
    areas = serializers.SerializerMethodField()
    maintainers = serializers.SerializerMethodField()
    memberships = MembershipSerializer(many=True, read_only=True)
    dependencies = serializers.SerializerMethodField()
    dependents = serializers.SerializerMethodField()
    compliance = serializers.SerializerMethodField()
    used_by = UsedBySerializer(
        source="uses",
        many=True,
        read_only=True,
        help_text="Stakeholders recorded as using the product (by name).",
    )
    facts = serializers.JSONField(
        read_only=True,
        help_text="Sourced facts kept with the record: other Spack names, license source and "
        "conflicts, CASS steward, E4S catalog area and test flags ...",
    )
    provenance = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()
    releases = serializers.SerializerMethodField()

    class Meta:
        model = Product
        list_serializer_class = ProductListSerializer
        fields = (
            *PRODUCT_PUBLIC_FIELDS,  # as the catalog exports show them (products.representation)
            "memberships",
            "dependencies",
            "dependents",
            "compliance",
            "used_by",
            "created_at",
            "updated_at",
            "url",
            "html_url",
            "facts",
            "provenance",
            "delivery",
            "releases",
        )

    def to_representation(self, instance):
        compliance = self.context.setdefault("compliance", {})
        if instance.pk not in compliance:
            compliance.update(stored_summaries([instance]))
        if instance.pk not in self.context.get("releases_of", ()):
            self.context["releases"] = release_slugs_of([instance.pk])
            self.context["releases_of"] = {instance.pk}
        return super().to_representation(instance)

    @extend_schema_field(DeliverySerializer)
    def get_delivery(self, obj: Product) -> dict:
        _, in_env, recorded = self.context["releases"]
        return delivery_facts.delivery(
            obj, in_current_environment=in_env.get(obj.pk, False) if recorded else None
        )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_releases(self, obj: Product) -> list[str]:
        return list(self.context["releases"][0].get(obj.pk, []))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_areas(self, obj: Product) -> list[str]:
        return area_names(obj)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_maintainers(self, obj: Product) -> list[str]:
        return maintainer_usernames(obj)

    @extend_schema_field(ProductProvenanceSerializer)
    def get_provenance(self, obj: Product) -> dict:
        return provenance(obj)

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_dependencies(self, obj: Product) -> list[str]:
        return sorted(d.depends_on.slug for d in obj.dependencies.all())

    @extend_schema_field(serializers.ListField(child=serializers.SlugField()))
    def get_dependents(self, obj: Product) -> list[str]:
        return sorted(d.product.slug for d in obj.dependents.all())

    @extend_schema_field(
        {
            "type": "object",
            "description": "Compliance summary keyed by policy-set slug, for the set of "
            "every community the product has a membership in.",
            "additionalProperties": {"$ref": "#/components/schemas/ComplianceSummary"},
        }
    )
    def get_compliance(self, obj: Product) -> dict:
        return self.context["compliance"].get(obj.pk, {})


# --- The product list, built from plain values --------------------------------------

# The fields ProductSerializer computes from related rows or from several columns; every
# other field is one column of the product, written by the serializer's own field.
_PRODUCT_COMPUTED = frozenset(
    (
        "areas",
        "maintainers",
        "memberships",
        "dependencies",
        "dependents",
        "compliance",
        "used_by",
        "provenance",
        "url",
        "html_url",
        "delivery",
        "releases",
    )
)
# The columns ``provenance`` and ``delivery`` read.
_PROVENANCE_COLUMNS = (
    "seed_ref",
    "facts",
    "sponsorship",
    "support_organization",
    *delivery_facts.COLUMNS,
)
# A slug put in a URL once to learn the URL of every slug (a URL is the same text around
# whatever slug it names).
_SLUG_MARK = "0-slug-mark-5e1f-0"


def _nested_columns(child: serializers.Serializer, computed: set[str]) -> list:
    """(name, lookup, writer) of a nested representation: a slug field reads the related
    row's slug column (written as read), a ``computed`` field none, any other field its
    column through the related rows."""
    columns = []
    for name, field in child.fields.items():
        if name in computed:
            columns.append((name, None, None))
        elif isinstance(field, serializers.SlugRelatedField):
            lookup = f"{field.source.replace('.', '__')}__{field.slug_field}"
            columns.append((name, lookup, _as_read))
        else:
            columns.append((name, field.source.replace(".", "__"), _writer(field)))
    return columns


# Fields that write a str as it is (``str(value)``).
_TEXT_FIELDS = (
    serializers.CharField,
    serializers.URLField,
    serializers.EmailField,
    serializers.SlugField,
)


def _write(field, value):
    """A value as the serializer's field writes it (None stays None, as DRF leaves it)."""
    if value is None or field is None:
        return value
    return field.to_representation(value)


def _as_read(value):
    return value


def _writer(field):
    """``_write`` for one field, skipping the call where the field writes text as it is."""
    if type(field) in _TEXT_FIELDS:
        return lambda value: value if type(value) is str else _write(field, value)
    return lambda value: _write(field, value)


def _bound(serializer: serializers.Serializer, name: str) -> serializers.Field:
    """A copy of one of the serializer's declared fields, bound to it (its context)."""
    field = copy.deepcopy(serializer._declared_fields[name])
    field.bind(name, serializer)
    return field


def _url_maker(field, obj) -> tuple[str, str]:
    """The URL a field writes for a marked object, split around the mark."""
    head, _, tail = str(field.to_representation(obj)).partition(_SLUG_MARK)
    return head, tail


# The key of the embedded lists' JSON in a page's rows (PostgreSQL).
_EMBEDDED = "_embedded_json"


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


# Membership columns that JSON carries as text: read back as the ORM reads them.
_MEMBERSHIP_DATES = {
    f.name for f in Membership._meta.concrete_fields if isinstance(f, dj_models.DateField)
}


def _typed(lookup: str, value):
    return _date(value) if lookup in _MEMBERSHIP_DATES else value


def _column_sql(model, alias: str, lookup: str, joins: dict[str, str], qn) -> str:
    """The SQL of ``lookup`` (a column, or one foreign key then a column) of ``model``'s
    rows named ``alias``, adding the LEFT JOIN it needs to ``joins``."""
    parts = lookup.split("__")
    field = model._meta.get_field(parts[0])
    if len(parts) == 1:
        return f"{alias}.{qn(field.column)}"
    if len(parts) != 2 or not field.many_to_one:
        raise ValueError(f"Cannot embed {lookup}")
    related = field.related_model
    other = f"{alias}_{parts[0]}"
    joins.setdefault(
        other,
        f"LEFT JOIN {qn(related._meta.db_table)} {other} "
        f"ON {other}.{qn(related._meta.pk.column)} = {alias}.{qn(field.column)}",
    )
    return f"{other}.{qn(related._meta.get_field(parts[1]).column)}"


def _json_list_sql(model, outer_key: str, fk: str, values: dict[str, str], order: list[str], qn):
    """A correlated subquery: the JSON array of ``model``'s rows whose ``fk`` is the outer
    product, each an object of ``values`` (name: lookup) or, for one unnamed lookup, the
    value alone, in ``order`` (lookups, ``-`` for descending)."""
    joins: dict[str, str] = {}
    alias = "e"
    columns = {
        name: _column_sql(model, alias, lookup, joins, qn) for name, lookup in values.items()
    }
    if list(columns) == [""]:
        item = columns[""]
    else:
        item = (
            "json_build_object("
            + ", ".join(f"'{name}', {sql}" for name, sql in columns.items())
            + ")"
        )
    ordering = []
    for key in order:
        descending = key.startswith("-")
        sql = _column_sql(model, alias, key.lstrip("-"), joins, qn)
        ordering.append(f"{sql} DESC" if descending else sql)
    order_sql = f" ORDER BY {', '.join(ordering)}" if ordering else ""
    return (
        f"(SELECT json_agg({item}{order_sql}) FROM {qn(model._meta.db_table)} {alias} "
        f"{' '.join(joins.values())} "
        f"WHERE {alias}.{qn(model._meta.get_field(fk).column)} = {outer_key})"
    )


def _embedded_lists_sql(outer: str, memberships: list, used_by: list) -> dict[str, str]:
    """PostgreSQL: one JSON object per product of its embedded lists, each as ``_lists``
    reads it (the same rows, in the same order), its stored compliance keyed by set slug
    in slug order, the releases including it (as ``release_slugs_of`` reads them) and
    whether a current E4S environment is recorded."""
    qn = connection.ops.quote_name
    outer_key = f"{qn(outer)}.{qn(Product._meta.pk.column)}"
    user_name = f"user__{User.USERNAME_FIELD}"
    nested = {
        "areas": _json_list_sql(
            Product.areas.through,
            outer_key,
            "product",
            {"": "area__name"},
            ["area__name", "area"],
            qn,
        ),
        "maintainers": _json_list_sql(
            Product.maintainers.through, outer_key, "product", {"": user_name}, [], qn
        ),
        "memberships": _json_list_sql(
            Membership,
            outer_key,
            "product",
            {
                lookup: lookup
                for lookup in dict.fromkeys(
                    [lookup for _, lookup, _ in memberships if lookup] + ["state", "end_of_support"]
                )
            },
            [*Membership._meta.ordering, "id"],
            qn,
        ),
        "dependencies": _json_list_sql(
            Dependency, outer_key, "product", {"": "depends_on__slug"}, [], qn
        ),
        "dependents": _json_list_sql(
            Dependency, outer_key, "depends_on", {"": "product__slug"}, [], qn
        ),
        "used_by": _json_list_sql(
            ProductUse,
            outer_key,
            "product",
            {lookup: lookup for _, lookup, _ in used_by if lookup},
            ["stakeholder__name", "id"],
            qn,
        ),
    }
    nested["releases"] = _json_list_sql(
        ReleaseItem,
        outer_key,
        "product",
        {"slug": "release__slug", "environment": "release__environment"},
        [*(_related_order("release", key) for key in Release._meta.ordering), "id"],
        qn,
    )
    environment = qn(Release._meta.get_field("environment").column)
    nested["environment_recorded"] = (
        f"EXISTS (SELECT 1 FROM {qn(Release._meta.db_table)} WHERE {environment})"
    )
    compliance = (
        "(SELECT json_object_agg(ps.slug, s.summary ORDER BY ps.slug) "
        f"FROM {qn(StoredCompliance._meta.db_table)} s "
        f"JOIN {qn(PolicySet._meta.db_table)} ps ON ps.id = s.policy_set_id "
        f"WHERE s.product_id = {outer_key})"
    )
    parts = ", ".join(
        f"'{name}', {sql}" for name, sql in {**nested, "compliance": compliance}.items()
    )
    return {_EMBEDDED: f"json_build_object({parts})::text"}


class ProductListRows:
    """The rows of a page of the product list exactly as ``ProductSerializer`` writes them
    (the same fields, in the same order, with the same values), from a fixed number of
    queries whatever the page size: the page as plain values, then one query per embedded
    list (areas, maintainers, memberships, dependency edges and the slugs at their ends,
    the stakeholders' uses, the stored compliance) — on PostgreSQL none, the page's own
    query bringing them as JSON (``values``). No model instance is built, which is most
    of what a page of 100 products used to cost. A test compares both for a varied
    catalog. The product detail is a page of one.
    """

    # The columns and writers of each serializer class, read from its fields once per
    # process (binding a serializer's fields copies every one of them).
    _plans: dict[type, tuple[list, list, list, list]] = {}

    def __init__(self, serializer: ProductSerializer) -> None:
        kind = type(serializer)
        plan = self._plans.get(kind)
        if plan is None:
            # From a serializer of no request: the plan outlives this one.
            plan = self._plans[kind] = self._plan(kind().fields)
        self.fields, self.json, self.memberships, self.used_by = plan
        # The URLs depend on the request (scheme and host): its own two fields, bound to
        # this serializer for its context.
        marked = Product(pk=0, slug=_SLUG_MARK)
        self.url = _url_maker(_bound(serializer, "url"), marked)
        self.html_url = _url_maker(_bound(serializer, "html_url"), marked.get_absolute_url())

    @staticmethod
    def _plan(fields) -> tuple[list, list, list, list]:
        # (name, value key, writer) in the serializer's order; no key: computed in build.
        columns = []
        json_columns = []  # JSON columns, read as text (`loads`)
        for name, field in fields.items():
            if name in _PRODUCT_COMPUTED:
                columns.append((name, None, None))
            else:
                columns.append((name, field.source, _writer(field)))
                if isinstance(field, serializers.JSONField):
                    json_columns.append(field.source)
        memberships = _nested_columns(fields["memberships"].child, {"state"})
        used_by = _nested_columns(fields["used_by"].child, set())
        return columns, json_columns, memberships, used_by

    def values(self, products: QuerySet) -> QuerySet:
        """The product columns a page needs (``build`` reads them), of these products; on
        PostgreSQL with its embedded lists and stored compliance as JSON text, built by
        the database in the same query (``_embedded_sql``)."""
        plain = [key for _, key, _ in self.fields if key is not None]
        names = dict.fromkeys(["pk", "slug", *plain, *_PROVENANCE_COLUMNS])
        as_text = {f"{name}__text": Cast(name, TextField()) for name in self.json}
        rows = products.values(*(n for n in names if n not in self.json), **as_text)
        if connections[products.db].vendor != "postgresql":
            return rows
        refresh_stale()  # before the stored compliance is read with the page
        embedded = self._embedded_sql(products.model._meta.db_table)
        return rows.annotate(**{key: RawSQL(sql, ()) for key, sql in embedded.items()})

    def build(self, page: list[dict]) -> list[dict]:
        for row in page:
            for name in self.json:
                row[name] = loads(row.pop(f"{name}__text"))
        pks = [row["pk"] for row in page]
        if page and _EMBEDDED in page[0]:
            lists, compliance, (releases, in_env, env_recorded) = self._read_embedded(page)
        else:
            lists = self._lists(pks)
            compliance = stored_summaries_of(pks)
            releases, in_env, env_recorded = release_slugs_of(pks)
        url_head, url_tail = self.url
        html_head, html_tail = self.html_url
        rows = []
        for row in page:
            pk, slug = row["pk"], row["slug"]
            computed = {
                "areas": lists["areas"].get(pk, []),
                "maintainers": sorted(lists["maintainers"].get(pk, [])),
                "memberships": lists["memberships"].get(pk, []),
                "dependencies": sorted(lists["dependencies"].get(pk, [])),
                "dependents": sorted(lists["dependents"].get(pk, [])),
                "compliance": compliance.get(pk, {}),
                "used_by": lists["used_by"].get(pk, []),
                "provenance": provenance(SimpleNamespace(**row)),
                "delivery": delivery_facts.delivery(
                    SimpleNamespace(**row),
                    in_current_environment=in_env.get(pk, False) if env_recorded else None,
                ),
                "releases": releases.get(pk, []),
                "url": f"{url_head}{slug}{url_tail}",
                "html_url": f"{html_head}{slug}{html_tail}",
            }
            rows.append(
                {
                    name: computed[name] if key is None else write(row[key])
                    for name, key, write in self.fields
                }
            )
        return rows

    # The SQL of the embedded lists, by outer table, once per process.
    _embedded: dict[tuple[type, str], dict[str, str]] = {}

    def _embedded_sql(self, outer: str) -> dict[str, str]:
        key = (type(self), outer)
        if key not in self._embedded:
            self._embedded[key] = _embedded_lists_sql(outer, self.memberships, self.used_by)
        return self._embedded[key]

    def _read_embedded(self, page: list[dict]) -> tuple[dict, dict, tuple]:
        """The lists, the stored compliance and the releases the page's query brought
        (as ``_lists``, ``stored_summaries_of`` and ``release_slugs_of`` read them)."""
        names = ("areas", "maintainers", "memberships", "dependencies", "dependents", "used_by")
        lists: dict[str, dict[int, list]] = {name: {} for name in names}
        compliance = {}
        releases: dict[int, list[str]] = {}
        in_env: dict[int, bool] = {}
        env_recorded = False
        today = datetime.date.today()
        memberships = [(n, lookup, w) for n, lookup, w in self.memberships]
        used_by = self.used_by
        for row in page:
            pk = row["pk"]
            embedded = loads(row.pop(_EMBEDDED))
            for name in ("areas", "maintainers", "dependencies", "dependents"):
                lists[name][pk] = embedded[name] or []
            lists["memberships"][pk] = [
                {
                    name: (
                        Membership.display_state_of(m["state"], _date(m["end_of_support"]), today)
                        if lookup is None
                        else write(_typed(lookup, m[lookup]))
                    )
                    for name, lookup, write in memberships
                }
                for m in embedded["memberships"] or []
            ]
            lists["used_by"][pk] = [
                {name: write(u[lookup]) for name, lookup, write in used_by}
                for u in embedded["used_by"] or []
            ]
            compliance[pk] = embedded["compliance"] or {}
            shipped = embedded["releases"] or []
            releases[pk] = list(dict.fromkeys(r["slug"] for r in shipped))
            in_env[pk] = any(r["environment"] for r in shipped)
            env_recorded = embedded["environment_recorded"]
        return lists, compliance, (releases, in_env, env_recorded)

    def _lists(self, pks: list[int]) -> dict[str, dict[int, list]]:
        names = ("areas", "maintainers", "memberships", "dependencies", "dependents", "used_by")
        lists: dict[str, dict[int, list]] = {name: defaultdict(list) for name in names}
        if not pks:
            return lists
        # The areas in the areas' own order (by name), as the prefetch reads them.
        areas = (
            Product.areas.through.objects.filter(product_id__in=pks)
            .order_by("area__name", "area_id")
            .values_list("product_id", "area__name")
        )
        for pk, name in areas:
            lists["areas"][pk].append(name)
        maintainers = Product.maintainers.through.objects.filter(product_id__in=pks)
        for pk, name in maintainers.values_list("product_id", f"user__{User.USERNAME_FIELD}"):
            lists["maintainers"][pk].append(name)
        today = datetime.date.today()
        self._nested(
            # The order of ``Membership.Meta.ordering``, as the prefetch reads them.
            Membership.objects.filter(product_id__in=pks).order_by(
                *Membership._meta.ordering, "pk"
            ),
            self.memberships,
            lists["memberships"],
            {
                "state": lambda row: Membership.display_state_of(
                    row["state"], row["end_of_support"], today
                )
            },
            extra=("state", "end_of_support"),
        )
        # The edges touching the page, then the slugs of the products at their other ends
        # (two index lookups; joining the products table twice costs a scan of it).
        page = set(pks)
        edges = list(
            Dependency.objects.filter(Q(product_id__in=pks) | Q(depends_on_id__in=pks))
            .order_by()
            .values_list("product_id", "depends_on_id")
        )
        ends = {pk for edge in edges for pk in edge}
        slugs = dict(Product.objects.filter(pk__in=ends).order_by().values_list("pk", "slug"))
        for product_id, on_id in edges:
            if product_id in page:
                lists["dependencies"][product_id].append(slugs[on_id])
            if on_id in page:
                lists["dependents"][on_id].append(slugs[product_id])
        self._nested(
            ProductUse.objects.filter(product_id__in=pks).order_by("stakeholder__name", "pk"),
            self.used_by,
            lists["used_by"],
            {},
        )
        return lists

    @staticmethod
    def _nested(queryset, columns: list, into: dict, computed: dict, extra=()) -> None:
        lookups = [lookup for _, lookup, _ in columns if lookup is not None]
        for row in queryset.values("product_id", *dict.fromkeys([*lookups, *extra])):
            into[row["product_id"]].append(
                {
                    name: computed[name](row) if lookup is None else write(row[lookup])
                    for name, lookup, write in columns
                }
            )


class ProductWriteSerializer(serializers.ModelSerializer):
    """What a client may send to create (POST) or change (PATCH) a product."""

    areas = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="Area names; the list replaces the product's areas.",
    )
    dependencies = serializers.ListField(
        child=serializers.SlugField(),
        required=False,
        help_text="Slugs of the products this one needs. Replaces the product's manual "
        "dependencies; those recorded from Spack recipes or imports stay.",
    )

    class Meta:
        model = Product
        fields = (
            "slug",
            "name",
            "summary",
            "description",
            "homepage",
            "repository_url",
            "documentation_url",
            "license",
            "spack_package",
            "contact_email",
            "distribution",
            "areas",
            "dependencies",
        )

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError("A product's slug cannot be changed.")
        return value

    def validate_dependencies(self, slugs: list[str]) -> list[Product]:
        slugs = list(dict.fromkeys(slugs))
        found = {p.slug: p for p in Product.objects.filter(slug__in=slugs)}
        missing = [s for s in slugs if s not in found]
        if missing:
            raise serializers.ValidationError(f"Unknown product(s): {', '.join(missing)}.")
        # The raw slug of a new product: validated on its own, so it may be anything here.
        own = self.instance.slug if self.instance else self.initial_data.get("slug")
        if isinstance(own, str) and own in found:
            raise serializers.ValidationError("A product cannot depend on itself.")
        return [found[s] for s in slugs]


class AssessmentSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    policy_set = serializers.SlugRelatedField(
        source="policy.policy_set", slug_field="slug", read_only=True
    )
    policy = serializers.CharField(source="policy.code", read_only=True)
    policy_version = serializers.CharField(source="policy.version", read_only=True)
    assessed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    review_due = serializers.SerializerMethodField(
        help_text="Older than its policy set's review interval: due for re-review."
    )
    url = serializers.HyperlinkedIdentityField(view_name="api-assessment-detail")

    class Meta:
        model = Assessment
        fields = (
            "id",
            "product",
            "policy_set",
            "policy",
            "policy_version",
            "status",
            "justification",
            "evidence_url",
            "source",
            "assessed_by",
            "assessed_at",
            "review_due",
            "url",
        )

    def get_review_due(self, assessment: Assessment) -> bool:
        # No query: the viewset loads policy__policy_set with every row.
        return is_review_due(assessment)


class AssessmentWriteSerializer(serializers.Serializer):
    """POST upserts on (product, policy): `policy` is a code of an effective policy of
    `policy_set` (an inherited code names the base set's policy)."""

    product = serializers.SlugField()
    policy_set = serializers.SlugField()
    policy = serializers.CharField(max_length=16)
    status = serializers.ChoiceField(choices=Assessment.Status.choices)
    justification = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_url = serializers.URLField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        validators=[validate_web_url],
    )
    source = serializers.ChoiceField(choices=Assessment.Source.choices, required=False)


class AssessmentBulkItemSerializer(AssessmentWriteSerializer):
    """One assessment of a bulk upsert: the single upsert's fields, less the product and
    the policy set, which the call names once."""

    product = None
    policy_set = None


BULK_ASSESSMENTS_MAX = 200


class AssessmentBulkWriteSerializer(serializers.Serializer):
    """Many assessments of one product against one policy set: each `policy` a code of an
    effective policy of `policy_set`, at most once."""

    product = serializers.SlugField()
    policy_set = serializers.SlugField()
    assessments = serializers.ListField(
        child=AssessmentBulkItemSerializer(),
        min_length=1,
        max_length=BULK_ASSESSMENTS_MAX,
    )


class AssessmentBulkResultSerializer(serializers.Serializer):
    """The assessments after the call, in the order sent, and how many were created,
    replaced or left as they were."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    assessments = AssessmentSerializer(many=True)


class AssessmentPatchSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Assessment.Status.choices, required=False)
    justification = serializers.CharField(required=False, allow_blank=True)
    evidence_url = serializers.URLField(
        required=False, allow_blank=True, max_length=500, validators=[validate_web_url]
    )
    source = serializers.ChoiceField(choices=Assessment.Source.choices, required=False)


class PolicyComplianceSerializer(serializers.Serializer):
    code = serializers.CharField(source="policy.code")
    title = serializers.CharField(source="policy.title")
    level = serializers.CharField(source="policy.level")
    inherited = serializers.BooleanField()
    policy_set = serializers.CharField(source="policy.policy_set.slug")
    status = serializers.ChoiceField(choices=list(STATUSES))
    outcome = serializers.ChoiceField(
        choices=["met", "waived", "none", "partial", "unknown"],
        help_text="What the policy counts as: met (full, or na with a justification), waived "
        "(a waiver in force), none, partial, unknown (not assessed).",
    )
    review_due = serializers.BooleanField(
        read_only=True,
        help_text="The assessment is older than its set's review interval: due for re-review.",
    )
    waived_until = serializers.DateField(
        source="waiver.expires_on", allow_null=True, default=None, read_only=True
    )
    justification = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField()
    # null while the policy has no assessment (status `unknown`).
    source = serializers.SerializerMethodField(allow_null=True)
    assessed_by = serializers.SerializerMethodField(allow_null=True)
    assessed_at = serializers.SerializerMethodField(allow_null=True)

    def _a(self, item: PolicyStatus, name: str):
        return getattr(item.assessment, name, None) if item.assessment else None

    def get_justification(self, item: PolicyStatus) -> str:
        return self._a(item, "justification") or ""

    def get_evidence_url(self, item: PolicyStatus) -> str:
        return self._a(item, "evidence_url") or ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_source(self, item: PolicyStatus) -> str | None:
        return self._a(item, "source")

    @extend_schema_field(OpenApiTypes.STR)
    def get_assessed_by(self, item: PolicyStatus) -> str | None:
        user = self._a(item, "assessed_by")
        return user.username if user else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_assessed_at(self, item: PolicyStatus):
        value = self._a(item, "assessed_at")
        return value.isoformat() if value else None


# Named apart from `Product.compliance` (the summaries keyed by set), which client
# generators name `ProductCompliance` after the property.
@extend_schema_serializer(component_name="ProductComplianceReport")
class ProductComplianceSerializer(serializers.Serializer):
    product = serializers.CharField()
    policy_set = serializers.CharField()
    version = serializers.CharField()
    summary = COMPLIANCE_SUMMARY
    policies = PolicyComplianceSerializer(many=True)


class ProductUseSerializer(serializers.ModelSerializer):
    """A stakeholder's recorded use of a product (`products/{slug}/uses/`)."""

    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    stakeholder = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="stakeholder.name", read_only=True)
    kind = serializers.ChoiceField(
        source="stakeholder.kind", choices=Stakeholder.Kind.choices, read_only=True
    )

    class Meta:
        model = ProductUse
        fields = (
            "product",
            "stakeholder",
            "name",
            "kind",
            "criticality",
            "note",
            "contact",
            "source",
            "created_at",
            "updated_at",
        )


class ProductUseWriteSerializer(serializers.Serializer):
    """POST `products/{slug}/uses/`: adds the use, or updates criticality/note/contact/source
    of the existing one (fields left out keep their values)."""

    stakeholder = serializers.SlugField(help_text="Slug of a recorded stakeholder.")
    criticality = serializers.ChoiceField(
        choices=ProductUse.Criticality.choices,
        required=False,
        help_text="How much the stakeholder relies on it (a new use: important).",
    )
    note = serializers.CharField(required=False, allow_blank=True)
    contact = serializers.CharField(required=False, allow_blank=True, max_length=300)
    source = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Where the fact comes from.",
    )

    def validate_stakeholder(self, slug: str) -> Stakeholder:
        stakeholder = Stakeholder.objects.filter(slug=slug).first()
        if stakeholder is None:
            raise serializers.ValidationError(f"No stakeholder {slug!r}.")
        return stakeholder


class StakeholderProductSerializer(serializers.ModelSerializer):
    """A product a stakeholder is recorded as using, and how critically."""

    product = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = ProductUse
        fields = ("product", "name", "criticality", "note")


class StakeholderSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api-stakeholder-detail", lookup_field="slug"
    )
    html_url = AbsoluteURLField(source="get_absolute_url", help_text="The stakeholder's page.")
    uses = StakeholderProductSerializer(
        many=True,
        read_only=True,
        help_text="What it relies on: each product (slug), how critically and why.",
    )
    products = StakeholderProductSerializer(
        source="uses",
        many=True,
        read_only=True,
        help_text="The same list as `uses` (the name it first had).",
    )
    contacts = serializers.SlugRelatedField(
        slug_field="username",
        many=True,
        read_only=True,
        help_text="Registry users who speak for it (they may record its uses).",
    )

    class Meta:
        model = Stakeholder
        fields = (
            "slug",
            "name",
            "kind",
            "website",
            "summary",
            "uses",
            "products",
            "contacts",
            "created_at",
            "updated_at",
            "url",
            "html_url",
        )


class StakeholderWriteSerializer(serializers.ModelSerializer):
    contacts = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        help_text="Usernames of its contacts (replaces the list; hub admins only).",
    )

    class Meta:
        model = Stakeholder
        fields = ("slug", "name", "kind", "website", "summary", "contacts")

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError("A stakeholder's slug cannot be changed.")
        return value
