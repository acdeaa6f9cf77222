"""Interoperability confirmed by a lead, with evidence: what xSDK's onramp asks for beyond a
recorded dependency (the lifecycle checklist accepts either). Pages and the API call
``confirm_interoperability``; each confirmation is an event and keeps a history row."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.log import Verb, record
from events.validation import web_url_problem
from products import access as product_access
from products.models import Interoperability, Product


@transaction.atomic
def confirm_interoperability(
    *, product: Product, partner: Product, by, evidence_url: str, note: str = ""
) -> tuple[Interoperability, bool]:
    """Record that ``product`` works with ``partner``, shown by ``evidence_url`` (an http(s)
    address: a test run, a CI page, a paper); (row, created). Confirming a pair again
    replaces its evidence and note (the previous ones stay in its history)."""
    if not product_access.can_confirm_interoperability(by, product, partner):
        raise PermissionDenied(
            "Only a lead of a community either product is an active member of, or a hub "
            "admin, may confirm interoperability."
        )
    if partner.pk == product.pk:
        raise ValidationError({"partner": ["A product cannot be confirmed to work with itself."]})
    evidence_url = (evidence_url or "").strip()
    if not evidence_url:
        raise ValidationError({"evidence_url": ["Give the address of the evidence."]})
    problem = web_url_problem(evidence_url)
    if problem:
        raise ValidationError({"evidence_url": [problem]})
    row = (
        Interoperability.objects.select_for_update()
        .filter(product=product, partner=partner)
        .first()
    )
    created = row is None
    if created:
        row = Interoperability(product=product, partner=partner)
    row.evidence_url = evidence_url
    row.note = note or ""
    row.confirmed_by = by
    row.confirmed_at = timezone.now()
    row._history_user = by
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Confirmed at the same moment by someone else: update that row instead.
        if not created:
            raise
        return confirm_interoperability(
            product=product, partner=partner, by=by, evidence_url=evidence_url, note=note
        )
    record(
        Verb.INTEROPERABILITY_CONFIRMED,
        actor=by,
        product=product,
        data={"partner": partner.slug, "evidence_url": evidence_url, "created": created},
    )
    return row, created
