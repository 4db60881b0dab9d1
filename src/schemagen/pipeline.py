"""The whole pipeline: compile -> validate -> assemble -> graph -> Python types -> Backstage.

`plan` computes everything that would be written, as values, without touching the output
directory; `generate` writes it atomically (or, with `check`, only compares); `run_ci` is what CI
runs: validation, drift and governance, as one list of diagnostics.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schemagen.cache import PreviousRun, load_cached_run, load_previous_run, store_run
from schemagen.config import Config
from schemagen.diagnostics import Diagnostic, Location, has_errors, sort_diagnostics
from schemagen.load import input_digests
from schemagen.outputs import (
    Drift,
    GeneratedFile,
    Manifest,
    build_manifest,
    check_output_dir,
    compute_drift,
    drift_diagnostics,
    manifest_file,
    read_manifest,
    write_tree,
)
from schemagen.parallel import Job, Worker
from schemagen.resolve import Corpus, compile_corpus

if TYPE_CHECKING:
    from schemagen.graph import SchemaGraph
    from schemagen.pygen.codegen import CodegenOutcome


@dataclass(frozen=True)
class Plan:
    """Everything one run would produce, computed purely from the corpus (and the cache).

    A plan served from the cache has not compiled the corpus; `corpus` and `graph` are then
    computed on first use (governance and impact need them, a no-op `generate` does not).
    """

    config: Config
    files: tuple[GeneratedFile, ...]
    manifest: Manifest
    diagnostics: tuple[Diagnostic, ...]
    checked_files: tuple[str, ...]
    compiled: Corpus | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(
        cls,
        corpus: Corpus,
        files: Sequence[GeneratedFile] = (),
        manifest: Manifest | None = None,
        diagnostics: Sequence[Diagnostic] = (),
    ) -> Plan:
        """A plan over an already compiled corpus (for library callers and tests)."""
        checked = corpus.checked_files
        return cls(
            corpus.config, tuple(files), manifest or Manifest(), tuple(diagnostics), checked, corpus
        )

    @cached_property
    def corpus(self) -> Corpus:
        return self.compiled if self.compiled is not None else compile_corpus(self.config)

    @cached_property
    def graph(self) -> SchemaGraph:
        from schemagen.graph import build_graph

        return build_graph(self.corpus)


WorkerFactory = Callable[[], Job[Any]]
"""Where the Python stage's datamodel-codegen run goes: by default a worker forked per run;
a long-lived session passes its resident worker's jobs (`parallel.Resident.job`)."""


def plan(
    config: Config,
    *,
    corpus: Corpus | None = None,
    use_cache: bool = False,
    python_worker: WorkerFactory | None = None,
) -> Plan:
    """Compute the generated tree. Stages run only if the corpus validates without errors.

    With `use_cache`, a run whose inputs, configuration and schemagen code are unchanged since
    the last `generate` reuses that output (see schemagen.cache); `--check` and `ci` never do.
    """
    if use_cache and corpus is None:
        inputs = input_digests(config.schemas)
        cached = load_cached_run(
            config, {relpath: digest for relpath, (_, digest) in inputs.items()}
        )
        if cached is not None:
            manifest = read_manifest(config.out) or build_manifest(cached.files, {})
            displays = tuple(display for display, _ in inputs.values())
            return Plan(config, cached.files, manifest, cached.diagnostics, displays)
    # Forked now, the Python worker imports datamodel-codegen while this process compiles.
    python: Job[CodegenOutcome] = (
        python_worker() if python_worker is not None else Worker(warm_up=warm_up_python)
    )
    try:
        corpus = corpus if corpus is not None else compile_corpus(config)
        digests = {document.relpath: document.sha256 for document in corpus.documents}
        result = Plan.of(corpus)
        previous = load_previous_run(config, digests) if use_cache else None
        diagnostics, files = _run_stages(config, corpus, result.graph, previous, python)
    finally:
        python.cancel()  # no orphaned worker, whatever happened
    manifest = build_manifest(files, digests)
    if files:
        files.append(manifest_file(manifest))
    files.sort(key=lambda f: f.path)
    return replace(result, files=tuple(files), manifest=manifest, diagnostics=tuple(diagnostics))


VALIDATION_FAMILIES = ("schema", "infrastructure")
"""Rule families `validate_documents` reports, as opposed to loading and resolving."""


def warm_up_python() -> None:
    from schemagen.pygen.codegen import warm_up

    warm_up()


