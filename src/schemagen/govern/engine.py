"""The governance engine: select rules, build the context, run the checks, apply suppressions.

Rules come from `schemagen.govern.rules` and from the `schemagen.rules` entry-point group (each
entry point loads a Rule or an iterable of Rules). Selection, severities and per-path ignores come
from `[tool.schemagen.governance]` (see `schemagen.govern.settings`).
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import schemagen
from schemagen.config import ConfigError
from schemagen.diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from schemagen.govern.code import discover_code, discover_generated_python
from schemagen.govern.constants import constants_paths, load_constants
from schemagen.govern.context import CorpusFacts, RuleContext
from schemagen.govern.model import Finding, Note, Rule, Stage
from schemagen.govern.rules import BUILTIN_RULES
from schemagen.govern.rules.suppression import MISSING_REASON, UNUSED
from schemagen.govern.settings import GovernanceSettings, glob_match, parse_settings
from schemagen.govern.stage_docs import STAGE_DOCS
from schemagen.govern.suppress import Malformed, Suppression, code_suppressions, schema_suppressions
from schemagen.outputs import read_manifest
from schemagen.reports import RuleDoc

if TYPE_CHECKING:
    from schemagen.pipeline import Plan

ENTRY_POINT_GROUP = "schemagen.rules"


class GovernanceError(ConfigError):
    """Governance cannot run as asked: an unknown rule, a broken plugin. The CLI exits 2."""


@dataclass(frozen=True)
class GovernanceResult:
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[str, ...]


# --- the registry -------------------------------------------------------------------------------


def _plugin_rules() -> tuple[Rule, ...]:
    found: list[Rule] = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry_point.load()
        except Exception as error:  # noqa: BLE001 - a broken plugin is a usage problem
            raise GovernanceError(
                f"rule plugin {entry_point.name} ({entry_point.value}) failed to load: "
                f"{type(error).__name__}: {error}"
            ) from None
        items = [loaded] if isinstance(loaded, Rule) else loaded
        try:
            rules = list(items)
        except TypeError:
            rules = [items]
        for rule in rules:
            if not isinstance(rule, Rule):
                raise GovernanceError(
                    f"rule plugin {entry_point.name} ({entry_point.value}) gave "
                    f"{type(rule).__name__}, not a schemagen.govern.Rule"
                )
            found.append(rule)
    return tuple(found)


@functools.lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    """Every rule: the built-in ones, then plugins'. Cached; `clear_rule_cache` to reload."""
    rules: dict[str, Rule] = {}
    for rule in (*BUILTIN_RULES, *_plugin_rules()):
        if rule.id in rules or rule.id in STAGE_DOCS:
            raise GovernanceError(f"rule {rule.id} is defined twice (a plugin reuses a rule id)")
        rules[rule.id] = rule
    return tuple(rules.values())


def clear_rule_cache() -> None:
    all_rules.cache_clear()


def _families(rules: Iterable[Rule]) -> list[str]:
    return sorted({r.family for r in rules})


def _unknown(names: Sequence[str], valid: Iterable[str], what: str) -> str:
    """Which names are unknown, the nearest known ones, and where the whole list is."""
    choices = sorted(set(valid))
    parts = []
    for name in names:
        near = difflib.get_close_matches(name, choices, n=2, cutoff=0.6) if name else []
        guess = f" (did you mean {' or '.join(map(repr, near))}?)" if near else ""
        parts.append(f"{name!r}{guess}" if name else "'' (empty)")
    return f"unknown {what} {', '.join(parts)}; `schemagen govern --list-rules` lists them all"


def _check_names(names: Iterable[str], rules: Sequence[Rule], where: str) -> None:
    valid = {r.id for r in rules} | {r.family for r in rules}
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise GovernanceError(f"{where}: {_unknown(unknown, valid, 'rule or family')}")


def _named(rule: Rule, names: Iterable[str]) -> bool:
    return any(name in (rule.id, rule.family) for name in names)


def _severity(rule: Rule, settings: GovernanceSettings) -> Severity | None:
    for key in (rule.id, rule.family):
        if key in settings.severity:
            return settings.severity[key]
    return rule.severity


def select_rules(
    rules: Sequence[Rule], settings: GovernanceSettings, select: Sequence[str]
) -> tuple[tuple[Rule, Severity], ...]:
    table = "[tool.schemagen.governance]"
    _check_names(select, rules, "--rule")
    _check_names(settings.select, rules, f"{table} select")
    _check_names(settings.ignore, rules, f"{table} ignore")
    _check_names(settings.severity, rules, f"{table} severity")
    for glob, names in settings.per_path_ignores.items():
        _check_names(names, rules, f"{table} per_path_ignores[{glob!r}]")
    wanted = select or settings.select
    chosen: list[tuple[Rule, Severity]] = []
    for rule in rules:
        if wanted and not _named(rule, wanted):
            continue
        if _named(rule, settings.ignore) and rule.id not in select:
            continue
        severity = _severity(rule, settings)
        if severity is not None:
            chosen.append((rule, severity))
    return tuple(chosen)


