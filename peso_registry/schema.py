"""OpenAPI generation: every operation documents the errors it can answer, and the
schema describes what the API really sends.

Error bodies are DRF's: `{"detail": "..."}` or, for 400, `{"field": ["message", ...]}`
(a nested object's errors nest: `{"governance": {"quorum": ["..."]}}`).
"""

from __future__ import annotations

import copy
import inspect
import re
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from peso_registry.conditional import ConditionalMixin
from peso_registry.renderers import CSVRenderer

ERROR = inline_serializer("Error", fields={"detail": serializers.CharField()})
_MESSAGES = {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Field name → list of messages; a nested object's errors are an object "
    "of the same shape, a list's a list of them. `detail` holds the non-field messages, or "
    "one message (e.g. a body that is not JSON).",
    "properties": {"detail": {"anyOf": [{"type": "string"}, _MESSAGES]}},
    "additionalProperties": {"anyOf": [_MESSAGES, {"type": "object"}]},
}
# Something that is not blank: DRF trims with `str.strip()`, which also strips the
# information separators U+001C-U+001F and NEL (U+0085), which `\s` of the schema's
# (ECMA 262) regular expressions does not match, so `\S` alone would admit a blank name.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"

FIELD_ERRORS = OpenApiResponse(
    response=FIELD_ERRORS_SCHEMA, description="Invalid input: field-level messages."
)


def _model_field(field: serializers.Field):
    """The model field behind a serializer field with a plain `source`, if any."""
    meta = getattr(getattr(field, "parent", None), "Meta", None)
    model = getattr(meta, "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    return model_field if model_field.concrete and not model_field.many_to_many else None


def _decimal_pattern(field: serializers.DecimalField) -> str | None:
    """A pattern that admits only what the field accepts (drf-spectacular's admits "")."""
    places, digits = field.decimal_places, field.max_digits
    if places is None or digits is None:
        return None
    frac = rf"\d{{1,{places}}}" if places else ""
    if field.min_value == 0 and field.max_value == 1 and places:
        return rf"^(?:0?\.{frac}|0(?:\.\d{{0,{places}}})?|1(?:\.0{{0,{places}}})?)$"
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    whole = digits - places
    if whole <= 0:
        return rf"^{sign}0?\.{frac}$"
    if not places:
        return rf"^{sign}\d{{1,{whole}}}$"
    return rf"^{sign}(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.{frac})$"


def _anonymous_may(view, method: str) -> bool:
    """Whether the view's permissions let an anonymous client make this (safe) request."""
    request = SimpleNamespace(method=method, user=AnonymousUser())
    try:
        return all(p.has_permission(request, view) for p in view.get_permissions())
    except Exception:  # a permission that needs more of the request: not provably open
        return False


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ERROR, description=description)


REFUSED_CREDENTIALS = (
    "an unknown, expired or revoked token, or an `Authorization` "
    "header that is not `Token <key>` or `Bearer <key>`."
)


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """`peso_registry.authentication.HashedTokenAuthentication`: one key, sent after
    either scheme; either requirement suffices."""

    target_class = "peso_registry.authentication.HashedTokenAuthentication"
    name = ["tokenAuth", "bearerAuth"]

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}]

    def get_security_definition(self, auto_schema):
        how = "An API token (created and revoked on the account page, `/account/`)"
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": f"{how}, sent as `Authorization: Token <key>`.",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "description": f"{how}, sent as `Authorization: Bearer <key>`.",
            },
        ]


