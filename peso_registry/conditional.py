"""Conditional requests for the API: ETags on reads, `If-Match` on writes (HTTP 412).

The ETag of a resource is a hash of its JSON representation, so any change a client could
see changes the tag, whatever field or related row it came from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from peso_registry.exceptions import PreconditionFailed


def etag_for(data: Any) -> str:
    """A strong ETag (quoted) for a JSON-serialisable representation."""
    payload = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    tags = []
    for raw in header.split(","):
        tag = raw.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            tags.append(tag)
    return tags


def check_if_match(request: Request, current: Any | None) -> None:
    """Raise 412 when `If-Match` is present and does not name the current representation.

    `current` is the representation the client would read now; None means there is no
    such resource yet, which fails any `If-Match` (RFC 9110). No header: the write proceeds.
    """
    header = request.headers.get("If-Match")
    if not header:
        return
    tags = _tags(header)
    if current is None:
        raise PreconditionFailed("The resource does not exist (If-Match).")
    if "*" in tags:
        return
    if etag_for(current) not in tags:
        raise PreconditionFailed()


def with_etag(request: Request, response: Response) -> Response:
    """Add the ETag of `response.data`; answer 304 when `If-None-Match` names it."""
    tag = etag_for(response.data)
    response["ETag"] = tag
    if request.method in ("GET", "HEAD"):
        header = request.headers.get("If-None-Match")
        if header and (tag in _tags(header) or header.strip() == "*"):
            not_modified = Response(status=304)
            not_modified["ETag"] = tag
            return not_modified
    return response


class ConditionalMixin:
    """For viewsets: ETag on `retrieve`; POST and PATCH through a write serializer and a
    service, answered with the read representation; `If-Match` honoured on PATCH.

    The If-Match check runs inside the write's transaction, after the row is locked where
    the database locks rows, so two clients holding the same ETag cannot both win.
    Subclasses set `write_serializer_class` and implement `perform_post(data)` and
    `perform_patch(instance, data)` (both call a service).
    """

    honours_if_match = True
    write_serializer_class = None

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        return with_etag(request, response)

    def represent(self, instance) -> Any:
        return self.get_serializer(instance).data

    def get_write_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", self.get_serializer_context())
        return self.write_serializer_class(*args, **kwargs)

    def respond(self, instance, status: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=instance.pk)
        data = self.represent(fresh)
        response = Response(data, status=status)
        response["ETag"] = etag_for(data)
        if status == 201 and isinstance(data, dict) and data.get("url"):
            response["Location"] = data["url"]
        return response

    def create(self, request, *args, **kwargs):
        serializer = self.get_write_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_post(serializer.validated_data)
        return self.respond(instance, status=201)

    def lock_target(self) -> None:
        """Lock the addressed row, if there is one; a lookup value the column cannot hold
        locks nothing (``get_object`` then answers 404)."""
        lookup = self.lookup_url_kwarg or self.lookup_field
        model = self.get_queryset().model
        try:
            rows = model.objects.select_for_update().filter(
                **{self.lookup_field: self.kwargs[lookup]}
            )
            list(rows.values_list("pk", flat=True))
        except (TypeError, ValueError, DjangoValidationError):
            return

    def partial_update(self, request, *args, **kwargs):
        with transaction.atomic():
            self.lock_target()
            instance = self.get_object()
            check_if_match(request, self.represent(instance))
            serializer = self.get_write_serializer(instance, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            self.perform_patch(instance, serializer.validated_data)
        return self.respond(instance)

    def perform_post(self, data: dict):  # pragma: no cover - abstract
        raise NotImplementedError

    def perform_patch(self, instance, data: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


SLUG_RE = "[-a-zA-Z0-9_]+"


class ResourceViewSet(
    ConditionalMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create (POST) and change (PATCH) a resource, conditionally; no PUT and
    no DELETE unless a subclass opens them."""

    http_method_names = ["get", "post", "patch", "head", "options"]


class SlugResourceViewSet(ResourceViewSet):
    """A resource named by its slug in the URL."""

    lookup_field = "slug"
    lookup_value_regex = SLUG_RE