# --- running ------------------------------------------------------------------------------------

_STAGE_INPUT = {
    Stage.GENERATED: "nothing generated to read ({out}/ does not exist, the plan writes nothing)",
    Stage.CODE: "no hand-written Python code to read under {root} (outside {out}/ and tests/)",
    Stage.CORPUS: "no schemas to read",
    Stage.GRAPH: "no schemas to read",
}


def build_context(plan: Plan, settings: GovernanceSettings, rules: Sequence[Rule]) -> RuleContext:
    config = plan.config
    stages = {r.stage for r in rules}
    ids = {r.id for r in rules}
    package = Path(schemagen.__file__).resolve().parent
    code = (
        discover_code(
            config.project_root,
            settings.code_paths,
            settings.code_exclude,
            (config.out, config.schemas, package),
        )
        # Without a project configuration there is no project: only schemas (whatever Python
        # happens to sit under the working directory is not this corpus's code).
        if Stage.CODE in stages and config.project_code
        else ()
    )
    generated = (
        discover_generated_python(config.out)
        if Stage.GENERATED in stages or "schema-first/shadow-model" in ids
        else ()
    )
    return RuleContext(
        config=config,
        settings=settings,
        corpus=plan.corpus,
        graph=plan.graph,
        files=plan.files,
        manifest=plan.manifest,
        generated_manifest=read_manifest(config.out),
        plan_has_errors=has_errors(plan.diagnostics),
        constants=load_constants(constants_paths(config.constants, config.project_root)),
        code=code,
        generated_python=generated,
        selected=frozenset(ids),
        facts=CorpusFacts(plan.corpus),
    )


def _has_input(stage: Stage, context: RuleContext) -> bool:
    if stage in (Stage.CORPUS, Stage.GRAPH):
        return bool(context.corpus.documents)
    if stage is Stage.GENERATED:
        return context.config.out.is_dir() or bool(context.files)
    return bool(context.code)


def _project_paths(file: str, context: RuleContext) -> list[str]:
    path = Path(file).resolve()
    found = []
    for root in (context.config.project_root.resolve(), context.config.schemas.resolve()):
        if path.is_relative_to(root):
            found.append(path.relative_to(root).as_posix())
    return found or [file]


def _path_ignored(diagnostic: Diagnostic, context: RuleContext) -> bool:
    if not context.settings.per_path_ignores or diagnostic.location.file is None:
        return False
    paths = _project_paths(diagnostic.location.file, context)
    for glob, names in context.settings.per_path_ignores.items():
        if any(n in (diagnostic.rule, diagnostic.rule.split("/")[0]) for n in names) and any(
            glob_match(p, glob) for p in paths
        ):
            return True
    return False


def run_governance(plan: Plan, select: Sequence[str] = ()) -> GovernanceResult:
    """Run the selected (or configured) rules over a plan; diagnostics and notes, sorted."""
    settings = parse_settings(plan.config.section("governance"))
    rules = all_rules()
    chosen = select_rules(rules, settings, tuple(select))
    context = build_context(plan, settings, [r for r, _ in chosen])
    notes: list[str] = []
    skipped: dict[Stage, list[str]] = {}
    ran: set[str] = set()
    found: list[Diagnostic] = []
    for rule, severity in chosen:
        if rule.family == "suppression":
            continue
        if not _has_input(rule.stage, context):
            skipped.setdefault(rule.stage, []).append(rule.id)
            continue
        ran.add(rule.id)
        try:
            results = list(rule.check(context))
        except Exception as error:  # noqa: BLE001 - one broken rule must not hide the others
            found.append(
                Diagnostic(
                    "governance/rule-failed",
                    Severity.ERROR,
                    f"rule {rule.id} failed: {type(error).__name__}: {error}",
                    hint="a bug in the rule: report it to its authors (or ignore the rule "
                    "meanwhile); every other rule ran",
                )
            )
            continue
        for result in results:
            if isinstance(result, Note):
                if result.text not in notes:
                    notes.append(result.text)
            elif isinstance(result, Finding):
                found.append(
                    Diagnostic(rule.id, severity, result.message, result.location, result.hint)
                )
    for stage, ids in skipped.items():
        text = _STAGE_INPUT[stage].format(
            out=context.out_display, root=context.config.display(context.config.project_root)
        )
        if stage is Stage.CODE and not context.config.project_code:
            text = "no project configuration ([tool.schemagen]), so no project code to read"
        notes.append(f"{', '.join(ids)}: {text}")
    for source in context.code:
        if source.error:
            notes.append(f"{source.display}: {source.error}; not checked")

    kept, suppression_findings, suppressed = _apply_suppressions(found, context, chosen, ran, rules)
    diagnostics = [d for d in (*kept, *suppression_findings) if not _path_ignored(d, context)]
    if suppressed:
        notes.append(f"{suppressed} finding{'s' * (suppressed != 1)} suppressed in source")
    return GovernanceResult(sort_diagnostics(diagnostics), tuple(dict.fromkeys(notes)))


