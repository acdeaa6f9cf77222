"""Writes to products, their dependencies and assessments, shared by pages and the API.

Each function checks permission with spokes.access (raising PermissionDenied), runs in one
transaction, keeps the history user (django-simple-history) and records an Event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from events.log import Verb, record
from events.validation import check_web_urls
from products import access as product_access
from products import compliance_store
from products.models import (
    Area,
    Assessment,
    Dependency,
    Product,
    ProductUse,
    Stakeholder,
    validate_stakeholder_slug,
)
from spokes.models import Policy

PRODUCT_FIELDS = (
    "name",
    "summary",
    "description",
    "homepage",
    "repository_url",
    "documentation_url",
    "license",
    "spack_package",
    "contact_email",
    # How the team distributes it through E4S (unknown until the team says).
    "distribution",
)
URL_FIELDS = ("homepage", "repository_url", "documentation_url", "website", "evidence_url")


def _check_urls(values: dict[str, Any]) -> None:
    """Refuse (ValidationError naming the field) any URL field that is not an http(s) address."""
    check_web_urls(**{k: v for k, v in values.items() if k in URL_FIELDS})


def _areas(names: Iterable[str], *, by) -> list[Area]:
    """The areas named, matched without regard to case; a new name becomes a new area
    (its history row says who filed it first)."""
    areas = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        slug = slugify(name)[:100]
        area = Area.objects.filter(name__iexact=name).first()
        if area is None:
            area = Area.objects.filter(slug=slug).first() or _new_area(slug=slug, name=name, by=by)
        areas.append(area)
    return areas


def _new_area(*, slug: str, name: str, by) -> Area:
    area = Area(slug=slug, name=name)
    area._history_user = by
    try:
        with transaction.atomic():
            area.save()
    except IntegrityError:
        # Filed at the same moment by another edit: use that one.
        existing = Area.objects.filter(slug=slug).first()
        if existing is None:
            raise
        return existing
    return area


@transaction.atomic
def create_product(
    *,
    by,
    slug: str,
    name: str,
    areas: Iterable[str] = (),
    dependencies: Iterable[Product] | None = None,
    **fields: Any,
) -> Product:
    """Register a product; its creator becomes its maintainer."""
    if not product_access.can_create_product(by):
        raise PermissionDenied("Sign in to register a product.")
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown product fields: {sorted(unknown)}")
    _check_urls(fields)
    product = Product(slug=slug, name=name, **fields)
    product._history_user = by
    product.save()
    product.maintainers.add(by)
    product.areas.set(_areas(areas, by=by))
    record(Verb.PRODUCT_REGISTERED, actor=by, product=product, data={"slug": slug})
    if dependencies is not None:
        _replace_manual_dependencies(product=product, by=by, depends_on=list(dependencies))
    return product


@transaction.atomic
def update_product(
    *,
    product: Product,
    by,
    areas: Iterable[str] | None = None,
    dependencies: Iterable[Product] | None = None,
    **changes: Any,
) -> Product:
    """Change a product's metadata; `areas`/`dependencies` (when given) replace the lists."""
    if not product_access.can_edit_product(by, product):
        raise PermissionDenied("Only the product's maintainers or a hub admin may edit it.")
    changes.pop("slug", None)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown product fields: {sorted(unknown)}")
    _check_urls(changes)
    changed = sorted(k for k, v in changes.items() if getattr(product, k) != v)
    if areas is not None:
        new_areas = _areas(areas, by=by)
        if {a.pk for a in new_areas} != set(product.areas.values_list("pk", flat=True)):
            product.areas.set(new_areas)
            changed.append("areas")
    if changed:
        for key, value in changes.items():
            setattr(product, key, value)
        product._history_user = by
        product.save()
        record(Verb.PRODUCT_UPDATED, actor=by, product=product, data={"fields": changed})
    if dependencies is not None:
        set_dependencies(product=product, by=by, depends_on=list(dependencies))
    return product


