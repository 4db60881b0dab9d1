"""The `schemagen` command line: a thin layer over the library (see shared cli-contract).

Exit status: 0 no error findings; 1 error findings or drift; 2 the command could not run.
No traceback reaches the user; set SCHEMAGEN_DEBUG=1 to see one for a bug report.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from schemagen import __version__
from schemagen.config import Config, ConfigError, load_config
from schemagen.diagnostics import Diagnostic, has_errors
from schemagen.outputs import OutputDirError, check_output_dir
from schemagen.reports import RuleDoc

if TYPE_CHECKING:
    from schemagen.pipeline import GenerateOutcome
    from schemagen.resolve import Corpus

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageProblem(click.ClickException):
    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"schemagen: {self.format_message()}", err=True)


@dataclass(frozen=True)
class Context:
    config: Config
    quiet: bool
    color: bool
    reload: Callable[[], Config]
    """The configuration read afresh, with the same flags (for long-running commands)."""

    def progress(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True)


def _fail(message: str) -> NoReturn:
    raise UsageProblem(message)


def guarded(func: F) -> F:
    """Turn expected failures into exit 2 with one sentence, and bugs into a short report."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except ConfigError as error:
            _fail(f"configuration: {error}")
        except OutputDirError as error:
            _fail(str(error))
        except FileNotFoundError as error:
            _fail(str(error.args[0]) if error.args else str(error))
        except KeyboardInterrupt:
            click.echo("schemagen: interrupted; the previous output is untouched", err=True)
            sys.exit(130)
        except Exception as error:  # noqa: BLE001 - last line of defence: no traceback for users
            if os.environ.get("SCHEMAGEN_DEBUG"):
                traceback.print_exc()
            _fail(
                f"internal error: {type(error).__name__}: {error} "
                "(set SCHEMAGEN_DEBUG=1 for details)"
            )

    return wrapper  # type: ignore[return-value]


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "junit", "github"]),
    default="text",
    show_default=True,
    help="Report format.",
)


def _no_rule_docs(rule: str) -> RuleDoc | None:
    return None


def _emit(
    ctx: Context,
    fmt: str,
    diagnostics: Sequence[Diagnostic],
    files: Sequence[str],
    *,
    notes: Sequence[str] = (),
    suite: str = "schemagen",
) -> int:
    from schemagen.reports import RuleLookup, render

    rule_docs: RuleLookup = _no_rule_docs
    if fmt == "sarif":  # only SARIF describes rules; the catalogue costs an import otherwise
        from schemagen.govern import rule_docs as catalogue

        rule_docs = catalogue

    output = render(
        fmt,
        diagnostics,
        files,
        color=ctx.color and fmt == "text",
        rule_docs=rule_docs,
        notes=notes,
        suite=suite,
    )
    if ctx.quiet and fmt == "text":
        output = "".join(
            line + "\n" for line in output.splitlines() if not line.startswith(("  ", "0 errors"))
        )
    click.echo(output, nl=False)
    return EXIT_FINDINGS if has_errors(diagnostics) else EXIT_OK


def _compile(ctx: Context) -> Corpus:
    from schemagen.resolve import compile_corpus

    ctx.progress(f"schemagen: loading {ctx.config.display(ctx.config.schemas)}/")
    return compile_corpus(ctx.config)


def _files(corpus: Corpus) -> list[str]:
    return list(corpus.checked_files)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="schemagen")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (shape of [tool.schemagen]).",
)
@click.option(
    "--schemas", type=click.Path(path_type=Path), help="Schemas directory (overrides config)."
)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Generated directory (default generated/)."
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="PREFIX=DIR",
    help="Serve URIs starting with PREFIX from DIR.",
)
@click.option("--quiet", is_flag=True, help="Only findings; no progress.")
@click.option("--no-color", is_flag=True, help="No colour (also NO_COLOR).")
@click.pass_context
@guarded
def main(
    click_ctx: click.Context,
    config_path: Path | None,
    schemas: Path | None,
    out: Path | None,
    maps: tuple[str, ...],
    quiet: bool,
    no_color: bool,
) -> None:
    """schemagen: JSON Schemas in, bundles, Pydantic types, Backstage templates and checks out."""

    def configure() -> Config:
        return load_config(config_path).with_overrides(schemas=schemas, out=out, maps=maps)

    config = configure()
    _require_directory(config.schemas, "schemas directory", config)
    for mapping in config.url_map:
        _require_directory(mapping.directory, f"--map {mapping.prefix}: directory", config)
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    click_ctx.obj = Context(config, quiet, color, configure)


pass_context = click.make_pass_decorator(Context)


def _require_directory(path: Path, what: str, config: Config) -> None:
    if path.is_dir():
        return
    state = "is not a directory" if path.exists() else "does not exist"
    _fail(f"{what} {config.display(path)} {state}")


