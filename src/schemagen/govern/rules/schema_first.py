"""schema-first/*: the schemas are the source; code and generated files only ever follow them."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import replace

from schemagen.diagnostics import Location, Severity
from schemagen.govern.code import PythonSource
from schemagen.govern.context import RuleContext
from schemagen.govern.model import Finding, Note, Rule, Stage
from schemagen.govern.settings import matches_any
from schemagen.outputs import Drift, compute_drift, drift_diagnostics, sha256_bytes

Found = Iterator[Finding | Note]

HAND_EDIT = "schema-first/hand-edit"
ORPHAN = "schema-first/orphan"


def hand_edited(context: RuleContext) -> Mapping[str, Finding]:
    """Generated files whose bytes no longer match the sha256 the manifest recorded."""
    manifest = context.generated_manifest
    if manifest is None:
        return {}
    found: dict[str, Finding] = {}
    for path, entry in sorted(manifest.files.items()):
        file = context.config.out / path
        try:
            data = file.read_bytes()
        except OSError:
            continue
        if sha256_bytes(data) != entry.sha256:
            found[path] = Finding(
                "generated file was edited by hand (its content no longer matches the manifest)",
                Location(context.generated_display(path)),
                "change the schema (or the generator) instead, then `schemagen generate`",
            )
    return found


def orphaned(context: RuleContext) -> Mapping[str, Finding]:
    """Generated files (per the manifest) that generate would no longer write because a schema
    they came from is gone. (The manifest lists a file's own schema and everything it uses, so
    with a plan at hand a file is an orphan when the plan drops it and one of its sources is
    gone; without one, when all of them are.)"""
    manifest = context.generated_manifest
    if manifest is None:
        return {}
    present = {d.relpath for d in context.corpus.documents}
    planned = {f.path for f in context.files}
    usable_plan = not context.plan_has_errors
    found: dict[str, Finding] = {}
    for path, entry in sorted(manifest.files.items()):
        gone = [s for s in entry.sources if s not in present]
        if not gone or not (context.config.out / path).is_file():
            continue
        if usable_plan and path in planned:
            continue
        if not usable_plan and len(gone) < len(entry.sources):
            continue
        found[path] = Finding(
            f"generated file is an orphan: its source schema is gone ({', '.join(gone)})",
            Location(context.generated_display(path)),
            "run `schemagen generate` to remove it; anything importing it must move on too",
        )
    return found


def check_hand_edit(context: RuleContext) -> Found:
    note = context.no_output_note()
    if note is not None:
        yield Note(note)
        return
    if context.generated_manifest is None and context.config.out.is_dir():
        yield Note(f"schema-first/hand-edit: {context.out_display}/ has no readable manifest.json")
    yield from hand_edited(context).values()


def check_orphan(context: RuleContext) -> Found:
    note = context.no_output_note()
    if note is not None:
        yield Note(note)
        return
    yield from orphaned(context).values()


def _first_difference(old: bytes, new: bytes) -> int:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), start=1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1


def check_drift(context: RuleContext) -> Found:
    if context.plan_has_errors:
        yield Note(
            "schema-first/drift: the pipeline reported errors, so generate would write nothing; "
            "drift not checked"
        )
        return
    out = context.config.out
    drift = compute_drift(out, context.files)
    owned: set[str] = set()
    if HAND_EDIT in context.selected:
        owned.update(hand_edited(context))
    if ORPHAN in context.selected:
        owned.update(orphaned(context))
    drift = Drift(
        tuple(p for p in drift.added if p not in owned),
        tuple(p for p in drift.changed if p not in owned),
        tuple(p for p in drift.removed if p not in owned),
    )
    wanted = {f.path: f.content for f in context.files}
    changed = set(drift.changed)
    prefix = context.out_display + "/"
    for diagnostic in drift_diagnostics(out, drift, context.out_display):
        location = diagnostic.location
        path = (location.file or "").removeprefix(prefix)
        if path in changed:
            line = _first_difference((out / path).read_bytes(), wanted[path])
            location = replace(location, line=line, column=1)
        yield Finding(diagnostic.message, location, diagnostic.hint)


_SCHEMA_METHODS = frozenset({"model_json_schema", "schema_json"})
_SCHEMA_FUNCTIONS = frozenset(
    {"model_json_schema", "models_json_schema", "model_schema", "schema_of"}
)


def _final_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_type_adapter(node: ast.expr, adapters: set[str]) -> bool:
    if isinstance(node, ast.Call):
        return _final_name(node.func) == "TypeAdapter"
    return isinstance(node, ast.Name) and node.id in adapters


def _base_models(tree: ast.Module) -> dict[str, ast.ClassDef]:
    """Classes deriving pydantic's BaseModel/RootModel, directly or through a local class."""
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    models: dict[str, ast.ClassDef] = {}
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name in models:
                continue
            bases = {_final_name(b.value if isinstance(b, ast.Subscript) else b) for b in cls.bases}
            if bases & {"BaseModel", "RootModel", *models}:
                models[cls.name] = cls
                changed = True
    return models