@transaction.atomic
def set_dependencies(*, product: Product, by, depends_on: list[Product]) -> None:
    """Replace the product's manual dependencies with `depends_on`.

    Edges known from a Spack recipe or an import stay whatever the list says; a listed
    product already linked that way is left as it is.
    """
    if not product_access.can_edit_product(by, product):
        raise PermissionDenied("Only the product's maintainers or a hub admin may edit it.")
    _replace_manual_dependencies(product=product, by=by, depends_on=depends_on)


def _replace_manual_dependencies(*, product: Product, by, depends_on: list[Product]) -> None:
    if any(p.pk == product.pk for p in depends_on):
        raise ValidationError({"dependencies": ["A product cannot depend on itself."]})
    wanted = {p.pk: p for p in depends_on}
    existing = {d.depends_on_id: d for d in product.dependencies.select_related("depends_on")}
    removed = [
        d for pk, d in existing.items() if d.source == Dependency.Source.MANUAL and pk not in wanted
    ]
    added = [p for pk, p in wanted.items() if pk not in existing]
    # One by one: a queryset delete would leave no history row (a product has few edges).
    for dependency in removed:
        dependency._history_user = by
        dependency.delete()
    if added:
        bulk_create_with_history(
            [
                Dependency(product=product, depends_on=p, source=Dependency.Source.MANUAL)
                for p in added
            ],
            Dependency,
            default_user=by,
        )
    if removed or added:
        record(
            Verb.DEPENDENCIES_CHANGED,
            actor=by,
            product=product,
            data={
                "added": sorted(p.slug for p in added),
                "removed": sorted(d.depends_on.slug for d in removed),
            },
        )


def _check_justification(status: str, justification: str) -> None:
    if status in (Assessment.Status.PARTIAL, Assessment.Status.NA) and not justification.strip():
        raise ValidationError(
            {"justification": [f"A justification is required when the status is {status!r}."]}
        )


def _default_source(by, product: Product) -> str:
    if product_access.can_edit_product(by, product):
        return Assessment.Source.SELF
    return Assessment.Source.REVIEWER


@transaction.atomic
def upsert_assessment(
    *,
    product: Product,
    policy: Policy,
    by,
    status: str,
    justification: str = "",
    evidence_url: str = "",
    source: str | None = None,
) -> tuple[Assessment, bool]:
    """Create or replace the assessment of `product` against `policy`; (row, created).

    The previous state stays in the assessment's history.
    """
    if not product_access.can_assess(by, product):
        raise PermissionDenied(
            "Only the product's maintainers, its communities' leads or a hub admin may assess it."
        )
    check_assessment_values(status=status, justification=justification, evidence_url=evidence_url)
    assessment = (
        Assessment.objects.select_for_update().filter(product=product, policy=policy).first()
    )
    created = assessment is None
    if created:
        assessment = Assessment(product=product, policy=policy)
    previous = None if created else assessment.status
    assessment.status = status
    assessment.justification = justification
    assessment.evidence_url = evidence_url
    assessment.source = source or _default_source(by, product)
    assessment.assessed_by = by
    assessment.assessed_at = timezone.now()
    assessment._history_user = by
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        # A concurrent upsert created the row first: update it instead.
        if not created:
            raise
        return upsert_assessment(
            product=product,
            policy=policy,
            by=by,
            status=status,
            justification=justification,
            evidence_url=evidence_url,
            source=source,
        )
    record(
        Verb.ASSESSMENT_CHANGED,
        actor=by,
        product=product,
        data={
            "policy_set": policy.policy_set.slug,
            "policy": policy.code,
            "version": policy.version,
            "status": status,
            "previous": previous,
        },
    )
    return assessment, created


