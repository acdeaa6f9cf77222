"""Parse YAML or JSON into plain dicts and lists that remember where each value came from.

Validation errors must name the line and column of the offending value, so both parsers
return :class:`LocDict` / :class:`LocList` (subclasses of dict and list) that carry the
position of the container, of each key and of each value. A file the parser itself
rejects raises :class:`ImportError_` with the parser's own line and column.
"""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring

import yaml

from products.importers.errors import ImportError_

Mark = tuple[int, int]  # 1-based line, column

# Marks are stored packed into one int each (a large file has millions of them; a tuple of
# two ints costs three objects): a position is line << 32 | column, and a mapping entry
# packs the positions of its key and of its value into one int, the key's in the high bits.
_BITS = 32
_LOW = (1 << _BITS) - 1


def pack(mark: Mark) -> int:
    return mark[0] << _BITS | mark[1]


def unpack(packed: int) -> Mark:
    return (packed >> _BITS & _LOW, packed & _LOW)


def pack_entry(key: Mark, value: Mark) -> int:
    """The positions of a mapping's key and of its value, as one int."""
    return pack(key) << 2 * _BITS | pack(value)


def key_part(entry: int) -> Mark:
    return unpack(entry >> 2 * _BITS)


def value_part(entry: int) -> Mark:
    return unpack(entry)


# Deepest nesting of mappings and sequences a file may have. A catalog file needs about six
# levels; the cap keeps every walk over the parsed values far from Python's recursion limit.
MAX_DEPTH = 50


class LocDict(dict):
    """A mapping with ``mark`` (its own position) and, in ``entry_marks``, the position of
    each key and of its value (``pack_entry``): read them with key_mark and value_mark."""

    # Slots: a large file has hundreds of thousands of these.
    __slots__ = ("entry_marks", "mark")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mark: Mark = (1, 1)
        self.entry_marks: dict = {}

    def key_mark(self, key) -> Mark:
        entry = self.entry_marks.get(key)
        return self.mark if entry is None else key_part(entry)

    def value_mark(self, key) -> Mark:
        entry = self.entry_marks.get(key)
        return self.mark if entry is None else value_part(entry)


class LocList(list):
    """A sequence with ``mark`` and ``item_marks`` (one per item, packed: ``item_mark``)."""

    __slots__ = ("item_marks", "mark")

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.mark: Mark = (1, 1)
        self.item_marks: list[int] = []

    def item_mark(self, index: int) -> Mark:
        if 0 <= index < len(self.item_marks):
            return unpack(self.item_marks[index])
        return self.mark


def _yaml_mark(node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader (libyaml when available); ``_convert`` builds LocDict/LocList from its
    nodes, and a duplicate key is an error."""

    filename = "<input>"


_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"


def _convert(loader: _Loader, node, memo: dict):
    """Node → LocDict/LocList/scalar. Faster than the generic constructor, and it keeps
    marks; aliases share the converted object."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR:
            return node.value
        return loader.construct_object(node)
    known = memo.get(id(node))
    if known is not None:
        return known
    expected = _MAP if isinstance(node, yaml.MappingNode) else _SEQ
    if node.tag != expected:
        line, column = _yaml_mark(node)
        raise ImportError_(
            f"unsupported YAML tag {node.tag}", file=loader.filename, line=line, column=column
        )
    if expected == _MAP:
        return _convert_mapping(loader, node, memo)
    return _convert_sequence(loader, node, memo)


def _convert_mapping(loader: _Loader, node: yaml.MappingNode, memo: dict) -> LocDict:
    loader.flatten_mapping(node)
    result = LocDict()
    result.mark = _yaml_mark(node)
    memo[id(node)] = result
    for key_node, value_node in node.value:
        key = _convert(loader, key_node, memo)
        key_mark = _yaml_mark(key_node)
        try:
            hash(key)
        except TypeError:
            raise ImportError_(
                "a mapping key must be a plain value",
                file=loader.filename,
                line=key_mark[0],
                column=key_mark[1],
            ) from None
        if key in result:
            raise ImportError_(
                f"duplicate key {key!r}",
                file=loader.filename,
                line=key_mark[0],
                column=key_mark[1],
            )
        result[key] = _convert(loader, value_node, memo)
        result.entry_marks[key] = pack_entry(key_mark, _yaml_mark(value_node))
    return result


def _convert_sequence(loader: _Loader, node: yaml.SequenceNode, memo: dict) -> LocList:
    result = LocList()
    result.mark = _yaml_mark(node)
    memo[id(node)] = result
    for child in node.value:
        result.append(_convert(loader, child, memo))
        result.item_marks.append(pack(_yaml_mark(child)))
    return result


def _alias_error(text: str, filename: str) -> ImportError_:
    """The first alias of the text, found again from the parser's events (only when one
    was seen: the composer has already replaced aliases by the nodes they name)."""
    line, column = 1, 1
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            line, column = event.start_mark.line + 1, event.start_mark.column + 1
            break
    return ImportError_(
        "YAML aliases (*name) are not allowed in a catalog file; write the value out",
        file=filename,
        line=line,
        column=column,
    )


def _check_nodes(text: str, filename: str, root) -> None:
    """Refuse aliases and nesting deeper than MAX_DEPTH before anything walks the nodes.

    The composer shares one node between an anchor and its aliases, so an alias shows as a
    node met twice; a recursive alias as a node inside itself. Stopping at the first
    repeat keeps this linear in the text, whatever an alias bomb would expand to. It runs
    before merge keys (``<<``) are flattened, since flattening copies aliased mappings.
    """
    seen = {id(root)}
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if depth > MAX_DEPTH:
            line, column = _yaml_mark(node)
            raise ImportError_(
                f"nesting too deep (more than {MAX_DEPTH} levels)",
                file=filename,
                line=line,
                column=column,
            )
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = node.value
        for child in children:
            # Checked as each node is reached, so an alias is named before nesting is.
            if id(child) in seen:
                raise _alias_error(text, filename)
            seen.add(id(child))
            stack.append((child, depth + 1))


class _Unusual(Exception):
    """The streaming reader met something only the composing reader handles exactly."""


# Scalar tags the streaming reader constructs itself; any other tag goes the composed way.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")
)


