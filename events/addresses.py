"""The address of a page named by a slug, without resolving the URL map each time.

Pages list hundreds of links to products, communities and policy sets (the community
page's heatmap and member list, the home page's cards, the catalog); ``reverse()`` walks
the URL map for each one. A URL is the same text around whatever slug it names, so the
text around a marked slug is learnt once per view, script prefix and URL map (a test that
swaps the map gets a fresh one) and every other slug put between.
"""

from __future__ import annotations

import re

from django.urls import get_resolver, get_script_prefix, get_urlconf, reverse

# What the `slug` path converter accepts; anything else goes through reverse() (and its
# NoReverseMatch).
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_MARK = "0-slug-mark-5e1f-0"
_learnt: dict[tuple, tuple[object, str, str]] = {}


def slug_url(view_name: str, slug: str) -> str:
    """``reverse(view_name, kwargs={"slug": slug})``, the same text."""
    if not _SLUG.fullmatch(slug):
        return reverse(view_name, kwargs={"slug": slug})
    urlconf = get_urlconf()
    resolver = get_resolver(urlconf)
    key = (view_name, urlconf, get_script_prefix())
    learnt = _learnt.get(key)
    if learnt is None or learnt[0] is not resolver:
        head, _, tail = reverse(view_name, kwargs={"slug": _MARK}).partition(_MARK)
        learnt = _learnt[key] = (resolver, head, tail)
    return learnt[1] + slug + learnt[2]
