"""Writes to communities, their governance and roles, and policy sets.

Each function checks permission with spokes.access (raising PermissionDenied), runs in one
transaction, keeps the history user (django-simple-history) and records an Event.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import roles
from events.log import Verb, record
from events.validation import check_web_urls, web_url_problem
from spokes import access as spokes_access
from spokes.models import Community, CommunityRole, GovernanceBody, Policy, PolicySet, Seat

COMMUNITY_FIELDS = (
    "name",
    "full_name",
    "summary",
    "area",
    "website",
    "charter",
    "status",
    "status_note",
    "policy_set",
    "requires_interoperability",
)
GOVERNANCE_FIELDS = ("name", "quorum", "threshold", "requires_vote")
POLICY_SET_FIELDS = ("name", "version", "base", "owner", "description", "adopted", "sources")
POLICY_FIELDS = ("title", "summary", "level", "source_url", "position")


def _check_fields(given, allowed) -> None:
    unknown = set(given) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")


@transaction.atomic
def create_community(
    *, by, slug: str, name: str, governance: dict[str, Any] | None = None, **fields: Any
) -> Community:
    """A new spoke (hub admins only)."""
    if not spokes_access.can_create_community(by):
        raise PermissionDenied("Only a hub admin may create a community.")
    _check_fields(fields, COMMUNITY_FIELDS)
    check_web_urls(website=fields.get("website", ""))
    community = Community(slug=slug, name=name, **fields)
    community._history_user = by
    community.save()
    record(Verb.COMMUNITY_CREATED, actor=by, community=community, data={"slug": slug})
    if governance is not None:
        _set_governance(community=community, by=by, data=governance)
    return community


@transaction.atomic
def update_community(
    *, community: Community, by, governance: dict[str, Any] | None = None, **changes: Any
) -> Community:
    """Charter, status, policy set, governance body and seats (its leads, hub admins)."""
    if not spokes_access.can_manage_community(by, community):
        raise PermissionDenied("Only a lead of this community or a hub admin may change it.")
    changes.pop("slug", None)
    _check_fields(changes, COMMUNITY_FIELDS)
    check_web_urls(website=changes.get("website", ""))
    changed = sorted(k for k, v in changes.items() if getattr(community, k) != v)
    if changed:
        for key, value in changes.items():
            setattr(community, key, value)
        community._history_user = by
        community.save()
    if governance is not None and _set_governance(community=community, by=by, data=governance):
        changed.append("governance")
    if changed:
        record(Verb.COMMUNITY_UPDATED, actor=by, community=community, data={"fields": changed})
    return community


def _set_governance(*, community: Community, by, data: dict[str, Any]) -> bool:
    """Create or change the governance body; `seats` (when given) replaces the seats."""
    data = dict(data)
    seats = data.pop("seats", None)
    _check_fields(data, GOVERNANCE_FIELDS)
    body = GovernanceBody.objects.filter(community=community).first()
    changed = False
    if body is None:
        if "name" not in data:
            raise ValidationError({"governance": ["A new governance body needs a name."]})
        body = GovernanceBody(community=community)
        changed = True
    for key, value in data.items():
        if getattr(body, key) != value:
            setattr(body, key, value)
            changed = True
    if changed:
        body._history_user = by
        body.save()
    if seats is not None and _set_seats(body=body, by=by, seats=seats):
        changed = True
    return changed


def _set_seats(*, body: GovernanceBody, by, seats: list[dict[str, Any]]) -> bool:
    """Make the body's seats the listed ones, matched by holder.

    A holder kept keeps their seat row (and so the votes cast from it); only the seats of
    holders no longer listed are deleted, and not if they have voted: deleting the seat
    would delete those votes and rewrite the tally of decisions already taken. Every seat
    added, changed or removed leaves a history row by ``by``.
    """
    wanted = _wanted_seats(seats)
    current = {seat.user_id: seat for seat in body.seats.select_related("user")}
    removed = [seat for user_id, seat in current.items() if user_id not in wanted]
    _refuse_removing_voters(removed)
    updated = []
    for user_id, values in wanted.items():
        seat = current.get(user_id)
        if seat is not None and any(getattr(seat, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(seat, key, value)
            updated.append(seat)
    added = [Seat(body=body, user_id=uid, **v) for uid, v in wanted.items() if uid not in current]
    # One by one: a queryset delete would leave no history row (few seats go at once).
    for seat in removed:
        seat._history_user = by
        seat.delete()
    if updated:
        bulk_update_with_history(
            updated,
            Seat,
            ["represents", "represents_name", "term_start", "term_end"],
            default_user=by,
        )
    if added:
        bulk_create_with_history(added, Seat, default_user=by)
    return bool(removed or updated or added)


def _wanted_seats(seats: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """{holder pk: seat values}, one seat per person, each term in order."""
    wanted: dict[int, dict[str, Any]] = {}
    for item in seats:
        user = item["user"]
        start, end = item.get("term_start"), item.get("term_end")
        if user.pk in wanted:
            raise ValidationError({"governance": ["One seat per person on a body."]})
        if start and end and end < start:
            raise ValidationError(
                {"governance": [f"{user.get_username()}: the term ends before it starts."]}
            )
        wanted[user.pk] = {
            "represents": item.get("represents") or Seat.Represents.PRODUCT_TEAM,
            "represents_name": item.get("represents_name", ""),
            "term_start": start,
            "term_end": end,
        }
    return wanted


def _refuse_removing_voters(removed: list[Seat]) -> None:
    if not removed:
        return
    voted_seats = set(
        Seat.objects.filter(pk__in=[s.pk for s in removed], votes__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    voted = sorted(seat.user.get_username() for seat in removed if seat.pk in voted_seats)
    if voted:
        raise ValidationError(
            {
                "governance": [
                    f"{', '.join(voted)} voted from their seat; set the end of their term "
                    "instead of removing it."
                ]
            }
        )


@transaction.atomic
def grant_role(*, user, community: Community, role: str, by=None) -> tuple[CommunityRole, bool]:
    """Give `user` a role in `community`; (row, created). `by=None`: an administrator at
    the shell, trusted."""
    if by is not None and not spokes_access.can_manage_community(by, community):
        raise PermissionDenied("Only a lead of this community or a hub admin may grant roles.")
    if role not in CommunityRole.Role.values:
        raise ValidationError(
            {"role": [f"Role must be one of {', '.join(CommunityRole.Role.values)}."]}
        )
    row = CommunityRole.objects.filter(user=user, community=community, role=role).first()
    created = row is None
    if created:
        row = CommunityRole(user=user, community=community, role=role)
        row._history_user = by
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            # Granted at the same moment by someone else: theirs is the row (and history).
            row = CommunityRole.objects.get(user=user, community=community, role=role)
            created = False
    if created:
        record(
            Verb.ROLE_GRANTED,
            actor=by,
            community=community,
            data={"user": user.get_username(), "role": role},
        )
    if hasattr(user, "_lead_community_ids"):
        del user._lead_community_ids
    return row, created


@transaction.atomic
def revoke_role(*, role: CommunityRole, by) -> None:
    """Take a role away (its community's leads, hub admins).

    A community keeps at least one lead: only a hub admin may remove the last one.
    """
    community = role.community
    if not spokes_access.can_manage_community(by, community):
        raise PermissionDenied("Only a lead of this community or a hub admin may remove roles.")
    if role.role == CommunityRole.Role.LEAD and not roles.is_hub_admin(by):
        # Lock every lead row of the community, so that two leads removing each other at
        # once cannot both succeed (the second re-reads the rows once the first commits).
        leads = list(
            CommunityRole.objects.select_for_update()
            .filter(community=community, role=CommunityRole.Role.LEAD)
            .values_list("pk", flat=True)
        )
        if not set(leads) - {role.pk}:
            raise ValidationError(
                {"role": ["This is the community's last lead; name another lead first."]}
            )
    username = role.user.get_username()
    role._history_user = by
    role.delete()
    record(
        Verb.ROLE_REVOKED,
        actor=by,
        community=community,
        data={"user": username, "role": role.role},
    )
    # The permission cache on the user objects in hand is now stale.
    for user in (role.user, by):
        if user.pk == role.user_id and hasattr(user, "_lead_community_ids"):
            del user._lead_community_ids


def _may_own(by, owner: Community | None) -> bool:
    if roles.is_hub_admin(by):
        return True
    return owner is not None and spokes_access.is_community_lead(by, owner)


@transaction.atomic
def create_policy_set(
    *, by, slug: str, name: str, version: str, policies: list[dict] | None = None, **fields: Any
) -> PolicySet:
    """A new set: hub admins, or a lead creating a set owned by their community."""
    _check_fields(fields, POLICY_SET_FIELDS)
    if not _may_own(by, fields.get("owner")):
        raise PermissionDenied(
            "Only a hub admin, or a lead for a set owned by their community, may create a set."
        )
    policy_set = PolicySet(slug=slug, name=name, version=version, **fields)
    policy_set._history_user = by
    policy_set.save()
    if policies:
        _set_policies(policy_set=policy_set, by=by, items=policies)
    record(
        Verb.POLICY_SET_CREATED,
        actor=by,
        community=policy_set.owner,
        data={"slug": slug, "version": version},
    )
    return policy_set


@transaction.atomic
def update_policy_set(
    *, policy_set: PolicySet, by, policies: list[dict] | None = None, **changes: Any
) -> PolicySet:
    """Change a set. `policies` (when given) are the own policies of the version in force
    (after the change): listed codes are created or updated, unlisted unassessed ones of
    that version are removed. Changing `version` needs the new version's `policies`; the
    old version's policies and their assessments stay as they were.
    """
    if not spokes_access.can_edit_policy_set(by, policy_set):
        raise PermissionDenied("Only a hub admin or a lead of the owning community may edit it.")
    changes.pop("slug", None)
    _check_fields(changes, POLICY_SET_FIELDS)
    if (
        "owner" in changes
        and changes["owner"] != policy_set.owner
        and not _may_own(by, changes["owner"])
    ):
        raise PermissionDenied("You may not hand the set to a community you do not lead.")
    if changes.get("base") is not None and _encompasses(changes["base"], policy_set):
        raise ValidationError({"base": ["A set cannot encompass itself."]})
    version_changes = "version" in changes and changes["version"] != policy_set.version
    if version_changes and policies is None:
        raise ValidationError({"policies": ["A new version needs its list of policies."]})
    if (
        version_changes
        and Policy.objects.filter(policy_set=policy_set, version=changes["version"]).exists()
    ):
        # Rewriting an earlier version's policies would change what its assessments mean.
        raise ValidationError(
            {"version": [f"Version {changes['version']} already has policies; choose a new one."]}
        )
    changed = sorted(k for k, v in changes.items() if getattr(policy_set, k) != v)
    if changed:
        for key, value in changes.items():
            setattr(policy_set, key, value)
        policy_set._history_user = by
        policy_set.save()
    if policies is not None and _set_policies(policy_set=policy_set, by=by, items=policies):
        changed.append("policies")
    if changed:
        record(
            Verb.POLICY_SET_UPDATED,
            actor=by,
            community=policy_set.owner,
            data={"slug": policy_set.slug, "version": policy_set.version, "fields": changed},
        )
    return policy_set


def _encompasses(candidate: PolicySet, target: PolicySet) -> bool:
    """Whether `target` is `candidate` or one of its bases (a cycle if made its base)."""
    seen = set()
    node = candidate
    while node is not None and node.pk not in seen:
        if node.pk == target.pk:
            return True
        seen.add(node.pk)
        node = node.base
    return False


def _check_policy_items(items: list[dict], existing: dict[str, Policy]) -> None:
    """Every listed policy has a code, once, and a title unless it is an existing one."""
    for position, item in enumerate(items, start=1):
        missing = [name for name in ("code", "title") if not str(item.get(name) or "").strip()]
        if missing and not (item.get("code") in existing and missing == ["title"]):
            raise ValidationError(
                {"policies": [f"Policy {position}: {' and '.join(missing)} required."]}
            )
        problem = web_url_problem(item.get("source_url") or "")
        if problem:
            raise ValidationError({"policies": [f"Policy {position}: url: {problem}"]})
    codes = [item["code"] for item in items]
    if len(set(codes)) != len(codes):
        raise ValidationError({"policies": ["Each code appears once."]})


def _set_policies(*, policy_set: PolicySet, by, items: list[dict]) -> bool:
    version = policy_set.version
    existing = {
        p.code: p
        for p in Policy.objects.filter(policy_set=policy_set, version=version).select_related(
            "adapts"
        )
    }
    _check_policy_items(items, existing)
    codes = [item["code"] for item in items]
    base_policies: dict[str, Policy] = {}
    if policy_set.base is not None:
        base_policies = {p.code: p for p in policy_set.base.effective_policies()}
    changed = False
    for position, item in enumerate(items, start=1):
        item = dict(item)
        code = item.pop("code")
        adapts_code = item.pop("adapts", None)
        adapts = None
        if adapts_code:
            adapts = base_policies.get(adapts_code)
            if adapts is None:
                raise ValidationError(
                    {"policies": [f"{code}: the base set has no policy {adapts_code!r}."]}
                )
        item.setdefault("position", position)
        _check_fields(item, POLICY_FIELDS)
        policy = existing.get(code) or Policy(policy_set=policy_set, version=version, code=code)
        values = {**item, "adapts": adapts}
        if policy.pk is None or any(getattr(policy, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(policy, key, value)
            policy._history_user = by
            policy.save()
            changed = True
    for code, policy in existing.items():
        if code in codes:
            continue
        if policy.assessments.exists():
            raise ValidationError(
                {"policies": [f"{code} has assessments; publish a new version instead."]}
            )
        policy._history_user = by
        policy.delete()
        changed = True
    return changed
