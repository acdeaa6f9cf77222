"""The one rule for a web address stored in any URL field (homepages, repositories,
documentation, websites, evidence and policy sources).

An address is shown as a link on pages, in feeds and in exports, so only ``http`` and
``https`` are accepted (never ``javascript:``, ``data:`` or ``ftp:``), and never one holding a
quote, an angle bracket, a backtick or white space, which could close the attribute or tag
it lands in. Every write path uses it: the models' URL fields (forms and API serializers
built from them), the plain serializers and forms, the services and the importers.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

WEB_URL_SCHEMES = ("http", "https")
_FORBIDDEN = frozenset("\"'<>`\\") | frozenset(" \t\r\n\f\v")
_url = URLValidator(schemes=list(WEB_URL_SCHEMES))

MESSAGE = "Enter a web address starting with http:// or https:// (no quotes, < or >)."


def web_url_problem(value: str) -> str | None:
    """Why ``value`` is not an acceptable web address, or None when it is (or is empty)."""
    if not value:
        return None
    if not isinstance(value, str):
        return MESSAGE
    if any(ch in _FORBIDDEN for ch in value):
        return MESSAGE
    try:
        _url(value)
    except ValidationError:
        return MESSAGE
    return None


def validate_web_url(value: str) -> None:
    """Field validator: raise ``ValidationError`` unless ``value`` is an http(s) address."""
    problem = web_url_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_web_url")


def check_web_urls(**values: str) -> None:
    """Raise one ``ValidationError`` naming every field whose value is not a web address."""
    errors = {
        name: [problem] for name, value in values.items() if (problem := web_url_problem(value))
    }
    if errors:
        raise ValidationError(errors)
