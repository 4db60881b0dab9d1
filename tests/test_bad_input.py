"""Bad input never stops the run: each case is a located diagnostic and the other files go on.

One corpus holds every bad case from issue 4 next to a good file; validation runs once (module
fixture) and each case checks its own diagnostic: rule, severity, file, line and column. The good
file's invalid example is still found, which proves the run went on past the bad ones. The CLI is
driven through click's CliRunner: exit 1 with contract-shaped JSON, exit 2 for a missing
directory, never a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagen import sourcemap
from schemagen.assemble import assemble_corpus
from schemagen.cli import main
from schemagen.config import Config
from schemagen.diagnostics import Diagnostic, Severity
from schemagen.resolve import Corpus, compile_corpus
from schemagen.validate import validate_corpus

S2020 = '"$schema": "https://json-schema.org/draft/2020-12/schema"'


@dataclass(frozen=True)
class Case:
    """A bad file, and the diagnostic it must produce (line/column None: not checked)."""

    name: str
    relpath: str
    content: bytes
    rule: str
    severity: Severity
    line: int | None
    column: int | None


def _deep_json(depth: int) -> bytes:
    return ('{"a": ' * depth + "1" + "}" * depth).encode()


_BOMB = b"""a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""

CASES = (
    Case("malformed JSON", "bad/Syntax.schema.json", b'{\n  "type": "object",\n  "title": }\n',
         "load/syntax", Severity.ERROR, 3, 12),
    Case("malformed YAML", "bad/Syntax.schema.yaml", b"type: object\nproperties: [a, b\ntitle: x\n",
         "load/syntax", Severity.ERROR, 3, 6),
    Case("byte order mark", "bad/Bom.schema.json", b"\xef\xbb\xbf{" + S2020.encode() + b"}",
         "load/bom", Severity.WARNING, 1, 1),
    Case("invalid UTF-8", "bad/Latin1.schema.json", b'{\n  "title": "caf\xe9"\n}\n',
         "load/encoding", Severity.ERROR, 2, 16),
    Case("duplicate JSON key", "bad/Duplicate.schema.json",
         b'{\n  "type": "object",\n  "type": "array"\n}',
         "load/duplicate-key", Severity.ERROR, 3, 3),
    Case("duplicate YAML key", "bad/Duplicate.schema.yaml", b"type: object\ntitle: a\ntitle: b\n",
         "load/duplicate-key", Severity.ERROR, 3, 1),
    Case("empty file", "bad/Empty.schema.json", b"  \n", "load/empty", Severity.ERROR, 1, 1),
    Case("not an object", "bad/List.schema.json", b"[1, 2]\n",
         "load/not-an-object", Severity.ERROR, 1, 1),
    Case("unknown $schema", "bad/Dialect.schema.json",
         b'{\n  "$schema": "https://example.com/my-dialect",\n  "type": "string"\n}',
         "load/unknown-dialect", Severity.ERROR, 2, 14),
    Case("10,000-deep JSON", "bad/Deep.schema.json", _deep_json(10_000),
         "load/too-deep", Severity.ERROR, None, None),
    Case("10,000-deep YAML", "bad/Deep.schema.yaml", b"[" * 10_000 + b"]" * 10_000,
         "load/too-deep", Severity.ERROR, None, None),
    Case("YAML bomb", "bad/Bomb.schema.yaml", _BOMB, "load/yaml-bomb", Severity.ERROR, None, None),
    Case("invalid regex", "bad/Regex.schema.json",
         ("{\n  " + S2020 + ',\n  "type": "string",\n  "pattern": "^([a-z]+$"\n}').encode(),
         "schema/invalid-pattern", Severity.ERROR, 4, 14),
    Case("Python-only regex", "bad/PyRegex.schema.json",
         ("{\n  " + S2020 + ',\n  "patternProperties": {"(?P<x>a)": {}}\n}').encode(),
         "schema/invalid-pattern", Severity.ERROR, 3, 37),
    Case("remote ref without mapping", "bad/Remote.schema.json",
         ("{\n  " + S2020 + ',\n  "$ref": "https://example.com/schemas/Thing.json"\n}').encode(),
         "ref/remote-unmapped", Severity.ERROR, 3, 11),
    Case("ref leaving the root", "bad/Escape.schema.json",
         ("{\n  " + S2020 + ',\n  "properties": {"x": {"$ref": "../../outside.schema.json"}}\n}'
          ).encode(),
         "ref/outside-root", Severity.ERROR, 3, 32),
    Case("missing file", "bad/Missing.schema.json",
         ("{\n  " + S2020 + ',\n  "$ref": "./Nowhere.schema.json"\n}').encode(),
         "ref/unresolvable", Severity.ERROR, 3, 11),
    Case("metaschema violation", "bad/Meta.schema.json",
         ("{\n  " + S2020 + ',\n  "type": "object",\n  "required": "name"\n}').encode(),
         "schema/metaschema", Severity.ERROR, 4, 15),
    Case("ref cycle with example", "bad/Loop.schema.json",
         ("{\n  " + S2020 + ',\n  "$ref": "#",\n  "examples": [1]\n}').encode(),
         "schema/invalid-example", Severity.WARNING, 4, 16),
)  # fmt: skip

GOOD = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.com/good/Good.schema.json",
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 0}},
    "examples": [{"n": 1}, {"n": -1}],
}

CYCLE_A = {"$schema": GOOD["$schema"], "properties": {"b": {"$ref": "B.schema.json"}}}
CYCLE_B = {
    "$schema": GOOD["$schema"],
    "properties": {"a": {"$ref": "A.schema.json"}},
    "examples": [{}],
}