@transaction.atomic
def upsert_assessments(
    *, product: Product, items: Sequence[tuple[Policy, dict[str, Any]]], by
) -> tuple[list[Assessment], dict[str, int]]:
    """Upsert many assessments of one product, all or nothing; (rows in the order of
    `items`, counts of `created`, `updated` and `unchanged`).

    Each item is a policy and the values `upsert_assessment` takes. An item that would
    change nothing (same status, justification, evidence and source) is left as it is,
    with no event and no history row. The stored compliance is refreshed once, at the end.
    """
    if not product_access.can_assess(by, product):
        raise PermissionDenied(
            "Only the product's maintainers, its communities' leads or a hub admin may assess it."
        )
    codes = [policy.pk for policy, _ in items]
    if len(set(codes)) != len(codes):
        raise ValidationError({"assessments": ["Each policy may appear only once."]})
    default_source = _default_source(by, product)
    rows: list[Assessment] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with compliance_store.deferred():
        existing = {
            a.policy_id: a
            for a in Assessment.objects.select_for_update().filter(
                product=product, policy_id__in=codes
            )
        }
        for policy, values in items:
            current = existing.get(policy.pk)
            wanted = {
                "status": values["status"],
                "justification": values.get("justification", ""),
                "evidence_url": values.get("evidence_url", ""),
                "source": values.get("source") or default_source,
            }
            if current is not None and all(
                getattr(current, name) == value for name, value in wanted.items()
            ):
                rows.append(current)
                counts["unchanged"] += 1
                continue
            row, created = upsert_assessment(product=product, policy=policy, by=by, **values)
            rows.append(row)
            counts["created" if created else "updated"] += 1
    return rows, counts


def check_assessment_values(*, status: str, justification: str, evidence_url: str) -> None:
    """The rules an assessment's values obey (ValidationError naming the field)."""
    _check_justification(status, justification)
    _check_urls({"evidence_url": evidence_url})


@transaction.atomic
def update_assessment(*, assessment: Assessment, by, **changes: Any) -> Assessment:
    """Change some fields of an assessment (the others keep their values)."""
    values = {
        "status": assessment.status,
        "justification": assessment.justification,
        "evidence_url": assessment.evidence_url,
        "source": assessment.source,
    }
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"Unknown assessment fields: {sorted(unknown)}")
    values.update(changes)
    row, _ = upsert_assessment(
        product=assessment.product, policy=assessment.policy, by=by, **values
    )
    return row


# --- Stakeholders and the products they use --------------------------------------------

STAKEHOLDER_FIELDS = ("name", "kind", "website", "summary")
USE_FIELDS = ("criticality", "note", "contact", "source")
USE_REFUSED = (
    "Only hub admins, leads of a community the product belongs to, or the stakeholder's own "
    "contacts may record who uses it."
)


def _check_use_values(fields: dict[str, Any]) -> None:
    criticality = fields.get("criticality")
    if criticality is not None and criticality not in ProductUse.Criticality.values:
        choices = ", ".join(ProductUse.Criticality.values)
        raise ValidationError({"criticality": [f"Choose one of: {choices}."]})


def _set_contacts(stakeholder: Stakeholder, contacts: Iterable, *, by) -> dict[str, list[str]]:
    """Make ``contacts`` (users) the stakeholder's contacts; the usernames added and removed."""
    wanted = {user.pk: user for user in contacts}
    current = {user.pk: user for user in stakeholder.contacts.all()}
    added = [u for pk, u in wanted.items() if pk not in current]
    removed = [u for pk, u in current.items() if pk not in wanted]
    if added or removed:
        stakeholder._history_user = by
        stakeholder.contacts.set(list(wanted.values()))
    return {
        "added": sorted(u.get_username() for u in added),
        "removed": sorted(u.get_username() for u in removed),
    }


@transaction.atomic
def create_stakeholder(
    *, by, slug: str, name: str, contacts: Iterable | None = None, **fields: Any
) -> Stakeholder:
    """Record a stakeholder organisation (hub admins), with the users who are its contacts."""
    if not product_access.can_manage_stakeholders(by):
        raise PermissionDenied("Only hub admins may record stakeholders.")
    unknown = set(fields) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown stakeholder fields: {sorted(unknown)}")
    _check_urls(fields)
    validate_stakeholder_slug(slug)
    stakeholder = Stakeholder(slug=slug, name=name, **fields)
    stakeholder._history_user = by
    stakeholder.save()
    data: dict[str, Any] = {"stakeholder": slug}
    if contacts:
        data["contacts"] = _set_contacts(stakeholder, contacts, by=by)["added"]
    record(Verb.STAKEHOLDER_CREATED, actor=by, data=data)
    return stakeholder


