"""The templates name the site's pages through {% url %} and its files through {% static %}:
a link never spells out a path of this site, so moving a page cannot leave a dead link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

TEMPLATES = sorted(
    path for folder in settings.TEMPLATES[0]["DIRS"] for path in Path(folder).rglob("*.html")
)

# href="...", action='...', ... — a template tag inside the value may hold quotes of its own.
ATTRIBUTE = re.compile(
    r"""\b(href|action|src|srcset|formaction|poster)\s*=\s*"""
    r"""(?:"((?:\{%.*?%\}|\{\{.*?\}\}|[^"])*)"|'((?:\{%.*?%\}|\{\{.*?\}\}|[^'])*)')""",
    re.DOTALL,
)
# Tags that only choose between values: text after them starts a value afresh.
CONTROL_TAGS = {"if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith"}


def hard_coded_paths(source: str) -> list[str]:
    """Attribute values that start with a path of this site ("/x", not "//host" or "#")."""
    found = []
    for match in ATTRIBUTE.finditer(source):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        starts_value = True
        for token in Lexer(value).tokenize():
            if token.token_type == TokenType.TEXT:
                text = token.contents.lstrip()
                if starts_value and text.startswith("/") and not text.startswith("//"):
                    found.append(f"{match.group(1)}={value!r}")
                starts_value = False
            elif token.token_type == TokenType.BLOCK:
                starts_value = token.split_contents()[0] in CONTROL_TAGS
            elif token.token_type == TokenType.VAR:
                starts_value = False
    return found


def test_every_template_is_checked():
    names = {path.name for path in TEMPLATES}
    assert {"base.html", "catalog.html", "_pagination.html", "_field.html"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_templates_link_to_the_site_through_url_and_static(path):
    assert hard_coded_paths(path.read_text()) == []


@pytest.mark.parametrize(
    "snippet",
    [
        '<a href="/products/">',
        "<form action='/requests/new/'>",
        '<img src="/static/css/site.css">',
        '<a href="{% if x %}{{ x.get_absolute_url }}{% else %}/{% endif %}">',
        '<a href=" /events/?product={{ p.slug }}">',
    ],
)
def test_the_check_finds_a_hard_coded_path(snippet):
    assert hard_coded_paths(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<a href="#main">',
        '<a href="?page=2">',
        '<a href="https://example.org/path/">',
        '<a href="//cdn.example.org/x.js">',
        '<a href="mailto:a@example.org">',
        "<a href=\"{% url 'products:detail' p.slug %}?policy_set={{ s }}#row\">",
        "<link href=\"{% static 'css/site.css' %}\">",
        "<a href=\"{% set_param 'page' 2 %}#members-h\">",
        "<a href=\"{% if x %}{{ x.get_absolute_url }}{% else %}{% url 'home' %}{% endif %}\">",
    ],
)
def test_the_check_allows_anchors_external_urls_and_template_urls(snippet):
    assert hard_coded_paths(snippet) == []
