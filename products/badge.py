"""The embeddable SVG compliance badge (a shields.io-style two-part label)."""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from products.compliance import Summary

# Background colours chosen for ≥4.5:1 contrast with white text.
COLOURS = {
    "compliant": "#1e6b34",
    "partial": "#8a4b00",
    "noncompliant": "#b3261e",
    "unknown": "#555555",
}
LABEL_COLOUR = "#333333"
CHAR_WIDTH = 6.6  # Verdana 11px, on average
PADDING = 10


def _width(text: str) -> int:
    return int(len(text) * CHAR_WIDTH + 2 * PADDING)


def badge_text(summary: Summary | None) -> tuple[str, str, str]:
    """(label, message, status) for a summary; no summary → unknown."""
    if summary is None:
        return "compliance", "unknown", "unknown"
    mandatory = summary.mandatory
    message = f"{summary.status} {mandatory.ok}/{mandatory.total}"
    return f"{summary.policy_set.slug} · mandatory", message, summary.status


def render_badge(summary: Summary | None) -> str:
    label, message, status = badge_text(summary)
    colour = COLOURS.get(status, COLOURS["unknown"])
    left, right = _width(label), _width(message)
    total = left + right
    title = f"{label}: {message}"
    if summary is not None:
        counts = ", ".join(f"{k} {v}" for k, v in summary.counts.items())
        title = f"{summary.policy_set} — {status}: {summary.reason} (assessed {counts})"
    label, message, title = escape(label), escape(message), escape(title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" '
        f'role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        f'<rect width="{left}" height="20" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" '
        'text-anchor="middle">'
        f'<text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{message}</text>'
        "</g></svg>"
    )


def etag_for(svg: str) -> str:
    return '"' + hashlib.sha256(svg.encode()).hexdigest()[:32] + '"'
