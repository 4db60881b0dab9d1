"""Watch mode: regenerate whenever the schemas or the configuration change.

A one-shot `generate` pays, every time, for what a long-lived process pays once: the interpreter,
the imported libraries and, above all, datamodel-codegen's start (about 0.4 s of every one-shot
edit). `watch` starts them once, keeps one resident worker for datamodel-codegen (started once,
warm ever after) and runs `pipeline.generate` after each change, so an edit costs only its own
work; loaded documents and crawled registries are reused by content (see `load`, `resolve`). Each
run is an ordinary `generate` (same cache, same atomic write); the warm process only makes it
faster.

Changes are found by polling: the size and mtime of every file under the schemas directory, the
mapped directories, the configuration file and the constants files. That needs no platform
support and costs milliseconds. A run starts once two polls in a row agree, so an editor's
save in several writes makes one run, not two.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from schemagen.config import Config, ConfigError
from schemagen.outputs import OutputDirError
from schemagen.parallel import Resident
from schemagen.pipeline import GenerateOutcome, WorkerFactory, generate, warm_up_python

Stamp = tuple[int, int]


def watched_paths(config: Config) -> tuple[Path, ...]:
    """Everything a run reads, as files or directories to walk."""
    paths = [config.schemas, *(m.directory for m in config.url_map), *config.constants]
    if config.config_file is not None:
        paths.append(config.config_file)
    return tuple(paths)


def snapshot(paths: Iterable[Path]) -> Mapping[str, Stamp]:
    """(size, mtime in ns) of every file under `paths`; a missing path is simply absent."""
    found: dict[str, Stamp] = {}
    for root in paths:
        if root.is_file():
            _stamp(found, str(root))
            continue
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                _stamp(found, os.path.join(directory, name))
    return found


def _stamp(found: dict[str, Stamp], path: str) -> None:
    try:
        status = os.stat(path)
    except OSError:
        return  # deleted between listing and stat: the next poll sees it gone
    found[path] = (status.st_size, status.st_mtime_ns)


@dataclass(frozen=True)
class Round:
    """One run: its outcome, or why it could not run (bad configuration, say), and its time."""

    number: int
    seconds: float
    outcome: GenerateOutcome | None = None
    problem: str | None = None


def run_round(
    load: Callable[[], Config], number: int, python_worker: WorkerFactory | None = None
) -> Round:
    """Load the configuration afresh and generate; expected failures become the round's problem."""
    start = time.perf_counter()
    try:
        outcome = generate(load(), python_worker=python_worker)
    except (ConfigError, OutputDirError, FileNotFoundError) as error:
        return Round(number, time.perf_counter() - start, problem=str(error))
    return Round(number, time.perf_counter() - start, outcome)


def watch(
    config: Config,
    report: Callable[[Round], None],
    *,
    load: Callable[[], Config] | None = None,
    interval: float = 0.25,
    max_rounds: int | None = None,
) -> None:
    """Generate now, then again after every change, until interrupted (or `max_rounds` runs).

    `load` re-reads the configuration for each run, so that edits to it apply (default: `config`
    as it is); `report` receives every round."""
    reload = load if load is not None else (lambda: config)
    with Resident(warm_up=warm_up_python) as codegen:
        paths = watched_paths(config)
        seen = snapshot(paths)  # before the run: a change made during it is not missed
        number = 1
        report(run_round(reload, number, codegen.job))
        gc.freeze()  # what is alive now lives for the whole session: collections skip it
        while max_rounds is None or number < max_rounds:
            time.sleep(interval)
            current = snapshot(paths)
            if current == seen:
                continue
            seen = _settle(paths, current, interval)
            number += 1
            report(run_round(reload, number, codegen.job))
            try:
                latest = watched_paths(reload())
            except ConfigError:
                continue  # the round reported it; keep watching what was watched
            if latest != paths:
                paths, seen = latest, snapshot(latest)


def _settle(
    paths: tuple[Path, ...], current: Mapping[str, Stamp], interval: float
) -> Mapping[str, Stamp]:
    """Wait until two polls agree: the writer has finished."""
    while True:
        time.sleep(interval / 5)
        again = snapshot(paths)
        if again == current:
            return again
        current = again
