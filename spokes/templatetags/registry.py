"""Template helpers for the registry's pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.utils.safestring import mark_safe

from peso_registry.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown rendered and sanitised with nh3 (safe to output as-is)."""
    return mark_safe(render_markdown(text))


def _query(context, key: str, value) -> str:
    # The request's parameters read once per request (a catalog page writes over a
    # hundred links from them), as QueryDict.urlencode() writes them.
    request = context["request"]
    base = getattr(request, "_query_params", None)
    if base is None:
        base = request._query_params = {
            name: values for name, values in request.GET.lists() if name != "export"
        }
    params = dict(base)
    if key != "page":
        # A new search or facet never lands on a page that no longer exists.
        params.pop("page", None)
    if value is None or value == "":
        params.pop(key, None)
    else:
        params[key] = [str(value)]
    encoded = "&".join(urlencode({name: v}) for name, values in params.items() for v in values)
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def set_param(context, key: str, value) -> str:
    """The current query string with ``key`` set to ``value`` (the rest kept)."""
    return _query(context, key, value)


@register.simple_tag(takes_context=True)
def remove_param(context, key: str) -> str:
    """The current query string without ``key``."""
    return _query(context, key, None)


@register.filter
def split(text: str) -> list[str]:
    return text.split()


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def verb_label(verb: str) -> str:
    """``assessment_changed`` → ``Assessment changed``."""
    return (verb or "").replace("_", " ").capitalize()


@register.filter
def event_detail(event) -> str:
    """A short human reading of an event's data (what changed)."""
    data = event.data or {}
    if not isinstance(data, dict):
        return ""
    if "policy" in data and ("to" in data or "status" in data):
        before = data.get("from") or data.get("previous") or "unknown"
        after = data.get("to") or data.get("status")
        ps = data.get("policy_set", "")
        return f"{ps} {data['policy']}: {before} → {after}".strip()
    if "release" in data:  # the hub's releases: which one, and what changed
        fields = data.get("fields")
        changed = ", ".join(str(f) for f in fields) if isinstance(fields, list) else ""
        return f"{data['release']}: changed {changed}" if changed else str(data["release"])
    if "added" in data or "removed" in data:
        parts = [f"+{s}" for s in data.get("added") or []]
        parts += [f"-{s}" for s in data.get("removed") or []]
        return " ".join(parts)
    if "fields" in data and isinstance(data["fields"], list):
        return "changed " + ", ".join(str(f) for f in data["fields"])
    if data.get("rationale"):
        return str(data["rationale"])[:120]
    return ""
