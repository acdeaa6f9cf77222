"""Who is told what by e-mail when a lifecycle request moves (issue 15).

The rules, all here, called by ``lifecycle.transitions`` inside the transition's
transaction (so the pages and the API notify alike):

- the requester, when their request changes state (submitted, in review, approved,
  rejected, withdrawn), unless they took the step themselves;
- the seat holders of the deciding body, when a review opens its decision;
- when an offramp is approved, the maintainers of the products that depend on the
  offramped product, and, for each stakeholder recorded as using it, the use's contact
  address and the stakeholder's own contacts (registry users).

The actor is never told about their own step. A user who turned a kind off on the account
page (``accounts.Preferences``) is not sent it; a user without an address is skipped. Each
recipient gets one plain-text message of their own, with absolute links (``SITE_URL``).
Messages are built inside the transaction and handed to the mail backend only once it
commits (``transaction.on_commit``): a transition that is refused or rolled back sends
nothing. A failing mail server is logged, never turned into an error for the step that
already happened.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from accounts.models import Preferences
from lifecycle.models import Decision, LifecycleRequest
from products.models import Product, Stakeholder
from spokes.models import Seat

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[PESO Registry] "
Kind = Preferences.Kind

STATE_PHRASES = {
    LifecycleRequest.State.SUBMITTED: "was submitted",
    LifecycleRequest.State.IN_REVIEW: "is in review",
    LifecycleRequest.State.APPROVED: "was approved",
    LifecycleRequest.State.REJECTED: "was rejected",
    LifecycleRequest.State.WITHDRAWN: "was withdrawn",
}


@dataclass(frozen=True)
class Notice:
    """One message to one address."""

    to: str
    subject: str
    body: str


# --- The rules --------------------------------------------------------------------------


def request_moved(req: LifecycleRequest, *, by, rationale: str = "") -> None:
    """Tell the requester their request is now in ``req.state``."""
    requester = req.requested_by
    if requester is None or _same_user(requester, by):
        return
    if not _wanted([requester], Kind.REQUESTS):
        return
    phrase = STATE_PHRASES.get(req.state)
    if phrase is None:
        return
    subject = f"Your request {phrase}: {req}"
    lines = [
        f"Hello {requester.get_username()},",
        "",
        f"Your request #{req.pk}, {_lower_first(str(req))}, {phrase}"
        + (f" by {by.get_username()}." if _is_user(by) else "."),
    ]
    if rationale:
        lines += ["", "Rationale:", _indent(rationale)]
    lines += ["", f"The request: {_absolute(req.get_absolute_url())}"]
    _send_on_commit(
        [Notice(requester.email, subject, _body(lines, Kind.REQUESTS, "you opened this request"))]
    )


def decision_opened(req: LifecycleRequest, decision: Decision, *, by) -> None:
    """Tell the seat holders of the decision's body that it waits for their vote."""
    if decision.body_id is None:
        return
    body = decision.body
    seats = (
        Seat.objects.current()
        .filter(body_id=decision.body_id, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    holders = _distinct_users(seat.user for seat in seats if not _same_user(seat.user, by))
    holders = _wanted(holders, Kind.VOTES)
    vote_url = _absolute(reverse("lifecycle:decision-detail", kwargs={"pk": decision.pk}))
    need = (
        f"{body} requires a vote before the request can be approved."
        if body.requires_vote
        else f"{body} does not require a vote, but your vote is recorded with the decision."
    )
    subject = f"Your vote is requested: {req}"
    notices = []
    for user in holders:
        lines = [
            f"Hello {user.get_username()},",
            "",
            f"The review of request #{req.pk}, {_lower_first(str(req))}, has started, and "
            f"the decision is open on {body}, where you hold a seat.",
            need,
            "",
            f"Vote: {vote_url}",
            f"The request: {_absolute(req.get_absolute_url())}",
        ]
        notices.append(
            Notice(user.email, subject, _body(lines, Kind.VOTES, f"you hold a seat on {body}"))
        )
    _send_on_commit(notices)


def dependents_to_tell(product: Product) -> list[Product]:
    """Every product with a recorded dependency on ``product`` (members of a spoke or not:
    the checklist weighs the active ones, but every team building on it needs to know)."""
    return list(
        Product.objects.filter(dependencies__depends_on=product)
        .exclude(pk=product.pk)
        .distinct()
        .order_by("name")
    )


def offramp_approved(req: LifecycleRequest, *, uses, by, dependents=None) -> None:
    """Tell those who rely on an offramped product: the maintainers of the ``dependents``
    (``dependents_to_tell``, read here when not given) and, for each stakeholder of
    ``uses``, the use's contact address and the stakeholder's own contacts (registry
    users)."""
    product, community = req.product, req.community
    if dependents is None:
        dependents = dependents_to_tell(product)
    plan = _plan_lines(req)
    request_url = _absolute(req.get_absolute_url())
    product_url = _absolute(product.get_absolute_url())
    notices: list[Notice] = []

    users = get_user_model().objects.filter(
        maintained_products__in=[p.pk for p in dependents], is_active=True
    )
    maintainers = _distinct_users(
        users.prefetch_related("maintained_products").order_by("username")
    )
    dependent_ids = {p.pk for p in dependents}
    for user in _wanted([u for u in maintainers if not _same_user(u, by)], Kind.OFFRAMPS):
        theirs = sorted(
            (p for p in user.maintained_products.all() if p.pk in dependent_ids),
            key=lambda p: p.name.lower(),
        )
        names = ", ".join(p.name for p in theirs)
        subject = f"{product} is offramped from {community}: {names} depends on it"
        lines = [
            f"Hello {user.get_username()},",
            "",
            f"{product} has left {community} (offramp request #{req.pk}, approved). "
            f"{names}, which you maintain, depends on it.",
            *plan,
            "",
            f"The request: {request_url}",
            f"{product}: {product_url}",
        ]
        why = f"you maintain {names}"
        notices.append(Notice(user.email, subject, _body(lines, Kind.OFFRAMPS, why)))

    contacts = [(use, contact_address(use.contact)) for use in uses]
    silenced = _opted_out_addresses([a for _, a in contacts if a], Kind.OFFRAMPS)
    speakers = _stakeholder_contacts([use.stakeholder_id for use in uses], by=by)
    for use, address in contacts:
        addresses = [address] if address and address.lower() not in silenced else []
        addresses += [user.email for user in speakers.get(use.stakeholder_id, [])]
        for to in addresses:
            notices.append(_stakeholder_notice(req, use, to, plan, request_url, product_url))
    _send_on_commit(notices)


def _stakeholder_contacts(stakeholder_ids: list[int], *, by) -> dict[int, list]:
    """The contacts (registry users) of each stakeholder who want offramp notices, but the
    actor (two queries)."""
    if not stakeholder_ids:
        return {}
    links = Stakeholder.contacts.through.objects.filter(
        stakeholder_id__in=stakeholder_ids, user__is_active=True
    ).select_related("user")
    users = _wanted(
        _distinct_users(link.user for link in links if not _same_user(link.user, by)),
        Kind.OFFRAMPS,
    )
    wanted = {u.pk for u in users}
    by_stakeholder: dict[int, list] = {}
    for link in links:
        if link.user_id in wanted:
            by_stakeholder.setdefault(link.stakeholder_id, []).append(link.user)
    return by_stakeholder


def _stakeholder_notice(req, use, to: str, plan, request_url: str, product_url: str) -> Notice:
    product, community, stakeholder = req.product, req.community, use.stakeholder
    subject = f"{product} is offramped from {community} (used by {stakeholder})"
    lines = [
        "Hello,",
        "",
        f"{product} has left {community} (offramp request #{req.pk}, approved). "
        f"{stakeholder} is recorded in the registry as using it"
        + (f" ({use.note.strip()})." if use.note.strip() else "."),
        f"How much it relies on {product}: {use.get_criticality_display().lower()}.",
        *plan,
        "",
        f"The request: {request_url}",
        f"{product}: {product_url}",
    ]
    why = f"you are the registry's contact at {stakeholder} for {product}"
    return Notice(to, subject, _body(lines, None, why))


# --- Helpers ----------------------------------------------------------------------------


def contact_address(contact: str) -> str:
    """The e-mail address in a stakeholder use's contact ('Ada <ada@lab.gov>',
    'ada@lab.gov'), or '' when it holds none (a name, a web page)."""
    _name, address = parseaddr(contact or "")
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def _send_on_commit(notices: list[Notice]) -> None:
    """Queue ``notices`` (one per address: the first to an address wins) for sending once
    the current transaction commits."""
    seen: set[str] = set()
    messages = []
    for notice in notices:
        key = notice.to.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        messages.append(
            EmailMessage(
                subject=_subject(notice.subject),
                body=notice.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notice.to.strip()],
            )
        )
    if messages:
        transaction.on_commit(lambda: _deliver(messages))


def _deliver(messages: list[EmailMessage]) -> None:
    try:
        with get_connection() as connection:
            connection.send_messages(messages)
    except Exception:
        # The step is committed; a mail server that is down must not turn it into an error.
        logger.exception("Could not send %d notification e-mail(s)", len(messages))


def _subject(text: str) -> str:
    """One line (a header takes no line break), at most 200 characters."""
    line = re.sub(r"\s+", " ", SUBJECT_PREFIX + text).strip()
    return line if len(line) <= 200 else line[:199] + "…"


def _body(lines: list[str], kind: str | None, why: str) -> str:
    footer = ["", "--", f"You receive this e-mail because {why}."]
    if kind is not None:
        footer.append(
            "To stop these e-mails, change your notification settings: "
            + _absolute(reverse("accounts:account"))
            + "#notifications"
        )
    footer.append(f"PESO Registry, {settings.SITE_URL}/")
    return "\n".join(lines + footer) + "\n"


def _plan_lines(req: LifecycleRequest) -> list[str]:
    plan = []
    if req.successor_id:
        plan.append(f"Successor: {req.successor} ({_absolute(req.successor.get_absolute_url())})")
    if req.support_organization:
        plan.append(f"Support organisation: {req.support_organization}")
    if req.end_of_support:
        plan.append(f"End of support: {req.end_of_support.isoformat()}")
    if req.migration_notes:
        plan += ["Migration notes:", _indent(req.migration_notes)]
    return ["", *plan] if plan else []


def _wanted(users: Iterable, kind: str) -> list:
    """The users with an address who have not turned ``kind`` off (one query)."""
    users = [u for u in users if u.email]
    if not users:
        return []
    silenced = set(
        Preferences.objects.filter(
            user__in=[u.pk for u in users], **{f"notify_{kind}": False}
        ).values_list("user_id", flat=True)
    )
    return [u for u in users if u.pk not in silenced]


def _opted_out_addresses(addresses: list[str], kind: str) -> set[str]:
    """Those of ``addresses`` (lower-cased) that belong to a user who turned ``kind`` off: a
    stakeholder's contact may have an account of their own."""
    if not addresses:
        return set()
    same = Q()
    for address in addresses:
        same |= Q(user__email__iexact=address)
    emails = Preferences.objects.filter(same, **{f"notify_{kind}": False}).values_list(
        "user__email", flat=True
    )
    return {e.lower() for e in emails}


def _distinct_users(users: Iterable) -> list:
    seen: set[int] = set()
    result = []
    for user in users:
        if user.pk not in seen:
            seen.add(user.pk)
            result.append(user)
    return result


def _is_user(by) -> bool:
    return bool(getattr(by, "is_authenticated", False))


def _same_user(user, by) -> bool:
    return _is_user(by) and user.pk == by.pk


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
