"""The API's renderers: JSON through orjson, and `?format=csv`.

CSV: a header row and one row per item. The header is fixed per endpoint: read from the
serializer's fields, never from the rows, so every page (an empty one too) has the same
columns in the same order. A nested object becomes dotted columns, one per declared
field (`provenance.sponsorship`, `governance.quorum`); lists of plain values are joined
with `;`; lists of objects become `key=value,key=value` items joined with `;`; an object
keyed by data (a product's `compliance`, keyed by policy-set slug) is one column of
`key:status` pairs joined with `;` in key order (`e4s:compliant;xsdk:partial`); free-form
JSON (`facts`, an event's `data`) is one column of JSON text.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import orjson
from drf_spectacular.drainage import get_override
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# Datetimes go through DRF's encoder (its format, not orjson's); keys may be numbers, as
# the standard library allows.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class FastJSONRenderer(JSONRenderer):
    """JSON as DRF's renderer writes it (compact, UTF-8, the same types: DRF's encoder
    handles what orjson does not, such as Decimal and lazy strings), several times faster
    on large lists. A client asking for ``indent`` gets DRF's own indented output."""

    _encoder = JSONEncoder()

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(data, default=self._encoder.default, option=_OPTIONS)


# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# carriage return, as the start of one), so an exported name like '=HYPERLINK(...)' would
# run when the file is opened. Such a cell gets a leading quote (OWASP's advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """A CSV cell made safe to open in a spreadsheet; numbers and ordinary text unchanged.

    A lone sign ('-', '+') is no formula and stays as it is.
    """
    if isinstance(value, str) and len(value) > 1 and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_item(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _item(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={_cell(v)}" for k, v in value.items() if not isinstance(v, list))
    return _cell(value)


def _flatten(row: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and key != "data":
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = _cell(value)
        else:
            out[name] = neutralise_cell(_cell(value))
    return out


# Column kinds: a value (one cell), and an object keyed by data (`key:status` pairs).
VALUE, KEYED = "value", "keyed"


def _declared_shape(field: serializers.Field):
    """What a field sends, as declared: a method field by its `extend_schema_field`."""
    if isinstance(field, serializers.SerializerMethodField):
        method = getattr(type(field.parent), field.method_name, None)
        shape = get_override(method, "field") if method is not None else None
        if isinstance(shape, type) and issubclass(shape, serializers.Field):
            shape = shape()
        return shape
    return field


def csv_columns(serializer: serializers.Serializer, prefix: tuple[str, ...] = ()) -> list:
    """The CSV columns of a serializer's representation: (path of keys, kind)."""
    columns: list[tuple[tuple[str, ...], str]] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        path = (*prefix, name)
        shape = _declared_shape(field)
        if isinstance(shape, serializers.Serializer):  # a nested object (not a list)
            columns.extend(csv_columns(shape, path))
        elif isinstance(shape, dict) and "additionalProperties" in shape:
            columns.append((path, KEYED))
        else:
            columns.append((path, VALUE))
    return columns


def _at(row: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        row = row.get(key) if isinstance(row, dict) else None
    return row


def _keyed(value: Any) -> str:
    if not isinstance(value, dict):
        return _cell(value)
    return ";".join(
        f"{key}:{_cell(item.get('status') if isinstance(item, dict) else item)}"
        for key, item in sorted(value.items())
    )


def _fixed_row(row: Any, columns: list) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, kind in columns:
        value = _at(row, path)
        cell = _keyed(value) if kind == KEYED else _cell(value)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        out[".".join(path)] = cell if numeric else neutralise_cell(cell)
    return out


def _view_columns(renderer_context: dict | None) -> list | None:
    """The fixed columns of a list or detail answer; None for anything else (an action's
    own payload, an error), whose header comes from the rows."""
    context = renderer_context or {}
    view, response = context.get("view"), context.get("response")
    if view is None or response is None or response.status_code >= 400:
        return None
    if getattr(view, "action", None) not in ("list", "retrieve"):
        return None
    get_serializer = getattr(view, "get_serializer", None)
    if get_serializer is None:
        return None
    return csv_columns(get_serializer())


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [data]
        columns = _view_columns(renderer_context)
        if columns is not None:
            header = [".".join(path) for path, _ in columns]
            flat = [_fixed_row(r, columns) for r in rows]
        else:
            flat = [
                _flatten(r) if isinstance(r, dict) else {"value": neutralise_cell(_cell(r))}
                for r in rows
            ]
            header = []
            for row in flat:
                for key in row:
                    if key not in header:
                        header.append(key)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(flat)
        response = renderer_context.get("response") if renderer_context else None
        view = renderer_context.get("view") if renderer_context else None
        if response is not None and view is not None and response.status_code < 400:
            name = getattr(view, "basename", None) or "export"
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return buffer.getvalue().encode(self.charset)
