"""Benchmark: schemagen validate against `check-jsonschema --check-metaschema`, same files.

    python bench/bench_validate.py [--corpus DIR] [--map PREFIX=DIR]...

By default the corpus is SchemaStore's `schemas/json/` from the shared corpora, with
`https://json.schemastore.org/` mapped to it. schemagen does more than check-jsonschema does
(refs, duplicate $ids, examples, defaults, patterns); both figures are wall-clock time for the
whole job, files loaded, and findings. check-jsonschema runs as a subprocess over the same files,
in batches that keep the command line short.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))  # run from a checkout without installing

from schemagen.config import Config, UrlMapping  # noqa: E402
from schemagen.diagnostics import Severity  # noqa: E402
from schemagen.load import SCHEMA_SUFFIXES  # noqa: E402
from schemagen.resolve import compile_corpus  # noqa: E402
from schemagen.validate import validate_corpus  # noqa: E402

SCHEMASTORE = REPO.parent / "shared" / "corpora" / "schemastore" / "schemas" / "json"
SCHEMASTORE_PREFIX = "https://json.schemastore.org/"
BATCH = 400


@dataclass(frozen=True)
class Figures:
    tool: str
    seconds: float
    files: int
    loaded: int
    findings: Counter[str]

    @property
    def failing_files(self) -> int:
        return self.findings["files with errors"]


def run_schemagen(corpus: Path, url_map: tuple[UrlMapping, ...]) -> tuple[Figures, float]:
    started = time.perf_counter()
    compiled = compile_corpus(Config(schemas=corpus, url_map=url_map))
    compiled_at = time.perf_counter()
    diagnostics = validate_corpus(compiled)
    elapsed = time.perf_counter() - started
    findings = Counter(d.rule for d in diagnostics)
    findings["files with errors"] = len(
        {d.location.file for d in diagnostics if d.severity is Severity.ERROR}
    )
    return Figures(
        "schemagen", elapsed, compiled.files_seen, len(compiled.documents), findings
    ), compiled_at - started


def _check_jsonschema_command() -> list[str]:
    script = Path(sys.executable).with_name("check-jsonschema")
    return [str(script)] if script.exists() else [sys.executable, "-m", "check_jsonschema"]


def run_check_jsonschema(files: Sequence[Path]) -> Figures:
    command = [*_check_jsonschema_command(), "--check-metaschema", "-o", "json"]
    findings: Counter[str] = Counter()
    failing: set[str] = set()
    started = time.perf_counter()
    for start in range(0, len(files), BATCH):
        batch = [str(p) for p in files[start : start + BATCH]]
        done = subprocess.run([*command, *batch], capture_output=True, text=True, check=False)
        try:
            report = json.loads(done.stdout)
        except ValueError:
            findings["crashed batches"] += 1
            continue
        for error in report.get("errors", []):
            findings["metaschema errors"] += 1
            failing.add(error.get("filename", ""))
        for error in report.get("parse_errors", []):
            findings["parse errors"] += 1
            failing.add(error.get("filename", ""))
    elapsed = time.perf_counter() - started
    findings["files with errors"] = len(failing)
    loaded = len(files) - findings["parse errors"]
    return Figures("check-jsonschema", elapsed, len(files), loaded, findings)


def schema_files(corpus: Path) -> list[Path]:
    return sorted(
        p
        for p in corpus.rglob("*")
        if p.suffix in SCHEMA_SUFFIXES and p.is_file() and not p.name.startswith(".")
    )


def render(ours: Figures, compile_seconds: float, theirs: Figures) -> str:
    rows = [
        ("", ours.tool, theirs.tool),
        (
            "wall time",
            f"{ours.seconds:.1f}s (compile {compile_seconds:.1f}s)",
            f"{theirs.seconds:.1f}s",
        ),
        ("files", str(ours.files), str(theirs.files)),
        ("loaded", str(ours.loaded), str(theirs.loaded)),
        ("files with errors", str(ours.failing_files), str(theirs.failing_files)),
    ]
    keys = sorted((set(ours.findings) | set(theirs.findings)) - {"files with errors"})
    rows.extend(
        (key, str(ours.findings.get(key, "")), str(theirs.findings.get(key, ""))) for key in keys
    )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=None, help="schemas directory")
    parser.add_argument("--map", dest="maps", action="append", default=[], metavar="PREFIX=DIR")
    args = parser.parse_args(argv)
    corpus = (args.corpus or SCHEMASTORE).resolve()
    if not corpus.is_dir():
        parser.error(f"{corpus} is not a directory")
    url_map = tuple(UrlMapping.parse(m, Path.cwd()) for m in args.maps)
    if args.corpus is None and not url_map:
        url_map = (UrlMapping(SCHEMASTORE_PREFIX, corpus),)
    ours, compile_seconds = run_schemagen(corpus, url_map)
    theirs = run_check_jsonschema(schema_files(corpus))
    print(f"corpus: {corpus}")
    print(render(ours, compile_seconds, theirs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
