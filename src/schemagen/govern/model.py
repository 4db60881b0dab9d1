"""Rules as data (after buf's bufcheck): an id, a severity, documentation, a stage and a check.

A check is a pure function of a frozen `RuleContext`; it yields `Finding`s (and, when it had
nothing to read, `Note`s). The engine turns findings into diagnostics, applying the configured
severity, suppressions and per-path ignores, so checks never deal with any of that.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from schemagen.diagnostics import Location, Severity
from schemagen.reports import RuleDoc

if TYPE_CHECKING:
    from schemagen.govern.context import RuleContext

RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*$")


class Stage(enum.Enum):
    """What a rule reads; the engine notes when a stage has nothing to read."""

    CORPUS = "corpus"
    GRAPH = "graph"
    GENERATED = "generated"
    CODE = "code"


@dataclass(frozen=True)
class Finding:
    """One violation, before the engine gives it a rule id and a severity."""

    message: str
    location: Location
    hint: str | None = None


@dataclass(frozen=True)
class Note:
    """Something the run should say that is not a finding (e.g. nothing to read)."""

    text: str


Check = Callable[["RuleContext"], Iterable[Finding | Note]]


def _no_check(context: RuleContext) -> Iterable[Finding | Note]:
    return ()


@dataclass(frozen=True)
class Rule:
    """One governance rule. `check` must be pure: same context, same findings."""

    id: str
    severity: Severity
    summary: str
    explanation: str
    stage: Stage
    check: Check = _no_check

    def __post_init__(self) -> None:
        if not RULE_ID.match(self.id):
            raise ValueError(f"rule id {self.id!r} is not family/name (lower-case, hyphenated)")

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def doc(self) -> RuleDoc:
        return RuleDoc(self.id, self.summary, self.explanation, self.severity)
