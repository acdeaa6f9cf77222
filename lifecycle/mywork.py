"""What concerns one user: the reads behind "My work" (``/me/``) and their personal feed.

Each function is one bounded query (or a fixed few), whatever the number of rows: the
page's query count does not grow with the user's products, requests or votes.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from accounts.roles import is_hub_admin, is_signed_in
from events.models import Event, EventQuerySet
from lifecycle.models import Decision, LifecycleRequest, visible_events
from products import review
from products.models import Assessment, Product
from spokes.access import lead_community_ids
from spokes.models import LEAD_ROLES, CommunityRole, Seat

State = LifecycleRequest.State
REVIEW_STATES = (State.SUBMITTED, State.IN_REVIEW)
LIMIT = 50  # rows of each list on the page; the full lists are a link away


def my_products(user) -> QuerySet[Product]:
    """The products ``user`` maintains, by name (``for_list``: areas and memberships)."""
    if not is_signed_in(user):
        return Product.objects.none()
    return Product.objects.filter(maintainers=user).for_list().order_by(Lower("name"), "pk")


def my_requests(user) -> QuerySet[LifecycleRequest]:
    """Requests ``user`` opened or that are about a product they maintain, newest first."""
    if not is_signed_in(user):
        return LifecycleRequest.objects.none()
    mine = Q(requested_by=user) | Q(
        product__in=Product.objects.filter(maintainers=user).values("pk")
    )
    return LifecycleRequest.objects.filter(mine).for_list().order_by("-created_at", "-id")


def awaiting_vote(user) -> QuerySet[Decision]:
    """Open decisions of bodies where ``user`` holds a current seat, and no vote from that
    seat yet: oldest first (the longest waiting on top)."""
    if not is_signed_in(user):
        return Decision.objects.none()
    seats = Seat.objects.current().filter(user=user)
    return (
        Decision.objects.filter(outcome=Decision.Outcome.PENDING, body__in=seats.values("body_id"))
        .exclude(votes__seat__in=seats.values("pk"))
        .select_related("community", "body", "request__product", "request__community")
        .order_by("opened_at", "pk")
    )


def review_queue(user) -> QuerySet[LifecycleRequest]:
    """Submitted and in-review requests of the communities ``user`` leads (every one: hub
    admins), oldest first: the review queue's rule."""
    queryset = LifecycleRequest.objects.filter(state__in=REVIEW_STATES)
    if not is_hub_admin(user):
        queryset = queryset.filter(community_id__in=lead_community_ids(user))
    return queryset.for_list().order_by("submitted_at", "created_at", "id")


def leads_any(user) -> bool:
    return is_hub_admin(user) or bool(lead_community_ids(user))


def due_for_review(user) -> list[Assessment]:
    """Assessments of ``user``'s products due for re-review (``products.review``), each
    with ``due_since``: the longest overdue first, at most ``LIMIT``."""
    if not is_signed_in(user):
        return []
    rows = list(
        Assessment.objects.filter(
            review.review_due_q(), product__in=Product.objects.filter(maintainers=user)
        )
        .select_related("product", "policy__policy_set")
        .order_by("assessed_at", "product__name", "policy__code", "pk")[:LIMIT]
    )
    for row in rows:
        row.due_since = review.due_since(row)
    return rows


def events_concerning(user) -> EventQuerySet:
    """Events about what ``user`` is involved in: their products, the communities they lead,
    the requests they opened and the decisions of bodies where they hold a seat; minus the
    events of drafts they may not see (``visible_events``), newest first."""
    if not is_signed_in(user):
        return Event.objects.none()
    concern = (
        Q(product__in=Product.objects.filter(maintainers=user).values("pk"))
        | Q(
            community__in=CommunityRole.objects.filter(user=user, role__in=LEAD_ROLES).values(
                "community_id"
            )
        )
        | Q(request__in=LifecycleRequest.objects.filter(requested_by=user).values("pk"))
        | Q(
            request__in=LifecycleRequest.objects.filter(
                decision__body__in=Seat.objects.filter(user=user).values("body_id")
            ).values("pk")
        )
    )
    return visible_events(user, Event.objects.filter(concern))