class AutoSchema(BaseAutoSchema):
    """Adds the error responses that the project's views really answer.

    Reads: 404 on detail routes, 400 when query parameters are invalid, 429 when an
    anonymous client is throttled. Writes: 400, 401, 403, 404 (detail), 412 where the view
    honours If-Match, 409 where the view declares `conflict_actions`.
    """

    def get_tags(self) -> list[str]:
        """One tag per resource: the collection the path starts with (`products`,
        `policy-sets`, `requests` ...), whatever the version prefix."""
        path = self.path.removeprefix("/api/v1/")
        return [path.split("/", 1)[0]]

    def get_description(self) -> str:
        """The `extend_schema` description, else the action's docstring, else the view
        class's own docstring: never one inherited from the project's base viewsets, which
        speak of the implementation."""
        action = getattr(self.view, getattr(self.view, "action", None) or "", None)
        own = self.view.__class__.__dict__.get("__doc__")
        return get_doc(action) or (inspect.cleandoc(own) if own else "")

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        """A CSV answer is text, not the JSON object its rows come from."""
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        csv = response.get("content", {}).get(CSVRenderer.media_type)
        if csv is not None:
            csv["schema"] = {
                "type": "string",
                "description": "CSV: a header row (fixed per endpoint), one row per item.",
            }
        return response

    def get_auth(self):
        """Reads open to everyone say so (`{}`: no credentials needed), whatever the
        permission classes are called; drf-spectacular only knows DRF's own."""
        auths = super().get_auth()
        method = self.method.upper()
        if (
            auths
            and {} not in auths
            and method in SAFE_METHODS
            and _anonymous_may(self.view, method)
        ):
            auths.append({})
        return auths

    def _map_basic_serializer(self, serializer, direction):
        """A read-only field sends null or "" when its model field allows it: say so.

        DRF drops `allow_null` / `allow_blank` from read-only fields, so e.g. an event
        without an actor (`"actor": null`) or a request without a reason (`"reason": ""`)
        would break a schema generated from the field alone.
        """
        serializer = serializer() if isinstance(serializer, type) else serializer
        for field in serializer.fields.values():
            model_field = _model_field(field) if field.read_only else None
            if model_field is None:
                continue
            if model_field.null:
                field.allow_null = True
            if model_field.blank and isinstance(
                field, (serializers.CharField, serializers.ChoiceField)
            ):
                field.allow_blank = True
        return super()._map_basic_serializer(serializer, direction)

    def _resolve_path_parameters(self, variables):
        """Ids are positive integers, also where the route reads them with a digits-only
        `lookup_value_regex` (which drf-spectacular describes as a string)."""
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter.get("schema") == {"type": "string", "pattern": "^[0-9]+$"}:
                parameter["schema"] = {"type": "integer"}
            if parameter.get("schema", {}).get("type") == "integer":
                parameter["schema"]["minimum"] = 1
        return parameters

    def _get_format_parameters(self):
        """`?format=` blank is no format (the Accept header decides)."""
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            enum = parameter.get("schema", {}).get("enum")
            if enum is not None and "" not in enum:
                enum.append("")
        return parameters

    def _get_filter_parameters(self):
        """A blank filter value means "no filter" (django-filter; the catalog page's form
        sends blank fields): say that blank is accepted."""
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            schema = parameter.get("schema")
            if not schema or "$ref" in schema:
                continue
            if schema.get("type") == "string" and "enum" in schema:
                if "" not in schema["enum"]:
                    schema["enum"].append("")
            elif schema.get("type") not in ("string", "array") or {"format", "pattern"} & set(
                schema
            ):
                parameter["schema"] = {"anyOf": [schema, {"type": "string", "maxLength": 0}]}
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            isinstance(field, serializers.RelatedField)
            and field.help_text is None
            and isinstance(schema, dict)
        ):
            # Not the help text of the related model's field (a username's sign-up rules,
            # what a product's slug means): it describes another thing than this field.
            schema.pop("description", None)
        if (
            direction == "request"
            and isinstance(field, serializers.RelatedField)
            and field.allow_null
            and isinstance(schema, dict)
        ):
            schema.pop("minLength", None)  # DRF reads "" as null for a relation
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and field.trim_whitespace
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and not {"pattern", "format"} & set(schema)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NOT_BLANK  # DRF trims whitespace: all-blank is blank
        if (
            direction == "request"
            and isinstance(schema, dict)
            and schema.get("format") == "uri"
            and schema.get("type") == "string"
        ):
            # events.validation.validate_web_url: http(s) to a named host with a top-level
            # domain, no quotes, angle brackets, backticks, backslashes or white space.
            label = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
            host = rf"(?:{label}\.)+[a-zA-Z]{{2,63}}"
            web = rf"https?://{host}(?::[0-9]{{1,5}})?(?:/[^\s\"'<>`\\]*)?"
            blank = getattr(field, "allow_blank", False)
            schema["pattern"] = rf"^(?:{web})?$" if blank else rf"^{web}$"
        if (
            isinstance(field, serializers.ListSerializer)
            and getattr(field, "min_length", None)
            and isinstance(schema, dict)
            and schema.get("type") == "array"
        ):
            schema["minItems"] = field.min_length  # drf-spectacular drops a nested list's
        if isinstance(field, serializers.DecimalField) and isinstance(schema, dict):
            pattern = _decimal_pattern(field)
            if pattern and "pattern" in schema:
                schema["pattern"] = pattern
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        view = self.view
        # A list nested under an object (`communities/{slug}/delivery/`) is still a list.
        nested_list = "{" in self.path and getattr(view, "action", None) == "list"
        is_detail = "{" in self.path and not nested_list
        extra: dict[str, OpenApiResponse] = {}
        # DRF answers 404 to an unknown `?format=` (every operation takes one).
        extra["404"] = _error(
            "Not found (or an unknown `format`)." if is_detail else "Unknown `format`."
        )
        if method in ("GET", "HEAD"):
            takes_query = (not is_detail and getattr(view, "filterset_class", None)) or getattr(
                view, "action", None
            ) in getattr(view, "query_param_actions", ())
            paginated = not is_detail and getattr(view, "pagination_class", None)
            if takes_query or paginated:  # filters, or `page_size` not a positive integer
                extra["400"] = FIELD_ERRORS
            if paginated:
                extra["404"] = _error(
                    "Not found, a page past the end (`page`), or an unknown `format`."
                    if nested_list
                    else "A page past the end (`page`), or an unknown `format`."
                )
            extra["429"] = _error("Too many requests (anonymous clients are throttled).")
            extra["401"] = _error("Credentials refused: " + REFUSED_CREDENTIALS)
        else:
            extra["400"] = FIELD_ERRORS
            extra["401"] = _error(
                "Not signed in (send a session cookie or a token), or credentials refused: "
                + REFUSED_CREDENTIALS
            )
            extra["403"] = _error("Signed in, but not allowed to do this.")
            # True (every write) or the actions that check If-Match.
            honours = getattr(view, "honours_if_match", False)
            if honours is not True:
                honours = getattr(view, "action", None) in (honours or ())
            if honours and method in ("PATCH", "PUT", "POST", "DELETE"):
                extra["412"] = _error("If-Match does not match the current ETag.")
            if getattr(self.view, "action", None) in getattr(view, "conflict_actions", ()):
                extra["409"] = _error("Not allowed from the current state.")
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def get_response_serializers(self):
        """A conditional write answers with the read representation (``respond``), whatever
        serializer took the body: document that one (explicit ``extend_schema`` still wins,
        as it overrides this method)."""
        if isinstance(self.view, ConditionalMixin) and getattr(self.view, "action", None) in (
            "create",
            "partial_update",
        ):
            serializer_class = getattr(self.view, "serializer_class", None)
            if serializer_class is not None:
                return serializer_class
        return super().get_response_serializers()


