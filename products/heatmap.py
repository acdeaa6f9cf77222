"""The community page's members-by-policies heatmap, as inline SVG.

Each cell is coloured by status *and* carries a letter (colour is never the only cue) and a
``<title>`` naming product, policy (its code; the column's header names its title) and
status, shown as a tooltip. Rendered on the server: no extra request, no script.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from products.compliance import Summary
from products.models import Product

CELL = 32
LABEL_WIDTH = 170
HEADER_HEIGHT = 34


@dataclass(frozen=True)
class Style:
    label: str
    letter: str
    fill: str
    ink: str


# Fill/ink pairs keep the letter at ≥4.5:1 contrast. The legend repeats them as
# .swatch-<status> in static/css/site.css (no inline style: the page's CSP forbids it).
STYLES = {
    "full": Style("Full", "F", "#1e6b34", "#ffffff"),
    "partial": Style("Partial", "P", "#f2c14e", "#1a1a1a"),
    "none": Style("None", "N", "#b3261e", "#ffffff"),
    "na": Style("Not applicable", "\u2013", "#c9ced6", "#1a1a1a"),
    "unknown": Style("Unknown (not assessed)", "?", "#ffffff", "#1a1a1a"),
    "waived": Style("Waived (counts as met until it expires)", "W", "#2f5ea8", "#ffffff"),
}


def cell_key(item) -> str:
    """The style of a cell: the assessment's status, or *waived* while a waiver stands in."""
    return "waived" if item.outcome == "waived" else item.status


def render_heatmap(products: list[Product], summaries: dict[int, Summary], title: str) -> str:
    """SVG markup: one row per product, one column per effective policy.

    Each style's square and letter are drawn once, in ``<defs>``, and each cell is a
    ``<use>`` of its style with its tooltip; a row's cells share the row's offset. A page
    of 100 members against 40 policies is a few hundred kilobytes, not a megabyte.
    """
    if not products:
        return ""
    policies = summaries[products[0].pk].items
    width = LABEL_WIDTH + CELL * len(policies) + 2
    height = HEADER_HEIGHT + CELL * len(products) + 2
    parts = [
        # A group, not one image: it holds a link per product, which a screen reader
        # (and axe's nested-interactive rule) would otherwise lose inside the image.
        f'<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" role="group" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f"aria-label={quoteattr(title)}>",
        f"<title>{escape(title)}</title>",
        '<g font-family="system-ui, sans-serif" font-size="11" text-anchor="middle">',
        "<defs>",
        *(
            f'<g id="hm-{key}"><rect x="1" y="1" width="{CELL - 2}" height="{CELL - 2}" '
            f'fill="{style.fill}" stroke="#6b7280" stroke-width="1"/>'
            f'<text x="{CELL // 2}" y="{CELL // 2 + 4}" fill="{style.ink}">'
            f"{style.letter}</text></g>"
            for key, style in STYLES.items()
        ),
        "</defs>",
    ]
    for col, item in enumerate(policies):
        x = LABEL_WIDTH + col * CELL + CELL / 2
        policy = item.policy
        parts.append(
            f'<text x="{x}" y="{HEADER_HEIGHT - 8}" fill="#1a1a1a" font-size="10">'
            f"<title>{escape(policy.code)}: {escape(policy.title)} "
            f"({escape(policy.get_level_display().lower())})</title>{escape(policy.code)}</text>"
        )
    codes = [escape(item.policy.code) for item in policies]
    for row, product in enumerate(products):
        y = HEADER_HEIGHT + row * CELL
        name = escape(product.name)
        parts.append(
            f'<a href="{escape(product.get_absolute_url())}">'
            f'<text x="{LABEL_WIDTH - 8}" y="{y + CELL / 2 + 4}" text-anchor="end" '
            f'fill="#0b5394">{escape(_short(product.name))}</text></a>'
            f'<g transform="translate(0 {y})">'
        )
        for col, item in enumerate(summaries[product.pk].items):
            key = cell_key(item)
            parts.append(
                f'<use href="#hm-{key}" x="{LABEL_WIDTH + col * CELL}">'
                f"<title>{name} \u2014 {codes[col]}: {STYLES[key].label}</title></use>"
            )
        parts.append("</g>")
    parts.append("</g></svg>")
    return "".join(parts)


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
