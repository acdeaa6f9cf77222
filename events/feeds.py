"""Atom feeds of the event log: the public one (``/feeds/events.atom``, ``?community=``,
``?product=``) and each user's personal one (``PersonalFeed``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from accounts.services import user_for_feed_key
from events.models import Event
from lifecycle import mywork
from lifecycle.models import visible_events
from products.models import Product
from spokes.models import Community
from spokes.templatetags.registry import event_detail, verb_label


class PlainTextAtomFeed(Atom1Feed):
    """Atom whose entry summaries are plain text (``type="text"``).

    Django writes summaries as ``type="html"``, so a reader would render markup carried by
    an event's data (a product named ``<img onerror=...>``) as live HTML. The summaries
    here are built from plain strings, so they are declared as text: the XML escaping
    then makes every character show as written.
    """

    def add_item_elements(self, handler, item) -> None:
        description = item.get("description")
        super().add_item_elements(handler, {**item, "description": None})
        if description is not None:
            handler.addQuickElement("summary", description, {"type": "text"})


@dataclass
class Scope:
    """What the feed is about: filters on events, and the query string that chose them."""

    filters: dict = field(default_factory=dict)
    query: str = ""


class EventsFeed(Feed):
    feed_type = PlainTextAtomFeed

    def get_object(self, request, *args, **kwargs) -> Scope:
        scope = Scope()
        params = {}
        if request.GET.get("community"):
            community = get_object_or_404(Community, slug=request.GET["community"])
            scope.filters["community"] = community
            params["community"] = community.slug
        if request.GET.get("product"):
            product = get_object_or_404(Product, slug=request.GET["product"])
            scope.filters["product"] = product
            params["product"] = product.slug
        if request.GET.get("call"):
            # A funding call's events (they name the call's slug in their data).
            slug = request.GET["call"]
            scope.filters["data__call"] = slug
            params["call"] = slug
        scope.query = urlencode(params)
        return scope

    def link(self, scope: Scope) -> str:
        return reverse("events:list") + (f"?{scope.query}" if scope.query else "")

    def feed_url(self, scope: Scope) -> str:
        return reverse("events:feed") + (f"?{scope.query}" if scope.query else "")

    def title(self, scope: Scope) -> str:
        names = [
            f"funding call {v}" if k == "data__call" else str(v) for k, v in scope.filters.items()
        ]
        return "PESO Registry events" + (f" — {', '.join(names)}" if names else "")

    def subtitle(self, scope: Scope) -> str:
        return "Everything that happened in the registry, newest first."

    def items(self, scope: Scope):
        # A public feed: read as an anonymous visitor (no private drafts).
        return visible_events(None, Event.objects.for_list()).filter(**scope.filters)[:50]

    def item_title(self, item: Event) -> str:
        subject = item.product or item.community
        return f"{verb_label(item.verb)}" + (f": {subject}" if subject else "")

    def item_description(self, item: Event) -> str:
        parts = [verb_label(item.verb)]
        if item.product:
            parts.append(f"product {item.product.name}")
        if item.community:
            parts.append(f"community {item.community.name}")
        detail = event_detail(item)
        if detail:
            parts.append(detail)
        if item.actor:
            parts.append(f"by {item.actor.get_username()}")
        return " — ".join(parts)

    def item_link(self, item: Event) -> str:
        if item.request_id:
            return reverse("lifecycle:request-detail", kwargs={"pk": item.request_id})
        if item.product:
            return item.product.get_absolute_url()
        if isinstance(item.data, dict) and item.data.get("proposal"):
            return reverse("funding:proposal-detail", kwargs={"pk": item.data["proposal"]})
        if isinstance(item.data, dict) and isinstance(item.data.get("call"), str):
            return reverse("funding:call-detail", kwargs={"slug": item.data["call"]})
        if item.community:
            return item.community.get_absolute_url()
        return f"{reverse('events:list')}#event-{item.pk}"

    def item_guid(self, item: Event) -> str:
        return f"urn:peso-registry:event:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Event):
        return item.created_at

    def item_updateddate(self, item: Event):
        return item.created_at

    def item_author_name(self, item: Event) -> str | None:
        return item.actor.get_username() if item.actor else None


@dataclass
class Reader:
    """Whose personal feed is read, at which address."""

    user: object
    path: str


class PersonalFeed(EventsFeed):
    """``/feeds/me/<user id>/<key>.atom``: the events that concern one user
    (``lifecycle.mywork.events_concerning``: their products, the communities they lead,
    the requests they opened, the decisions where they hold a seat), read as that user
    (their own drafts included, no one else's). Feed readers do not sign in, so the address
    carries a secret from the account page; a wrong, renewed or revoked one is a 404."""

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        # The address is a secret and the content private: no shared cache keeps it.
        response["Cache-Control"] = "private, max-age=300"
        return response

    def get_object(self, request, user_id: int, key: str):
        user = user_for_feed_key(user_id, key)
        if user is None:
            raise Http404("No such feed.")
        return Reader(user=user, path=request.path)

    def link(self, reader: Reader) -> str:
        return reverse("accounts:me")

    def feed_url(self, reader: Reader) -> str:
        return reader.path

    def title(self, reader: Reader) -> str:
        return f"PESO Registry — events for {reader.user.get_username()}"

    def subtitle(self, reader: Reader) -> str:
        return (
            "What happened to your products, the communities you lead, the requests you "
            "opened and the decisions where you hold a seat, newest first."
        )

    def items(self, reader: Reader):
        return mywork.events_concerning(reader.user).for_list()[:50]