def _stream_yaml(loader: _Loader):
    """Build LocDict/LocList straight from the parser's events, never holding the node tree.

    Composing the whole document first (``get_single_node``) keeps a node and two marks
    per scalar alive at once: most of the memory of a large file. This reads a well-formed
    file into exactly what composing and ``_convert`` make of it; anything else (an alias,
    a merge key, a tag of its own, nesting past MAX_DEPTH, a duplicate or non-plain key,
    a second document, a parser error) raises _Unusual or yaml.YAMLError, and the caller
    reads the file the composing way, which reports the problem as it always has.
    """
    loader.get_event()  # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # DocumentStart
    root = _EventReader(loader).document()
    loader.get_event()  # DocumentEnd
    if not loader.check_event(yaml.StreamEndEvent):
        raise _Unusual("a second document")
    return root


class _EventReader:
    """One document's events → LocDict/LocList/scalars (see _stream_yaml)."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.resolvers = loader.yaml_implicit_resolvers
        # One object per distinct string: keys, statuses and slugs repeat thousands of
        # times in a large file.
        self.strings: dict[str, str] = {}
        # The open containers, innermost last: [container, pending key, its packed mark].
        self.stack: list[list] = []

    def document(self):
        get_event, stack = self.loader.get_event, self.stack
        while True:
            event = get_event()
            cls = type(event)
            if cls is yaml.ScalarEvent:
                value = self.scalar(event)
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                value = self.container(event, mapping=cls is yaml.MappingStartEvent)
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                done = stack.pop()[0]
                if not stack:
                    return done
                continue
            else:  # an alias: refused, at its position, by the composing reader
                raise _Unusual(cls.__name__)
            start = event.start_mark
            mark = (start.line + 1) << _BITS | (start.column + 1)  # pack()
            if not stack:
                if not isinstance(value, LocDict | LocList):
                    return value  # a document of one scalar
            else:
                self.place(value, mark)
            if isinstance(value, LocDict | LocList):
                stack.append([value, None, None])

    def scalar(self, event: yaml.ScalarEvent):
        tag, value = event.tag, event.value
        if tag is None or tag == "!":
            # A quoted scalar, or a plain one whose first character no implicit resolver
            # claims, is a string: what resolve() answers, without the call.
            if not event.implicit[0] or (value and value[0] not in self.resolvers):
                tag = _STR
            else:
                tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
        if tag == _STR:
            return self.strings.setdefault(value, value)
        if tag not in _SCALAR_TAGS:
            raise _Unusual(tag)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        return self.loader.yaml_constructors[tag](self.loader, node)

    def container(self, event, *, mapping: bool) -> LocDict | LocList:
        if event.tag not in (None, "!", _MAP if mapping else _SEQ):
            raise _Unusual(event.tag)
        if len(self.stack) >= MAX_DEPTH:
            raise _Unusual("nesting")
        value = LocDict() if mapping else LocList()
        value.mark = (event.start_mark.line + 1, event.start_mark.column + 1)
        return value

    def place(self, value, mark: int) -> None:
        """Put value (read at the packed mark) into the innermost open container."""
        top = self.stack[-1]
        parent = top[0]
        if type(parent) is LocList:
            parent.append(value)
            parent.item_marks.append(mark)
        elif top[2] is None:  # a key
            if isinstance(value, LocDict | LocList) or value in parent:
                raise _Unusual("key")
            top[1], top[2] = value, mark
        else:
            key = top[1]
            parent[key] = value
            parent.entry_marks[key] = top[2] << 2 * _BITS | mark  # pack_entry()
            top[1] = top[2] = None


def parse_yaml(text: str, filename: str):
    loader = _Loader(text)
    try:
        return _stream_yaml(loader)
    except (_Unusual, yaml.YAMLError):
        pass  # read again the composed way, which names the problem
    finally:
        loader.dispose()
    loader = _Loader(text)
    loader.filename = filename
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(text, filename, node)
        return _convert(loader, node, {})
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = (
            "invalid YAML: " + " ".join(part for part in (exc.context, exc.problem) if part).strip()
        )
        raise ImportError_(
            reason,
            file=filename,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ImportError_(f"invalid YAML: {exc}", file=filename, line=1, column=1) from None
    finally:
        loader.dispose()


# --- JSON ----------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")


class _JsonWalker:
    """Re-reads text that json.loads already accepted, recording positions.

    json.loads runs first so that a malformed file gets the standard library's own message,
    line and column; this walker then only has to handle valid JSON.
    """

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def mark(self, index: int) -> Mark:
        line = bisect.bisect_right(self.line_starts, index)
        return (line, index - self.line_starts[line - 1] + 1)

    def skip(self, index: int) -> int:
        return _WS.match(self.text, index).end()

    def value(self, index: int):
        text = self.text
        char = text[index]
        if char == "{":
            return self.obj(index)
        if char == "[":
            return self.array(index)
        if char == '"':
            return scanstring(text, index + 1)
        if text.startswith("true", index):
            return True, index + 4
        if text.startswith("false", index):
            return False, index + 5
        if text.startswith("null", index):
            return None, index + 4
        match = _NUMBER.match(text, index)
        if match:
            if match.group(1) or match.group(2):
                return float(match.group()), match.end()
            return int(match.group()), match.end()
        for name, value in (("NaN", float("nan")), ("Infinity", float("inf"))):
            if text.startswith(name, index):
                return value, index + len(name)
        if text.startswith("-Infinity", index):
            return float("-inf"), index + 9
        line, column = self.mark(index)
        raise ImportError_("invalid JSON value", file=self.filename, line=line, column=column)

    def obj(self, index: int):
        result = LocDict()
        result.mark = self.mark(index)
        index = self.skip(index + 1)
        if self.text[index] == "}":
            return result, index + 1
        while True:
            key_mark = self.mark(index)
            key, index = scanstring(self.text, index + 1)
            if key in result:
                raise ImportError_(
                    f"duplicate key {key!r}",
                    file=self.filename,
                    line=key_mark[0],
                    column=key_mark[1],
                )
            index = self.skip(index)
            index = self.skip(index + 1)  # the colon
            value_mark = self.mark(index)
            value, index = self.value(index)
            result[key] = value
            result.entry_marks[key] = pack_entry(key_mark, value_mark)
            index = self.skip(index)
            if self.text[index] == "}":
                return result, index + 1
            index = self.skip(index + 1)  # the comma

    def array(self, index: int):
        result = LocList()
        result.mark = self.mark(index)
        index = self.skip(index + 1)
        if self.text[index] == "]":
            return result, index + 1
        while True:
            result.item_marks.append(pack(self.mark(index)))
            value, index = self.value(index)
            result.append(value)
            index = self.skip(index)
            if self.text[index] == "]":
                return result, index + 1
            index = self.skip(index + 1)


# A JSON string (escapes included; an unterminated one runs to the end, so no quote is
# scanned twice) or one bracket; anything else is skipped over.
_JSON_NESTING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.S)


def too_deep_at(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The index of the first bracket nesting deeper than ``limit``, else None.

    One pass over the text, with no recursion, so it can run before a recursive decoder.
    """
    depth = 0
    for match in _JSON_NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


def parse_json(text: str, filename: str):
    deep = too_deep_at(text)
    if deep is not None:
        line, column = _JsonWalker(text, filename).mark(deep)
        raise ImportError_(
            f"nesting too deep (more than {MAX_DEPTH} levels)",
            file=filename,
            line=line,
            column=column,
        )
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportError_(
            f"invalid JSON: {exc.msg}", file=filename, line=exc.lineno, column=exc.colno
        ) from None
    walker = _JsonWalker(text, filename)
    value, _ = walker.value(walker.skip(0))
    return value


def detect_format(filename: str, text: str) -> str:
    """'json' or 'yaml', from the file name, else from the first character."""
    lower = filename.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def parse(text: str, filename: str, fmt: str | None = None):
    """Parse ``text`` (YAML or JSON) into LocDict/LocList values."""
    if text.startswith("\ufeff"):
        text = text[1:]
    fmt = fmt or detect_format(filename, text)
    if fmt == "json":
        return parse_json(text, filename)
    return parse_yaml(text, filename)
