"""In-source suppressions: `x-schemagen-ignore` in schemas, `# schemagen: ignore[...]` in Python.

    "x-schemagen-ignore": {"magic-numbers/unnamed-literal": "legacy value, see ADR-12"}

applies to the schema object that holds it and everything below (at the root: the whole file).

    x = Model.model_json_schema()  # schemagen: ignore[schema-first/reverse-flow] docs only

applies to its own line; alone on a line, to that line and the next. A rule id or a family may be
named. Every suppression needs a reason and must suppress something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from schemagen.diagnostics import Diagnostic, Location
from schemagen.govern.code import PythonSource
from schemagen.load import SchemaDocument
from schemagen.sourcemap import join_pointer
from schemagen.walk import SchemaNode

KEYWORD = "x-schemagen-ignore"


@dataclass(frozen=True)
class Suppression:
    rule: str
    """A rule id or a family."""
    reason: str
    location: Location
    """Where the suppression is written."""
    file: str
    pointer: str | None
    """Schema suppressions: the schema object it covers (with everything below)."""
    lines: frozenset[int] = frozenset()
    """Python suppressions: the lines it covers."""

    def names(self, rule: str) -> bool:
        return rule == self.rule or rule.startswith(self.rule + "/")

    def covers(self, diagnostic: Diagnostic) -> bool:
        location = diagnostic.location
        if location.file != self.file or not self.names(diagnostic.rule):
            return False
        if self.pointer is not None:
            if self.pointer == "":
                return True
            target = location.pointer
            return target is not None and (
                target == self.pointer or target.startswith(self.pointer + "/")
            )
        return location.line in self.lines


@dataclass(frozen=True)
class Malformed:
    message: str
    location: Location


def schema_suppressions(
    documents: Iterable[SchemaDocument],
    nodes: Callable[[SchemaDocument], Iterable[SchemaNode]] | None = None,
) -> Iterator[Suppression | Malformed]:
    for document in documents:
        walked = nodes(document) if nodes is not None else document.nodes
        for node in walked:
            if KEYWORD not in node.schema:
                continue
            value = node.schema[KEYWORD]
            base = join_pointer(node.pointer, KEYWORD)
            if not isinstance(value, Mapping):
                yield Malformed(
                    f"{KEYWORD} must be an object from rule id to reason", document.locate(base)
                )
                continue
            for rule, reason in value.items():
                text = reason.strip() if isinstance(reason, str) else ""
                yield Suppression(
                    str(rule),
                    text,
                    document.locate(join_pointer(base, rule)),
                    document.display,
                    node.pointer,
                )


def code_suppressions(sources: Iterable[PythonSource]) -> Iterator[Suppression | Malformed]:
    for source in sources:
        for comment in source.comments:
            location = Location(source.display, comment.line, comment.column)
            if not comment.rules:
                yield Malformed("# schemagen: ignore[] names no rule", location)
            for rule in comment.rules:
                yield Suppression(
                    rule, comment.reason, location, source.display, None, comment.covers
                )
