"""A spoke's compliance over time (``products.compliance_history``) as inline SVG.

Stacked bars, one a month: compliant at the bottom, then partial, noncompliant and
unknown — the order and the colours of the spoke cards' bar on the home page. Each status
also has its own hatching (none, diagonal, crossed, dotted) and each segment tall enough
carries its count, so the chart reads without colour and prints in black and white. The
picture has a ``<title>`` and a ``<desc>`` that says what it shows in a sentence; the page
gives the numbers in a table beside it. Colours come from the page's style sheet (classes,
``currentColor``): the chart follows the light and dark schemes.

Two layouts: ``wide`` (columns, months left to right) and ``narrow`` (rows, months top to
bottom, for phones); the style sheet shows the one that fits.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from products.compliance import Status
from products.compliance_history import Month, Trend

LABELS = {
    Status.COMPLIANT: "compliant",
    Status.PARTIAL: "partial",
    Status.NONCOMPLIANT: "noncompliant",
    Status.UNKNOWN: "unknown (not assessed)",
}
# Bottom to top (wide), left to right (narrow).
ORDER = (Status.COMPLIANT, Status.PARTIAL, Status.NONCOMPLIANT, Status.UNKNOWN)
MIN_COUNT_SPACE = 14  # px a segment needs to carry its count

FONT = '<g font-family="system-ui, sans-serif" font-size="12" fill="currentColor">'


def _patterns(ident: str) -> str:
    """The hatching of each status (compliant is plain)."""
    lines = {
        Status.PARTIAL: '<line x1="0" y1="8" x2="8" y2="0"/>',
        Status.NONCOMPLIANT: (
            '<line x1="0" y1="8" x2="8" y2="0"/><line x1="0" y1="0" x2="8" y2="8"/>'
        ),
        Status.UNKNOWN: '<line x1="3" y1="4" x2="5" y2="4" stroke-width="2"/>',
    }
    return "".join(
        f'<pattern id="{ident}-{status}" class="hatch hatch-{status}" width="8" height="8" '
        f'patternUnits="userSpaceOnUse"><g stroke="currentColor" stroke-width="1.2">'
        f"{body}</g></pattern>"
        for status, body in lines.items()
    )


def _segment(
    ident: str, month: Month, status: str, x: float, y: float, w: float, h: float, count_at
) -> str:
    n = month.counts.get(status, 0)
    tip = f"{month.label}: {n} of {month.total} {LABELS[status]}"
    parts = [
        f'<g class="seg seg-{status}"><title>{escape(tip)}</title>',
        f'<rect class="seg-fill" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
        'fill="currentColor"/>',
    ]
    if status != Status.COMPLIANT:
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="url(#{ident}-{status})"/>'
        )
    if count_at is not None:
        cx, cy = count_at
        parts.append(
            f'<text class="seg-count" x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle">{n}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _step(top: int) -> int:
    """A round tick step giving at most five ticks up to ``top``."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 5:
            return step
    return max(1, top // 5)


def describe(trend: Trend) -> str:
    """One sentence for screen readers: the span, then and now."""
    months = trend.months
    first, last = months[0], months[-1]
    now = ", ".join(f"{last.counts.get(s, 0)} {LABELS[s]}" for s in ORDER)
    span = (
        f"From {first.label} to {last.label}"
        if len(months) > 1
        else f"In {last.label}, the only month the history covers"
    )
    change = ""
    if len(months) > 1:
        change = (
            f"; compliant members went from {first.counts.get(Status.COMPLIANT, 0)} of "
            f"{first.total} to {last.counts.get(Status.COMPLIANT, 0)} of {last.total}"
        )
    as_of = f" (to {last.as_of.isoformat()})" if last.current else ""
    return (
        f"{span}{as_of}{change}. Active members of {trend.community.name} against "
        f"{trend.policy_set}{' (the hub default)' if trend.hub_default else ''} at the end "
        f"of {last.label if not last.current else 'the latest month, so far'}: {now}. "
        f"The table below gives every month."
    )


def _open(trend: Trend, ident: str, layout: str, width: float, height: float) -> list[str]:
    title = f"Compliance of {trend.community.name}'s active members, month by month"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="picture trend trend-{layout}" '
        f'role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(describe(trend))}</desc>',
        f"<defs>{_patterns(ident)}</defs>",
        FONT,
    ]