def _run_stages(
    config: Config,
    corpus: Corpus,
    graph: SchemaGraph,
    previous: PreviousRun | None,
    python: Job[CodegenOutcome],
) -> tuple[list[Diagnostic], list[GeneratedFile]]:
    from schemagen.assemble import assemble_corpus
    from schemagen.backstage import generate_backstage
    from schemagen.graph import graph_outputs
    from schemagen.pygen import plan_python, python_files
    from schemagen.pygen.codegen import codegen_job

    _check_settings(config)  # before any stage runs, so bad settings fail the same way everywhere
    # datamodel-codegen is most of the run: the worker runs it while this process validates and
    # runs the other stages; its result is used only if validation passes.
    python_plan = plan_python(corpus, previous=read_manifest(config.out), out_dir=config.out)
    job = python_plan.codegen_job()
    if job is not None:
        python.submit(codegen_job, job)
    diagnostics = list(_validate(corpus, graph, previous))
    files: list[GeneratedFile] = []
    if has_errors(diagnostics):
        return diagnostics, files
    results = [
        assemble_corpus(corpus, previous),
        graph_outputs(graph),
        generate_backstage(corpus, previous),
    ]
    first = python.result() if job is not None else None
    results.append(python_files(python_plan, python_plan.regenerate(first)))
    for result in results:
        files.extend(result.files)
        diagnostics.extend(result.diagnostics)
    return diagnostics, files


def _check_settings(config: Config) -> None:
    """Parse every stage's settings (ConfigError on the first bad one)."""
    from schemagen.assemble import AssembleSettings
    from schemagen.backstage.settings import BackstageSettings
    from schemagen.govern.settings import parse_settings
    from schemagen.pygen.settings import PythonSettings

    AssembleSettings.from_config(config)
    BackstageSettings.from_config(config)
    PythonSettings.from_config(config)
    parse_settings(config.section("governance"))


def _validate(
    corpus: Corpus, graph: SchemaGraph, previous: PreviousRun | None
) -> tuple[Diagnostic, ...]:
    """Validate the documents whose findings could have changed; keep the others' findings.

    A document's findings depend on it and everything it refers to (examples and defaults are
    validated through refs), so it is revalidated when any of those changed.
    """
    from schemagen.validate import validate_corpus, validate_documents

    if previous is None:
        return validate_corpus(corpus)
    stale, fresh = [], set()
    for document in corpus.documents:
        closure = [
            graph.info(n).relpath for n in graph.dependencies(document.display, transitive=True)
        ]
        if previous.fresh([document.relpath, *closure]):
            fresh.add(document.display)
        else:
            stale.append(document)
    kept = (
        d
        for d in previous.diagnostics
        if d.location.file in fresh and d.rule.split("/")[0] in VALIDATION_FAMILIES
    )
    return sort_diagnostics((*corpus.diagnostics, *validate_documents(corpus, stale), *kept))


@dataclass(frozen=True)
class GenerateOutcome:
    plan: Plan
    drift: Drift
    wrote: bool

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.plan.diagnostics

    def drift_findings(self) -> tuple[Diagnostic, ...]:
        return drift_diagnostics(
            self.plan.config.out, self.drift, self.plan.config.display(self.plan.config.out)
        )


def generate(
    config: Config,
    *,
    check: bool = False,
    clean: bool = False,
    python_worker: WorkerFactory | None = None,
) -> GenerateOutcome:
    """Run the pipeline. Writes only when the corpus has no errors and something changed."""
    if not check:
        check_output_dir(
            config.out, schemas=config.schemas, protected=(config.project_root, Path.cwd())
        )
    if clean and not check and config.out.exists():
        shutil.rmtree(config.out)
    result = plan(config, use_cache=not check, python_worker=python_worker)
    if has_errors(result.diagnostics) or check:
        return GenerateOutcome(result, compute_drift(config.out, result.files), wrote=False)
    drift = write_tree(config.out, result.files)
    store_run(config, result.manifest.inputs, result.files, result.diagnostics)
    return GenerateOutcome(result, drift, wrote=not drift.clean)


@dataclass(frozen=True)
class CiOutcome:
    plan: Plan
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[str, ...]


def run_ci(config: Config, *, rules: Sequence[str] = ()) -> CiOutcome:
    """Validate, check generated output for drift, and run governance: one list of findings."""
    from schemagen.govern import run_governance

    result = plan(config)
    governed = run_governance(result, select=rules)
    diagnostics = merge_findings(result.diagnostics, governed.diagnostics)
    return CiOutcome(result, diagnostics, governed.notes)


def merge_findings(*groups: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    """One finding per rule and place: stages and governance may see the same defect."""
    merged: dict[tuple[str, Location], Diagnostic] = {}
    for diagnostic in (d for group in groups for d in group):
        key = (diagnostic.rule, diagnostic.location)
        kept = merged.get(key)
        if kept is None or diagnostic.severity.rank < kept.severity.rank:
            merged[key] = diagnostic
    return sort_diagnostics(merged.values())
