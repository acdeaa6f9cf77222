"""The API's JSON parser: DRF's, bounded in nesting depth before decoding.

``json.loads`` recurses once per nested array or object, so a body nested 100,000 deep
would end in a RecursionError (a 500). This parser counts the nesting in one linear pass
over the text (``products.importers.locate.too_deep_at``, the same scan the catalog files
get) and answers 400 "nesting too deep" before the decoder runs. The body's size is
already capped by Django (``DATA_UPLOAD_MAX_MEMORY_SIZE``: DRF reads it as
``request.body``).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

from products.importers.locate import MAX_DEPTH, too_deep_at


def _line_column(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class BoundedJSONParser(JSONParser):
    """JSONParser refusing more than MAX_DEPTH levels of nesting before decoding."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - not {encoding} text ({exc})") from None
        deep = too_deep_at(text, self.max_depth)
        if deep is not None:
            line, column = _line_column(text, deep)
            raise ParseError(
                f"JSON parse error - nesting too deep (more than {self.max_depth} levels) "
                f"at line {line} column {column}"
            )
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nesting too deep") from None
