"""Waivers (DESIGN §10): a lead exempts one product from one policy until a date.

While a waiver is in force (``Waiver.objects.current`` / ``current_waiver_q``, the one
rule) the compliance module counts the policy as met; after ``expires_on`` it falls back to
the assessment. Granting, revoking and each expiry are events; every change of a waiver
keeps a history row with the acting user. Pages and the API call these functions.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events.errors import TransitionNotAllowed
from events.log import Verb, record
from products import access as product_access
from products.models import Membership, Product, Waiver
from spokes.models import Community, Policy, PolicySet, effective_policies_by_set


def held_policy_sets(product: Product) -> list[PolicySet]:
    """The sets ``product`` is held to, by slug: those of the communities it is an active
    member of, and the hub's set (E4S: the set of the community of kind hub), one query."""
    hub = Q(communities__kind=Community.Kind.HUB)
    member = Q(
        communities__memberships__product=product,
        communities__memberships__state=Membership.State.ACTIVE,
    )
    return list(PolicySet.objects.filter(hub | member).distinct().order_by("slug"))


def waivable_policies(
    product: Product, policy_sets: Iterable[PolicySet] | None = None
) -> list[Policy]:
    """The effective policies of the sets ``product`` is held to, each once (a policy a set
    inherits is the base set's own row), in the sets' order. Two queries more than
    ``held_policy_sets``."""
    sets = list(policy_sets) if policy_sets is not None else held_policy_sets(product)
    by_set = effective_policies_by_set(sets)
    seen: dict[int, Policy] = {}
    for policy_set in sets:
        for policy, _inherited in by_set.get(policy_set.pk, []):
            seen.setdefault(policy.pk, policy)
    return list(seen.values())


def _today() -> datetime.date:
    return datetime.date.today()


@transaction.atomic
def grant_waiver(
    *, product: Product, policy: Policy, by, reason: str, expires_on: datetime.date
) -> Waiver:
    """Waive ``policy`` for ``product`` until ``expires_on`` (the last day in force).

    Refused (PermissionDenied) unless ``can_grant_waiver``; a ValidationError names the
    field: a blank ``reason``, an ``expires_on`` not after today, a ``policy`` that is not
    an effective policy of a set the product is held to. A policy already waived (in
    force) is TransitionNotAllowed (409): revoke that waiver first.
    """
    if not product_access.can_grant_waiver(by, product, policy):
        raise PermissionDenied(
            "Only a lead of the community that owns the policy set, or a hub admin, may "
            "waive its policies."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the policy is waived."]})
    if expires_on is None or expires_on <= _today():
        raise ValidationError({"expires_on": ["The expiry date must be after today."]})
    if policy.pk not in {p.pk for p in waivable_policies(product)}:
        raise ValidationError(
            {
                "policy": [
                    f"{policy.policy_set.slug} {policy.code} is not a policy {product.slug} "
                    "is held to (the sets of its communities and the hub's)."
                ]
            }
        )
    # One waiver in force per product and policy: the row lock serialises two grants.
    Product.objects.select_for_update().filter(pk=product.pk).values_list("pk").first()
    current = Waiver.objects.current().filter(product=product, policy=policy).first()
    if current is not None:
        # A conflict with the current state, not bad input (409): revoke it first.
        raise TransitionNotAllowed(
            f"{policy.code} is already waived for {product.slug} until {current.expires_on}; "
            "revoke that waiver first."
        )
    waiver = Waiver(
        product=product,
        policy=policy,
        reason=reason,
        expires_on=expires_on,
        granted_by=by,
        granted_at=timezone.now(),
    )
    waiver._history_user = by
    waiver.save()
    record(
        Verb.WAIVER_GRANTED,
        actor=by,
        product=product,
        community=policy.policy_set.owner,
        data={**_event_data(waiver), "reason": reason},
    )
    return waiver


@transaction.atomic
def revoke_waiver(*, waiver: Waiver, by) -> Waiver:
    """End a waiver in force now; its history row and the event keep who and when.
    A revoked or expired waiver cannot be revoked (TransitionNotAllowed, 409)."""
    if not product_access.can_revoke_waiver(by, waiver):
        raise PermissionDenied(
            "Only a lead of the community that owns the policy set, or a hub admin, may "
            "revoke its waivers."
        )
    locked = Waiver.objects.select_for_update().get(pk=waiver.pk)
    if locked.revoked_at is not None:
        raise TransitionNotAllowed("The waiver has already been revoked.")
    if locked.expires_on < _today():
        raise TransitionNotAllowed("The waiver has already expired.")
    locked.revoked_at = timezone.now()
    locked._history_user = by
    locked.save(update_fields=["revoked_at"])
    record(
        Verb.WAIVER_REVOKED,
        actor=by,
        product=locked.product,
        community=locked.policy.policy_set.owner,
        data=_event_data(locked),
    )
    waiver.revoked_at = locked.revoked_at
    return locked


@transaction.atomic
def record_expiries(*, on: datetime.date | None = None) -> int:
    """Write one WAIVER_EXPIRED event for each waiver that ran out before ``on`` (today by
    default) and has not been recorded yet; mark it recorded. Idempotent: a second run
    writes nothing. A waiver revoked before it ran out never expires. Answers how many."""
    on = on or _today()
    due = (
        Waiver.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(expires_on__lt=on, expiry_recorded=False, revoked_at__isnull=True)
        .select_related("product", "policy__policy_set__owner")
        .order_by("expires_on", "pk")
    )
    count = 0
    for waiver in due:
        waiver.expiry_recorded = True
        waiver._history_user = None
        waiver.save(update_fields=["expiry_recorded"])
        record(
            Verb.WAIVER_EXPIRED,
            product=waiver.product,
            community=waiver.policy.policy_set.owner,
            data=_event_data(waiver),
        )
        count += 1
    return count


def _event_data(waiver: Waiver) -> dict:
    policy = waiver.policy
    return {
        "waiver": waiver.pk,
        "policy_set": policy.policy_set.slug,
        "policy": policy.code,
        "version": policy.version,
        "expires_on": waiver.expires_on.isoformat(),
    }
