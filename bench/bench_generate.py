"""Benchmark: schemagen's Python stage (and whole pipeline) against a bare datamodel-codegen run.

    python bench/bench_generate.py [--corpus DIR] [--repeat N]

The corpus (default: the repository's schemas/) is copied to a temporary directory first, so the
benchmark never touches the repository. Figures, side by side, each the median of N runs:

- cold: an empty output directory, in a fresh Python process (datamodel-codegen not yet imported):
  the Python stage alone, and `schemagen.pipeline.generate` when the other stages are there;
- datamodel-codegen: its console script over the same schemas as a directory, default formatters;
- no-op: generate again with nothing changed;
- leaf edit: after changing the description of primitives/Uuid (and the bound of a leaf, which
  its direct users import);
- top-leaf edit: after changing the description of events/BondArchivedEvent, which nothing
  references (so only its own outputs change);
- base edit: after adding a property to base/BaseEntity;
- warm session: the same edits, each followed by `generate` in one long-lived process that has
  started datamodel-codegen once, as `schemagen generate --watch` runs them.

Each schemagen figure is wall-clock for the subprocess (interpreter start included, as for the
datamodel-codegen CLI) and, in brackets, the time inside the generate call itself: for the stage,
`generate_python` (the corpus compiled beforehand); for the pipeline, `schemagen.pipeline.generate`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

RUNNER = textwrap.dedent(
    """
    import json, sys, time
    start = time.perf_counter()
    from pathlib import Path
    from schemagen.config import load_config
    mode, schemas, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    # The repository's own settings, pointed at the copied corpus and a scratch output.
    config = load_config(Path(sys.argv[4])).with_overrides(schemas=schemas, out=out)
    if mode == "pipeline":
        from schemagen.pipeline import generate
        inner = time.perf_counter()
        outcome = generate(config)
        inner = time.perf_counter() - inner
        errors = [str(d) for d in outcome.diagnostics if d.severity.value == "error"]
    else:
        from schemagen.outputs import build_manifest, manifest_file, read_manifest, write_tree
        from schemagen.pygen import generate_python
        from schemagen.resolve import compile_corpus
        corpus = compile_corpus(config)
        inner = time.perf_counter()
        result = generate_python(corpus, None, previous=read_manifest(out), out_dir=out)
        inner = time.perf_counter() - inner
        files = list(result.files)
        inputs = {d.relpath: d.sha256 for d in corpus.documents}
        files.append(manifest_file(build_manifest(files, inputs)))
        write_tree(out, files)
        errors = []
    imported = "datamodel_code_generator" in sys.modules
    print(json.dumps({"inner": inner, "imported": imported, "errors": errors[:3]}))
    """
)


SESSION_RUNNER = textwrap.dedent(
    """
    import gc, json, sys, time
    from pathlib import Path
    from schemagen.config import load_config
    from schemagen.parallel import Resident
    from schemagen.pipeline import generate, warm_up_python
    schemas, out, config_path = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    repeat, edits = int(sys.argv[4]), json.loads(sys.argv[5])
    config = load_config(Path(config_path)).with_overrides(schemas=schemas, out=out)
    figures = {}
    # What `generate --watch` does: one resident datamodel-codegen worker, started once; the
    # heap frozen after the first run.
    with Resident(warm_up=warm_up_python) as codegen:
        generate(config, python_worker=codegen.job)
        gc.freeze()
        for key, relpath, change in edits:
            path = schemas / relpath
            original = path.read_text(encoding="utf-8")
            times = []
            for _ in range(repeat):
                data = json.loads(original)
                if change == "describe":
                    data["description"] = data.get("description", "") + " (edited)"
                elif change == "loosen":
                    data["maximum"] = 2
                else:
                    note = {"type": "string", "maxLength": 7}
                    data.setdefault("properties", {})["benchmark_note"] = note
                path.write_text(json.dumps(data, indent=2), encoding="utf-8")
                start = time.perf_counter()
                outcome = generate(config, python_worker=codegen.job)
                times.append(time.perf_counter() - start)
                assert outcome.wrote, "the edit changed nothing"
                path.write_text(original, encoding="utf-8")
                generate(config, python_worker=codegen.job)
            figures[key] = sorted(times)[len(times) // 2]
    print(json.dumps(figures))
    """
)


@dataclass(frozen=True)
class Timing:
    wall: float
    inner: float | None = None
    note: str = ""


def _run(mode: str, schemas: Path, out: Path) -> Timing:
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", RUNNER, mode, str(schemas), str(out), str(REPO / "pyproject.toml")],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": str(Path(sys.executable).parent)},
    )
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{completed.stderr[-2000:]}")
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    note = "" if report["imported"] else "datamodel-codegen not imported"
    if report["errors"]:
        note = f"errors: {report['errors'][0][:80]}"
    return Timing(wall, report["inner"], note)


def _codegen_cli(schemas: Path, out: Path) -> Timing:
    script = Path(sys.executable).parent / "datamodel-codegen"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [
            str(script),
            "--input",
            str(schemas),
            "--output",
            str(out),
            "--input-file-type",
            "jsonschema",
            "--output-model-type",
            "pydantic_v2.BaseModel",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return Timing(time.perf_counter() - start)


def _median(timings: list[Timing]) -> Timing:
    wall = statistics.median(t.wall for t in timings)
    inners = [t.inner for t in timings if t.inner is not None]
    return Timing(wall, statistics.median(inners) if inners else None, timings[-1].note)


def _edit(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _pipeline_available() -> str | None:
    missing = []
    for module in ("assemble", "graph", "backstage", "validate"):
        if (
            not (REPO / "src" / "schemagen" / f"{module}.py").exists()
            and not (REPO / "src" / "schemagen" / module).is_dir()
        ):
            missing.append(module)
    return ", ".join(missing) or None


def _measure(
    label: str, work: Callable[[], Timing], repeat: int, reset: Callable[[], None] | None = None
) -> Timing:
    timings = []
    for _ in range(repeat):
        if reset is not None:
            reset()
        timings.append(work())
    result = _median(timings)
    _print(label, result)
    return result


def _measure_alternating(
    entries: list[tuple[str, str, Callable[[], Timing], Callable[[], None] | None]], repeat: int
) -> dict[str, Timing]:
    """Round after round, one run of each: a machine that speeds up or slows down over the
    benchmark affects all of them alike, so their ratios hold."""
    timings: dict[str, list[Timing]] = {key: [] for key, *_ in entries}
    for _ in range(repeat):
        for key, _, work, reset in entries:
            if reset is not None:
                reset()
            timings[key].append(work())
    results = {}
    for key, label, *_ in entries:
        result = results[key] = _median(timings[key])
        _print(label, result)
    return results


def _print(label: str, result: Timing) -> None:
    inner = f" [{result.inner:6.3f} s in generate]" if result.inner is not None else ""
    print(f"  {label:<44} {result.wall:7.3f} s{inner}  {result.note}", flush=True)


def _edit_cycle(
    mode: str,
    schemas: Path,
    out: Path,
    relpath: str,
    change: Callable[[dict[str, object]], None],
    repeat: int,
) -> Callable[[], Timing]:
    """Each measurement: restore the original, generate (untimed), edit, time a generate."""
    original = (schemas / relpath).read_text(encoding="utf-8")

    def once() -> Timing:
        (schemas / relpath).write_text(original, encoding="utf-8")
        _run(mode, schemas, out)
        _edit(schemas / relpath, change)
        try:
            return _run(mode, schemas, out)
        finally:
            (schemas / relpath).write_text(original, encoding="utf-8")

    return once


def _describe(data: dict[str, object]) -> None:
    data["description"] = f"{data.get('description', '')} (edited)"


def _loosen(data: dict[str, object]) -> None:
    data["maximum"] = 2  # a new bound (looser, so the corpus's examples stay valid)


def _add_property(data: dict[str, object]) -> None:
    properties = data.setdefault("properties", {})
    assert isinstance(properties, dict)
    properties["benchmark_note"] = {"type": "string", "maxLength": 7}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO / "schemas")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as temporary:
        root = Path(temporary)
        schemas = root / "schemas"
        shutil.copytree(args.corpus, schemas, ignore=shutil.ignore_patterns("BUILD", ".*"))
        count = sum(1 for p in schemas.rglob("*") if p.suffix in (".json", ".yaml", ".yml"))
        print(
            f"corpus: {args.corpus} ({count} schema files), copied to {schemas}; "
            f"median of {args.repeat}"
        )
        figures = _run_all(schemas, root, args.repeat)
    _summary(figures)
    return 0


def _run_all(schemas: Path, root: Path, repeat: int) -> dict[str, Timing]:
    figures: dict[str, Timing] = {}
    stage_out, pipe_out, bare_out = root / "stage-out", root / "pipeline-out", root / "codegen-out"

    def clear(path: Path) -> Callable[[], None]:
        def reset() -> None:  # the output and the run cache beside it: a truly cold run
            shutil.rmtree(path, ignore_errors=True)
            (path.parent / f".{path.name}.schemagen-cache.json").unlink(missing_ok=True)

        return reset

    print("cold (empty output directory and no cache, fresh process; the three alternate)")
    missing = _pipeline_available()
    cold: list[tuple[str, str, Callable[[], Timing], Callable[[], None] | None]] = [
        (
            "codegen",
            "datamodel-codegen CLI, directory, defaults",
            lambda: _codegen_cli(schemas, bare_out),
            None,
        ),
        (
            "stage cold",
            "schemagen Python stage",
            lambda: _run("stage", schemas, stage_out),
            clear(stage_out),
        ),
    ]
    if missing is None:
        cold.append(
            (
                "pipeline cold",
                "schemagen pipeline (all stages)",
                lambda: _run("pipeline", schemas, pipe_out),
                clear(pipe_out),
            )
        )
    else:
        print(
            f"  schemagen pipeline: not measured, stages missing ({missing}); "
            "the stage alone stands in"
        )
    figures.update(_measure_alternating(cold, repeat))
    print("warm")
    figures["stage noop"] = _measure(
        "Python stage, no-op", lambda: _run("stage", schemas, stage_out), repeat
    )
    if missing is None:
        figures["pipeline noop"] = _measure(
            "pipeline, no-op", lambda: _run("pipeline", schemas, pipe_out), repeat
        )
    # "Leaf" both ways: a leaf type at the bottom that everything reaches (Uuid), and a leaf of
    # the graph that nothing references (an event), whose edit touches only its own outputs.
    leaf, bound_leaf, base, top = (
        "primitives/Uuid.schema.json",
        "primitives/NormalizedValue.schema.json",
        "base/BaseEntity.schema.json",
        "events/BondArchivedEvent.schema.json",
    )
    for mode, out, tag in (("stage", stage_out, "stage"), ("pipeline", pipe_out, "pipeline")):
        if mode == "pipeline" and missing is not None:
            continue
        if (schemas / leaf).exists():
            figures[f"{tag} leaf"] = _measure(
                f"{tag}: after editing {leaf} (description)",
                _edit_cycle(mode, schemas, out, leaf, _describe, repeat),
                repeat,
            )
        if (schemas / top).exists():
            figures[f"{tag} top leaf"] = _measure(
                f"{tag}: after editing {top} (description; nothing references it)",
                _edit_cycle(mode, schemas, out, top, _describe, repeat),
                repeat,
            )
        if (schemas / bound_leaf).exists():
            figures[f"{tag} leaf bound"] = _measure(
                f"{tag}: after editing {bound_leaf} (maximum)",
                _edit_cycle(mode, schemas, out, bound_leaf, _loosen, repeat),
                repeat,
            )
        if (schemas / base).exists():
            figures[f"{tag} base"] = _measure(
                f"{tag}: after editing {base} (new property)",
                _edit_cycle(mode, schemas, out, base, _add_property, repeat),
                repeat,
            )
    if missing is None:
        print("warm session (one process, as `generate --watch` runs; datamodel-codegen started)")
        figures.update(_session(schemas, root / "session-out", repeat))
    return figures


SESSION_EDITS = [
    ("session leaf", "primitives/Uuid.schema.json", "describe"),
    ("session top leaf", "events/BondArchivedEvent.schema.json", "describe"),
    ("session leaf bound", "primitives/NormalizedValue.schema.json", "loosen"),
    ("session base", "base/BaseEntity.schema.json", "property"),
]


def _session(schemas: Path, out: Path, repeat: int) -> dict[str, Timing]:
    edits = [edit for edit in SESSION_EDITS if (schemas / edit[1]).exists()]
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            SESSION_RUNNER,
            str(schemas),
            str(out),
            str(REPO / "pyproject.toml"),
            str(repeat),
            json.dumps(edits),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": str(Path(sys.executable).parent)},
    )
    if completed.returncode != 0:
        raise RuntimeError(f"session run failed:\n{completed.stderr[-2000:]}")
    seconds = json.loads(completed.stdout.strip().splitlines()[-1])
    figures = {}
    for key, relpath, change in edits:
        figures[key] = Timing(seconds[key], seconds[key])
        _print(f"session: after editing {relpath} ({change})", figures[key])
    return figures


def _summary(figures: dict[str, Timing]) -> None:
    codegen = figures["codegen"].wall
    cold_key = "pipeline cold" if "pipeline cold" in figures else "stage cold"
    cold = figures[cold_key].wall
    print("\ntargets")
    print(f"  {cold_key} / datamodel-codegen CLI: {cold / codegen:5.2f}  (target <= 0.50)")
    noop = figures["stage noop"].inner or figures["stage noop"].wall
    print(f"  Python stage no-op, inside generate: {noop:.3f} s  (target < 0.3 s)")
    if "pipeline noop" in figures:
        print(f"  pipeline no-op, inside generate: {figures['pipeline noop'].inner or 0:.3f} s")
    for key in (
        "stage leaf",
        "stage leaf bound",
        "stage top leaf",
        "pipeline leaf",
        "pipeline top leaf",
        "session leaf",
        "session top leaf",
    ):
        if key in figures:
            base_key = "stage cold" if key.startswith("stage") else "pipeline cold"
            ratio = (figures[key].inner or figures[key].wall) / (
                figures[base_key].inner or figures[base_key].wall
            )
            print(f"  {key} / cold (inside generate): {ratio:5.2f}  (target < 0.10)")


if __name__ == "__main__":
    raise SystemExit(main())
