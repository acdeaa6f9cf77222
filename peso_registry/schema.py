"""OpenAPI generation: every operation documents the errors it can answer.

Error bodies are DRF's: `{"detail": "..."}` or, for 400, `{"field": ["message", ...]}`.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR = inline_serializer("Error", fields={"detail": serializers.CharField()})
FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        "description": "Field name → list of messages (`detail` for non-field errors).",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    description="Invalid input: field-level messages.",
)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ERROR, description=description)


class AutoSchema(BaseAutoSchema):
    """Adds the error responses that the project's views really answer.

    Reads: 404 on detail routes, 400 when query parameters are invalid, 429 when an
    anonymous client is throttled. Writes: 400, 401, 403, 404 (detail), 412 where the view
    honours If-Match, 409 where the view declares `conflict_actions`.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        view = self.view
        is_detail = "{" in self.path
        extra: dict[str, OpenApiResponse] = {}
        if method in ("GET", "HEAD"):
            takes_query = (not is_detail and getattr(view, "filterset_class", None)) or getattr(
                view, "action", None
            ) in getattr(view, "query_param_actions", ())
            if takes_query:
                extra["400"] = FIELD_ERRORS
            if is_detail:
                extra["404"] = _error("Not found.")
            extra["429"] = _error("Too many requests (anonymous clients are throttled).")
        else:
            extra["400"] = FIELD_ERRORS
            extra["401"] = _error("Not signed in (send a session cookie or a Token).")
            extra["403"] = _error("Signed in, but not allowed to do this.")
            if is_detail:
                extra["404"] = _error("Not found.")
            if getattr(view, "honours_if_match", False) and method in ("PATCH", "PUT", "POST"):
                extra["412"] = _error("If-Match does not match the current ETag.")
            if getattr(self.view, "action", None) in getattr(view, "conflict_actions", ()):
                extra["409"] = _error("Not allowed from the current state.")
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
