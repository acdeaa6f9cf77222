"""One field's value checked against its kind in the schema, and normalised.

``check_value(name, spec, value)`` gives ``(value, None)`` or ``(None, reason)``; the reason
names the field and says what was expected. One small checker per kind of field.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from events.validation import web_url_problem
from products.importers.catalog.schema import F

Checked = tuple[Any, str | None]

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_email = EmailValidator()


def check_value(name: str, spec: F, value: Any) -> Checked:
    """Return (normalised value, None) or (None, reason)."""
    if value is None:
        return _check_null(name, spec)
    return _CHECKERS[spec.kind](name, spec, value)


def type_name(value: Any) -> str:
    """How an error message calls the type of a parsed value ('a string', 'null' ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.datetime):
        return "a date-time"
    if isinstance(value, datetime.date):
        return "a date"
    return type(value).__name__


# An optional field left null stands for its empty value (a fresh one each time).
_EMPTY: dict[str, Callable[[], Any]] = {
    **dict.fromkeys(("str", "text", "url", "email", "choice"), str),
    **dict.fromkeys(("date", "datetime", "ref"), lambda: None),
    "strlist": list,
    "mapping": dict,
}


def _check_null(name: str, spec: F) -> Checked:
    if spec.required:
        return None, f"'{name}' must not be empty"
    if spec.kind in _EMPTY:
        return _EMPTY[spec.kind](), None
    return None, f"'{name}' must be {_expected(spec)}, not null"


def _expected(spec: F) -> str:
    return {"bool": "true or false", "int": "a whole number", "records": "a list"}.get(
        spec.kind, "a value"
    )


# --- strings: str, text, slug, url, email, choice, ref --------------------------------------


def _check_string(name: str, spec: F, value: Any) -> Checked:
    if not isinstance(value, str):
        hint = " (quote it)" if isinstance(value, int | float | datetime.date) else ""
        return None, f"'{name}' must be a string, not {type_name(value)}{hint}"
    if spec.required and not value.strip():
        return None, f"'{name}' must not be empty"
    if spec.max_length and len(value) > spec.max_length:
        return None, f"'{name}' is longer than {spec.max_length} characters"
    rule = _STRING_RULES.get(spec.kind)
    reason = rule(name, spec, value) if rule else None
    return (None, reason) if reason else (value, None)


def _slug_rule(name: str, spec: F, value: str) -> str | None:
    if not _SLUG.match(value):
        return f"'{name}' {value!r} is not a slug (letters, digits, '-' and '_')"
    return None


def _url_rule(name: str, spec: F, value: str) -> str | None:
    if web_url_problem(value):
        return f"'{name}' {value!r} is not a valid URL (http:// or https://; no quotes, < or >)"
    return None


def _email_rule(name: str, spec: F, value: str) -> str | None:
    if value and not _passes(_email, value):
        return f"'{name}' {value!r} is not a valid email address"
    return None


def _passes(validator: Callable[[str], None], value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _choice_rule(name: str, spec: F, value: str) -> str | None:
    if value not in spec.choices:
        return f"'{name}' must be one of {', '.join(spec.choices)}, not {value!r}"
    return None


_STRING_RULES: dict[str, Callable[[str, F, str], str | None]] = {
    "slug": _slug_rule,
    "url": _url_rule,
    "email": _email_rule,
    "choice": _choice_rule,
}


# --- the other kinds ------------------------------------------------------------------------


def _check_bool(name: str, spec: F, value: Any) -> Checked:
    if not isinstance(value, bool):
        return None, f"'{name}' must be true or false, not {type_name(value)}"
    return value, None


def _check_int(name: str, spec: F, value: Any) -> Checked:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None, f"'{name}' must be a whole number ≥ 0, not {type_name(value)}"
    return value, None


def _check_date(name: str, spec: F, value: Any) -> Checked:
    if isinstance(value, datetime.datetime):
        return None, f"'{name}' must be a date (YYYY-MM-DD), not a date-time"
    if isinstance(value, datetime.date):
        return value, None
    if isinstance(value, str):
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
        if parsed:
            return parsed, None
    return None, f"'{name}' must be a date (YYYY-MM-DD), not {value!r}"


def _check_datetime(name: str, spec: F, value: Any) -> Checked:
    parsed = value if isinstance(value, datetime.datetime) else None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    if parsed is None:
        return None, f"'{name}' must be an ISO 8601 date-time, not {value!r}"
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed, None


def _check_strlist(name: str, spec: F, value: Any) -> Checked:
    if not isinstance(value, list):
        return None, f"'{name}' must be a list of strings, not {type_name(value)}"
    for item in value:
        if not isinstance(item, str) or not item.strip():
            return None, f"'{name}' must hold non-empty strings, not {type_name(item)}"
    return list(value), None


def _check_mapping(name: str, spec: F, value: Any) -> Checked:
    if not isinstance(value, dict):
        return None, f"'{name}' must be a mapping, not {type_name(value)}"
    if not _json_safe(value):
        return None, f"'{name}' must hold JSON values only (strings, numbers, lists ...)"
    return _plain(value), None


def _json_safe(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, list):
        return all(_json_safe(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_safe(v) for k, v in value.items())
    return False


def _plain(value: Any) -> Any:
    """LocDict/LocList → dict/list (for JSONField)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_CHECKERS: dict[str, Callable[[str, F, Any], Checked]] = {
    **dict.fromkeys(("str", "text", "slug", "url", "email", "choice", "ref"), _check_string),
    "bool": _check_bool,
    "int": _check_int,
    "date": _check_date,
    "datetime": _check_datetime,
    "strlist": _check_strlist,
    "mapping": _check_mapping,
}
