"""Markdown → sanitised HTML.

Charters and descriptions are written by community leads and product teams; the rendered
HTML goes through nh3 (Rust's ammonia) with a short allow-list, so a ``<script>``, an event
handler attribute or a ``javascript:`` link never reaches a page.
"""

from __future__ import annotations

import re

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}


_HEADING = re.compile(r"<(/?)h([1-6])\b")


def render_markdown(text: str, *, heading_offset: int = 1) -> str:
    """Render Markdown and return HTML safe to mark safe.

    Headings move down ``heading_offset`` levels so that a document's own ``#`` titles
    sit under the page's ``<h1>``/section heading instead of competing with them.
    """
    if not text:
        return ""
    html = md.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    if heading_offset:
        html = _HEADING.sub(lambda m: f"<{m[1]}h{min(6, int(m[2]) + heading_offset)}", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
