"""The command-line contract's invariants that hold for every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagen import __version__
from schemagen.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version_and_help(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "assemble", "graph", "impact", "generate", "govern", "ci"):
        assert command in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--schemas", "does-not-exist", "validate"],
        ["--config", "nope.toml", "validate"],
        ["--map", "broken", "validate"],
        ["validate", "--format", "yaml"],
        ["no-such-command"],
    ],
)
def test_cannot_run_is_exit_2_without_traceback(
    runner: CliRunner, tmp_path: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("schemas").mkdir()
    result = runner.invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_bad_config_file_is_exit_2(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("schemas").mkdir()
    Path("pyproject.toml").write_text("[tool.schemagen\n")
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 2
    assert "configuration" in result.output and "Traceback" not in result.output


def test_findings_are_exit_1_and_json_is_contract_shaped(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("schemas").mkdir()
    Path("schemas/A.schema.json").write_text(
        '{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",\n'
        '  "allOf": [{"$ref": "./Missing.schema.json"}]\n}\n'
    )
    result = runner.invoke(main, ["--quiet", "validate", "--format", "json"])
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    [finding] = [d for d in payload["diagnostics"] if d["rule"] == "ref/unresolvable"]
    assert finding == {
        "rule": "ref/unresolvable",
        "severity": "error",
        "file": "schemas/A.schema.json",
        "line": 3,
        "column": 22,
        "pointer": "/allOf/0/$ref",
        "message": finding["message"],
        "hint": finding["hint"],
    }
    assert "Missing.schema.json" in finding["message"]
    assert payload["summary"]["errors"] >= 1 and payload["summary"]["files"] == 1


def test_a_clean_corpus_is_exit_0(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("schemas").mkdir()
    Path("schemas/A.schema.json").write_text(
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://x.test/A.schema.json",'
        ' "title": "A", "description": "An a.", "type": "string"}'
    )
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