@main.command()
@FORMAT_OPTION
@pass_context
@guarded
def validate(ctx: Context, fmt: str) -> None:
    """Load and check every schema; print diagnostics."""
    from schemagen.validate import validate_corpus

    corpus = _compile(ctx)
    sys.exit(_emit(ctx, fmt, validate_corpus(corpus), _files(corpus), suite="schemagen validate"))


@main.command()
@FORMAT_OPTION
@pass_context
@guarded
def assemble(ctx: Context, fmt: str) -> None:
    """Write bundles and the flattened view under the generated directory."""
    from schemagen.assemble import assemble_corpus, write_assembled
    from schemagen.validate import validate_corpus

    corpus = _compile(ctx)
    diagnostics = list(validate_corpus(corpus))
    result = assemble_corpus(corpus)
    diagnostics.extend(result.diagnostics)
    if not has_errors(diagnostics):
        check_output_dir(
            ctx.config.out,
            schemas=ctx.config.schemas,
            protected=(ctx.config.project_root, Path.cwd()),
        )
        target = write_assembled(ctx.config.out, result.files)
        ctx.progress(
            f"schemagen: wrote {len(result.files)} files under {ctx.config.display(target)}/"
        )
    sys.exit(_emit(ctx, fmt, diagnostics, _files(corpus), suite="schemagen assemble"))


