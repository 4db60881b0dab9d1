"""Loading: files into immutable documents that know where every value came from, and dialects."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from schemagen.diagnostics import Severity
from schemagen.load import load_corpus, load_file, normalize_dialect, with_dialect

S2020 = "https://json-schema.org/draft/2020-12/schema"
DRAFT4 = "http://json-schema.org/draft-04/schema"
DRAFT7 = "http://json-schema.org/draft-07/schema"

JSON_TEXT = """{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "name": {"type": "string", "examples": ["a", "b"]}
  }
}
"""

YAML_TEXT = """$schema: https://json-schema.org/draft/2020-12/schema
type: object
properties:
  name:
    type: string
    examples:
      - a
      - b
  since:
    type: string
    default: 2024-01-01
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Json.schema.json").write_text(JSON_TEXT)
    (tmp_path / "a" / "Yaml.schema.yaml").write_text(YAML_TEXT)
    (tmp_path / "b.schema.yml").write_text(
        "$schema: http://json-schema.org/draft-07/schema#\ntype: string\n"
    )
    (tmp_path / "notes.txt").write_text("not a schema")
    (tmp_path / ".hidden.json").write_text("{")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.json").write_text("{")
    return tmp_path


def test_loads_every_schema_file_in_a_stable_order(root: Path) -> None:
    result = load_corpus(root, S2020)
    relpaths = [d.relpath for d in result.documents]
    assert sorted(relpaths) == ["a/Json.schema.json", "a/Yaml.schema.yaml", "b.schema.yml"]
    assert relpaths == [d.relpath for d in load_corpus(root, S2020).documents]
    assert result.diagnostics == ()
    assert result.files_seen == 3
    by_path = {d.relpath: d for d in result.documents}
    assert [by_path[p].syntax for p in sorted(by_path)] == ["json", "yaml", "yaml"]
    assert [by_path[p].dialect for p in sorted(by_path)] == [S2020, S2020, DRAFT7]


def test_documents_are_immutable_and_fingerprinted(root: Path) -> None:
    document = next(
        d for d in load_corpus(root, S2020).documents if d.relpath == "a/Json.schema.json"
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        document.relpath = "x"  # type: ignore[misc]
    assert (
        document.sha256
        == hashlib.sha256((root / "a" / "Json.schema.json").read_bytes()).hexdigest()
    )
    assert document.contents == json.loads(JSON_TEXT)


@pytest.mark.parametrize(
    ("relpath", "pointer", "position"),
    [
        ("a/Json.schema.json", "", (1, 1)),
        ("a/Json.schema.json", "/type", (3, 11)),
        ("a/Json.schema.json", "/properties/name/examples/1", (5, 50)),
        (
            "a/Json.schema.json",
            "/properties/name/nothing/here",
            (5, 13),
        ),  # nearest existing ancestor
        ("a/Yaml.schema.yaml", "/type", (2, 7)),
        ("a/Yaml.schema.yaml", "/properties/name/examples/1", (8, 9)),
        ("a/Yaml.schema.yaml", "/properties/since/default", (11, 14)),
    ],
)
def test_every_value_knows_its_line_and_column(
    root: Path, relpath: str, pointer: str, position: tuple[int, int]
) -> None:
    document = next(d for d in load_corpus(root, S2020).documents if d.relpath == relpath)
    location = document.locate(pointer)
    assert (location.line, location.column) == position
    assert location.pointer == pointer


def test_yaml_dates_stay_strings(root: Path) -> None:
    document = next(
        d
        for d in load_corpus(root, S2020).documents
        if d.syntax == "yaml" and d.relpath.startswith("a/")
    )
    assert document.contents["properties"]["since"]["default"] == "2024-01-01"


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("https://json-schema.org/draft/2020-12/schema", S2020),
        ("https://json-schema.org/draft/2020-12/schema#", S2020),
        ("http://json-schema.org/draft-07/schema#", DRAFT7),
        ("https://json-schema.org/draft-07/schema", DRAFT7),
        ("http://json-schema.org/draft-04/schema#", DRAFT4),
        ("http://json-schema.org/draft-05/schema#", None),
        ("https://example.com/base/Law.v1.schema.json", None),
    ],
)
def test_dialects_from_schema(declared: str, expected: str | None) -> None:
    assert normalize_dialect(declared) == expected


def test_missing_dialect_falls_back_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"type": "string"}')
    document, problems = load_file(tmp_path / "x.json", tmp_path)
    assert document is not None and problems == ()
    settled, diagnostic = with_dialect(document, DRAFT7)
    assert settled.dialect == DRAFT7
    assert diagnostic is not None
    assert (diagnostic.rule, diagnostic.severity) == ("load/missing-dialect", Severity.WARNING)
    assert (diagnostic.location.line, diagnostic.location.column) == (1, 1)


def test_draft4_identifier_is_id(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(
        json.dumps({"$schema": DRAFT4 + "#", "id": "http://x.test/x.json"})
    )
    document, _ = load_file(tmp_path / "x.json", tmp_path)
    assert document is not None and document.declared_id == "http://x.test/x.json"


def test_a_missing_root_is_an_error_not_an_empty_corpus(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path / "missing", S2020)


def test_a_file_that_fails_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{")
    (tmp_path / "b.json").write_text("{}")
    result = load_corpus(tmp_path, S2020)
    assert [d.relpath for d in result.documents] == ["b.json"]
    assert [(d.rule, d.location.line) for d in result.diagnostics[:1]] == [("load/syntax", 1)]


def test_an_unchanged_file_is_not_parsed_again_and_a_changed_one_is(tmp_path: Path) -> None:
    """A long-lived process (generate --watch) reuses what it loaded; never a stale document."""
    path = tmp_path / "A.schema.json"
    path.write_text('{"type": "string"}')
    first, _ = load_file(path, tmp_path)
    again, _ = load_file(path, tmp_path)
    assert first is not None and again is first
    path.write_text('{"type": "integer"}')
    changed, _ = load_file(path, tmp_path)
    assert changed is not None and changed.contents == {"type": "integer"}
    path.write_text("{")
    broken, problems = load_file(path, tmp_path)
    assert broken is None and problems[0].rule.startswith("load/")