_PARAMETER = re.compile(r"\{(\w+)\}")


def _add_link(source: dict, codes: tuple[str, ...], target: tuple[str, dict], value) -> None:
    """Link the `codes` responses of `source` to `target` (path, operation); `value(name)`
    is the runtime expression for each of the target's path parameters."""
    target_path, operation = target
    parameters = {name: value(name) for name in _PARAMETER.findall(target_path)}
    for code in codes:
        response = source["responses"].get(code)
        if response is None or "$ref" in response:
            continue
        response.setdefault("links", {})[operation["operationId"].removeprefix("v1_")] = {
            "operationId": operation["operationId"],
            "parameters": parameters,
        }


def _link_created(path: str, operation: dict, operations: list) -> None:
    """A POST on a collection links its 201 (or 200, an upsert) to the operations on the
    object it made: `<path>{param}/…`, `param` read from the response body, any enclosing
    parameter from the request's path."""
    own = _PARAMETER.findall(path)
    codes = ("201", "200") if "201" in operation["responses"] else ()
    for target_path, target in operations:
        match = _PARAMETER.match(target_path[len(path) :]) if target_path.startswith(path) else None
        if match is None or set(_PARAMETER.findall(target_path)) != {*own, match[1]}:
            continue  # not this collection's object, or an object nested in it
        _add_link(
            operation,
            codes,
            (target_path, target),
            lambda name, param=match[1]: (
                f"$response.body#/{name}" if name == param else f"$request.path.{name}"
            ),
        )