@main.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "dot", "mermaid", "svg"]),
    default="json",
    show_default=True,
)
@click.option(
    "--focus", multiple=True, metavar="TARGET", help="Only the neighbourhood of these schemas."
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Neighbourhood radius for --focus.",
)
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="Write to a file instead of stdout."
)
@pass_context
@guarded
def graph(ctx: Context, fmt: str, focus: tuple[str, ...], depth: int, output: Path | None) -> None:
    """The $ref dependency graph."""
    from schemagen.graph import GraphError, build_graph, render_graph

    corpus = _compile(ctx)
    schema_graph = build_graph(corpus)
    try:
        rendered = render_graph(schema_graph, fmt, focus=focus, depth=depth)
    except GraphError as error:
        _fail(str(error))
    data = rendered.encode() if isinstance(rendered, str) else rendered
    if output is not None:
        from schemagen.outputs import atomic_write

        if output.is_dir():
            _fail(f"--output {output} is a directory; name a file")

        atomic_write(output, data)
        ctx.progress(f"schemagen: wrote {output}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.argument("targets", nargs=-1)
@click.option(
    "--since", metavar="GITREF", help="Targets are the schemas changed since this git revision."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_context
@guarded
def impact(ctx: Context, targets: tuple[str, ...], since: str | None, fmt: str) -> None:
    """What a change to these schemas (paths or $ids) affects."""
    from schemagen.graph import (
        GraphError,
        build_graph,
        changed_since,
        compute_impact,
        render_impact,
    )
    from schemagen.outputs import read_manifest

    if not targets and not since:
        _fail("impact needs TARGET... or --since GITREF")
    corpus = _compile(ctx)
    schema_graph = build_graph(corpus)
    try:
        chosen = list(targets) + (list(changed_since(corpus, since)) if since else [])
        result = compute_impact(schema_graph, chosen, read_manifest(ctx.config.out), ctx.config)
    except GraphError as error:
        _fail(str(error))
    click.echo(render_impact(result, fmt), nl=False)


@main.command()
@click.option("--check", is_flag=True, help="Write nothing; report drift (exit 1 if any).")
@click.option(
    "--watch",
    is_flag=True,
    help="Keep running: regenerate after every change to the schemas or configuration "
    "(Ctrl-C stops).",
)
@FORMAT_OPTION
@pass_context
@guarded
def generate(ctx: Context, check: bool, watch: bool, fmt: str) -> None:
    """The whole pipeline into the generated directory."""
    from schemagen.pipeline import generate as run_generate

    if watch:
        if check or fmt != "text":
            _fail("--watch writes and reports as text; it takes neither --check nor --format")
        _watch(ctx)
        return
    ctx.progress(f"schemagen: generating from {ctx.config.display(ctx.config.schemas)}/")
    outcome = run_generate(ctx.config, check=check)
    diagnostics = list(outcome.diagnostics)
    if check and not has_errors(diagnostics):
        diagnostics.extend(outcome.drift_findings())
    ctx.progress(f"schemagen: {_outcome_summary(ctx.config, outcome, check=check)}")
    sys.exit(_emit(ctx, fmt, diagnostics, outcome.plan.checked_files, suite="schemagen generate"))


def _outcome_summary(config: Config, outcome: GenerateOutcome, *, check: bool = False) -> str:
    out = config.display(config.out)
    drift = outcome.drift
    if has_errors(outcome.diagnostics):
        return f"the schemas have errors; {out}/ left as it was"
    if check:
        return f"{out}/ is up to date" if drift.clean else f"{out}/ is out of date"
    if drift.clean:
        return f"{out}/ up to date ({len(outcome.plan.files)} files)"
    return (
        f"wrote {out}/: {len(drift.added)} added, {len(drift.changed)} changed, "
        f"{len(drift.removed)} removed"
    )


def _watch(ctx: Context) -> None:
    from schemagen.watch import Round, watch

    def report(round_: Round) -> None:
        stamp = time.strftime("%H:%M:%S")
        if round_.outcome is None:
            click.echo(f"schemagen: [{stamp}] cannot run: {round_.problem}", err=True)
            return
        summary = _outcome_summary(ctx.config, round_.outcome)
        click.echo(f"schemagen: [{stamp}] {summary} in {round_.seconds:.2f} s", err=True)
        found = [d for d in round_.outcome.diagnostics if d.severity.value in ("error", "warning")]
        if found:
            _emit(ctx, "text", found, round_.outcome.plan.checked_files, suite="schemagen generate")

    ctx.progress(
        f"schemagen: watching {ctx.config.display(ctx.config.schemas)}/ "
        "(and the configuration); Ctrl-C stops"
    )
    try:
        watch(ctx.config, report, load=ctx.reload)
    except KeyboardInterrupt:
        ctx.progress("schemagen: stopped watching")


@main.command()
@FORMAT_OPTION
@pass_context
@guarded
def templates(ctx: Context, fmt: str) -> None:
    """Generate only the Backstage templates and catalog entities (into the generated directory)."""
    from schemagen.pipeline import generate as run_generate

    outcome = run_generate(ctx.config)
    written = [f.path for f in outcome.plan.files if f.kind.startswith("backstage")]
    ctx.progress(
        f"schemagen: {len(written)} Backstage files under "
        f"{ctx.config.display(ctx.config.out)}/backstage/"
    )
    sys.exit(
        _emit(
            ctx, fmt, outcome.diagnostics, outcome.plan.checked_files, suite="schemagen templates"
        )
    )


@main.command()
@click.option(
    "--rule", "rules", multiple=True, metavar="ID", help="Only this rule or family (repeatable)."
)
@click.option("--explain", metavar="RULE", help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="List every rule with its family and severity.")
@FORMAT_OPTION
@pass_context
@guarded
def govern(
    ctx: Context, rules: tuple[str, ...], explain: str | None, list_rules: bool, fmt: str
) -> None:
    """Governance rules; diagnostics."""
    from schemagen.govern import GovernanceError, explain_rule, list_rule_docs, run_governance
    from schemagen.pipeline import plan

    try:
        if explain is not None:
            click.echo(explain_rule(explain))
            return
        if list_rules:
            click.echo(list_rule_docs("json" if fmt == "json" else "text"), nl=False)
            return
        corpus = _compile(ctx)
        result = plan(ctx.config, corpus=corpus)
        governed = run_governance(result, select=rules)
    except GovernanceError as error:
        _fail(str(error))
    diagnostics = list(governed.diagnostics)
    sys.exit(
        _emit(ctx, fmt, diagnostics, _files(corpus), notes=governed.notes, suite="schemagen govern")
    )


@main.command()
@FORMAT_OPTION
@pass_context
@guarded
def ci(ctx: Context, fmt: str) -> None:
    """What CI runs: validate, generate --check, govern; one exit status."""
    from schemagen.pipeline import run_ci

    ctx.progress(f"schemagen: ci on {ctx.config.display(ctx.config.schemas)}/")
    outcome = run_ci(ctx.config)
    sys.exit(
        _emit(
            ctx,
            fmt,
            outcome.diagnostics,
            outcome.plan.checked_files,
            notes=outcome.notes,
            suite="schemagen ci",
        )
    )


@main.command()
@pass_context
@guarded
def dev(ctx: Context) -> None:
    """Clean the generated directory and regenerate everything."""
    from schemagen.pipeline import generate as run_generate

    outcome = run_generate(ctx.config, clean=True)
    ctx.progress(
        f"schemagen: regenerated {len(outcome.plan.files)} files under "
        f"{ctx.config.display(ctx.config.out)}/"
    )
    sys.exit(
        _emit(ctx, "text", outcome.diagnostics, outcome.plan.checked_files, suite="schemagen dev")
    )


@main.command()
@pass_context
@guarded
def setup(ctx: Context) -> None:
    """Check that this machine and project can run the pipeline, and say what is missing."""
    from schemagen.doctor import run_checks

    checks = run_checks(ctx.config)
    for check in checks:
        mark = "ok  " if check.ok else ("warn" if not check.required else "FAIL")
        click.echo(f"[{mark}] {check.name}: {check.detail}")
    sys.exit(EXIT_OK if all(c.ok or not c.required for c in checks) else EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
