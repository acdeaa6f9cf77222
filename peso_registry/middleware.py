"""Response headers every page carries: the Content-Security-Policy and friends.

Django 5.2 sets X-Frame-Options, X-Content-Type-Options, Referrer-Policy and
Cross-Origin-Opener-Policy itself (settings.py); this adds the policy that keeps a page
to the app's own scripts, styles and images. A view that serves a document of another
kind (the SVG badge) may set its own policy, which is then left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
