"""Positions: every JSON Pointer maps to the line and column where its value starts."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemagen.sourcemap import (
    MAX_DEPTH,
    ParseError,
    escape_pointer_token,
    parse_document,
    resolve_pointer,
    split_pointer,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=25,
)


def _pointers(value: object, pointer: str = "") -> list[str]:
    found = [pointer]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _pointers(child, f"{pointer}/{escape_pointer_token(key)}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _pointers(child, f"{pointer}/{index}")
    return found


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(previous) + 1 for previous in lines[: line - 1]) + column - 1


@settings(max_examples=150, deadline=None)
@given(json_values, st.sampled_from([None, 1, 2]))
def test_json_positions_point_at_each_value(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    parsed = parse_document(text.encode(), yaml_syntax=False)
    assert parsed.value == value
    for pointer in _pointers(value):
        line, column = parsed.source_map.locate(pointer)
        expected = resolve_pointer(value, pointer)
        # The text that starts at the reported position decodes to the value at the pointer.
        decoded, _ = json.JSONDecoder().raw_decode(text, _offset(text, line, column))
        assert decoded == expected, pointer


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1).filter(lambda k: k.isprintable()), json_values, min_size=1, max_size=5
    )
)
def test_yaml_matches_json_reading(value: dict[str, object]) -> None:
    import yaml

    text = yaml.safe_dump(value, allow_unicode=True)
    parsed = parse_document(text.encode(), yaml_syntax=True)
    assert parsed.value == yaml.safe_load(text)
    for pointer in _pointers(parsed.value):
        line, column = parsed.source_map.locate(pointer)
        assert line >= 1 and column >= 1


def test_yaml_positions_are_exact() -> None:
    parsed = parse_document(
        b"title: Bond\nproperties:\n  id:\n    type: string\n", yaml_syntax=True
    )
    assert parsed.source_map.locate("/properties/id/type") == (4, 11)
    assert parsed.source_map.locate("/title") == (1, 8)


def test_missing_pointer_falls_back_to_nearest_ancestor() -> None:
    parsed = parse_document(b'{\n  "a": {\n    "b": 1\n  }\n}', yaml_syntax=False)
    assert parsed.source_map.locate("/a/nope/deeper") == parsed.source_map.locate("/a") == (2, 8)


@pytest.mark.parametrize(
    ("data", "yaml_syntax", "rule", "line", "column"),
    [
        (b'{"a": 1,\n "a": 2}', False, "load/duplicate-key", 2, 2),
        (b"a: 1\nb: 2\na: 3\n", True, "load/duplicate-key", 3, 1),
        (b'{"a": [1, 2,,]}', False, "load/syntax", 1, 13),
        (b"a: [1, 2\nb: 3\n", True, "load/syntax", 2, 2),
        (b"   \n", False, "load/empty", 1, 1),
        (b'{"a": "\xff"}', False, "load/encoding", 1, 8),
        (b"[" * 10_000 + b"]" * 10_000, False, "load/too-deep", 1, 1),
        (b"---\na: 1\n---\nb: 2\n", True, "load/multiple-documents", 4, 1),
    ],
)
def test_bad_input_is_a_parse_error_with_location(
    data: bytes, yaml_syntax: bool, rule: str, line: int, column: int
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(data, yaml_syntax=yaml_syntax)
    assert (caught.value.rule, caught.value.line, caught.value.column) == (rule, line, column)


def test_yaml_bomb_is_bounded() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    with pytest.raises(ParseError) as caught:
        parse_document("\n".join(lines).encode(), yaml_syntax=True)
    assert caught.value.rule == "load/yaml-bomb"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10_000])
def test_deep_yaml_is_rejected_without_recursion_error(depth: int) -> None:
    with pytest.raises(ParseError) as caught:
        parse_document(("[" * depth + "]" * depth).encode(), yaml_syntax=True)
    assert caught.value.rule == "load/too-deep"


def test_bom_is_a_warning_and_the_document_loads() -> None:
    parsed = parse_document(b'\xef\xbb\xbf{"a": 1}', yaml_syntax=False)
    assert parsed.value == {"a": 1}
    assert [w.rule for w in parsed.warnings] == ["load/bom"]


def test_pointer_round_trip() -> None:
    assert split_pointer("/a~1b/c~0d/0") == ["a/b", "c~d", "0"]
    assert split_pointer("") == []
    with pytest.raises(ValueError):
        split_pointer("a/b")
