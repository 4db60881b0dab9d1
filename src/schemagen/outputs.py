"""Generated output: files as values, a manifest of what came from what, and atomic writes.

Every generator returns `GeneratedFile`s (path under the output directory, bytes, the schemas
they come from). `write_tree` replaces the whole output directory in one step: the new tree is
built beside it and exchanged with the old one (`renameat2(RENAME_EXCHANGE)` on Linux, two
renames with recovery elsewhere), so an interrupted run leaves the previous tree whole.

The manifest (`manifest.json` in the output directory) records each file's sha256 and sources;
impact analysis, drift checks and hand-edit detection read it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import json
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from schemagen.diagnostics import Diagnostic, Location, Severity
from schemagen.jsontext import json_bytes

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class GeneratedFile:
    """One output file. `path` is POSIX, relative to the output directory."""

    path: str
    content: bytes
    sources: tuple[str, ...] = ()
    kind: str = "other"

    def __post_init__(self) -> None:
        pure = PurePosixPath(self.path)
        if pure.is_absolute() or ".." in pure.parts or not self.path:
            raise ValueError(f"generated path must stay inside the output directory: {self.path!r}")

    @cached_property
    def sha256(self) -> str:  # asked by the manifest, the cache and drift checks: hashed once
        return sha256_bytes(self.content)


@dataclass(frozen=True)
class ManifestEntry:
    sha256: str
    sources: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Manifest:
    files: Mapping[str, ManifestEntry] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    """Source schema relpath -> sha256 of its bytes, at generation time."""

    def outputs_of(self, sources: Iterable[str]) -> tuple[str, ...]:
        wanted = set(sources)
        return tuple(
            sorted(path for path, entry in self.files.items() if wanted & set(entry.sources))
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION,
            "inputs": dict(sorted(self.inputs.items())),
            "files": {
                path: {"sha256": entry.sha256, "sources": list(entry.sources), "kind": entry.kind}
                for path, entry in sorted(self.files.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        files = {
            str(path): ManifestEntry(
                str(entry["sha256"]),
                tuple(entry.get("sources", ())),
                str(entry.get("kind", "other")),
            )
            for path, entry in data.get("files", {}).items()
        }
        return cls(files, {str(k): str(v) for k, v in data.get("inputs", {}).items()})


def build_manifest(files: Iterable[GeneratedFile], inputs: Mapping[str, str]) -> Manifest:
    return Manifest(
        {f.path: ManifestEntry(f.sha256, tuple(sorted(set(f.sources))), f.kind) for f in files},
        dict(inputs),
    )


def manifest_file(manifest: Manifest) -> GeneratedFile:
    return GeneratedFile(MANIFEST_NAME, json_bytes(manifest.to_json()), (), "manifest")


def read_manifest(out_dir: Path) -> Manifest | None:
    """The manifest of an existing output directory, or None if absent or unreadable."""
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return None
    try:
        return Manifest.from_json(data)
    except (KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class Drift:
    """How an output directory differs from what would be written."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.added or self.changed or self.removed)


def existing_files(out_dir: Path) -> dict[str, Path]:
    if not out_dir.is_dir():
        return {}
    found: dict[str, Path] = {}
    for directory, dirnames, filenames in os.walk(out_dir):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            path = Path(directory) / name
            found[path.relative_to(out_dir).as_posix()] = path
    return found


def compute_drift(out_dir: Path, files: Iterable[GeneratedFile]) -> Drift:
    wanted = {f.path: f for f in files}
    present = existing_files(out_dir)
    added = sorted(p for p in wanted if p not in present)
    removed = sorted(p for p in present if p not in wanted)
    changed = sorted(
        p for p in wanted if p in present and present[p].read_bytes() != wanted[p].content
    )
    return Drift(tuple(added), tuple(changed), tuple(removed))


@functools.cache
def _renameat2() -> Any:
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    return getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the platform cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