def _reverse_flow(
    source: PythonSource, tree: ast.Module
) -> Iterator[tuple[ast.AST, str, int, int]]:
    models = set(_base_models(tree))
    adapters = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_type_adapter(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in _SCHEMA_FUNCTIONS:
            yield node, f"{func.id}(...)", func.lineno, func.col_offset + 1
            continue
        if not isinstance(func, ast.Attribute) or func.end_col_offset is None:
            continue
        line = func.end_lineno or func.lineno
        column = func.end_col_offset - len(func.attr) + 1
        receiver = _final_name(func.value)
        if func.attr in _SCHEMA_METHODS:
            yield node, f".{func.attr}()", line, column
        elif func.attr == "json_schema" and _is_type_adapter(func.value, adapters):
            yield node, "TypeAdapter(...).json_schema()", line, column
        elif (
            func.attr == "schema"
            and receiver is not None
            and (receiver in models or (receiver[:1].isupper() and receiver != "TypeAdapter"))
            and not any(a for a in node.args)
        ):
            yield node, f"{receiver}.schema()", line, column
        elif func.attr in _SCHEMA_FUNCTIONS and receiver in ("json_schema", "pydantic", "schema"):
            yield node, f"{receiver}.{func.attr}(...)", line, column


def check_reverse_flow(context: RuleContext) -> Found:
    for source in context.code:
        if matches_any(source.relpath, context.settings.deny_scripts):
            yield Finding(
                "script is on the reverse-flow deny-list (deny_scripts)",
                Location(source.display, 1, 1),
                "delete the script; schemas/ is the source of truth, models are generated from it",
            )
        if source.tree is None:
            continue
        for _, what, line, column in _reverse_flow(source, source.tree):
            yield Finding(
                f"{what} derives a JSON Schema from a Python model (reverse flow)",
                Location(source.display, line, column),
                "write or change the schema in schemas/ and generate the model from it",
            )


def check_shadow_model(context: RuleContext) -> Found:
    generated: dict[str, str] = {
        name: document.display for name, document in context.facts.all_title_classes.items()
    }
    for source in context.generated_python:
        if source.tree is not None:
            for node in source.tree.body:  # module-level classes: the generated models
                if isinstance(node, ast.ClassDef):
                    generated.setdefault(node.name, source.display)
    for source in context.code:
        if source.tree is None:
            continue
        for name, cls in sorted(_base_models(source.tree).items(), key=lambda kv: kv[1].lineno):
            if name not in generated:
                continue
            yield Finding(
                f"hand-written Pydantic model {name} shadows the generated model {name} "
                f"(from {generated[name]})",
                Location(source.display, cls.lineno, cls.col_offset + 1),
                "import the generated model (subclass it for behaviour); never redefine it",
            )


RULES = (
    Rule(
        "schema-first/reverse-flow",
        Severity.ERROR,
        "Hand-written code derives JSON Schema from Python models.",
        """Schemas flow one way: schemas/ -> generated models. Code outside generated/ and tests/
that derives a JSON Schema from a model (model_json_schema(), schema_json(), Model.schema(),
TypeAdapter(...).json_schema(), pydantic.json_schema.models_json_schema()) turns the flow
around: the code becomes a second source of truth. Found by reading the code's syntax tree, at
the call. Scripts listed in deny_scripts (globs relative to the project) are reported whole.
schemagen's own package is not scanned.

Example (fires), in scripts/export.py:
    json.dump(Bond.model_json_schema(), open("schemas/Bond.schema.json", "w"))
Fix: edit schemas/entities/cognitive/Bond.schema.json and run `schemagen generate`.""",
        Stage.CODE,
        check_reverse_flow,
    ),
    Rule(
        "schema-first/drift",
        Severity.ERROR,
        "The generated directory differs from what `schemagen generate` would write.",
        """generated/ is committed and must be exactly what the schemas generate: no file missing,
none different, none extra. A changed file is reported at its first differing line. Files that
schema-first/hand-edit or schema-first/orphan report (when selected) are left to them.

Example (fires): a schema's description changed but generated/ was not regenerated.
Fix: `schemagen generate`, and commit the result.""",
        Stage.GENERATED,
        check_drift,
    ),
    Rule(
        "schema-first/hand-edit",
        Severity.ERROR,
        "A generated file was edited by hand.",
        """generated/manifest.json records the sha256 of every file schemagen wrote. A file whose
content no longer matches was changed by hand; the next generate would silently undo the change.

Example (fires): adding a validator to generated/python/.../bond.py.
Fix: put the change in the schema (or subclass the model in your own code), then regenerate.""",
        Stage.GENERATED,
        check_hand_edit,
    ),
    Rule(
        "schema-first/orphan",
        Severity.ERROR,
        "A generated file's source schemas are gone.",
        """The manifest records which schemas each generated file came from. When generate would
no longer write a file because a schema it came from is gone, the file left in generated/ is an
orphan: stale code that still imports fine.

Example (fires): schemas/entities/Old.schema.json was deleted; generated/python/.../old.py stays.
Fix: `schemagen generate` removes it.""",
        Stage.GENERATED,
        check_orphan,
    ),
    Rule(
        "schema-first/shadow-model",
        Severity.ERROR,
        "A hand-written Pydantic model has the name of a generated one.",
        """A class deriving BaseModel (or RootModel, directly or through a local class) outside
generated/ and tests/ whose name is a generated model's name (a schema title's class name, or a
class in generated/python) is a hand-maintained copy that drifts from the schema.

Example (fires), in src/app/models.py:
    class Bond(BaseModel):
        strength: float
Fix: from the generated package import Bond (subclass it to add behaviour).""",
        Stage.CODE,
        check_shadow_model,
    ),
)
