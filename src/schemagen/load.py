"""Load stage: every schema file under a root into immutable documents that know their source.

Files that cannot be used (bad syntax, bad encoding, not an object, a link out of the root) become
diagnostics; loading goes on with the other files. Nothing here touches the network.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

from schemagen.diagnostics import Diagnostic, Location, Severity
from schemagen.sourcemap import ParseError, SourceMap, parse_document
from schemagen.walk import SchemaNode, iter_schemas

SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")

KNOWN_DIALECTS: Mapping[str, str] = {
    "http://json-schema.org/draft-03/schema": "draft-03",
    "http://json-schema.org/draft-04/schema": "draft-04",
    "http://json-schema.org/draft-06/schema": "draft-06",
    "http://json-schema.org/draft-07/schema": "draft-07",
    "https://json-schema.org/draft/2019-09/schema": "2019-09",
    "https://json-schema.org/draft/2020-12/schema": "2020-12",
}


def normalize_dialect(uri: str) -> str | None:
    """The canonical dialect URI for `uri` (tolerating a trailing '#' or http/https), or None."""
    bare = urldefrag(uri.strip()).url.rstrip("/")
    for candidate in (
        bare,
        bare.replace("https://", "http://", 1),
        bare.replace("http://", "https://", 1),
    ):
        if candidate in KNOWN_DIALECTS:
            return candidate
    return None


@dataclass(frozen=True)
class SchemaDocument:
    """One loaded schema file. `contents` is plain JSON data: treat it as read-only."""

    path: Path
    relpath: str
    display: str
    contents: Mapping[str, Any]
    source_map: SourceMap
    syntax: str
    dialect: str
    declared_dialect: str | None
    sha256: str

    @cached_property
    def file_uri(self) -> str:
        return self.path.as_uri()

    @cached_property
    def nodes(self) -> tuple[SchemaNode, ...]:
        """Every subschema, root first (`walk.iter_schemas` from the file's URI), found once:
        compiling, validating, generating and governing each walk every document."""
        return tuple(iter_schemas(self.contents, self.file_uri, self.dialect))

    @property
    def declared_id(self) -> str | None:
        key = "id" if self.dialect == "http://json-schema.org/draft-04/schema" else "$id"
        value = self.contents.get(key)
        return value if isinstance(value, str) else None

    @property
    def title(self) -> str | None:
        value = self.contents.get("title")
        return value if isinstance(value, str) else None

    def locate(self, pointer: str | None) -> Location:
        line, column = self.source_map.locate(pointer or "")
        return Location(self.display, line, column, pointer)

    def diagnostic(
        self,
        rule: str,
        severity: Severity,
        message: str,
        pointer: str | None = None,
        hint: str | None = None,
    ) -> Diagnostic:
        return Diagnostic(rule, severity, message, self.locate(pointer), hint)


@dataclass(frozen=True)
class LoadResult:
    root: Path
    documents: tuple[SchemaDocument, ...]
    diagnostics: tuple[Diagnostic, ...]
    files_seen: int


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _walk(root: Path) -> Iterator[tuple[Path, Diagnostic | None]]:
    """Schema files under `root` in a stable order; links that leave the root are diagnostics."""
    resolved_root = root.resolve()
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(dirnames):
            link = Path(directory) / name
            if link.is_symlink():
                yield link, _outside_root(link, resolved_root)
        for name in sorted(filenames):
            path = Path(directory) / name
            if not name.endswith(SCHEMA_SUFFIXES) or name.startswith("."):
                continue
            problem = _unusable(path, resolved_root)
            if problem is not None:
                yield path, problem
                continue
            yield path, None


def _unusable(path: Path, root: Path) -> Diagnostic | None:
    """Why a file cannot be loaded before it is even read: its name, or where its link goes."""
    try:
        os.fsdecode(path).encode("utf-8")
    except UnicodeEncodeError:
        return Diagnostic(
            "load/bad-filename",
            Severity.ERROR,
            "file name is not valid UTF-8",
            Location(display_path(path).encode("utf-8", "backslashreplace").decode()),
            "rename the file; schema names end up in $ids, module names and reports",
        )
    if not path.is_symlink():
        return None
    try:
        path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.11
        return Diagnostic(
            "load/unreadable",
            Severity.ERROR,
            "symbolic link that leads nowhere (dangling or a loop)",
            Location(display_path(path)),
            "remove the link or point it at a schema file",
        )
    return _outside_root(path, root)


def _outside_root(path: Path, root: Path) -> Diagnostic | None:
    target = path.resolve()
    if target.is_relative_to(root):
        return None  # a link inside the root: its target is loaded on its own
    return Diagnostic(
        "load/outside-root",
        Severity.ERROR,
        f"symbolic link points outside the schemas root, to {target}",
        Location(display_path(path)),
        "schemagen reads only files under the schemas root; copy the schema in or use --map",
    )


Loaded = tuple[SchemaDocument | None, tuple[Diagnostic, ...]]


def load_file(path: Path, root: Path) -> Loaded:
    """Load one schema file; any problem comes back as diagnostics, never as an exception."""
    display = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, (
            Diagnostic(
                "load/unreadable",
                Severity.ERROR,
                f"cannot read file: {error.strerror}",
                Location(display),
            ),
        )
    return _load_bytes(path, root, display, data)


# Keyed by the file's bytes: a long-lived process (`generate --watch`) reloads an unchanged file
# for free. Documents are immutable values, so sharing them between runs is safe.
@functools.lru_cache(maxsize=20_000)
def _load_bytes(path: Path, root: Path, display: str, data: bytes) -> Loaded:
    try:
        parsed = parse_document(data, yaml_syntax=path.suffix in (".yaml", ".yml"))
    except ParseError as error:
        return None, (
            Diagnostic(
                error.rule,
                Severity.ERROR,
                error.message,
                Location(display, error.line, error.column),
                error.hint,
            ),
        )
    diagnostics = [
        Diagnostic(w.rule, Severity.WARNING, w.message, Location(display, w.line, w.column), w.hint)
        for w in parsed.warnings
    ]
    if not isinstance(parsed.value, dict):
        kind = type(parsed.value).__name__ if parsed.value is not None else "null"
        diagnostics.append(
            Diagnostic(
                "load/not-an-object",
                Severity.ERROR,
                f"a schema file must hold a JSON object, this one holds a {kind}",
                Location(display, 1, 1, ""),
                "boolean schemas are meaningful only inline; wrap the schema in {...}",
            )
        )
        return None, tuple(diagnostics)
    declared = parsed.value.get("$schema")
    dialect = normalize_dialect(declared) if isinstance(declared, str) else None
    document = SchemaDocument(
        path=path.resolve(),
        relpath=os.path.relpath(path.resolve(), root.resolve()).replace(os.sep, "/"),
        display=display,
        contents=parsed.value,
        source_map=parsed.source_map,
        syntax="yaml" if path.suffix in (".yaml", ".yml") else "json",
        dialect=dialect or "",
        declared_dialect=declared if isinstance(declared, str) else None,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return document, tuple(diagnostics)


def with_dialect(
    document: SchemaDocument, default_dialect: str
) -> tuple[SchemaDocument, Diagnostic | None]:
    """Settle the dialect: a missing or unknown `$schema` falls back to the default (diagnosed)."""
    if document.dialect:
        return document, None
    from dataclasses import replace

    declared = document.declared_dialect
    if declared is None:
        diagnostic = document.diagnostic(
            "load/missing-dialect",
            Severity.WARNING,
            f"no $schema; read as {KNOWN_DIALECTS[default_dialect]}",
            "",
            f'declare the dialect: "$schema": "{default_dialect}"',
        )
    else:
        known = ", ".join(sorted(KNOWN_DIALECTS))
        diagnostic = document.diagnostic(
            "load/unknown-dialect",
            Severity.ERROR,
            f"unknown $schema {declared!r}; read as {KNOWN_DIALECTS[default_dialect]}",
            "/$schema",
            f"$schema names the dialect the schema is written in, one of: {known}",
        )
    return replace(document, dialect=default_dialect), diagnostic


def load_corpus(root: Path, default_dialect: str) -> LoadResult:
    """Every schema file under `root`, in path order, plus the diagnostics of those that failed."""
    if not root.is_dir():
        raise FileNotFoundError(f"schemas directory {display_path(root)} does not exist")
    documents: list[SchemaDocument] = []
    diagnostics: list[Diagnostic] = []
    seen = 0
    for path, problem in _walk(root):
        seen += 1
        if problem is not None:
            diagnostics.append(problem)
            continue
        if path.is_dir():
            continue
        document, found = load_file(path, root)
        diagnostics.extend(found)
        if document is not None:
            document, dialect_problem = with_dialect(document, default_dialect)
            if dialect_problem:
                diagnostics.append(dialect_problem)
            documents.append(document)
    if seen == 0:
        diagnostics.append(
            Diagnostic(
                "load/no-schemas",
                Severity.WARNING,
                "no schema files (*.json, *.yaml, *.yml) under the schemas directory",
                Location(display_path(root)),
                "point --schemas (or [tool.schemagen] schemas) at the corpus",
            )
        )
    documents.sort(key=lambda d: d.relpath)
    return LoadResult(root.resolve(), tuple(documents), tuple(diagnostics), seen)


def input_digests(root: Path) -> dict[str, tuple[str, str]]:
    """relpath -> (display path, sha256 of the bytes) of every file `load_corpus` would read.

    What a cached run is keyed on: cheaper than loading, and the same set of files.
    """
    if not root.is_dir():
        raise FileNotFoundError(f"schemas directory {display_path(root)} does not exist")
    resolved = root.resolve()
    digests: dict[str, tuple[str, str]] = {}
    for path, problem in _walk(root):
        if problem is not None or path.is_dir():
            continue
        relpath = os.path.relpath(path.resolve(), resolved).replace(os.sep, "/")
        try:
            digests[relpath] = (display_path(path), hashlib.sha256(path.read_bytes()).hexdigest())
        except OSError:
            digests[relpath] = (display_path(path), "unreadable")
    return digests
