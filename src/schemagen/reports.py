"""Render diagnostics: text (for people), JSON (the contract), SARIF 2.1.0, JUnit XML, GitHub.

Renderers are pure: diagnostics in, a string out. Rule documentation for SARIF comes from a
`RuleDoc` lookup so that governance rules and the built-in load/ref/schema rules describe
themselves the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from xml.etree import ElementTree

from schemagen import __version__
from schemagen.diagnostics import Diagnostic, Severity, sort_diagnostics, summarize

FORMATS = ("text", "json", "sarif", "junit", "github")
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://schemagen.dev"


@dataclass(frozen=True)
class RuleDoc:
    id: str
    summary: str
    explanation: str = ""
    severity: Severity = Severity.ERROR


RuleLookup = Callable[[str], RuleDoc | None]


def _no_docs(rule: str) -> RuleDoc | None:
    return None


_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _RESET = "\033[1m", "\033[0m"


def render_text(
    diagnostics: Sequence[Diagnostic], files: int, *, color: bool = False, notes: Sequence[str] = ()
) -> str:
    lines: list[str] = []
    for d in sort_diagnostics(diagnostics):
        severity = d.severity.value
        if color:
            severity = f"{_COLORS[d.severity]}{_BOLD}{severity}{_RESET}"
        lines.append(f"{d.location}: {severity}[{d.rule}]: {d.message}")
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    lines.extend(notes)
    s = summarize(diagnostics, files)
    lines.append(
        f"{s.errors} error{'s' * (s.errors != 1)}, {s.warnings} warning{'s' * (s.warnings != 1)}"
        + (f", {s.infos} info" if s.infos else "")
        + f" in {files} file{'s' * (files != 1)}"
    )
    return "\n".join(lines) + "\n"


def render_json(diagnostics: Sequence[Diagnostic], files: int, *, notes: Sequence[str] = ()) -> str:
    payload: dict[str, object] = {
        "diagnostics": [d.to_json() for d in sort_diagnostics(diagnostics)],
        "summary": summarize(diagnostics, files).to_json(),
    }
    if notes:
        payload["notes"] = list(notes)
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(
    diagnostics: Sequence[Diagnostic],
    files: int,
    *,
    rule_docs: RuleLookup = _no_docs,
    notes: Sequence[str] = (),
) -> str:
    ordered = sort_diagnostics(diagnostics)
    rule_ids = sorted({d.rule for d in ordered})
    rules = []
    for rule_id in rule_ids:
        doc = rule_docs(rule_id)
        descriptor: dict[str, object] = {"id": rule_id}
        if doc is not None:
            descriptor["shortDescription"] = {"text": doc.summary}
            if doc.explanation:
                descriptor["fullDescription"] = {"text": doc.explanation}
                descriptor["help"] = {"text": doc.explanation}
            descriptor["defaultConfiguration"] = {"level": _SARIF_LEVEL[doc.severity]}
        rules.append(descriptor)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = []
    for d in ordered:
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        result: dict[str, object] = {
            "ruleId": d.rule,
            "ruleIndex": index[d.rule],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": message},
        }
        if d.location.file is not None:
            physical: dict[str, object] = {
                "artifactLocation": {"uri": d.location.file.replace("\\", "/")}
            }
            if d.location.line is not None:
                physical["region"] = {
                    "startLine": d.location.line,
                    "startColumn": d.location.column or 1,
                }
            location: dict[str, object] = {"physicalLocation": physical}
            if d.location.pointer is not None:
                location["logicalLocations"] = [
                    {"fullyQualifiedName": d.location.pointer or "/", "kind": "member"}
                ]
            result["locations"] = [location]
        results.append(result)
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "schemagen",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    if notes:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"message": {"text": n}, "level": "note"} for n in notes
                ],
            }
        ]
    return (
        json.dumps(
            {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


def render_junit(
    diagnostics: Sequence[Diagnostic], files: Iterable[str], *, suite: str = "schemagen"
) -> str:
    """One testcase per file checked; each error finding is a failure, warnings go to system-out."""
    ordered = sort_diagnostics(diagnostics)
    by_file: dict[str, list[Diagnostic]] = {}
    for d in ordered:
        by_file.setdefault(d.location.file or "<corpus>", []).append(d)
    names = sorted(set(files) | set(by_file))
    failures = sum(
        1 for name in names if any(d.severity is Severity.ERROR for d in by_file.get(name, ()))
    )
    root = ElementTree.Element(
        "testsuites", name=suite, tests=str(len(names)), failures=str(failures), errors="0"
    )
    testsuite = ElementTree.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(names)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for name in names:
        case = ElementTree.SubElement(testsuite, "testcase", name=name, classname=suite)
        found = by_file.get(name, [])
        errors = [d for d in found if d.severity is Severity.ERROR]
        if errors:
            failure = ElementTree.SubElement(
                case,
                "failure",
                message=f"{len(errors)} error(s): {errors[0].message}",
                type=errors[0].rule,
            )
            failure.text = "\n".join(str(d) for d in errors)
        others = [d for d in found if d.severity is not Severity.ERROR]
        if others:
            ElementTree.SubElement(case, "system-out").text = "\n".join(str(d) for d in others)
    ElementTree.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(root, encoding="unicode")
        + "\n"
    )


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    lines = []
    for d in sort_diagnostics(diagnostics):
        props = []
        if d.location.file:
            props.append(f"file={_escape_property(d.location.file)}")
            if d.location.line:
                props.append(f"line={d.location.line}")
                props.append(f"col={d.location.column or 1}")
        props.append(f"title={_escape_property(d.rule)}")
        message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        lines.append(f"::{_GITHUB_COMMAND[d.severity]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def render(
    fmt: str,
    diagnostics: Sequence[Diagnostic],
    files: Sequence[str],
    *,
    color: bool = False,
    rule_docs: RuleLookup = _no_docs,
    notes: Sequence[str] = (),
    suite: str = "schemagen",
) -> str:
    if fmt == "text":
        return render_text(diagnostics, len(files), color=color, notes=notes)
    if fmt == "json":
        return render_json(diagnostics, len(files), notes=notes)
    if fmt == "sarif":
        return render_sarif(diagnostics, len(files), rule_docs=rule_docs, notes=notes)
    if fmt == "junit":
        return render_junit(diagnostics, files, suite=suite)
    if fmt == "github":
        return render_github(diagnostics)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
