"""Bounded parsing in the readers and the import_catalog command: YAML aliases, deep
nesting in YAML and JSON catalog files, and the JSON nesting scan itself."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import CommandError, call_command

from products.importers.errors import ImportError_
from products.importers.locate import MAX_DEPTH, parse, too_deep_at
from products.models import Product
from tests.api.test_bounded_parsing import (
    ALIAS_BOMB,
    DEEP_JSON,
    DEEP_YAML,
    MERGE_BOMB,
    RECURSIVE_ALIAS,
)

QUICK = 5.0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "text", "line", "reason"),
    [
        ("bomb.yaml", ALIAS_BOMB, 3, "aliases"),
        ("merge.yaml", MERGE_BOMB, 4, "aliases"),
        ("loop.yaml", RECURSIVE_ALIAS, 3, "aliases"),
        ("deep.yaml", DEEP_YAML, 2, "nesting too deep"),
        ("deep.json", DEEP_JSON, 1, "nesting too deep"),
    ],
)
def test_import_catalog_refuses_with_file_and_line(tmp_path, name, text, line, reason):
    path = tmp_path / name
    path.write_text(text)
    start = time.monotonic()
    with pytest.raises(CommandError) as caught:
        call_command("import_catalog", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert time.monotonic() - start < QUICK
    message = str(caught.value)
    assert f"{path}:{line}:" in message
    assert reason in message
    assert not Product.objects.exists()


def test_an_alias_is_named_where_it_is_written():
    text = "a: &x [1]\nb: c\nd: *x\n"
    with pytest.raises(ImportError_) as caught:
        parse(text, "f.yaml")
    error = caught.value.errors[0]
    assert (error.line, error.column) == (3, 4)


def test_an_anchor_without_an_alias_is_fine():
    assert parse("a: &x [1]\n", "f.yaml") == {"a": [1]}


def test_nesting_up_to_the_limit_is_read():
    depth = MAX_DEPTH
    assert parse("[" * depth + "]" * depth, "f.json") == parse("[" * depth + "]" * depth, "f.yaml")
    with pytest.raises(ImportError_, match="nesting too deep"):
        parse("[" * (depth + 1) + "]" * (depth + 1), "f.json")
    with pytest.raises(ImportError_, match="nesting too deep"):
        parse("[" * (depth + 1) + "]" * (depth + 1), "f.yaml")


def test_the_json_scan_skips_brackets_inside_strings():
    assert too_deep_at('["[[[[", "\\"[[["]', limit=1) is None
    assert too_deep_at("[[1]]", limit=1) == 1


def test_the_json_scan_is_linear_on_unterminated_strings():
    start = time.monotonic()
    assert too_deep_at('"\\"' * 100_000) is None
    assert time.monotonic() - start < QUICK