def _backup_path(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.previous")


def recover_interrupted(out_dir: Path) -> None:
    """Put back the previous tree if a run died between the two renames of the fallback swap."""
    backup = _backup_path(out_dir)
    if backup.exists() and not out_dir.exists():
        backup.rename(out_dir)
    elif backup.exists():
        shutil.rmtree(backup, ignore_errors=True)
    if out_dir.parent.is_dir():
        for leftover in out_dir.parent.glob(f".{out_dir.name}.new-*"):
            shutil.rmtree(leftover, ignore_errors=True)  # a staging tree from a killed run


def _write_new(path: str, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(descriptor, "wb") as stream:
        os.fchmod(descriptor, 0o644)  # whatever the umask
        stream.write(content)


def _link(existing: str, target: str) -> bool:
    try:
        os.link(existing, target)
    except OSError:
        return False
    return True


class OutputDirError(Exception):
    """The output directory cannot be (re)written without risking files schemagen did not write."""


def check_output_dir(out_dir: Path, *, schemas: Path, protected: Iterable[Path] = ()) -> None:
    """Refuse an output directory whose replacement could destroy anything else.

    `out_dir` is replaced whole on every run, so it must neither be nor contain the schemas
    directory or any of `protected` (the project, the working directory), must not sit inside
    the schemas (its output would be read back as schemas), must be a directory if it exists,
    and must be empty or hold schemagen's manifest, the proof that schemagen wrote it.
    """
    out = out_dir.resolve()
    for path in (schemas, *protected):
        guarded = path.resolve()
        if guarded == out or guarded.is_relative_to(out):
            raise OutputDirError(
                f"refusing to write generated output to {out_dir}: it would replace {path}"
            )
    if out.is_relative_to(schemas.resolve()):
        raise OutputDirError(
            f"refusing to write generated output to {out_dir}: it is inside the schemas directory"
        )
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"output directory {out_dir} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise OutputDirError(
            f"{out_dir} holds files schemagen did not write (no {MANIFEST_NAME}); "
            "refusing to replace it: empty it or choose another --out"
        )


def write_tree(out_dir: Path, files: Iterable[GeneratedFile]) -> Drift:
    """Make `out_dir` hold exactly `files`, atomically. Writes nothing when nothing differs.

    The new tree is built beside `out_dir` (unchanged files hard-linked, never copied) and
    swapped in with one atomic exchange of the two directories. The previous tree, which the
    exchange leaves in the staging place, is kept as the next run's staging tree (the spare):
    rebuilding a tree is mostly creating its directories, slow on some filesystems, and the
    spare already has them. A spare's files are all replaced before use, so a spare left in
    any state (a killed run, a hand edit) costs time, never correctness.
    """
    files = list(files)
    recover_interrupted(out_dir)
    drift = compute_drift(out_dir, files)
    if drift.clean:
        return drift
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    spare = _spare_path(out_dir)
    if spare.is_dir() and not spare.is_symlink() and out_dir.is_dir():
        staging = spare
    else:
        if os.path.lexists(spare):
            _remove(str(spare))
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        unchanged = {f.path for f in files} - set(drift.added) - set(drift.changed)
        _fill(staging, out_dir, files, unchanged)
        if out_dir.exists() and _exchange(staging, out_dir):
            if staging != spare:
                try:
                    staging.rename(spare)  # the previous tree: the next run's staging
                except OSError:  # only a spare lost: the write itself is done
                    shutil.rmtree(staging, ignore_errors=True)
            return drift
        backup = _backup_path(out_dir)
        if out_dir.exists():
            out_dir.rename(backup)
        staging.rename(out_dir)
        shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return drift


def _fill(staging: Path, out_dir: Path, files: list[GeneratedFile], unchanged: set[str]) -> None:
    """Make `staging` hold exactly `files`: everything else in it goes, every file is placed
    anew (linked from `out_dir` when unchanged: files are never modified in place)."""
    root, old = str(staging), str(out_dir)
    directories: set[str] = set()  # every directory a file needs, ancestors included
    for generated in files:
        parent = posixpath.dirname(generated.path)
        while parent and parent not in directories:
            directories.add(parent)
            parent = posixpath.dirname(parent)
    for directory, dirnames, filenames in os.walk(root, topdown=False):
        relative = os.path.relpath(directory, root).replace(os.sep, "/")
        relative = "" if relative == "." else relative
        for name in filenames:
            os.unlink(os.path.join(directory, name))
        for name in dirnames:
            path = posixpath.join(relative, name) if relative else name
            full = os.path.join(directory, name)
            if path not in directories or os.path.islink(full):
                _remove(full)
    for directory in sorted(directories):
        full = os.path.join(root, directory)
        if not os.path.isdir(full):
            os.makedirs(full, mode=0o755, exist_ok=True)
        os.chmod(full, 0o755)
    os.chmod(root, 0o755)
    for generated in files:
        target = os.path.join(root, generated.path)
        if generated.path in unchanged and _link(os.path.join(old, generated.path), target):
            continue
        _write_new(target, generated.content)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _spare_path(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.schemagen-spare")


@dataclass(frozen=True)
class StageResult:
    """What a generating stage returns: files to write and what it found on the way."""

    files: tuple[GeneratedFile, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def drift_diagnostics(out_dir: Path, drift: Drift, display: str) -> tuple[Diagnostic, ...]:
    """One `schema-first/drift` error per output file that differs from what would be generated."""
    found = []
    for reason, paths in (
        ("missing", drift.added),
        ("differs from the schemas", drift.changed),
        ("has no source", drift.removed),
    ):
        for path in paths:
            found.append(
                Diagnostic(
                    "schema-first/drift",
                    Severity.ERROR,
                    f"generated file {reason}",
                    Location(f"{display}/{path}"),
                    "run `schemagen generate` and commit the result; "
                    "never edit generated files by hand",
                )
            )
    return tuple(found)


def atomic_write(path: Path, data: bytes) -> None:
    """Write one file so that readers see the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def subtree(files: Iterable[GeneratedFile], prefix: str) -> tuple[GeneratedFile, ...]:
    """The files under `prefix/`, with paths relative to it (to write one part of the tree)."""
    cut = prefix.rstrip("/") + "/"
    return tuple(
        GeneratedFile(f.path[len(cut) :], f.content, f.sources, f.kind)
        for f in files
        if f.path.startswith(cut)
    )
