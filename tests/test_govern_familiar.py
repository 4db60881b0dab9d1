"""Governance on the real familiar-v3 corpus: its actual findings, no crash, honest notes."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from schemagen.config import Config
from schemagen.govern import GovernanceResult, run_governance
from schemagen.pipeline import Plan
from schemagen.resolve import compile_corpus


@pytest.fixture(scope="module")
def familiar(shared_corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> GovernanceResult:
    project = tmp_path_factory.mktemp(
        "familiar-project"
    )  # only the schemas: no code, nothing generated
    config = Config(
        project_root=project, schemas=shared_corpora / "familiar-v3", out=project / "generated"
    )
    corpus = compile_corpus(config)
    return run_governance(Plan.of(corpus))


def _at(result: GovernanceResult, rule: str) -> list[tuple[str, int | None, str]]:
    return [
        (os.path.basename(d.location.file or ""), d.location.line, d.message)
        for d in result.diagnostics
        if d.rule == rule
    ]


def test_unknown_keyword_fields(familiar: GovernanceResult) -> None:
    fields = [
        d
        for d in familiar.diagnostics
        if d.rule == "hygiene/unknown-keyword" and d.location.pointer == "/fields"
    ]
    files = {os.path.basename(d.location.file or "") for d in fields}
    assert {
        "BondTension.schema.json",
        "CourseDetails.schema.json",
        "IntentContent.schema.json",
    } <= files
    bond_tension = next(
        d for d in fields if d.location.file and d.location.file.endswith("BondTension.schema.json")
    )
    assert bond_tension.location.line == 15 and bond_tension.hint == "did you mean properties?"


def test_invalid_class_names(familiar: GovernanceResult) -> None:
    found = _at(familiar, "hygiene/invalid-class-name")
    assert [(name, line) for name, line, _ in found] == [("Vec3.json", 3), ("Vec6.json", 3)]
    assert "3DPhysicsVector" in found[0][2] and "6DPhysicsVector" in found[1][2]


def test_duplicate_class_names(familiar: GovernanceResult) -> None:
    found = _at(familiar, "hygiene/duplicate-class-name")
    assert {name for name, _, _ in found} == {
        "StandardApiService.json",
        "StandardApiServiceStack.json",
    }


def test_missing_descriptions_and_dialects(familiar: GovernanceResult) -> None:
    counts = Counter(d.rule for d in familiar.diagnostics)
    assert counts["hygiene/missing-description"] >= 1
    assert counts["hygiene/missing-dialect"] >= 1


def test_entities_carry_physics_state_as_required(familiar: GovernanceResult) -> None:
    """familiar-v3's eight cognitive entities each declare physics_state with universal; its
    system entities forbid it: the physics-state rules find them and find nothing wrong."""
    assert not [d for d in familiar.diagnostics if d.rule.startswith("physics-state/")]
    assert not [n for n in familiar.notes if n.startswith("physics-state")]


def test_the_notes_say_the_code_rules_had_nothing_to_read(familiar: GovernanceResult) -> None:
    notes = "\n".join(familiar.notes)
    assert "schema-first/reverse-flow" in notes and "no hand-written Python code" in notes
    assert "schema-first/drift" in notes and "nothing generated" in notes
    assert "magic-numbers/generated-literal" in notes
    assert "no constants files" in notes


def test_unnamed_literals_with_scopes_for_its_layout(shared_corpora: Path, tmp_path: Path) -> None:
    """familiar-v3 keeps physics in components/: scoped there, its bare defaults are found, also
    the ones nested under its non-standard `fields` keyword."""
    config = Config(
        project_root=tmp_path,
        schemas=shared_corpora / "familiar-v3",
        out=tmp_path / "generated",
        sections={"governance": {"magic_number_scopes": ["components/**"]}},
    )
    plan = Plan.of(compile_corpus(config))
    found = run_governance(plan, ["magic-numbers/unnamed-literal"]).diagnostics
    tension = [
        (d.location.line, d.location.pointer)
        for d in found
        if (d.location.file or "").endswith("BondTension.schema.json")
    ]
    assert (19, "/fields/bond_strength/default") in tension
    assert all(line != 27 for line, _ in tension)  # "default": 0.0 is allowed
