"""The repository's own corpus passes every corpus rule (code and generated-output rules are
checked by `schemagen ci` once generated/ exists), and the run is not vacuous: a one-value
change to a copy of the corpus is caught."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from schemagen.config import Config, load_config
from schemagen.diagnostics import Severity
from schemagen.govern import GovernanceResult, run_governance
from schemagen.pipeline import Plan
from schemagen.resolve import compile_corpus

BASE_URI = "https://schemas.familiar.dev/v3/"  # docs/conventions.md
CORPUS_RULES = ("magic-numbers", "physics-state", "hygiene", "suppression")


def _config(root: Path) -> Config:
    config = load_config(start=root)
    if config.base_uri is None:  # until [tool.schemagen] sets it
        config = replace(config, base_uri=BASE_URI)
    return replace(
        config,
        project_root=root.resolve(),
        schemas=(root / "schemas").resolve(),
        out=(root / "generated").resolve(),
    )


def _govern(config: Config) -> GovernanceResult:
    corpus = compile_corpus(config)
    plan = Plan.of(corpus, diagnostics=corpus.diagnostics)
    return run_governance(plan, CORPUS_RULES)


@pytest.fixture(scope="module")
def repository(schemas_dir: Path) -> GovernanceResult:
    return _govern(_config(schemas_dir.resolve().parent))


def test_the_repository_passes_every_corpus_rule(repository: GovernanceResult) -> None:
    serious = [d for d in repository.diagnostics if d.severity is not Severity.INFO]
    assert serious == [], "\n".join(map(str, serious))


def test_the_run_had_something_to_check(repository: GovernanceResult) -> None:
    notes = "\n".join(repository.notes)
    assert "no schema is" not in notes  # the cognitive/system bases and the universal state exist
    assert "no constants files" not in notes
    assert "no base_uri" not in notes


@pytest.fixture
def copy(schemas_dir: Path, tmp_path: Path) -> Path:
    root = schemas_dir.resolve().parent
    shutil.copytree(root / "schemas", tmp_path / "schemas")
    shutil.copytree(root / "governance", tmp_path / "governance")
    shutil.copy(root / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2) + "\n")


def test_a_changed_physics_literal_is_caught(copy: Path) -> None:
    target = copy / "schemas/components/physics/DampingProfile.schema.json"
    _edit(target, lambda d: d["properties"]["damping_ratio"].update(default=0.8))
    found = [d for d in _govern(_config(copy)).diagnostics if d.severity is not Severity.INFO]
    assert [(d.rule, Path(d.location.file or "").name) for d in found] == [
        ("magic-numbers/constant-mismatch", "DampingProfile.schema.json")
    ]


def test_a_broken_physics_chain_is_caught_in_every_cognitive_entity(copy: Path) -> None:
    target = copy / "schemas/components/physics/CognitivePhysicsState.schema.json"
    _edit(target, lambda d: d.update(required=[]))
    found = [d for d in _govern(_config(copy)).diagnostics if d.severity is not Severity.INFO]
    assert {d.rule for d in found} == {"physics-state/missing"}
    files = {
        Path(d.location.file or "").resolve().relative_to(copy / "schemas").parts[:2] for d in found
    }
    assert files == {("entities", "cognitive")} and len(found) >= 8
