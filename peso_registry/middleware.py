"""Response headers every page carries: the Content-Security-Policy and friends; and
HTTP caching of the catalog's pages and API reads (validators, 304s, a shared cache).

Django 5.2 sets X-Frame-Options, X-Content-Type-Options, Referrer-Policy and
Cross-Origin-Opener-Policy itself (settings.py); this adds the policy that keeps a page
to the app's own scripts, styles and images. A view that serves a document of another
kind (the SVG badge) may set its own policy, which is then left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

from events import version as catalog_version
from peso_registry.throttling import AnonRateThrottle


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# --- HTTP caching -----------------------------------------------------------------------

# The pages and API reads whose content follows from the catalog, the reader and the day.
CONDITIONAL_PAGES = {
    "home",
    "hub:hub",
    "products:catalog",
    "products:detail",
    "spokes:community-detail",
    "spokes:policyset-detail",
    "events:list",
    "events:feed",
}
# The hot anonymous responses kept in the shared cache (CACHE_URL).
SHARED_PAGES = {"home", "products:catalog", "spokes:community-detail", "api-product-list"}
SHARED_TIMEOUT = 600  # seconds; a write retires every entry at once (the key holds the version)
VARY = ("Cookie", "Authorization", "Accept")
# Response headers a cached anonymous response is served with again.
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language", "Link")


class HttpCachingMiddleware:
    """Validators, conditional GETs and a shared cache for the catalog's pages and API reads.

    The validator of a response is the catalog version (events/version.py, every write
    advances it) with what else decides the response: the path and query, the reader
    (anonymous, the signed-in user, or a hash of the ``Authorization`` header), the CSRF
    cookie its forms are signed for, ``Accept``, and today's date (waivers expire and
    offramps reach their end of support by the calendar). A weak ``ETag`` and
    ``Last-Modified`` come from it; a conditional GET that names the current one answers
    304 before the view runs. Responses to anonymous readers are ``public`` and the
    hottest of them (``SHARED_PAGES``) are kept in the default cache under the version, so
    every app process serves them until the next write. Signed-in readers get ``private``
    and are never served from that cache. A view that sets its own ``ETag`` (the API's
    representation tags, which ``If-Match`` checks; the badge) keeps it.

    Cost: one query per covered request (the version), none more on a 304 or a cache hit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        state = getattr(request, "_http_cache", None)
        if state is not None and not getattr(response, "_from_http_cache", False):
            state.finish(request, response)
        return response

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD"):
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        api = request.path_info.startswith("/api/v1/") and name != "api-schema"
        if not api and name not in CONDITIONAL_PAGES:
            return None
        if _has_pending_messages(request):
            return None
        state = _CacheState(request, name)
        request._http_cache = state
        return state.answer_early(request, api)


class _CacheState:
    def __init__(self, request: HttpRequest, name: str) -> None:
        number, changed_at = catalog_version.current()
        token = request.headers.get("Authorization", "")
        user = request.user
        self.signed_in = bool(token) or user.is_authenticated
        self.token = bool(token)
        reader = "anon"
        if user.is_authenticated:
            reader = f"user:{user.pk}"
        if token:
            reader += ":token:" + hashlib.sha256(token.encode()).hexdigest()
        today = timezone.localdate()
        accept = request.headers.get("Accept", "")
        csrf = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
        where = f"{request.path}?{request.META.get('QUERY_STRING', '')}|{accept}"
        stamp = f"{number}|{changed_at.isoformat() if changed_at else ''}"
        key = f"{stamp}|{today}|{where}|{reader}|{csrf}"
        self.etag = 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
        midnight = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
        moments = [midnight, changed_at or midnight]
        if user.is_authenticated and user.last_login:
            moments.append(user.last_login)
        last_modified = max(moments)
        # Last-Modified counts whole seconds: sent only once its second has passed, so a
        # later write always falls in a later second than the one a client holds.
        settled = int(last_modified.timestamp()) < int(timezone.now().timestamp())
        self.last_modified = last_modified if settled else None
        self.shared_key = None
        if name in SHARED_PAGES and not self.signed_in:
            digest = hashlib.sha256(f"{stamp}|{where}".encode()).hexdigest()
            self.shared_key = f"http:{digest}"

    def answer_early(self, request: HttpRequest, api: bool) -> HttpResponse | None:
        """A 304 or a cached response, without running the view; None to run it."""
        # A token is checked by the view (revoked, expired): its reader is vouched for there.
        if self.token:
            return None
        early = None
        if self.not_modified(request):
            early = HttpResponseNotModified()
        elif self.shared_key is not None:
            stored = cache.get(self.shared_key)
            if stored is not None:
                content, headers = stored
                early = HttpResponse(content)
                for header, value in headers.items():
                    early[header] = value
        if early is None:
            return None
        # The API's anonymous rate counts what is answered from here too.
        if api and not AnonRateThrottle().allow_request(request, None):
            return None
        self.decorate(early)
        early._from_http_cache = True
        return early

    def not_modified(self, request: HttpRequest) -> bool:
        match = request.headers.get("If-None-Match")
        if match:
            tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
            return "*" in tags or self.etag.removeprefix("W/") in tags
        # Alone, If-Modified-Since says nothing of who asked: only for a reader with no
        # cookie and no token (feed readers, scripts), whose answer is the anonymous one.
        since = request.headers.get("If-Modified-Since")
        if since and self.last_modified and not request.COOKIES and not self.signed_in:
            seconds = parse_http_date_safe(since)
            return seconds is not None and int(self.last_modified.timestamp()) <= seconds
        return False

    def decorate(self, response: HttpResponse) -> None:
        if "ETag" not in response:
            response["ETag"] = self.etag
        if self.last_modified is not None:
            response["Last-Modified"] = http_date(self.last_modified.timestamp())
        if "Cache-Control" not in response:
            scope = "private" if self.signed_in else "public"
            response["Cache-Control"] = f"{scope}, max-age=0, must-revalidate"
        patch_vary_headers(response, VARY)

    def finish(self, request: HttpRequest, response: HttpResponse) -> None:
        """Validators on a fresh 200 (a token's conditional GET answered here); keep a
        shareable anonymous response in the shared cache."""
        if response.status_code != 200 or response.streaming:
            return
        messages = getattr(request, "_messages", None)
        if messages is not None and (messages.used or messages._queued_messages):
            # A page showing a one-time message is not one to revalidate or share.
            patch_cache_control(response, no_cache=True, private=True)
            return
        own_etag = "ETag" in response
        self.decorate(response)
        if self.token and not own_etag and self.not_modified(request):
            response.status_code = 304
            response.content = b""
            for header in ("Content-Type", "Content-Length"):
                if header in response:
                    del response[header]
            return
        shareable = (
            self.shared_key is not None
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and "private" not in response.get("Cache-Control", "")
        )
        if shareable:
            headers = {h: response[h] for h in KEPT_HEADERS if h in response}
            cache.set(self.shared_key, (response.content, headers), SHARED_TIMEOUT)


def _has_pending_messages(request: HttpRequest) -> bool:
    """Whether a one-time message waits to be shown (the cookie, or the session's)."""
    if request.COOKIES.get("messages"):
        return True
    session = getattr(request, "session", None)
    return bool(session is not None and session.session_key and session.get("_messages"))