def _apply_suppressions(
    found: list[Diagnostic],
    context: RuleContext,
    chosen: Sequence[tuple[Rule, Severity]],
    ran: set[str],
    rules: Sequence[Rule],
) -> tuple[list[Diagnostic], list[Diagnostic], int]:
    entries = [
        *schema_suppressions(context.corpus.documents, context.facts.nodes),
        *code_suppressions(context.code),
        *code_suppressions(context.generated_python),
    ]
    suppressions = [e for e in entries if isinstance(e, Suppression)]
    used: set[int] = set()
    kept: list[Diagnostic] = []
    for diagnostic in found:
        covering = [i for i, s in enumerate(suppressions) if s.covers(diagnostic)]
        if covering:
            used.update(covering)
        else:
            kept.append(diagnostic)
    severities = {rule.id: severity for rule, severity in chosen}
    known = {r.id for r in rules} | {r.family for r in rules}
    meta: list[Diagnostic] = []
    if MISSING_REASON in severities:
        for entry in entries:
            if isinstance(entry, Malformed):
                meta.append(
                    Diagnostic(
                        MISSING_REASON, severities[MISSING_REASON], entry.message, entry.location
                    )
                )
            elif not entry.reason:
                meta.append(
                    Diagnostic(
                        MISSING_REASON,
                        severities[MISSING_REASON],
                        f"suppression of {entry.rule} gives no reason",
                        entry.location,
                        "say why the rule does not apply here",
                    )
                )
    if UNUSED in severities:
        for index, entry in enumerate(suppressions):
            if index in used:
                continue
            if entry.rule not in known:
                message = f"suppression names {entry.rule!r}, which is no rule or family"
            elif any(entry.names(rule_id) for rule_id in ran):
                message = f"suppression of {entry.rule} suppresses nothing"
            else:
                continue
            meta.append(
                Diagnostic(
                    UNUSED, severities[UNUSED], message, entry.location, "delete the suppression"
                )
            )
    return kept, meta, len(found) - len(kept)


# --- documentation ------------------------------------------------------------------------------


def _rules_quietly() -> tuple[Rule, ...]:
    try:
        return all_rules()
    except GovernanceError:
        return BUILTIN_RULES


def rule_docs(rule_id: str) -> RuleDoc | None:
    """Documentation for any rule id schemagen emits (governance rules and other stages')."""
    for rule in _rules_quietly():
        if rule.id == rule_id:
            return rule.doc
    return STAGE_DOCS.get(rule_id)


def explain_rule(rule_id: str) -> str:
    """The long documentation of a rule (or of every rule of a family), with an example."""
    rules = all_rules()
    for rule in rules:
        if rule.id == rule_id:
            return (
                f"{rule.id} ({rule.severity.value}; reads: {rule.stage.value})\n"
                f"{rule.summary}\n\n{rule.explanation}\n\n"
                f"Suppress one finding, with a reason:\n"
                f'    schema:  "x-schemagen-ignore": {{"{rule.id}": "why it does not apply"}}\n'
                f"    Python:  # schemagen: ignore[{rule.id}] why it does not apply\n"
                f"Configure in [tool.schemagen.governance]: select, ignore, severity, "
                f"per_path_ignores.\n"
            )
    family = [r for r in rules if r.family == rule_id]
    if family:
        lines = [f"{rule_id}: {len(family)} rules"]
        lines.extend(f"  {r.id:38} {r.severity.value:8} {r.summary}" for r in family)
        lines.append(f"`schemagen govern --explain {family[0].id}` for one rule's documentation.")
        return "\n".join(lines) + "\n"
    doc = STAGE_DOCS.get(rule_id)
    if doc is not None:
        return (
            f"{doc.id} ({doc.severity.value}; reported by `schemagen validate` and the pipeline)\n"
            f"{doc.summary}\n\n{doc.explanation}\n"
        )
    valid = [*(r.id for r in rules), *(r.family for r in rules), *STAGE_DOCS]
    raise GovernanceError(_unknown([rule_id], valid, "rule"))


def list_rule_docs(fmt: str = "text") -> str:
    """Every rule: a table for people, or (fmt "json") a list of objects for tools."""
    rules = all_rules()
    if fmt == "json":
        entries = [
            {"id": r.id, "severity": r.severity.value, "stage": r.stage.value, "summary": r.summary}
            for r in rules
        ] + [
            {"id": d.id, "severity": d.severity.value, "stage": None, "summary": d.summary}
            for d in STAGE_DOCS.values()
        ]
        return json.dumps({"rules": entries}, indent=2) + "\n"
    lines = [f"{'rule':38} {'severity':8} {'reads':9} summary"]
    lines.extend(f"{r.id:38} {r.severity.value:8} {r.stage.value:9} {r.summary}" for r in rules)
    lines.append("")
    lines.append("Reported by the other stages (validate, assemble, generate):")
    lines.extend(f"{d.id:38} {d.severity.value:8} {'':9} {d.summary}" for d in STAGE_DOCS.values())
    return "\n".join(lines) + "\n"