def render_wide(trend: Trend, ident: str = "trw") -> str:
    """Months left to right, members up the side."""
    months = trend.months
    slot, bar, left, top, plot = 62, 40, 58, 30, 220
    width = left + slot * len(months) + 12
    height = top + plot + 46
    peak = max((m.total for m in months), default=0) or 1
    step = _step(peak)
    ceiling = -(-peak // step) * step
    scale = plot / ceiling
    base = top + plot
    parts = _open(trend, ident, "wide", width, height)
    for tick in range(0, ceiling + 1, step):
        y = base - tick * scale
        parts.append(
            f'<line class="trend-grid" x1="{left}" y1="{y:.1f}" x2="{width - 6}" y2="{y:.1f}" '
            'stroke="currentColor" stroke-opacity=".25"/>'
            f'<text class="trend-axis" x="{left - 8}" y="{y + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    parts.append(f'<text class="trend-axis" x="4" y="{top - 12}" font-size="11">members</text>')
    for i, month in enumerate(months):
        x = left + i * slot + (slot - bar) / 2
        y = base
        for status in ORDER:
            n = month.counts.get(status, 0)
            if not n:
                continue
            h = n * scale
            y -= h
            count_at = (x + bar / 2, y + h / 2 + 4) if h >= MIN_COUNT_SPACE else None
            parts.append(_segment(ident, month, status, x, y, bar, h, count_at))
        label_x = x + bar / 2
        current = " trend-current" if month.current else ""
        parts.append(
            f'<text class="trend-label{current}" x="{label_x:.1f}" y="{base + 18}" '
            f'text-anchor="middle">{escape(month.label)}</text>'
        )
        if month.current:
            parts.append(
                f'<text class="trend-label" x="{label_x:.1f}" y="{base + 34}" '
                'text-anchor="middle" font-size="11">to date</text>'
            )
        parts.append(
            f'<text class="trend-axis" x="{label_x:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
            f'font-size="11">{month.total}</text>'
        )
    parts.append(
        f'<line class="trend-baseline" x1="{left}" y1="{base}" x2="{width - 6}" y2="{base}" '
        'stroke="currentColor"/>'
    )
    parts.append("</g></svg>")
    return "".join(parts)


def render_narrow(trend: Trend, ident: str = "trn") -> str:
    """Months top to bottom, members across."""
    months = trend.months
    row, bar, left, right = 30, 22, 70, 30
    width = 340
    plot = width - left - right
    height = len(months) * row + 8
    peak = max((m.total for m in months), default=0) or 1
    scale = plot / peak
    parts = _open(trend, ident, "narrow", width, height)
    for i, month in enumerate(months):
        y = 4 + i * row
        x = left
        for status in ORDER:
            n = month.counts.get(status, 0)
            if not n:
                continue
            w = n * scale
            count_at = (x + w / 2, y + bar / 2 + 4) if w >= MIN_COUNT_SPACE + 4 else None
            parts.append(_segment(ident, month, status, x, y, w, bar, count_at))
            x += w
        current = " trend-current" if month.current else ""
        label = month.label + ("*" if month.current else "")
        parts.append(
            f'<text class="trend-label{current}" x="{left - 8}" y="{y + bar / 2 + 4}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<text class="trend-axis" x="{x + 5:.1f}" y="{y + bar / 2 + 4}" font-size="11">'
            f"{month.total}</text>"
        )
    parts.append(
        f'<line class="trend-baseline" x1="{left}" y1="0" x2="{left}" y2="{height - 4}" '
        'stroke="currentColor"/>'
    )
    parts.append("</g></svg>")
    return "".join(parts)


def render_keys(ident: str = "trk") -> list[tuple[str, str, str]]:
    """(status, label, a small SVG swatch) for the legend, each swatch with the status's
    colour class and hatching (its own pattern ids: a hidden chart's do not paint)."""
    out = []
    for status in ORDER:
        own = f"{ident}-{status}"
        hatch = (
            f'<rect width="22" height="14" fill="url(#{own}-{status})"/>'
            if status != Status.COMPLIANT
            else ""
        )
        svg = (
            f'<svg class="picture-key trend key-{status}" width="22" height="14" '
            f'viewBox="0 0 22 14" aria-hidden="true" focusable="false">'
            f"<defs>{_patterns(own)}</defs>"
            f'<rect class="seg-fill" width="22" height="14" fill="currentColor"/>{hatch}'
            '<rect width="22" height="14" fill="none" stroke="currentColor" '
            'stroke-opacity=".6"/></svg>'
        )
        out.append((status, LABELS[status], svg))
    return out