def write_corpus(root: Path) -> Path:
    schemas = root / "schemas"
    for case in CASES:
        path = schemas / case.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.content)
    (schemas / "good").mkdir()
    (schemas / "good" / "Good.schema.json").write_text(json.dumps(GOOD, indent=2))
    (schemas / "cycle").mkdir()
    (schemas / "cycle" / "A.schema.json").write_text(json.dumps(CYCLE_A))
    (schemas / "cycle" / "B.schema.json").write_text(json.dumps(CYCLE_B))
    outside = root / "outside.schema.json"
    outside.write_text(json.dumps({"type": "string"}))
    os.symlink(outside, schemas / "bad" / "Link.schema.json")
    return schemas


@pytest.fixture(scope="module", autouse=True)
def small_alias_budget() -> Iterator[None]:
    """The loader's alias budget is a million nodes, which a bomb reaches in seconds; the
    mechanism is the same with a smaller budget, and CI time is not spent expanding aliases."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sourcemap, "MAX_YAML_NODES", 20_000)
        yield


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("bad"))


@pytest.fixture(scope="module")
def compiled(bad_corpus: Path) -> Corpus:
    return compile_corpus(Config(schemas=bad_corpus))


@pytest.fixture(scope="module")
def findings(compiled: Corpus) -> tuple[Diagnostic, ...]:
    return validate_corpus(compiled)


def _in(diagnostic: Diagnostic, relpath: str) -> bool:
    return (diagnostic.location.file or "").endswith(relpath)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bad_input_is_a_located_diagnostic(
    case: Case, findings: tuple[Diagnostic, ...]
) -> None:
    mine = [d for d in findings if _in(d, case.relpath) and d.rule == case.rule]
    others = [str(d) for d in findings if _in(d, case.relpath)]
    assert mine, f"no {case.rule} for {case.relpath}; got {others}"
    diagnostic = mine[0]
    assert diagnostic.severity is case.severity
    assert diagnostic.message
    if case.line is not None:
        assert (diagnostic.location.line, diagnostic.location.column) == (case.line, case.column), (
            str(diagnostic)
        )


def test_symlink_out_of_the_root_is_an_error(findings: tuple[Diagnostic, ...]) -> None:
    links = [d for d in findings if d.rule == "load/outside-root"]
    assert [d.severity for d in links] == [Severity.ERROR]
    assert links[0].location.file is not None and links[0].location.file.endswith(
        "Link.schema.json"
    )


def test_the_run_goes_on_past_bad_files(compiled: Corpus, findings: tuple[Diagnostic, ...]) -> None:
    loaded = {d.relpath for d in compiled.documents}
    assert {"good/Good.schema.json", "cycle/A.schema.json", "bad/Bom.schema.json"} <= loaded
    bad_example = [
        d for d in findings if _in(d, "Good.schema.json") and d.rule == "schema/invalid-example"
    ]
    assert len(bad_example) == 1
    assert bad_example[0].location.pointer == "/examples/1/n"
    assert bad_example[0].location.line == 16


def test_findings_are_sorted_and_unique(findings: tuple[Diagnostic, ...]) -> None:
    assert len(set(findings)) == len(findings)
    assert list(findings) == sorted(findings, key=lambda d: d.sort_key)


def test_ref_cycles_terminate_in_every_stage(compiled: Corpus) -> None:
    result = assemble_corpus(compiled)
    names = {f.path for f in result.files}
    assert "assembled/bundles/cycle/A.schema.json" in names
    cycles = [d for d in result.diagnostics if d.rule == "assemble/cycle"]
    assert any(_in(d, "cycle/B.schema.json") or _in(d, "cycle/A.schema.json") for d in cycles)
    loop = [d for d in result.diagnostics if _in(d, "Loop.schema.json")]
    assert [d.rule for d in loop] == ["assemble/cycle"]


# --- the command line -----------------------------------------------------------------------------


def test_cli_validate_json_on_a_bad_corpus(bad_corpus: Path) -> None:
    result = CliRunner().invoke(
        main, ["--schemas", str(bad_corpus), "validate", "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    assert set(report) == {"diagnostics", "summary"}
    assert report["summary"]["errors"] >= len([c for c in CASES if c.severity is Severity.ERROR])
    keys = {"rule", "severity", "file", "line", "column", "pointer", "message", "hint"}
    assert all(keys <= set(d) for d in report["diagnostics"])
    rules = {d["rule"] for d in report["diagnostics"]}
    assert {c.rule for c in CASES} <= rules


def test_cli_missing_schemas_directory_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--schemas", str(tmp_path / "nope"), "validate", "--format", "json"]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_cli_assemble_on_a_bad_corpus_writes_nothing(bad_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    result = CliRunner().invoke(main, ["--schemas", str(bad_corpus), "--out", str(out), "assemble"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_example_on_a_malformed_schema_says_why_in_words(tmp_path: Path) -> None:
    """Not a Python exception name, nor a dump of the schema."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    head = '{"$schema": "https://json-schema.org/draft/2020-12/schema", '
    (schemas / "Tiny.json").write_text(
        head + '"type": "number", "multipleOf": 1e-400, "examples": [3]}'
    )
    (schemas / "Odd.json").write_text(head + '"type": "objectx", "examples": [{}]}')
    findings = validate_corpus(compile_corpus(Config(schemas=schemas)))
    unchecked = {
        d.location.file.rsplit("/", 1)[-1]: d.message
        for d in findings
        if d.rule == "schema/invalid-example" and d.location.file
    }
    assert "multipleOf is zero" in unchecked["Tiny.json"]
    assert unchecked["Odd.json"].endswith("(Unknown type 'objectx')")
    assert not any("Error" in message or "{" in message for message in unchecked.values())