def _link_changed(path: str, operation: dict, operations: list) -> None:
    """A write on an object (PATCH, an action) links to the other operations on the same
    object (the path up to its last parameter), with the parameters of its own path."""
    own = set(_PARAMETER.findall(path))
    prefix = path[: path.rindex("}/") + 2]
    for target_path, target in operations:
        if (
            target is not operation
            and target_path.startswith(prefix)
            and set(_PARAMETER.findall(target_path)) == own  # not an object nested in it
        ):
            _add_link(
                operation, ("200", "201"), (target_path, target), lambda n: f"$request.path.{n}"
            )


def add_links(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: OpenAPI `links` from each response that names an object to the
    operations on that object, so a client (or schemathesis' stateful phase) can follow
    them: register a product → read, change, check its compliance, record a use; open a
    request → read, change, submit, review, approve; and so on.

    Derived from the paths, so a new resource gets its links without a table to keep up:
    a POST on a collection (`/products/`, `/products/{slug}/uses/`) links to every
    operation under `<collection>{param}/` (`_link_created`: the detail routes are named
    after a field of the representation, `slug`, `id`, `stakeholder`), and a write on an
    object links to the other operations on it (`_link_changed`), so transitions chain
    (submit → start_review → approve).
    """
    operations = [
        (path, operation)
        for path, methods in result.get("paths", {}).items()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if method == "post" and not path.endswith("}/"):
                _link_created(path, operation, operations)
            if method in ("post", "patch") and "{" in path:
                _link_changed(path, operation, operations)
    return result


def _share(value, shape: dict, ref: dict):
    """`value` with every sub-schema equal to `shape` replaced by `ref`; whether any was."""
    if value == shape:
        return ref, True
    found = False
    if isinstance(value, dict):
        for key, item in value.items():
            value[key], hit = _share(item, shape, ref)
            found |= hit
    elif isinstance(value, list):
        for n, item in enumerate(value):
            value[n], hit = _share(item, shape, ref)
            found |= hit
    return value, found


def share_components(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: shapes that every operation repeats are components, so a client
    generator makes one type of each instead of one per operation: `FieldErrors` (the body
    of a 400 with field-level messages) and `FormatEnum` (the `format` query parameter)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for media in response.get("content", {}).values():
                    ref = {"$ref": "#/components/schemas/FieldErrors"}
                    media["schema"], found = _share(media.get("schema"), FIELD_ERRORS_SCHEMA, ref)
                    if found:
                        schemas["FieldErrors"] = copy.deepcopy(FIELD_ERRORS_SCHEMA)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "format":
                    schemas["FormatEnum"] = parameter["schema"]
                    parameter["schema"] = {"$ref": "#/components/schemas/FormatEnum"}
    return result
