"""`--format sarif` validates against the official SARIF 2.1.0 schema (a draft-07 schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from schemagen.config import Config
from schemagen.diagnostics import Diagnostic, Location, Severity
from schemagen.govern import rule_docs, run_governance
from schemagen.pipeline import Plan
from schemagen.reports import render
from schemagen.resolve import compile_corpus


@pytest.fixture(scope="module")
def sarif_validator(shared_corpora: Path) -> Any:
    schema = json.loads((shared_corpora / "schemastore/schemas/json/sarif-2.1.0.json").read_text())
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/schema")
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )


def _errors(validator: Any, text: str) -> list[str]:
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(text))
    ]


def test_governance_sarif_on_familiar_v3_validates(
    sarif_validator: Any, shared_corpora: Path, tmp_path: Path
) -> None:
    config = Config(
        project_root=tmp_path, schemas=shared_corpora / "familiar-v3", out=tmp_path / "gen"
    )
    corpus = compile_corpus(config)
    result = run_governance(Plan.of(corpus))
    assert result.diagnostics and result.notes
    files = [d.display for d in corpus.documents]
    diagnostics = [*corpus.diagnostics, *result.diagnostics]
    text = render("sarif", diagnostics, files, rule_docs=rule_docs, notes=result.notes)
    assert _errors(sarif_validator, text) == []
    run = json.loads(text)["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {d.rule for d in diagnostics} == set(rules)
    for rule in rules.values():  # every rule schemagen emits is described
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
    levels = {r["level"] for r in run["results"]}
    assert {"error", "warning", "note"} <= levels
    for entry in run["results"]:
        assert run["tool"]["driver"]["rules"][entry["ruleIndex"]]["id"] == entry["ruleId"]
    assert run["invocations"][0]["toolExecutionNotifications"]


def test_edge_cases_validate(sarif_validator: Any) -> None:
    diagnostics = [
        Diagnostic("hygiene/unused", Severity.INFO, "no location at all"),
        Diagnostic("load/syntax", Severity.ERROR, "file only", Location("schemas/a b.json")),
        Diagnostic(
            "schema-first/drift",
            Severity.ERROR,
            "windows path, pointer, hint",
            Location("generated\\python\\x.py", 3, None, ""),
            "regenerate",
        ),
        Diagnostic(
            "acme/unknown", Severity.WARNING, "a rule nobody documents", Location("x", 1, 1, "/a")
        ),
    ]
    text = render("sarif", diagnostics, ["x"], rule_docs=rule_docs)
    assert _errors(sarif_validator, text) == []
    assert _errors(sarif_validator, render("sarif", [], [], rule_docs=rule_docs)) == []


def test_the_validator_can_fail(sarif_validator: Any) -> None:
    broken = json.loads(render("sarif", [], [], rule_docs=rule_docs))
    broken["runs"][0]["results"] = [{"ruleId": "x", "level": "fatal", "message": {"text": "m"}}]
    assert _errors(sarif_validator, json.dumps(broken))
