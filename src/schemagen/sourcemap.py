"""Parse JSON and YAML into plain values that remember where every value came from.

`parse_document` returns the value and a `SourceMap` that answers "which line and column does
this JSON Pointer start at". JSON is parsed by the C decoder (fast); its positions are computed
lazily by an iterative tokenizer, only for files that something reports on. YAML is composed into
nodes and constructed here, so positions come for free and aliases are bounded (no YAML bomb).

Bad input raises `ParseError` with the rule id, message and location, never a bare exception.
"""

from __future__ import annotations

import abc
import bisect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

MAX_DEPTH = 256
"""Deeper documents are rejected: every later stage walks schemas recursively."""

MAX_YAML_NODES = 100_000
"""Alias expansion beyond this many nodes is a YAML bomb, not a schema."""


@dataclass(frozen=True)
class ParseError(Exception):
    rule: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        return self.message


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_pointer_token(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join_pointer(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape_pointer_token(t) for t in tokens)


def split_pointer(pointer: str) -> list[str]:
    if pointer in ("", "#"):
        return []
    pointer = pointer.removeprefix("#")
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON Pointer: {pointer!r}")
    return [unescape_pointer_token(t) for t in pointer[1:].split("/")]


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at `pointer`; raises LookupError when there is none."""
    node = document
    for token in split_pointer(pointer):
        if isinstance(node, Mapping):
            if token not in node:
                raise LookupError(pointer)
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                raise LookupError(pointer)
            node = node[int(token)]
        else:
            raise LookupError(pointer)
    return node


def _parent_pointers(pointer: str) -> list[str]:
    """`pointer` and each of its ancestors, nearest first."""
    out = [pointer]
    while pointer:
        pointer = pointer[: pointer.rfind("/")]
        out.append(pointer)
    return out


class SourceMap(abc.ABC):
    """Maps JSON Pointers to 1-based (line, column) of the value's first character."""

    @abc.abstractmethod
    def positions(self) -> Mapping[str, tuple[int, int]]: ...

    def locate(self, pointer: str) -> tuple[int, int]:
        """The position of `pointer`, or of its nearest ancestor that exists."""
        positions = self.positions()
        for candidate in _parent_pointers(pointer):
            if candidate in positions:
                return positions[candidate]
        return (1, 1)


@dataclass(frozen=True)
class _FixedSourceMap(SourceMap):
    table: Mapping[str, tuple[int, int]]

    def positions(self) -> Mapping[str, tuple[int, int]]:
        return self.table


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


def _scan_json(text: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Offsets of every value by pointer, and duplicate keys (pointer, offset). Iterative."""
    offsets: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    # Each frame: [pointer, kind, next array index or pending key, seen keys]
    stack: list[list[Any]] = []
    expecting_key = False
    pending_key: str | None = None

    def value_pointer() -> str:
        if not stack:
            return ""
        frame = stack[-1]
        if frame[1] == "array":
            index = frame[2]
            frame[2] += 1
            return join_pointer(frame[0], index)
        return join_pointer(frame[0], pending_key if pending_key is not None else "")

    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in ",:":
            if first == "," and stack and stack[-1][1] == "object":
                expecting_key = True
            continue
        if first in "}]":
            stack.pop()
            expecting_key = False
            continue
        if expecting_key and first == '"':
            pending_key = json.loads(token)
            frame = stack[-1]
            key_pointer = join_pointer(frame[0], pending_key)
            if pending_key in frame[3]:
                duplicates.append((key_pointer, match.start()))
            frame[3].add(pending_key)
            expecting_key = False
            continue
        pointer = value_pointer()
        offsets.setdefault(pointer, match.start())
        if first == "{":
            stack.append([pointer, "object", None, set()])
            expecting_key = True
        elif first == "[":
            stack.append([pointer, "array", 0, None])
    return offsets, duplicates


class _LazyJsonSourceMap(SourceMap):
    def __init__(self, text: str) -> None:
        self._text = text

    @cached_property
    def _scan(self) -> tuple[dict[str, int], list[tuple[str, int]]]:
        return _scan_json(self._text)

    @cached_property
    def _lines(self) -> _LineIndex:
        return _LineIndex(self._text)

    @cached_property
    def _table(self) -> dict[str, tuple[int, int]]:
        offsets, _ = self._scan
        return {pointer: self._lines.position(offset) for pointer, offset in offsets.items()}

    def positions(self) -> Mapping[str, tuple[int, int]]:
        return self._table

    def duplicate_keys(self) -> list[tuple[str, tuple[int, int]]]:
        _, duplicates = self._scan
        return [(pointer, self._lines.position(offset)) for pointer, offset in duplicates]


@dataclass(frozen=True)
class ParsedDocument:
    value: Any
    source_map: SourceMap
    warnings: tuple[ParseError, ...] = field(default=())


def decode_bytes(data: bytes) -> tuple[str, tuple[ParseError, ...]]:
    """UTF-8 text of a file; a BOM is dropped with a warning, invalid bytes are an error."""
    warnings: tuple[ParseError, ...] = ()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        warnings = (
            ParseError(
                "load/bom",
                "file starts with a UTF-8 byte order mark",
                1,
                1,
                "JSON text must not begin with a BOM (RFC 8259 section 8.1); "
                "save the file without it",
            ),
        )
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode("utf-8", errors="replace")
        line = prefix.count("\n") + 1
        column = len(prefix) - (prefix.rfind("\n") + 1) + 1
        raise ParseError(
            "load/encoding",
            f"invalid UTF-8: byte 0x{data[error.start]:02x} at offset {error.start}",
            line,
            column,
            "schemas must be UTF-8 encoded",
        ) from None


def _depth_exceeded(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return False


def _too_deep(text_map: SourceMap | None = None) -> ParseError:
    return ParseError(
        "load/too-deep",
        f"document nests more than {MAX_DEPTH} levels deep",
        1,
        1,
        "no real schema nests this deep; is the file generated by mistake?",
    )


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey()
    return result


class _DuplicateKey(Exception):
    pass


class _NotJson(Exception):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _reject_constant(token: str) -> Any:
    raise _NotJson(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if value in (float("inf"), float("-inf")):
        raise _NotJson(token)
    return value


def _parse_json(text: str) -> ParsedDocument:
    source_map = _LazyJsonSourceMap(text)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_reject_duplicates,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
        )
    except json.JSONDecodeError as error:
        raise ParseError(
            "load/syntax", f"invalid JSON: {error.msg}", error.lineno, error.colno
        ) from None
    except _NotJson as error:
        offset = text.find(error.token)
        prefix = text[: max(offset, 0)]
        line = prefix.count("\n") + 1
        raise ParseError(
            "load/syntax",
            f"{error.token} is not a JSON value",
            line,
            len(prefix) - (prefix.rfind("\n") + 1) + 1,
            "JSON (RFC 8259) has no NaN or infinite numbers",
        ) from None
    except _DuplicateKey:
        pointer, (line, column) = source_map.duplicate_keys()[0]
        raise ParseError(
            "load/duplicate-key",
            f"duplicate key {split_pointer(pointer)[-1]!r} at {pointer}",
            line,
            column,
            "JSON parsers disagree on which duplicate wins; keep one",
        ) from None
    except RecursionError:
        raise _too_deep() from None
    if _depth_exceeded(value, MAX_DEPTH):
        raise _too_deep()
    return ParsedDocument(value, source_map)


_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str) -> ParsedDocument:
    try:
        nodes = list(yaml.compose_all(text, Loader=_YAML_LOADER))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ParseError(
            "load/syntax", f"invalid YAML: {error.problem or error}", line, column
        ) from None
    except yaml.YAMLError as error:
        raise ParseError("load/syntax", f"invalid YAML: {error}") from None
    except RecursionError:
        raise _too_deep() from None
    if not nodes:
        raise ParseError("load/empty", "file is empty", 1, 1, "a schema file holds one JSON object")
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise ParseError(
            "load/multiple-documents",
            "file holds more than one YAML document",
            mark.line + 1,
            mark.column + 1,
            "keep one schema per file",
        )
    positions: dict[str, tuple[int, int]] = {}
    value = _YamlBuilder(positions).build(nodes[0])
    return ParsedDocument(value, _FixedSourceMap(positions))


class _YamlBuilder:
    """Constructs JSON-compatible values from YAML nodes, recording positions, bounding aliases."""

    def __init__(self, positions: dict[str, tuple[int, int]]) -> None:
        self._positions = positions
        self._constructor = _YAML_LOADER("")
        self._budget = MAX_YAML_NODES

    def build(self, root: yaml.Node) -> Any:
        # Iterative so that a 10,000-deep document cannot exhaust the stack.
        result: list[Any] = [None]
        todo: list[tuple[yaml.Node, str, Callable[[Any], None], tuple[int, ...]]] = [
            (root, "", lambda v: result.__setitem__(0, v), ())
        ]
        while todo:
            node, pointer, store, ancestors = todo.pop()
            self._budget -= 1
            if self._budget < 0:
                raise ParseError(
                    "load/yaml-bomb",
                    f"YAML aliases expand to more than {MAX_YAML_NODES:,} nodes",
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                    "anchors and aliases that multiply are a denial-of-service attack, "
                    "not a schema",
                )
            if len(ancestors) >= MAX_DEPTH:
                raise _too_deep()
            self._positions.setdefault(
                pointer, (node.start_mark.line + 1, node.start_mark.column + 1)
            )
            if id(node) in ancestors:
                raise ParseError(
                    "load/yaml-recursive",
                    "YAML alias refers to one of its own ancestors",
                    node.start_mark.line + 1,
                    node.start_mark.column + 1,
                )
            inner = (*ancestors, id(node))
            if isinstance(node, yaml.MappingNode):
                mapping: dict[str, Any] = {}
                store(mapping)
                for key_node, value_node in node.value:
                    key = self._scalar_key(key_node)
                    if key in mapping:
                        raise ParseError(
                            "load/duplicate-key",
                            f"duplicate key {key!r} at {join_pointer(pointer, key)}",
                            key_node.start_mark.line + 1,
                            key_node.start_mark.column + 1,
                            "YAML parsers disagree on which duplicate wins; keep one",
                        )
                    mapping[key] = None
                    todo.append(
                        (value_node, join_pointer(pointer, key), _setter(mapping, key), inner)
                    )
            elif isinstance(node, yaml.SequenceNode):
                items: list[Any] = [None] * len(node.value)
                store(items)
                for index, child in enumerate(node.value):
                    todo.append((child, join_pointer(pointer, index), _setter(items, index), inner))
            else:
                store(self._scalar(node))
        return result[0]

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
            return node.value  # JSON has no such types: keep the text
        try:
            value = self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            raise ParseError(
                "load/syntax",
                f"unsupported YAML value: {error.problem}",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            ) from None
        if isinstance(value, float) and value != value:  # NaN is not JSON
            raise ParseError(
                "load/syntax",
                "NaN is not a JSON value",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        return value

    def _scalar_key(self, node: yaml.Node) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise ParseError(
                "load/syntax",
                "mapping keys must be strings",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        value = self._scalar(node)
        return value if isinstance(value, str) else str(node.value)


def _setter(container: Any, key: Any) -> Callable[[Any], None]:
    def store(value: Any) -> None:
        container[key] = value

    return store


def parse_document(data: bytes, *, yaml_syntax: bool) -> ParsedDocument:
    """Parse one file's bytes; raises ParseError. Warnings (a BOM) ride on the result."""
    text, warnings = decode_bytes(data)
    if not text.strip():
        raise ParseError("load/empty", "file is empty", 1, 1, "a schema file holds one JSON object")
    parsed = _parse_yaml(text) if yaml_syntax else _parse_json(text)
    if warnings:
        parsed = ParsedDocument(parsed.value, parsed.source_map, warnings)
    return parsed
