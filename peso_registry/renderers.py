"""The API's renderers: JSON through orjson, and `?format=csv`.

CSV: a header row and one row per item. Nested objects become dotted columns
(`compliance.xsdk.status`); lists of plain values are joined with `;`; lists of objects
become `key=value,key=value` items joined with `;`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import orjson
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
        flat = [
            _flatten(r) if isinstance(r, dict) else {"value": neutralise_cell(_cell(r))}
            for r in rows
        ]
        header: list[str] = []
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
