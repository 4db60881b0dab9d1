"""The validate stage: metaschemas, examples and defaults, patterns, x-infrastructure; and the
three real corpora (the repository's, familiar-v3, SchemaStore)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from schemagen.cli import main
from schemagen.config import Config, UrlMapping
from schemagen.diagnostics import Diagnostic, Severity, has_errors
from schemagen.resolve import Corpus, compile_corpus
from schemagen.validate import regex_problem, validate_corpus

S2020 = "https://json-schema.org/draft/2020-12/schema"
SCHEMASTORE_PREFIX = "https://json.schemastore.org/"


def corpus_of(root: Path, files: dict[str, Any]) -> Corpus:
    """A corpus from {relpath: JSON value or raw text}."""
    for relpath, value in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
    return compile_corpus(Config(schemas=root))


def rules(diagnostics: tuple[Diagnostic, ...]) -> Counter[str]:
    return Counter(d.rule for d in diagnostics)


# --- regular expressions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "^[a-z][a-z0-9-]*$",
        r"^\p{Lu}\p{Ll}+$",  # Unicode property escapes (ECMA-262 with u)
        r"(?<year>\d{4})-\k<year>",  # ECMA named groups and backreferences
        "[^]",  # ECMA: any character
        r"\/path",  # escaped slash, common in JSON Schemas written for JavaScript
        "(?<=a+)b",  # variable-width lookbehind is ECMA-262
        r"^\u{1F600}$",
        r"\cJ",
        "a{",  # a literal brace
    ],
)
def test_ecma_patterns_are_accepted(pattern: str) -> None:
    assert regex_problem(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "severity"),
    [
        ("([a-z]", Severity.ERROR),
        ("*a", Severity.ERROR),
        ("a{3,1}", Severity.ERROR),
        ("[z-a]", Severity.ERROR),
        ("(?i)abc", Severity.ERROR),  # inline flags: Python, not ECMA-262
        ("(?P<x>a)", Severity.ERROR),
        ("a++", Severity.ERROR),  # possessive: Python 3.11, not ECMA-262
        ("\\", Severity.ERROR),
        (r"\p{", Severity.ERROR),
        (r"\Aabc\Z", Severity.WARNING),  # compiles in ECMA-262 but means the letters A and Z
    ],
)
def test_bad_patterns_are_found(pattern: str, severity: Severity) -> None:
    problem = regex_problem(pattern)
    assert problem is not None and problem.severity is severity


# --- documents ------------------------------------------------------------------------------------


def test_metaschema_errors_point_at_the_value_per_dialect(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "a.schema.json": {
                "$schema": S2020,
                "type": "object",
                "properties": {"x": {"minimum": "1"}},
            },
            "b.schema.yaml": "$schema: http://json-schema.org/draft-04/schema#\n"
            "type: object\nproperties:\n  y:\n    exclusiveMinimum: 3\n",
            "c.schema.json": {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
            },
        },
    )
    found = [d for d in validate_corpus(corpus) if d.rule == "schema/metaschema"]
    assert [(Path(d.location.file or "").name, d.location.pointer) for d in found] == [
        ("a.schema.json", "/properties/x/minimum"),
        ("b.schema.yaml", "/properties/y"),  # draft-04: exclusiveMinimum needs minimum
        ("b.schema.yaml", "/properties/y/exclusiveMinimum"),  # and is a boolean
    ]
    assert (found[0].location.line, found[0].location.column) == (6, 18)
    assert (found[2].location.line, found[2].location.column) == (5, 23)
    assert all(d.severity is Severity.ERROR for d in found)


def test_examples_and_defaults_are_checked_through_refs(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "Name.schema.json": {"$schema": S2020, "$id": "https://x.test/Name.schema.json",
                                 "type": "string",
                                 "minLength": 2, "examples": ["ok", "x"]},
            "Person.schema.json": {
                "$schema": S2020, "$id": "https://x.test/Person.schema.json", "type": "object",
                "properties": {
                    "name": {"$ref": "Name.schema.json", "default": "a"},
                    "age": {"type": "integer", "default": 3},
                    # a property called examples is a name, not a keyword
                    "examples": {"type": "string"},
                },
                "examples": [{"name": "Bo", "age": 4}, {"name": "Bo", "age": "four"}],
            },
        },
    )  # fmt: skip
    found = {
        (Path(d.location.file or "").name, d.rule, d.location.pointer)
        for d in validate_corpus(corpus)
    }
    assert found == {
        ("Name.schema.json", "schema/invalid-example", "/examples/1"),
        ("Person.schema.json", "schema/invalid-default", "/properties/name/default"),
        ("Person.schema.json", "schema/invalid-example", "/examples/1/age"),
    }


def test_subschemas_with_unresolved_refs_are_skipped(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "A.schema.json": {
                "$schema": S2020,
                "properties": {"x": {"$ref": "Gone.schema.json"}},
                "examples": [{"x": 1}],
            }
        },
    )
    assert rules(validate_corpus(corpus)) == Counter({"ref/unresolvable": 1})


def test_invalid_patterns_are_located(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "A.schema.json": {
                "$schema": S2020,
                "patternProperties": {"^ok$": {}, "(": {"pattern": "a{2,1}"}},
            }
        },
    )
    found = [d for d in validate_corpus(corpus) if d.rule == "schema/invalid-pattern"]
    assert sorted(d.location.pointer or "" for d in found) == [
        "/patternProperties/(",
        "/patternProperties/(/pattern",
    ]


INFRA = {
    "service_template": "familiar-poem-rest-service",
    "owner": "group:cognition-platform",
    "system": "familiar-cognition",
    "lifecycle": "production",
    "api": {"type": "openapi", "path_prefix": "/v3/bonds"},
    "database": {"module": "timescaledb", "table": "bonds", "retention_days": 365},
    "scaling": {"min_replicas": 2, "max_replicas": 8, "target_cpu_percent": 70},
}


def test_x_infrastructure_is_checked_against_the_shipped_schema(tmp_path: Path) -> None:
    bad = {**INFRA, "database": {"module": "mongodb"}, "owner": "cognition"}
    del bad["system"]
    corpus = corpus_of(
        tmp_path,
        {
            "Good.schema.json": {"$schema": S2020, "type": "object", "x-infrastructure": INFRA},
            "Bad.schema.json": {"$schema": S2020, "type": "object", "x-infrastructure": bad},
        },
    )
    found = [d for d in validate_corpus(corpus) if d.rule == "infrastructure/invalid"]
    assert {Path(d.location.file or "").name for d in found} == {"Bad.schema.json"}
    assert {d.location.pointer for d in found} == {
        "/x-infrastructure",  # system is required
        "/x-infrastructure/owner",
        "/x-infrastructure/database/module",
    }


def test_validation_is_independent_of_file_order(tmp_path: Path) -> None:
    from dataclasses import replace

    corpus = corpus_of(
        tmp_path,
        {
            f"S{i}.schema.json": {"$schema": S2020, "type": "integer", "examples": [i, "x"]}
            for i in range(5)
        },
    )
    reordered = replace(corpus, documents=tuple(reversed(corpus.documents)))
    assert validate_corpus(corpus) == validate_corpus(reordered)


# --- real corpora ---------------------------------------------------------------------------------


def test_repository_corpus_validates_clean(schemas_dir: Path) -> None:
    corpus = compile_corpus(Config(schemas=schemas_dir.resolve()))
    started = time.perf_counter()
    found = validate_corpus(corpus)
    elapsed = time.perf_counter() - started
    print(f"\nrepository corpus: {len(corpus.documents)} files validated in {elapsed:.2f}s")
    assert not has_errors(found), "\n".join(str(d) for d in found if d.severity is Severity.ERROR)


def test_repository_corpus_cli_exits_0(schemas_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["--schemas", str(schemas_dir), "validate", "--format", "json"]
    )
    assert result.exit_code == 0, result.stdout[:2000]
    assert json.loads(result.stdout)["summary"]["errors"] == 0


@pytest.fixture(scope="module")
def familiar(shared_corpora: Path) -> tuple[Diagnostic, ...]:
    return validate_corpus(
        compile_corpus(Config(schemas=(shared_corpora / "familiar-v3").resolve()))
    )


def _named(found: tuple[Diagnostic, ...], rule: str) -> list[tuple[str, int | None, int | None]]:
    return [
        (Path(d.location.file or "").relative_to(Path(d.location.file or "").parents[1]).as_posix(),
         d.location.line, d.location.column)
        for d in found
        if d.rule == rule
    ]  # fmt: skip


def test_familiar_duplicated_id(familiar: tuple[Diagnostic, ...]) -> None:
    assert _named(familiar, "id/duplicate") == [
        ("infrastructure/StandardApiServiceStack.json", 2, 10)
    ]


def test_familiar_instance_documents_naming_a_base_schema(familiar: tuple[Diagnostic, ...]) -> None:
    assert _named(familiar, "load/unknown-dialect") == [
        ("laws/ThreadEnergyDecay.json", 2, 14),
        ("taxonomy/EmotionalValence.schema.json", 2, 14),
        ("taxonomy/PhysicsProfile.schema.json", 2, 14),
    ]


def test_familiar_refs_resolved_by_path_and_missing_dialects(
    familiar: tuple[Diagnostic, ...],
) -> None:
    counts = rules(familiar)
    assert counts["ref/resolved-by-path"] > 200
    assert counts["load/missing-dialect"] == 102  # the snippets
    by_path = [d for d in familiar if d.rule == "ref/resolved-by-path"]
    assert all(
        d.location.line and d.location.pointer and d.location.pointer.endswith("$ref")
        for d in by_path
    )
    assert all(d.severity is Severity.WARNING for d in by_path)


@pytest.fixture(scope="module")
def schemastore(shared_corpora: Path) -> tuple[Corpus, tuple[Diagnostic, ...], float]:
    root = (shared_corpora / "schemastore" / "schemas" / "json").resolve()
    started = time.perf_counter()
    corpus = compile_corpus(Config(schemas=root, url_map=(UrlMapping(SCHEMASTORE_PREFIX, root),)))
    found = validate_corpus(corpus)
    return corpus, found, time.perf_counter() - started


def test_schemastore_every_file_loads_or_has_a_diagnostic(
    schemastore: tuple[Corpus, tuple[Diagnostic, ...], float],
) -> None:
    corpus, found, elapsed = schemastore
    files = sorted(p.name for p in corpus.root.iterdir() if p.suffix == ".json")
    loaded = {d.path.name for d in corpus.documents}
    reported = {Path(d.location.file or "").name for d in found}
    print(
        f"\nSchemaStore: {len(files)} files, {len(loaded)} loaded, "
        f"{len(found)} findings in {elapsed:.1f}s"
    )
    print("  " + ", ".join(f"{rule}: {n}" for rule, n in sorted(rules(found).items())))
    assert [name for name in files if name not in loaded and name not in reported] == []
    assert len(loaded) >= 880
    assert all(d.location.file and d.location.line for d in found if d.rule.startswith("schema/"))


def test_familiar_cli_runs_to_the_end_with_no_config(
    shared_corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    familiar = (shared_corpora / "familiar-v3").resolve()
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here: only --schemas
    result = CliRunner().invoke(main, ["--schemas", str(familiar), "validate", "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 171
    found = Counter(d["rule"] for d in report["diagnostics"])
    assert found["id/duplicate"] == 1 and found["load/unknown-dialect"] == 3
    assert all(d["line"] and d["column"] for d in report["diagnostics"])
