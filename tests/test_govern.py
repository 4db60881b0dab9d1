"""Governance rules, one at a time: the smallest violating change to a small, clean corpus makes
exactly that rule fire at the right file and line, and a suppression with a reason silences it."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from schemagen.config import Config, ConfigError
from schemagen.diagnostics import Diagnostic, Severity
from schemagen.govern import (
    GovernanceError,
    GovernanceResult,
    Rule,
    Stage,
    all_rules,
    clear_rule_cache,
    explain_rule,
    list_rule_docs,
    rule_docs,
    run_governance,
)
from schemagen.govern.model import Finding
from schemagen.outputs import GeneratedFile, Manifest, build_manifest, manifest_file, write_tree
from schemagen.pipeline import Plan
from schemagen.resolve import compile_corpus

BASE = "https://schemas.example.dev/v1/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]


def schema(relpath: str, title: str, description: str, **body: Any) -> Schema:
    return {
        "$schema": DIALECT,
        "$id": BASE + relpath,
        "title": title,
        "description": description,
        **body,
    }


CORPUS: dict[str, Schema] = {
    "primitives/Ratio.schema.json": schema(
        "primitives/Ratio.schema.json", "Ratio", "A fraction.", type="number", minimum=0, maximum=1
    ),
    "base/BaseEntity.schema.json": schema(
        "base/BaseEntity.schema.json",
        "BaseEntity",
        "Anything with an id.",
        type="object",
        properties={"id": {"type": "string", "minLength": 36, "maxLength": 36}},
        required=["id"],
    ),
    "base/BaseCognitiveEntity.schema.json": schema(
        "base/BaseCognitiveEntity.schema.json",
        "BaseCognitiveEntity",
        "An entity in the physics simulation.",
        allOf=[
            {"$ref": "./BaseEntity.schema.json"},
            {
                "type": "object",
                "required": ["physics_state"],
                "properties": {
                    "physics_state": {
                        "$ref": "../components/physics/CognitivePhysicsState.schema.json"
                    }
                },
            },
        ],
    ),
    "base/BaseSystemEntity.schema.json": schema(
        "base/BaseSystemEntity.schema.json",
        "BaseSystemEntity",
        "An entity outside the simulation.",
        allOf=[
            {"$ref": "./BaseEntity.schema.json"},
            {"type": "object", "properties": {"audit": {"type": "string"}}},
        ],
    ),
    "components/physics/UniversalPhysicsState.schema.json": schema(
        "components/physics/UniversalPhysicsState.schema.json",
        "UniversalPhysicsState",
        "The physics every entity shares.",
        type="object",
        required=["energy"],
        properties={
            "energy": {
                "type": "number",
                "minimum": 0,
                "maximum": 100,
                "default": 50,
                "x-constant": {"maximum": "ENERGY_MAX", "default": "ENERGY_DEFAULT"},
            }
        },
    ),
    "components/physics/EnergyState.schema.json": schema(
        "components/physics/EnergyState.schema.json",
        "EnergyState",
        "Kinetic energy.",
        type="object",
        properties={"kinetic": {"type": "number", "minimum": 0}},
    ),
    "components/physics/CognitivePhysicsState.schema.json": schema(
        "components/physics/CognitivePhysicsState.schema.json",
        "CognitivePhysicsState",
        "The physics of a cognitive entity.",
        type="object",
        required=["universal"],
        properties={
            "universal": {"$ref": "./UniversalPhysicsState.schema.json"},
            "detail": {"$ref": "./EnergyState.schema.json"},
            "salience": {
                "$ref": "../../primitives/Ratio.schema.json",
                "default": 0.5,
                "x-constant": {"default": "SALIENCE_DEFAULT"},
            },
        },
    ),
    "entities/cognitive/Bond.schema.json": schema(
        "entities/cognitive/Bond.schema.json",
        "Bond",
        "A relationship between two threads.",
        allOf=[
            {"$ref": "../../base/BaseCognitiveEntity.schema.json"},
            {
                "type": "object",
                "properties": {"strength": {"$ref": "../../primitives/Ratio.schema.json"}},
            },
        ],
    ),
    "entities/system/Tenant.schema.json": schema(
        "entities/system/Tenant.schema.json",
        "Tenant",
        "A customer account.",
        allOf=[
            {"$ref": "../../base/BaseSystemEntity.schema.json"},
            {"type": "object", "properties": {"name": {"type": "string", "maxLength": 200}}},
        ],
    ),
}

CONSTANTS = """\
constants:
  ENERGY_MAX: {value: 100, unit: ceu, description: Largest energy.}
  ENERGY_DEFAULT: {value: 50, unit: ceu, description: Starting energy.}
  SALIENCE_DEFAULT: {value: 0.5, unit: "1", description: Starting salience.}
