"""Whole-run cache: when nothing that determines the output changed, reuse the output as it is.

The output of `generate` is a pure function of (the schemas' bytes, the configuration, the
schemagen code that ran). The cache records a fingerprint of the code and configuration, the
sha256 of every schema, and the sha256 and sources of every file written. A later run with the
same fingerprint and schemas, whose output directory still holds exactly those files, is a
no-op; with some schemas changed, each output whose sources did not change is reused. Anything
else (a hand-edited output, a new schemagen) falls through to the real pipeline, so the cache
can make a run faster but never different. It lives beside the output directory, not in it, so
the committed tree never depends on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from schemagen import __version__
from schemagen.config import Config
from schemagen.diagnostics import Diagnostic, Location, Severity
from schemagen.outputs import GeneratedFile, atomic_write, existing_files, sha256_bytes

CACHE_VERSION = 2


def cache_path(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.schemagen-cache.json"


@cache
def code_fingerprint() -> str:
    """sha256 over schemagen's own modules, templates and shipped schemas."""
    digest = hashlib.sha256(__version__.encode())
    package = resources.files("schemagen")
    stack = [package]
    entries: list[tuple[str, bytes]] = []
    while stack:
        node = stack.pop()
        for child in node.iterdir():
            if child.is_dir():
                if child.name != "__pycache__":
                    stack.append(child)
            elif child.name.endswith((".py", ".j2", ".json", ".yaml", ".typed")):
                entries.append((str(child), child.read_bytes()))
    for name, data in sorted(entries):
        digest.update(name.rsplit("schemagen", 1)[-1].encode())
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def settings_fingerprint(config: Config) -> str:
    """Everything but the schemas that determines the output: schemagen's code and settings."""
    settings = {
        "schemas": str(config.schemas),
        "out": str(config.out),
        "url_map": [(m.prefix, str(m.directory)) for m in config.url_map],
        "default_dialect": config.default_dialect,
        "base_uri": config.base_uri,
        "constants": [(str(p), _file_digest(p)) for p in config.constants],
        "sections": config.sections,
        "project_code": config.project_code,
    }
    payload = json.dumps([code_fingerprint(), settings], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _file_digest(path: Path) -> str | None:
    try:
        return sha256_bytes(path.read_bytes())
    except OSError:
        return None


@dataclass(frozen=True)
class CachedRun:
    files: tuple[GeneratedFile, ...]
    diagnostics: tuple[Diagnostic, ...]


def _diagnostic_from_json(data: Mapping[str, Any]) -> Diagnostic:
    location = Location(data.get("file"), data.get("line"), data.get("column"), data.get("pointer"))
    return Diagnostic(
        data["rule"], Severity(data["severity"]), data["message"], location, data.get("hint")
    )


def _read_state(config: Config) -> dict[str, Any] | None:
    try:
        state = json.loads(cache_path(config.out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("version") != CACHE_VERSION:
        return None
    return state


def load_cached_run(config: Config, inputs: Mapping[str, str]) -> CachedRun | None:
    """The previous run's output, if it is still exactly what this run would produce:
    nothing changed since, and the output directory holds exactly what that run wrote."""
    previous = load_previous_run(config, inputs)
    if previous is None or previous.changed:
        return None
    if set(existing_files(config.out)) != set(previous.entries):
        return None
    files = [previous.reuse(path) for path in sorted(previous.entries)]
    if any(f is None for f in files):
        return None  # edited by hand: regenerate
    return CachedRun(tuple(f for f in files if f is not None), previous.diagnostics)


def store_run(
    config: Config,
    inputs: Mapping[str, str],
    files: Sequence[GeneratedFile],
    diagnostics: Sequence[Diagnostic],
) -> None:
    state = {
        "version": CACHE_VERSION,
        "settings": settings_fingerprint(config),
        "inputs": dict(inputs),
        "files": {
            f.path: {"sha256": f.sha256, "sources": list(f.sources), "kind": f.kind} for f in files
        },
        "diagnostics": [d.to_json() for d in diagnostics],
    }
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
        atomic_write(cache_path(config.out), json.dumps(state, sort_keys=True).encode())


@dataclass(frozen=True)
class PreviousRun:
    """The last successful run, for reusing the outputs whose sources did not change.

    Only offered when schemagen's code and settings are the same and the set of schema files is
    too (a new or deleted file can change how refs resolve), so an output is a function of the
    bytes of its recorded sources alone.
    """

    out_dir: Path
    changed: frozenset[str]
    entries: Mapping[str, tuple[str, tuple[str, ...], str]]
    diagnostics: tuple[Diagnostic, ...]

    def fresh(self, sources: Iterable[str]) -> bool:
        return self.changed.isdisjoint(sources)

    def findings(self, file: str, family: str) -> tuple[Diagnostic, ...]:
        """What the last run reported in `file` under rules `family/...` (the findings that go
        with outputs it reuses)."""
        prefix = f"{family}/"
        return tuple(
            d for d in self.diagnostics if d.location.file == file and d.rule.startswith(prefix)
        )

    def reuse(self, path: str) -> GeneratedFile | None:
        """The file as the last run wrote it, if its sources are unchanged and it is intact."""
        entry = self.entries.get(path)
        if entry is None or not self.fresh(entry[1]):
            return None
        try:
            file = GeneratedFile(path, (self.out_dir / path).read_bytes(), entry[1], entry[2])
        except OSError:
            return None
        return file if file.sha256 == entry[0] else None


def load_previous_run(config: Config, inputs: Mapping[str, str]) -> PreviousRun | None:
    state = _read_state(config)
    if state is None or state.get("settings") != settings_fingerprint(config):
        return None
    before: dict[str, str] = state.get("inputs", {})
    if set(before) != set(inputs):
        return None
    try:
        entries = {
            path: (str(e["sha256"]), tuple(e["sources"]), str(e["kind"]))
            for path, e in state.get("files", {}).items()
        }
        diagnostics = tuple(_diagnostic_from_json(d) for d in state.get("diagnostics", []))
    except (KeyError, ValueError, TypeError):
        return None
    changed = frozenset(
        relpath for relpath, digest in inputs.items() if before.get(relpath) != digest
    )
    return PreviousRun(config.out, changed, entries, diagnostics)
