"""The x-infrastructure block of a schema: flattened (`$ref`s inside it replaced by what they
point to, siblings overriding) and validated against the schema that ships with schemagen.

A `$ref` inside the block (for instance to a shared stack under `schemas/infrastructure/`)
resolves like any other relative reference, against the schema's `$id` and failing that its file
path; the referenced value is deep-merged under the sibling keys. Every document reached this way
is a dependency of the generated files (their `sources`).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urldefrag

import jsonschema

from schemagen.diagnostics import Diagnostic, Severity
from schemagen.load import SchemaDocument
from schemagen.resolve import Corpus
from schemagen.sourcemap import join_pointer, resolve_pointer
from schemagen.walk import join_uri

KEYWORD = "x-infrastructure"
POINTER = "/" + KEYWORD
RULE_INVALID = "backstage/invalid-infrastructure"
RULE_REF = "backstage/unresolvable-ref"


@functools.cache
def infrastructure_schema() -> Mapping[str, Any]:
    """The x-infrastructure keyword's schema, from the package data."""
    resource = importlib.resources.files("schemagen").joinpath(
        "schemas/x-infrastructure.schema.json"
    )
    loaded: Mapping[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Flattened:
    """A flattened block (None when it cannot be used), the documents it reached, its problems."""

    value: Mapping[str, Any] | None
    dependencies: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]


def flatten_infrastructure(corpus: Corpus, document: SchemaDocument) -> Flattened:
    """The document's x-infrastructure, `$ref`s resolved and validated."""
    dependencies: set[str] = set()
    problems: list[Diagnostic] = []
    value = _flatten(
        corpus, document, document.contents[KEYWORD], POINTER, frozenset(), dependencies, problems
    )
    dependencies.discard(document.relpath)
    if problems:
        return Flattened(None, tuple(sorted(dependencies)), tuple(problems))
    invalid = _validation_problems(document, value)
    usable = value if not invalid and isinstance(value, Mapping) else None
    return Flattened(usable, tuple(sorted(dependencies)), invalid)


def _flatten(
    corpus: Corpus,
    document: SchemaDocument,
    value: Any,
    pointer: str,
    visiting: frozenset[tuple[str, str]],
    dependencies: set[str],
    problems: list[Diagnostic],
) -> Any:
    if isinstance(value, list):
        return [
            _flatten(
                corpus, document, v, join_pointer(pointer, i), visiting, dependencies, problems
            )
            for i, v in enumerate(value)
        ]
    if not isinstance(value, Mapping):
        return value
    own = {
        k: _flatten(corpus, document, v, join_pointer(pointer, k), visiting, dependencies, problems)
        for k, v in value.items()
        if k != "$ref"
    }
    ref = value.get("$ref")
    if not isinstance(ref, str):
        return own
    found = ref_target(corpus, document, ref)
    if found is None:
        problems.append(_ref_problem(document, pointer, f"cannot resolve {ref!r}"))
        return own
    target, target_pointer, target_value = found
    key = (target.relpath, target_pointer)
    if key in visiting:
        problems.append(_ref_problem(document, pointer, f"{ref!r} refers back to itself"))
        return own
    dependencies.add(target.relpath)
    base = _flatten(
        corpus, target, target_value, target_pointer, visiting | {key}, dependencies, problems
    )
    return deep_merge(base, own)


def deep_merge(base: Any, override: Mapping[str, Any]) -> Any:
    """`override` over `base`: mappings merge key by key, anything else is replaced."""
    if not isinstance(base, Mapping):
        return dict(override) if override else base
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        merged[key] = (
            deep_merge(old, value)
            if isinstance(old, Mapping) and isinstance(value, Mapping)
            else value
        )
    return merged


def ref_target(
    corpus: Corpus, document: SchemaDocument, ref: str
) -> tuple[SchemaDocument, str, Any] | None:
    """What `ref`, written in `document`, points to: by `$id`, else by file path."""
    for base in (corpus.uri_of(document), document.file_uri):
        url, fragment = urldefrag(join_uri(base, ref))
        target = document if not url or url == urldefrag(base).url else corpus.by_path(url)
        if target is None:
            continue
        pointer = unquote(fragment)
        try:
            return target, pointer, resolve_pointer(target.contents, pointer)
        except (LookupError, ValueError):
            continue
    return None


def _ref_problem(document: SchemaDocument, pointer: str, message: str) -> Diagnostic:
    return document.diagnostic(
        RULE_REF,
        Severity.ERROR,
        f"x-infrastructure: {message}",
        join_pointer(pointer, "$ref"),
        "a $ref inside x-infrastructure is relative to this schema, like any other $ref",
    )


def _validation_problems(document: SchemaDocument, value: Any) -> tuple[Diagnostic, ...]:
    validator = jsonschema.Draft202012Validator(infrastructure_schema())
    found = []
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.path))):
        pointer = join_pointer(POINTER, *error.absolute_path)
        where = pointer if _exists(document, pointer) else POINTER
        found.append(
            document.diagnostic(
                RULE_INVALID,
                Severity.ERROR,
                f"x-infrastructure{pointer[len(POINTER) :] or ''}: {error.message}",
                where,
                "see src/schemagen/schemas/x-infrastructure.schema.json for what the block holds",
            )
        )
    return tuple(found)


def _exists(document: SchemaDocument, pointer: str) -> bool:
    try:
        resolve_pointer(document.contents, pointer)
    except (LookupError, ValueError):
        return False
    return True
