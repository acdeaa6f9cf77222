"""Positions from the YAML and JSON parsers, and the progress reporter."""

from __future__ import annotations

import io

import pytest

from products.importers.errors import ImportError_
from products.importers.locate import parse
from products.importers.progress import Progress


def test_yaml_values_remember_their_line_and_column():
    root = parse("format: x\nproducts:\n- slug: a\n  name:   A\n", "f.yaml")
    product = root["products"][0]
    assert root["products"].item_mark(0) == (3, 3)
    assert product.key_mark("name") == (4, 3)
    assert product.value_mark("name") == (4, 11)


def test_json_values_remember_their_line_and_column():
    text = '{\n  "products": [\n    {"slug": "a", "name": "\\u00c5ngstr\\u00f6m"}\n  ]\n}\n'
    root = parse(text, "f.json")
    product = root["products"][0]
    assert product["name"] == "Ångström"
    assert product.key_mark("name") == (3, 19)
    assert product.value_mark("name") == (3, 27)
    assert root["products"].item_mark(0) == (3, 5)


def test_json_numbers_literals_and_nesting_match_the_standard_library():
    import json

    text = '{"a": [1, -2.5, 3e2, true, false, null, {"b": []}, {}], "c": "x\\"y"}'
    assert parse(text, "f.json") == json.loads(text)


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ('{"a": 1, "a": 2}', "f.json", "f.json:1:10: duplicate key 'a'"),
        ("a: 1\nb:\n  c: 2\n  c: 3\n", "f.yaml", "f.yaml:4:3: duplicate key 'c'"),
        ('{"a": [1, 2}', "f.json", "f.json:1:12: invalid JSON"),
        ("a: 'unclosed\n", "f.yaml", "f.yaml:2:1: invalid YAML"),
        ("a: !!python/object:os.system {}\n", "f.yaml", "f.yaml:1:4: unsupported YAML tag"),
    ],
)
def test_parser_errors_name_the_position(text, name, expected):
    with pytest.raises(ImportError_) as excinfo:
        parse(text, name)
    assert str(excinfo.value).startswith(expected)


def test_the_format_is_guessed_from_the_content_without_an_extension():
    assert parse('{"a": 1}', "upload") == {"a": 1}
    assert parse("a: 1\n", "upload") == {"a": 1}


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_in_place_on_a_terminal():
    stream = FakeTTY()
    progress = Progress(stream)
    progress.start("products", 3)
    for _ in range(3):
        progress.advance()
    progress.finish()
    assert "\rproducts 3/3" in stream.getvalue()
    assert stream.getvalue().endswith("\n")
    assert "\n" not in stream.getvalue()[:-1]


def test_progress_writes_a_line_every_n_rows_to_a_pipe():
    stream = io.StringIO()
    progress = Progress(stream, every=1000)
    progress.start("products", 2500)
    for _ in range(2500):
        progress.advance()
    progress.finish()
    assert stream.getvalue().splitlines() == [
        "products 1000/2500",
        "products 2000/2500",
        "products 2500/2500",
    ]


def test_a_silent_progress_writes_nothing(capfd):
    # capfd watches file descriptors 1 and 2, so a write to any stream that ends there
    # (sys.stdout, sys.stderr, or the originals behind a capture) is seen.
    progress = Progress.silent()
    progress.start("x", 10)
    for _ in range(10):
        progress.advance()
    progress.advance(1000)
    progress.finish()
    assert capfd.readouterr() == ("", "")