"""

Mutation = Callable[[dict[str, Schema]], None]


class Project:
    """A project on disk: schemas/, governance/constants/, optional code and generated/."""

    def __init__(
        self, root: Path, governance: dict[str, Any] | None = None, base_uri: str | None = BASE
    ):
        self.root = root
        self.config = Config(
            project_root=root,
            schemas=root / "schemas",
            out=root / "generated",
            base_uri=base_uri,
            constants=(root / "governance" / "constants" / "physics.yaml",),
            sections={"governance": governance or {}},
        )

    def write(self, mutate: Mutation | None = None, constants: str = CONSTANTS) -> Project:
        corpus = copy.deepcopy(CORPUS)
        if mutate is not None:
            mutate(corpus)
        for relpath, contents in corpus.items():
            path = self.root / "schemas" / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(contents, indent=2) + "\n")
        constants_file = self.root / "governance" / "constants" / "physics.yaml"
        constants_file.parent.mkdir(parents=True, exist_ok=True)
        constants_file.write_text(constants)
        return self

    def code(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def plan(self, files: Sequence[GeneratedFile] = (), errors: bool = False) -> Plan:
        corpus = compile_corpus(self.config)
        assert not [d for d in corpus.diagnostics if d.severity is Severity.ERROR], (
            corpus.diagnostics
        )
        generated = list(files)
        manifest = Manifest()
        if generated:
            manifest = build_manifest(generated, {d.relpath: d.sha256 for d in corpus.documents})
            generated.append(manifest_file(manifest))
        problems = (Diagnostic("schema/metaschema", Severity.ERROR, "broken"),) if errors else ()
        return Plan.of(corpus, generated, manifest, problems)

    def govern(
        self, select: Sequence[str] = (), files: Sequence[GeneratedFile] = ()
    ) -> GovernanceResult:
        return run_governance(self.plan(files), select)

    def schema_path(self, relpath: str) -> str:
        return os.path.relpath(self.root / "schemas" / relpath)

    def path(self, relpath: str) -> str:
        return os.path.relpath(self.root / relpath)


def line_of(path: str, needle: str) -> int:
    lines = Path(path).read_text().splitlines()
    found = [i for i, line in enumerate(lines, start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found} of {path}"
    return found[0]


def only(result: GovernanceResult, rule: str | None = None) -> Diagnostic:
    """The one finding of the run (of `rule`, if given), asserting there is exactly one."""
    found = [d for d in result.diagnostics if rule is None or d.rule == rule]
    assert len(found) == 1, "\n".join(map(str, result.diagnostics))
    return found[0]


def clean(result: GovernanceResult) -> None:
    assert result.diagnostics == (), "\n".join(map(str, result.diagnostics))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path).write()


def ignore(target: Schema, rule: str, reason: str = "kept for compatibility, see ADR-1") -> None:
    target.setdefault("x-schemagen-ignore", {})[rule] = reason


# --- the baseline --------------------------------------------------------------------------------


def test_the_fixture_corpus_is_clean_and_the_notes_say_what_had_nothing_to_read(
    project: Project,
) -> None:
    result = project.govern()
    clean(result)
    notes = "\n".join(result.notes)
    assert "schema-first/reverse-flow" in notes and "no hand-written Python code" in notes
    assert "schema-first/drift" in notes and "nothing generated" in notes


# --- hygiene -------------------------------------------------------------------------------------

RATIO = "primitives/Ratio.schema.json"
BOND = "entities/cognitive/Bond.schema.json"
TENANT = "entities/system/Tenant.schema.json"
UPS = "components/physics/UniversalPhysicsState.schema.json"
CPS = "components/physics/CognitivePhysicsState.schema.json"


def set_title(relpath: str, title: str) -> Mutation:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[relpath]["title"] = title

    return mutate


def test_invalid_class_name(tmp_path: Path) -> None:
    project = Project(tmp_path).write(set_title(RATIO, "3D Ratio"))
    found = only(project.govern())
    assert found.rule == "hygiene/invalid-class-name"
    assert found.location.file == project.schema_path(RATIO)
    assert found.location.line == line_of(project.schema_path(RATIO), '"title"')
    assert "3DRatio" in found.message

    def suppressed(corpus: dict[str, Schema]) -> None:
        set_title(RATIO, "3D Ratio")(corpus)
        ignore(corpus[RATIO], "hygiene/invalid-class-name")

    result = Project(tmp_path).write(suppressed).govern()
    clean(result)
    assert any("1 finding suppressed" in n for n in result.notes)


def test_titles_with_spaces_make_valid_class_names(tmp_path: Path) -> None:
    clean(Project(tmp_path).write(set_title(RATIO, "Ratio Value")).govern())


def test_duplicate_class_name_reports_every_file_of_the_clash(tmp_path: Path) -> None:
    project = Project(tmp_path).write(set_title(TENANT, "Bond"))
    found = project.govern().diagnostics
    assert {d.rule for d in found} == {"hygiene/duplicate-class-name"}
    assert {(d.location.file, d.location.line) for d in found} == {
        (project.schema_path(BOND), line_of(project.schema_path(BOND), '"title"')),
        (project.schema_path(TENANT), line_of(project.schema_path(TENANT), '"title"')),
    }


def test_id_convention(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[RATIO]["$id"] = BASE + "Ratio.schema.json"

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "hygiene/id-convention"
    assert (found.location.file, found.location.line) == (
        project.schema_path(RATIO),
        line_of(project.schema_path(RATIO), '"$id"'),
    )
    assert found.location.pointer == "/$id"


def test_id_convention_is_skipped_without_a_base_uri(tmp_path: Path) -> None:
    project = Project(tmp_path, base_uri=None).write()
    result = project.govern(["hygiene/id-convention"])
    clean(result)
    assert any("no base_uri" in n for n in result.notes)


def test_missing_dialect(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        del corpus[RATIO]["$schema"]

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "hygiene/missing-dialect"
    assert (found.location.file, found.location.line) == (project.schema_path(RATIO), 1)


def test_missing_description(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[TENANT]["description"] = "  "

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "hygiene/missing-description"
    assert found.location.line == line_of(project.schema_path(TENANT), '"description"')
    assert found.severity is Severity.WARNING


def test_unknown_keyword_catches_a_fields_keyword_and_what_is_under_it(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        own = corpus[TENANT]["allOf"][1]
        own["fields"] = {"name": {"type": "string", "nullable": True}}
        del own["properties"]

    project = Project(tmp_path).write(mutate)
    found = project.govern().diagnostics
    assert [d.rule for d in found] == ["hygiene/unknown-keyword"] * 2
    path = project.schema_path(TENANT)
    assert [(d.location.line, d.location.pointer) for d in found] == [
        (line_of(path, '"fields"'), "/allOf/1/fields"),
        (line_of(path, '"nullable"'), "/allOf/1/fields/name/nullable"),
    ]
    assert found[0].hint == "did you mean properties?"


def test_unused_schema_is_info(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus["fields/Old.schema.json"] = schema(
            "fields/Old.schema.json", "Old", "Nobody uses me."
        )

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "hygiene/unused" and found.severity is Severity.INFO
    assert found.location.file == project.schema_path("fields/Old.schema.json")


# --- magic numbers -------------------------------------------------------------------------------


def energy(corpus: dict[str, Schema]) -> Schema:
    return cast(Schema, corpus[UPS]["properties"]["energy"])


def test_unnamed_literal(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        energy(corpus)["multipleOf"] = 0.25

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "magic-numbers/unnamed-literal"
    assert found.location.file == project.schema_path(UPS)
    assert found.location.line == line_of(project.schema_path(UPS), '"multipleOf": 0.25')
    assert found.location.pointer == "/properties/energy/multipleOf"

    def suppressed(corpus: dict[str, Schema]) -> None:
        mutate(corpus)
        ignore(
            energy(corpus), "magic-numbers/unnamed-literal", "integrator step, not a model value"
        )

    clean(Project(tmp_path).write(suppressed).govern())


def test_unnamed_literal_hints_at_a_constant_with_the_same_value(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        del energy(corpus)["x-constant"]["default"]

    found = only(Project(tmp_path).write(mutate).govern())
    assert found.rule == "magic-numbers/unnamed-literal"
    assert found.hint is not None and "ENERGY_DEFAULT" in found.hint


def test_unnamed_literal_in_enum_needs_names_by_position(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        energy(corpus)["enum"] = [0, 50, 100]

    project = Project(tmp_path).write(mutate)
    found = project.govern().diagnostics
    assert [d.location.pointer for d in found] == [
        "/properties/energy/enum/1",
        "/properties/energy/enum/2",
    ]

    def named(corpus: dict[str, Schema]) -> None:
        mutate(corpus)
        energy(corpus)["x-constant"]["enum"] = [None, "ENERGY_DEFAULT", "ENERGY_MAX"]

    clean(Project(tmp_path).write(named).govern())


def test_numbers_outside_the_scopes_and_structural_sizes_need_no_name(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[RATIO]["maximum"] = 0.9  # primitives/ is not a magic-number scope
        energy(corpus)["x-sizes"] = True
        corpus[UPS]["properties"]["tags"] = {"type": "array", "maxItems": 16, "minItems": 2}

    clean(Project(tmp_path).write(mutate).govern())


def test_magic_number_scopes_are_configurable(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[RATIO]["maximum"] = 0.9

    project = Project(tmp_path, {"magic_number_scopes": ["primitives/**"]}).write(mutate)
    found = only(project.govern(["magic-numbers"]))
    assert found.location.file == project.schema_path(RATIO)


def test_allowed_numbers_are_configurable(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        energy(corpus)["multipleOf"] = 0.25

    clean(Project(tmp_path, {"allowed_numbers": [0, 1, 0.25]}).write(mutate).govern())


def test_constant_mismatch_on_a_different_value(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        energy(corpus)["maximum"] = 120

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "magic-numbers/constant-mismatch"
    assert found.location.pointer == "/properties/energy/x-constant/maximum"
    assert found.location.line == line_of(project.schema_path(UPS), '"maximum": "ENERGY_MAX"')
    assert "120" in found.message and "100" in found.message


def test_constant_mismatch_on_an_unknown_name(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        energy(corpus)["x-constant"]["maximum"] = "ENERGY_CEILING"

    found = only(Project(tmp_path).write(mutate).govern())
    assert found.rule == "magic-numbers/constant-mismatch"
    assert "ENERGY_CEILING" in found.message

    def suppressed(corpus: dict[str, Schema]) -> None:
        mutate(corpus)
        ignore(energy(corpus), "magic-numbers", "constant arrives with the next physics release")

    clean(Project(tmp_path).write(suppressed).govern())


def test_constants_file_problems(tmp_path: Path) -> None:
    broken = CONSTANTS + "  energy_min: {value: 0, description: Lowest energy.}\n"
    project = Project(tmp_path).write(constants=broken)
    found = only(project.govern())
    assert found.rule == "magic-numbers/constants-file"
    assert found.location.file == project.path("governance/constants/physics.yaml")
    assert found.location.line == 5


def generated_python(text: str) -> GeneratedFile:
    return GeneratedFile("python/models.py", text.encode(), (BOND,), "python")


MODELS = (
    "from pydantic import BaseModel, Field\n\n\n"
    "class Bond(BaseModel):\n    energy: float = Field(50, le=100)\n"
)


def test_generated_literal(project: Project) -> None:
    text = MODELS + "    salience: float = Field(0.5, ge=0)\n    spin: float = -0.37\n"
    files = [generated_python(text)]
    write_tree(project.config.out, project.plan(files).files)
    found = only(project.govern(files=files))
    assert found.rule == "magic-numbers/generated-literal"
    assert found.location.file == project.path("generated/python/models.py")
    assert (found.location.line, found.location.column) == (7, 19)

    text = text.replace(
        "    spin:",
        "    # schemagen: ignore[magic-numbers/generated-literal] spin is fixed\n    spin:",
    )
    files = [generated_python(text)]
    write_tree(project.config.out, project.plan(files).files)
    clean(project.govern(files=files))


# --- physics state -------------------------------------------------------------------------------


def test_physics_state_missing_when_the_base_stops_requiring_it(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus["base/BaseCognitiveEntity.schema.json"]["allOf"][1]["required"] = []

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "physics-state/missing"
    assert (found.location.file, found.location.line) == (project.schema_path(BOND), 1)
    assert "does not require physics_state" in found.message

    def suppressed(corpus: dict[str, Schema]) -> None:
        mutate(corpus)
        ignore(corpus[BOND], "physics-state/missing", "migrating; tracked in ISSUE-42")

    clean(Project(tmp_path).write(suppressed).govern())


def test_physics_state_missing_when_universal_is_not_the_universal_state(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[CPS]["properties"]["universal"] = {"$ref": "./EnergyState.schema.json"}

    project = Project(tmp_path, {"ignore": ["hygiene/unused"]}).write(mutate)
    found = only(project.govern())
    assert found.rule == "physics-state/missing"
    assert found.location.file == project.schema_path(BOND)
    assert "UniversalPhysicsState" in found.message


def test_physics_state_missing_when_universal_is_not_required(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[CPS]["required"] = []

    found = only(Project(tmp_path).write(mutate).govern())
    assert found.rule == "physics-state/missing" and "does not require universal" in found.message


def test_cognitive_entities_are_found_through_the_graph_wherever_they_live(tmp_path: Path) -> None:
    """An entity outside entities/, through a local $defs hop and an intermediate base, reaches
    BaseCognitiveEntity. Only concrete schemas (that nothing extends) are entities; the
    intermediate base is not."""

    def mutate(corpus: dict[str, Schema]) -> None:
        corpus["base/BaseBond.schema.json"] = schema(
            "base/BaseBond.schema.json",
            "BaseBond",
            "What bonds share.",
            allOf=[{"$ref": "./BaseCognitiveEntity.schema.json"}],
        )
        corpus["misc/deep/Knot.schema.json"] = schema(
            "misc/deep/Knot.schema.json",
            "Knot",
            "A tight bond.",
            allOf=[{"$ref": "#/$defs/parent"}, {"type": "object"}],
            **{"$defs": {"parent": {"$ref": "../../base/BaseBond.schema.json"}}},
        )
        corpus[CPS]["required"] = []

    project = Project(tmp_path).write(mutate)
    found = project.govern().diagnostics
    assert {d.rule for d in found} == {"physics-state/missing"}
    assert {d.location.file for d in found} == {
        project.schema_path(BOND),
        project.schema_path("misc/deep/Knot.schema.json"),
    }


def test_physics_state_base_names_are_configurable(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[CPS]["required"] = []

    project = Project(tmp_path, {"cognitive_base": "Nothing"}).write(mutate)
    result = project.govern(["physics-state"])
    clean(result)
    assert any("no schema is Nothing" in n for n in result.notes)


def test_physics_state_on_system_entity(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[TENANT]["allOf"][1]["properties"]["physics_state"] = {"type": "object"}

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "physics-state/on-system-entity"
    assert found.location.file == project.schema_path(TENANT)
    assert found.location.line == line_of(project.schema_path(TENANT), '"physics_state"')

    def suppressed(corpus: dict[str, Schema]) -> None:
        mutate(corpus)
        ignore(corpus[TENANT]["allOf"][1], "physics-state/on-system-entity", "read-only mirror")

    clean(Project(tmp_path).write(suppressed).govern())


# --- schema-first: code ---------------------------------------------------------------------------


def test_reverse_flow_in_code(project: Project) -> None:
    code = project.code(
        "src/app/export.py",
        '"""Never call model_json_schema( here."""\n'
        "import json\n"
        "from pydantic import BaseModel, TypeAdapter\n"
        "from app.models import Bond\n"
        "\n"
        "print(json.dumps(Bond.model_json_schema()))\n"
        "adapter = TypeAdapter(list[int])\n"
        "print(adapter.json_schema())\n"
        "print(TypeAdapter(int).json_schema(), Bond.schema_json(), Bond.schema())\n"
        "print(self_like.schema)\n",
    )
    project.code("tests/test_export.py", "Bond.model_json_schema()\n")
    project.code("generated/python/x.py", "Bond.model_json_schema()\n")
    found = project.govern(["schema-first/reverse-flow"]).diagnostics
    assert {d.location.file for d in found} == {os.path.relpath(code)}
    assert [(d.location.line, d.location.column) for d in found] == [
        (6, 23),
        (8, 15),
        (9, 24),
        (9, 44),
        (9, 64),
    ]


def test_reverse_flow_suppressed_in_python(project: Project) -> None:
    project.code(
        "src/app/docs.py",
        "from app.models import Bond\n"
        "# schemagen: ignore[schema-first/reverse-flow] renders the schema in the docs only\n"
        "print(Bond.model_json_schema())\n"
        "print(Bond.model_json_schema())  # schemagen: ignore[schema-first] same, inline\n",
    )
    clean(project.govern())


def test_reverse_flow_deny_listed_script(tmp_path: Path) -> None:
    project = Project(tmp_path, {"deny_scripts": ["scripts/export_*.py"]}).write()
    script = project.code("scripts/export_schemas.py", "import app\n")
    found = only(project.govern())
    assert found.rule == "schema-first/reverse-flow"
    assert (found.location.file, found.location.line) == (os.path.relpath(script), 1)


def test_shadow_model(project: Project) -> None:
    code = project.code(
        "src/app/models.py",
        "import pydantic\n\n\nclass Base(pydantic.BaseModel):\n    pass\n\n\n"
        "class Bond(Base):\n    strength: float\n\n\nclass Helper(Base):\n    pass\n\n\n"
        "class Tenant:\n    pass\n",
    )
    found = only(project.govern())
    assert found.rule == "schema-first/shadow-model"
    assert (found.location.file, found.location.line, found.location.column) == (
        os.path.relpath(code),
        8,
        1,
    )


def test_shadow_model_of_a_class_only_the_generated_code_has(project: Project) -> None:
    nested = "\n    class Config:\n        frozen = True\n"
    text = MODELS + nested + "\n\nclass BondStrength(BaseModel):\n    x: int\n"
    files = [generated_python(text)]
    write_tree(project.config.out, project.plan(files).files)
    code = project.code(
        "src/app/models.py",
        "from pydantic import BaseModel\n\n\nclass Config(BaseModel):\n    pass\n\n\n"
        "class BondStrength(BaseModel):\n    pass\n",
    )
    found = only(project.govern(files=files))
    assert found.rule == "schema-first/shadow-model" and "BondStrength" in found.message
    assert (found.location.file, found.location.line) == (os.path.relpath(code), 8)


def test_code_exclusions_are_configurable(project: Project) -> None:
    project.code("vendor/lib.py", "X.model_json_schema()\n")
    assert only(project.govern(["schema-first"])).rule == "schema-first/reverse-flow"
    excluded = Project(project.root, {"code_exclude": ["vendor/**"]})
    clean(excluded.govern(["schema-first"]))


# --- schema-first: generated output ------------------------------------------------------------


def test_drift_reports_the_first_differing_line(project: Project) -> None:
    before = [generated_python(MODELS)]
    write_tree(project.config.out, project.plan(before).files)
    clean(project.govern(files=before))
    after = [generated_python(MODELS.replace("le=100", "le=100, description='x'"))]
    found = [
        d
        for d in project.govern(files=after).diagnostics
        if (d.location.file or "").endswith("models.py")
    ]
    assert len(found) == 1 and found[0].rule == "schema-first/drift"
    assert (found[0].location.file, found[0].location.line) == (
        project.path("generated/python/models.py"),
        5,
    )


def test_drift_when_generated_is_missing(project: Project) -> None:
    result = project.govern(["schema-first"], files=[generated_python(MODELS)])
    assert any("generated/ does not exist yet" in n for n in result.notes)
    found = result.diagnostics
    assert {d.location.file for d in found} == {
        project.path("generated/python/models.py"),
        project.path("generated/manifest.json"),
    }


def test_drift_is_not_checked_when_the_schemas_have_errors(project: Project) -> None:
    write_tree(project.config.out, project.plan([generated_python(MODELS)]).files)
    result = run_governance(project.plan(errors=True), ["schema-first/drift"])
    clean(result)
    assert any("pipeline reported errors" in n for n in result.notes)


def test_hand_edit(project: Project) -> None:
    files = [generated_python(MODELS)]
    write_tree(project.config.out, project.plan(files).files)
    target = project.root / "generated" / "python" / "models.py"
    target.write_text(MODELS + "    # my tweak\n")
    found = only(project.govern(files=files))
    assert found.rule == "schema-first/hand-edit"
    assert found.location.file == project.path("generated/python/models.py")
    # Without hand-edit selected, drift reports the file instead.
    assert only(project.govern(["schema-first/drift"], files=files)).location.line == 6


def test_orphan(project: Project) -> None:
    old = GeneratedFile("python/old.py", b"X = 1\n", ("entities/Gone.schema.json",), "python")
    kept = GeneratedFile(
        "python/kept.py", b"Y = 2\n", (BOND, "entities/Gone.schema.json"), "python"
    )
    files = [generated_python(MODELS), kept]
    write_tree(project.config.out, project.plan([*files, old]).files)
    found = project.govern(["schema-first"], files=files).diagnostics
    orphan = [d for d in found if d.rule == "schema-first/orphan"]
    assert [d.location.file for d in orphan] == [project.path("generated/python/old.py")]
    # drift leaves old.py to orphan; the manifest itself did change
    assert [d.location.file for d in found if d.rule == "schema-first/drift"] == [
        project.path("generated/manifest.json")
    ]


# --- suppressions -------------------------------------------------------------------------------


def test_suppression_without_a_reason_still_suppresses_but_is_reported(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        set_title(RATIO, "3D Ratio")(corpus)
        ignore(corpus[RATIO], "hygiene/invalid-class-name", "")

    project = Project(tmp_path).write(mutate)
    found = only(project.govern())
    assert found.rule == "suppression/missing-reason"
    assert found.location.line == line_of(
        project.schema_path(RATIO), '"hygiene/invalid-class-name"'
    )


def test_unused_suppressions(project: Project, tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        ignore(corpus[RATIO], "hygiene/missing-description", "legacy")
        ignore(corpus[TENANT], "no-such/rule", "typo")

    project = Project(tmp_path).write(mutate)
    code = project.code(
        "src/app/x.py", "X = 1  # schemagen: ignore[schema-first/reverse-flow] old\n"
    )
    found = project.govern().diagnostics
    assert [(d.rule, d.location.file) for d in found] == sorted(
        [
            ("suppression/unused", project.schema_path(RATIO)),
            ("suppression/unused", project.schema_path(TENANT)),
            ("suppression/unused", os.path.relpath(code)),
        ],
        key=lambda t: t[1],
    )


def test_a_suppression_for_a_rule_that_did_not_run_is_not_judged(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        ignore(corpus[RATIO], "hygiene/missing-description", "legacy")

    clean(Project(tmp_path).write(mutate).govern(["magic-numbers", "suppression"]))


def test_malformed_schema_suppression(tmp_path: Path) -> None:
    def mutate(corpus: dict[str, Schema]) -> None:
        corpus[RATIO]["x-schemagen-ignore"] = ["hygiene"]

    found = only(Project(tmp_path).write(mutate).govern())
    assert found.rule == "suppression/missing-reason"


# --- the engine ---------------------------------------------------------------------------------


def test_unknown_rule_or_family_is_an_error_naming_the_nearest_ones(project: Project) -> None:
    with pytest.raises(GovernanceError) as caught:
        project.govern(["hygiene/missing-descripton"])
    message = str(caught.value)
    assert "did you mean 'hygiene/missing-description'" in message and "--list-rules" in message
    assert isinstance(caught.value, ConfigError)


def test_unknown_rule_in_the_configuration(tmp_path: Path) -> None:
    with pytest.raises(GovernanceError, match="ignore"):
        Project(tmp_path, {"ignore": ["nope"]}).write().govern()
    with pytest.raises(ConfigError, match="unknown key"):
        Project(tmp_path, {"selcet": ["hygiene"]}).write().govern()


def both_problems(corpus: dict[str, Schema]) -> None:
    set_title(RATIO, "3D Ratio")(corpus)
    corpus[TENANT]["description"] = ""


def test_select_by_family_and_by_id(tmp_path: Path) -> None:
    project = Project(tmp_path).write(both_problems)
    assert {d.rule for d in project.govern().diagnostics} == {
        "hygiene/invalid-class-name",
        "hygiene/missing-description",
    }
    assert (
        only(project.govern(["hygiene/missing-description"])).rule == "hygiene/missing-description"
    )
    clean(project.govern(["magic-numbers", "physics-state"]))


def test_configured_select_ignore_and_severity(tmp_path: Path) -> None:
    project = Project(
        tmp_path,
        {"ignore": ["hygiene/missing-description"], "severity": {"hygiene": "warning"}},
    ).write(both_problems)
    found = only(project.govern())
    assert found.rule == "hygiene/invalid-class-name" and found.severity is Severity.WARNING
    # An explicitly named rule runs even when the configuration ignores it.
    assert (
        only(project.govern(["hygiene/missing-description"])).rule == "hygiene/missing-description"
    )
    off = Project(tmp_path, {"severity": {"hygiene/invalid-class-name": "off"}})
    assert only(off.govern()).rule == "hygiene/missing-description"
    selected = Project(tmp_path, {"select": ["magic-numbers"]})
    clean(selected.govern())


def test_per_path_ignores(tmp_path: Path) -> None:
    project = Project(tmp_path, {"per_path_ignores": {"schemas/primitives/**": ["hygiene"]}})
    project.write(both_problems)
    assert only(project.govern()).rule == "hygiene/missing-description"
    by_schema_path = Project(
        tmp_path, {"per_path_ignores": {"entities/**": ["hygiene/missing-description"]}}
    )
    assert only(by_schema_path.govern()).rule == "hygiene/invalid-class-name"


def test_bad_severity_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="severity"):
        Project(tmp_path, {"severity": {"hygiene": "fatal"}}).write().govern()


def _plugin_check(context: Any) -> list[Finding]:
    document = context.corpus.documents[0]
    return [Finding("plugin says hi", document.locate("/title"))]


def _crashing_check(context: Any) -> list[Finding]:
    raise KeyError("boom")


class FakeEntryPoint:
    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value, self._value = name, f"plugin:{name}", value

    def load(self) -> Any:
        return self._value


@pytest.fixture
def plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def install(*entry_points: FakeEntryPoint) -> None:
        def fake(group: str | None = None, **_: Any) -> list[FakeEntryPoint]:
            return list(entry_points) if group == "schemagen.rules" else []

        monkeypatch.setattr("importlib.metadata.entry_points", fake)
        clear_rule_cache()

    yield install
    clear_rule_cache()


def test_rules_from_entry_points(project: Project, plugins: Callable[..., None]) -> None:
    hello = Rule(
        "acme/hello", Severity.WARNING, "Says hi.", "Example: always.", Stage.CORPUS, _plugin_check
    )
    crash = Rule(
        "acme/crash", Severity.ERROR, "Crashes.", "Example: always.", Stage.CORPUS, _crashing_check
    )
    plugins(FakeEntryPoint("hello", hello), FakeEntryPoint("more", [crash]))
    assert "acme/hello" in {r.id for r in all_rules()}
    found = project.govern(["acme"]).diagnostics
    assert {d.rule for d in found} == {"acme/hello", "governance/rule-failed"}
    assert rule_docs("acme/hello") is not None
    assert "Says hi." in explain_rule("acme/hello")


def test_broken_plugins_are_governance_errors(
    project: Project, plugins: Callable[..., None]
) -> None:
    plugins(FakeEntryPoint("bad", 42))
    with pytest.raises(GovernanceError, match="not a schemagen.govern.Rule"):
        project.govern()
    duplicate = Rule("hygiene/unused", Severity.INFO, "x", "y", Stage.CORPUS)
    plugins(FakeEntryPoint("dup", duplicate))
    with pytest.raises(GovernanceError, match="defined twice"):
        project.govern()


def test_rule_ids_are_validated() -> None:
    with pytest.raises(ValueError):
        Rule("NoFamily", Severity.ERROR, "x", "y", Stage.CORPUS)


# --- documentation -------------------------------------------------------------------------------

STAGE_IDS = [
    "load/syntax",
    "load/bom",
    "load/encoding",
    "load/duplicate-key",
    "load/empty",
    "load/not-an-object",
    "load/too-deep",
    "load/yaml-bomb",
    "load/yaml-recursive",
    "load/multiple-documents",
    "load/missing-dialect",
    "load/unknown-dialect",
    "load/outside-root",
    "load/unreadable",
    "ref/unresolvable",
    "ref/resolved-by-path",
    "ref/remote-unmapped",
    "ref/outside-root",
    "id/duplicate",
    "schema/malformed",
    "schema/metaschema",
    "schema/invalid-example",
    "schema/invalid-default",
    "schema/invalid-pattern",
    "infrastructure/invalid",
    "assemble/cycle",
    "assemble/conflict",
    "generate/python-failed",
    "backstage/unknown-template",
    "hygiene/invalid-class-name",
    "governance/rule-failed",
    "assemble/too-large",
    "assemble/uri-conflict",
    "backstage/duplicate-name",
    "backstage/duplicate-entity",
    "backstage/invalid-infrastructure",
    "backstage/unresolvable-ref",
    "backstage/round-trip",
]


@pytest.mark.parametrize("rule_id", sorted({*STAGE_IDS, *(r.id for r in all_rules())}))
def test_every_rule_id_is_documented_with_an_example(rule_id: str) -> None:
    doc = rule_docs(rule_id)
    assert doc is not None and doc.summary and doc.explanation
    text = explain_rule(rule_id)
    assert rule_id in text and "Example" in text
    assert rule_id in list_rule_docs()


def test_explaining_a_family_and_an_unknown_rule() -> None:
    assert "hygiene/unknown-keyword" in explain_rule("hygiene")
    assert rule_docs("nope/nothing") is None
    with pytest.raises(GovernanceError, match="unknown rule 'nope/nothing'; .*--list-rules"):
        explain_rule("nope/nothing")
    with pytest.raises(GovernanceError, match="empty"):
        explain_rule("")


def test_every_builtin_rule_is_data() -> None:
    rules = all_rules()
    assert len({r.id for r in rules}) == len(rules)
    families = {r.family for r in rules}
    assert {"schema-first", "magic-numbers", "physics-state", "hygiene", "suppression"} <= families
    for rule in rules:
        with pytest.raises(AttributeError):
            rule.id = "x/y"  # type: ignore[misc]


def test_cli_explain_and_list_rules() -> None:
    from click.testing import CliRunner

    from schemagen.cli import main

    runner = CliRunner()
    explained = runner.invoke(main, ["govern", "--explain", "hygiene/unknown-keyword"])
    assert explained.exit_code == 0 and "fields" in explained.output
    listed = runner.invoke(main, ["govern", "--list-rules"])
    assert listed.exit_code == 0 and "physics-state/missing" in listed.output
    unknown = runner.invoke(main, ["govern", "--explain", "nope/nothing"])
    assert unknown.exit_code == 2 and "unknown rule" in unknown.output


EMITTING_FAMILIES = (
    "load",
    "ref",
    "id",
    "schema",
    "infrastructure",
    "assemble",
    "generate",
    "backstage",
)


def test_every_rule_id_in_the_source_is_documented() -> None:
    """So SARIF has a descriptor for whatever a stage reports (ids are string literals)."""
    import re

    import schemagen

    families = "|".join(EMITTING_FAMILIES)
    pattern = re.compile(r'"((?:' + families + r')/[a-z0-9]+(?:-[a-z0-9]+)*)"')
    package = Path(schemagen.__file__).parent
    found = {
        match
        for path in package.rglob("*.py")
        for match in pattern.findall(path.read_text(encoding="utf-8"))
        if not match.endswith((".yaml", ".json"))
    }
    assert found, "no rule ids found: the pattern is wrong"
    assert sorted(r for r in found if rule_docs(r) is None) == []


def test_the_generated_rules_on_the_real_pipeline(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """generate, then ci: clean; a hand edit, a deleted schema, a shadow model: each found."""
    from click.testing import CliRunner

    from schemagen.cli import main

    (project.root / "pyproject.toml").write_text(
        f'[tool.schemagen]\nbase_uri = "{BASE}"\nconstants = ["governance/constants/*.yaml"]\n'
    )
    monkeypatch.chdir(project.root)
    runner = CliRunner()
    assert runner.invoke(main, ["--quiet", "generate"]).exit_code == 0
    clean_run = runner.invoke(main, ["--quiet", "ci", "--format", "json"])
    assert clean_run.exit_code == 0, clean_run.output
    generated = sorted((project.root / "generated" / "python").rglob("bond.py"))
    assert len(generated) == 1
    with generated[0].open("a") as stream:
        stream.write("# tweak\n")
    (project.root / "schemas" / TENANT).unlink()
    project.code(
        "src/app/m.py", "from pydantic import BaseModel\n\n\nclass Bond(BaseModel):\n    x: int\n"
    )
    run = runner.invoke(main, ["--quiet", "ci", "--format", "json"])
    assert run.exit_code == 1
    found = {(d["rule"], Path(d["file"]).name) for d in json.loads(run.output)["diagnostics"]}
    assert ("schema-first/hand-edit", "bond.py") in found
    assert ("schema-first/orphan", "tenant.py") in found
    assert ("schema-first/shadow-model", "m.py") in found
    assert not any(
        rule == "schema-first/drift" and name in ("bond.py", "tenant.py") for rule, name in found
    )
