"""Diagnostics: the one currency every stage reports in.

A diagnostic is an immutable value with a rule id (`family/name`), a severity, a location
(file, 1-based line and column, JSON Pointer) and a message with an optional hint, like a
compiler's. Stages return tuples of them; reporters (`schemagen.reports`) render them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.lower())
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (known: {known})") from None


@dataclass(frozen=True, order=True)
class Location:
    """Where a finding is: a file as the user would type it, 1-based line/column, a pointer."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        if self.file is None:
            return "<corpus>"
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


@dataclass(frozen=True)
class Diagnostic:
    rule: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    hint: str | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.file or "", loc.line or 0, loc.column or 0, self.rule, self.message)

    def to_json(self) -> dict[str, object]:
        loc = self.location
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "pointer": loc.pointer,
            "message": self.message,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity.value}[{self.rule}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """A stable, order-independent presentation: by file, line, column, rule, message."""
    return tuple(sorted(set(diagnostics), key=lambda d: d.sort_key))


@dataclass(frozen=True)
class Summary:
    errors: int
    warnings: int
    infos: int
    files: int

    def to_json(self) -> dict[str, int]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "files": self.files,
        }


def summarize(diagnostics: Iterable[Diagnostic], files: int) -> Summary:
    counts = {s: 0 for s in Severity}
    for diagnostic in diagnostics:
        counts[diagnostic.severity] += 1
    return Summary(counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO], files)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)
