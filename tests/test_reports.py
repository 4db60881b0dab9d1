"""Report formats: text for people, JSON per the contract, JUnit for CI, GitHub annotations."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from schemagen.diagnostics import Diagnostic, Location, Severity
from schemagen.govern import rule_docs
from schemagen.reports import FORMATS, render

FILES = ["schemas/a.schema.json", "schemas/b.schema.json", "schemas/c.schema.json"]
DIAGNOSTICS = [
    Diagnostic(
        "hygiene/missing-description",
        Severity.WARNING,
        "schema has no description",
        Location("schemas/b.schema.json", 1, 1, ""),
    ),
    Diagnostic(
        "ref/unresolvable",
        Severity.ERROR,
        "cannot resolve './x.json'\nsecond line, 100% sure: really",
        Location("schemas/a,1:b.schema.json", 12, 20, "/allOf/0/$ref"),
        "check the relative path",
    ),
    Diagnostic(
        "hygiene/unused",
        Severity.INFO,
        "nobody uses it",
        Location("schemas/c.schema.json", 2, 3, ""),
    ),
    Diagnostic("governance/rule-failed", Severity.ERROR, "no location"),
]


def test_text_lists_findings_sorted_with_hints_notes_and_a_summary() -> None:
    text = render("text", DIAGNOSTICS, FILES, notes=["a note"])
    lines = text.splitlines()
    assert lines[0] == "<corpus>: error[governance/rule-failed]: no location"
    assert (
        "schemas/a,1:b.schema.json:12:20: error[ref/unresolvable]: cannot resolve './x.json'"
        in text
    )
    assert "  hint: check the relative path" in lines
    assert "a note" in lines
    assert lines[-1] == "2 errors, 1 warning, 1 info in 3 files"
    assert "\033[" not in text
    assert "\033[31m" in render("text", DIAGNOSTICS, FILES, color=True)


def test_json_follows_the_contract() -> None:
    payload = json.loads(render("json", DIAGNOSTICS, FILES, notes=["n"]))
    first = payload["diagnostics"][1]
    assert first == {
        "rule": "ref/unresolvable",
        "severity": "error",
        "file": "schemas/a,1:b.schema.json",
        "line": 12,
        "column": 20,
        "pointer": "/allOf/0/$ref",
        "message": "cannot resolve './x.json'\nsecond line, 100% sure: really",
        "hint": "check the relative path",
    }
    assert payload["summary"] == {"errors": 2, "warnings": 1, "infos": 1, "files": 3}
    assert payload["notes"] == ["n"]


def test_junit_parses_with_one_testcase_per_file_and_errors_as_failures() -> None:
    root = ElementTree.fromstring(render("junit", DIAGNOSTICS, FILES, suite="schemagen govern"))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("name") == "schemagen govern"
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {*FILES, "schemas/a,1:b.schema.json", "<corpus>"}
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == "2"
    failure = cases["schemas/a,1:b.schema.json"].find("failure")
    assert failure is not None and failure.get("type") == "ref/unresolvable"
    assert "100% sure" in (failure.text or "")
    warned = cases["schemas/b.schema.json"]
    assert warned.find("failure") is None and "missing-description" in (
        warned.findtext("system-out") or ""
    )
    assert cases["schemas/a.schema.json"].find("failure") is None


def test_junit_escapes_xml() -> None:
    nasty = [Diagnostic("x/y", Severity.ERROR, "<&>\"'", Location("a<b>.json", 1, 1))]
    root = ElementTree.fromstring(render("junit", nasty, []))
    failure = next(root.iter("failure"))
    assert failure.get("message") == "1 error(s): <&>\"'"


def test_github_annotations_escape_data_and_properties() -> None:
    lines = render("github", DIAGNOSTICS, FILES).splitlines()
    assert len(lines) == 4
    assert lines[0] == "::error title=governance/rule-failed::no location"
    error = next(line for line in lines if "ref/unresolvable" in line)
    assert error.startswith(
        "::error file=schemas/a%2C1%3Ab.schema.json,line=12,col=20,title=ref/unresolvable::"
    )
    message = error.split("::", 2)[2]
    assert (
        message == "cannot resolve './x.json'%0Asecond line, 100%25 sure: really"
        "%0Ahint: check the relative path"
    )
    assert "\n" not in error
    assert any(
        line.startswith("::warning file=schemas/b.schema.json,line=1,col=1,") for line in lines
    )
    assert any(line.startswith("::notice ") for line in lines)
    assert render("github", [], FILES) == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_nothing_found(fmt: str) -> None:
    assert render(fmt, [], FILES, rule_docs=rule_docs).endswith("\n") or fmt == "github"


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="known"):
        render("yaml", [], [])