@transaction.atomic
def update_stakeholder(
    *, stakeholder: Stakeholder, by, contacts: Iterable | None = None, **changes: Any
) -> Stakeholder:
    """Change a stakeholder's fields and (given) its contacts: hub admins anything; its own
    contacts only the fields ``product_access.can_edit_stakeholder`` lets them. Only the
    fields that change are checked, so a form sending every field back unchanged is fine."""
    changes.pop("slug", None)
    unknown = set(changes) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown stakeholder fields: {sorted(unknown)}")
    changed = sorted(k for k, v in changes.items() if getattr(stakeholder, k) != v)
    new_contacts = None if contacts is None else list(contacts)
    contacts_change = new_contacts is not None and {u.pk for u in new_contacts} != set(
        stakeholder.contacts.values_list("pk", flat=True)
    )
    asked = [*changed, *(["contacts"] if contacts_change else [])]
    if not product_access.can_edit_stakeholder(by, stakeholder, asked):
        if product_access.can_edit_stakeholder(by, stakeholder):
            raise PermissionDenied(
                "A stakeholder's contacts may change its website and summary; only hub "
                "admins may change the rest."
            )
        raise PermissionDenied("Only hub admins and the stakeholder's contacts may change it.")
    _check_urls(changes)
    data: dict[str, Any] = {"stakeholder": stakeholder.slug, "fields": changed}
    if changed:
        for key in changed:
            setattr(stakeholder, key, changes[key])
        stakeholder._history_user = by
        stakeholder.save()
    if contacts_change:
        data["contacts"] = _set_contacts(stakeholder, new_contacts, by=by)
        data["fields"] = [*changed, "contacts"]
    if changed or contacts_change:
        record(Verb.STAKEHOLDER_UPDATED, actor=by, data=data)
    return stakeholder


@transaction.atomic
def record_use(
    *, product: Product, stakeholder: Stakeholder, by, **fields: Any
) -> tuple[ProductUse, bool]:
    """Record that ``stakeholder`` uses ``product`` (or update the criticality, note,
    contact and source of the existing record); (row, created). Fields left out keep their
    values (a new use is important unless it says otherwise)."""
    if not product_access.can_record_use(by, product, stakeholder):
        raise PermissionDenied(USE_REFUSED)
    unknown = set(fields) - set(USE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown product use fields: {sorted(unknown)}")
    _check_use_values(fields)
    use = (
        ProductUse.objects.select_for_update()
        .filter(product=product, stakeholder=stakeholder)
        .first()
    )
    created = use is None
    if created:
        use = ProductUse(product=product, stakeholder=stakeholder)
    changed = sorted(k for k, v in fields.items() if getattr(use, k) != v)
    if not created and not changed:
        return use, False
    previous = None if created else use.criticality
    for key in changed:
        setattr(use, key, fields[key])
    use._history_user = by
    try:
        with transaction.atomic():
            use.save()
    except IntegrityError:
        # A concurrent call created the row first: update it instead.
        if not created:
            raise
        return record_use(product=product, stakeholder=stakeholder, by=by, **fields)
    data = {
        "stakeholder": stakeholder.slug,
        "kind": stakeholder.kind,
        "criticality": use.criticality,
        "created": created,
        "fields": changed,
    }
    if previous is not None and previous != use.criticality:
        data["previous_criticality"] = previous
    record(Verb.PRODUCT_USE_RECORDED, actor=by, product=product, data=data)
    return use, created


@transaction.atomic
def remove_use(*, product: Product, stakeholder: Stakeholder, by) -> bool:
    """Forget that ``stakeholder`` uses ``product`` (its history stays); False when no such
    record existed."""
    if not product_access.can_record_use(by, product, stakeholder):
        raise PermissionDenied(USE_REFUSED)
    use = ProductUse.objects.filter(product=product, stakeholder=stakeholder).first()
    if use is None:
        return False
    use._history_user = by
    use.delete()
    record(
        Verb.PRODUCT_USE_REMOVED,
        actor=by,
        product=product,
        data={
            "stakeholder": stakeholder.slug,
            "kind": stakeholder.kind,
            "criticality": use.criticality,
        },
    )
    return True
