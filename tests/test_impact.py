"""Impact analysis: dependents from the graph, generated files and templates from the manifest.

Expected sets are recomputed without schemagen: refs found by a generic walk of every file and
resolved by path (see tests/test_graph.py, whose recount this repeats in brief).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import pytest
import yaml
from click.testing import CliRunner

from schemagen.cli import main
from schemagen.config import Config
from schemagen.graph import (
    GraphError,
    Impact,
    SchemaGraph,
    build_graph,
    changed_since,
    compute_impact,
    render_impact,
)
from schemagen.outputs import GeneratedFile, Manifest, build_manifest, manifest_file
from schemagen.resolve import Corpus, compile_corpus

BASE_URI = "https://schemas.familiar.dev/v3/"
UPS = "components/physics/UniversalPhysicsState.schema.json"
COGNITIVE_BASE = "base/BaseCognitiveEntity.schema.json"
SYSTEM_BASE = "base/BaseSystemEntity.schema.json"


# ---------------------------------------------------------------------------------------------
# Independent recount (file -> files it refers to), without schemagen


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def independent_targets(root: Path) -> dict[str, set[str]]:
    root = root.resolve()
    paths = [p.resolve() for p in sorted(root.rglob("*")) if p.suffix in (".json", ".yaml", ".yml")]
    known = set(paths)
    found: dict[str, set[str]] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text) if path.suffix != ".json" else json.loads(text)
        targets = found.setdefault(path.relative_to(root).as_posix(), set())
        for ref in _refs(document):
            url = urldefrag(ref).url
            if url.startswith(BASE_URI):
                target = (root / url[len(BASE_URI) :]).resolve()
            elif url and "://" not in url:
                target = (path.parent / unquote(url)).resolve()
            else:
                continue
            if target != path and target in known:
                targets.add(target.relative_to(root).as_posix())
    return found


def reaching(targets: Mapping[str, set[str]], goal: str) -> set[str]:
    """Every file with a chain of refs to `goal` (not `goal` itself)."""
    found: set[str] = set()
    frontier = {goal}
    while frontier:
        frontier = {s for s, ts in targets.items() if ts & frontier} - found
        found |= frontier
    return found - {goal}


# ---------------------------------------------------------------------------------------------
# A hand-made manifest shaped like the generators' (module per schema, bundle per schema with all
# its dependencies as sources, a template and catalog entity per entity, the graph from everything)


def closure(targets: Mapping[str, set[str]], start: str) -> set[str]:
    found, frontier = {start}, {start}
    while frontier:
        frontier = set().union(*(targets[f] for f in frontier)) - found
        found |= frontier
    return found


def stem(relpath: str) -> str:
    return Path(relpath).name.split(".")[0]


def outputs_for(relpath: str) -> list[str]:
    module = relpath.split(".")[0].lower()
    files = [f"python/{module}.py", f"bundles/{relpath}"]
    if relpath.startswith("entities/"):
        files += [
            f"backstage/templates/{stem(relpath)}/template.yaml",
            f"backstage/catalog/{stem(relpath)}.yaml",
        ]
    return files


def hand_made_manifest(targets: Mapping[str, set[str]]) -> Manifest:
    files = [GeneratedFile("graph/graph.json", b"{}", tuple(targets), "graph")]
    for relpath in targets:
        module, bundle, *backstage = outputs_for(relpath)
        files.append(GeneratedFile(module, b"", (relpath,), "python"))
        files.append(GeneratedFile(bundle, b"", tuple(sorted(closure(targets, relpath))), "bundle"))
        files.extend(GeneratedFile(path, b"", (relpath,), "backstage") for path in backstage)
    return build_manifest(files, {r: "0" * 64 for r in targets})


def expected_outputs(config: Config, schemas: set[str]) -> tuple[list[str], list[str]]:
    """(generated, templates) as the user would type them, for the outputs of `schemas`."""
    paths = {"graph/graph.json"} | {p for s in schemas for p in outputs_for(s)}
    generated = sorted(
        os.path.relpath(config.out / p) for p in paths if not p.startswith("backstage/")
    )
    templates = sorted(os.path.relpath(config.out / p) for p in paths if p.startswith("backstage/"))
    return generated, templates


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def repo_corpus(schemas_dir: Path) -> Corpus:
    return compile_corpus(Config(schemas=schemas_dir.resolve()))


@pytest.fixture(scope="module")
def repo_graph(repo_corpus: Corpus) -> SchemaGraph:
    return build_graph(repo_corpus)


@pytest.fixture(scope="module")
def targets(schemas_dir: Path) -> dict[str, set[str]]:
    return independent_targets(schemas_dir)


@pytest.fixture()
def config(tmp_path: Path, schemas_dir: Path) -> Config:
    return Config(schemas=schemas_dir.resolve(), out=tmp_path / "generated")


def shown(paths: set[str]) -> list[str]:
    return sorted(f"schemas/{p}" for p in paths)


# ---------------------------------------------------------------------------------------------
# The repository's corpus


def test_universal_physics_state_reaches_every_cognitive_entity(
    repo_graph: SchemaGraph, targets: dict[str, set[str]], config: Config
) -> None:
    impact = compute_impact(repo_graph, [f"schemas/{UPS}"], None, config)
    dependents = reaching(targets, UPS)
    assert list(impact.targets) == [f"schemas/{UPS}"]
    assert list(impact.schemas) == shown(dependents | {UPS})
    cognitive = reaching(targets, COGNITIVE_BASE)
    assert any(c.startswith("entities/") for c in cognitive), "the corpus has cognitive entities"
    assert cognitive | {COGNITIVE_BASE} <= dependents
    system_only = reaching(targets, SYSTEM_BASE) - dependents
    assert not set(shown(system_only)) & set(impact.schemas)  # system entities carry no physics
    assert impact.generated == () and impact.templates == () and not impact.manifest_found


def test_impact_lists_generated_modules_and_templates(
    repo_graph: SchemaGraph, targets: dict[str, set[str]], config: Config
) -> None:
    manifest = hand_made_manifest(targets)
    impact = compute_impact(repo_graph, [f"schemas/{UPS}"], manifest, config)
    affected = reaching(targets, UPS) | {UPS}
    generated, templates = expected_outputs(config, affected)
    assert list(impact.generated) == generated
    assert list(impact.templates) == templates
    for entity in (c for c in reaching(targets, COGNITIVE_BASE) if c.startswith("entities/")):
        assert (
            os.path.relpath(config.out / f"backstage/templates/{stem(entity)}/template.yaml")
            in templates
        )
        assert (
            os.path.relpath(config.out / f"python/{entity.split('.')[0].lower()}.py") in generated
        )


def test_impact_of_a_schema_nobody_references_is_itself(
    repo_graph: SchemaGraph, targets: dict[str, set[str]], config: Config
) -> None:
    referenced = set().union(*targets.values())
    unreferenced = sorted(set(targets) - referenced, key=lambda s: (bool(targets[s]), s))
    leaf = unreferenced[0]
    impact = compute_impact(
        repo_graph, [str(config.schemas / leaf)], hand_made_manifest(targets), config
    )
    generated, templates = expected_outputs(config, {leaf})
    assert list(impact.schemas) == list(impact.targets) == [f"schemas/{leaf}"]
    assert (list(impact.generated), list(impact.templates)) == (generated, templates)


def test_targets_by_id_root_relative_and_absolute_path_agree(
    repo_graph: SchemaGraph, config: Config
) -> None:
    forms = [
        f"schemas/{UPS}",
        UPS,
        str(config.schemas / UPS),
        BASE_URI + UPS,
        "UniversalPhysicsState",
    ]
    impacts = {compute_impact(repo_graph, [form], None, config) for form in forms}
    assert len(impacts) == 1


def test_unknown_target_lists_near_matches(repo_graph: SchemaGraph, config: Config) -> None:
    with pytest.raises(GraphError, match="did you mean: .*UniversalPhysicsState"):
        compute_impact(
            repo_graph, ["components/physics/UniversalPhysicState.schema.json"], None, config
        )


def test_render_impact_json_has_the_contract_shape() -> None:
    impact = Impact(("a",), ("a", "b"), ("generated/python/a.py",), ("generated/backstage/t.yaml",))
    assert json.loads(render_impact(impact, "json")) == {
        "targets": ["a"],
        "schemas": ["a", "b"],
        "generated": ["generated/python/a.py"],
        "templates": ["generated/backstage/t.yaml"],
    }
    text = render_impact(impact, "text")
    assert "schemas affected (2):\n  a\n  b\n" in text and "templates (1):" in text
    assert "run `schemagen generate`" in render_impact(
        Impact(("a",), ("a",), (), (), False), "text"
    )


def test_cli_impact_json_reads_the_manifest(
    tmp_path: Path, targets: dict[str, set[str]], config: Config
) -> None:
    manifest = manifest_file(hand_made_manifest(targets))
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / manifest.path).write_bytes(manifest.content)
    result = CliRunner().invoke(
        main,
        [
            "--schemas",
            "schemas",
            "--out",
            str(tmp_path / "generated"),
            "impact",
            UPS,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    affected = reaching(targets, UPS) | {UPS}
    generated, templates = expected_outputs(config, affected)
    assert data == {
        "targets": [f"schemas/{UPS}"],
        "schemas": shown(affected),
        "generated": generated,
        "templates": templates,
    }


def test_cli_impact_needs_a_target() -> None:
    result = CliRunner().invoke(main, ["--schemas", "schemas", "impact"])
    assert result.exit_code == 2 and "TARGET" in result.stderr


# ---------------------------------------------------------------------------------------------
# --since in a temporary git repository


GIT_CORPUS: dict[str, dict[str, Any]] = {
    "prim/P.schema.json": {"type": "string"},
    "mid/M.schema.json": {"properties": {"p": {"$ref": "../prim/P.schema.json"}}},
    "top/T.schema.json": {"allOf": [{"$ref": "../mid/M.schema.json"}]},
    "other/O.schema.json": {"type": "integer"},
    "gone/G.schema.json": {"type": "boolean"},
    "user/U.schema.json": {"properties": {"g": {"$ref": "../gone/G.schema.json#/type"}}},
}


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")


@pytest.fixture()
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    for relpath, contents in GIT_CORPUS.items():
        path = tmp_path / "schemas" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", **contents})
        )
    (tmp_path / "README.md").write_text("not a schema\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "corpus")
    return tmp_path


def edit(root: Path) -> None:
    prim = root / "schemas/prim/P.schema.json"
    prim.write_text(prim.read_text().replace('"string"', '"number"'))
    (root / "schemas/new").mkdir()
    (root / "schemas/new/N.schema.json").write_text('{"type": "null"}')  # untracked
    (root / "schemas/gone/G.schema.json").unlink()
    (root / "notes.json").write_text("{}")  # outside the schemas root
    git(root, "mv", "schemas/other/O.schema.json", "schemas/other/Renamed.schema.json")


@needs_git
def test_changed_since_lists_changed_untracked_renamed_and_referrers_of_deleted(
    git_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    edit(git_repo)
    corpus = compile_corpus(Config(project_root=git_repo, schemas=(git_repo / "schemas").resolve()))
    assert changed_since(corpus, "HEAD") == (
        "schemas/new/N.schema.json",
        "schemas/other/Renamed.schema.json",
        "schemas/prim/P.schema.json",
        "schemas/user/U.schema.json",
    )
    assert "schemas/gone/G.schema.json was deleted since HEAD" in caplog.text
    assert changed_since(corpus, "HEAD~0") == changed_since(corpus, "HEAD")


@needs_git
def test_cli_impact_since(git_repo: Path) -> None:
    edit(git_repo)
    result = CliRunner().invoke(
        main, ["--schemas", "schemas", "impact", "--since", "HEAD", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["targets"] == [
        "schemas/new/N.schema.json",
        "schemas/other/Renamed.schema.json",
        "schemas/prim/P.schema.json",
        "schemas/user/U.schema.json",
    ]
    assert data["schemas"] == sorted(
        data["targets"] + ["schemas/mid/M.schema.json", "schemas/top/T.schema.json"]
    )


@needs_git
def test_cli_impact_since_with_nothing_changed(git_repo: Path) -> None:
    result = CliRunner().invoke(main, ["--schemas", "schemas", "impact", "--since", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "no schema changed: nothing is affected\n"


@needs_git
def test_cli_impact_since_unknown_revision(git_repo: Path) -> None:
    result = CliRunner().invoke(
        main, ["--schemas", "schemas", "impact", "--since", "no-such-branch"]
    )
    assert result.exit_code == 2
    assert "unknown git revision 'no-such-branch'" in result.stderr


@needs_git
def test_cli_impact_since_outside_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "A.schema.json").write_text('{"type": "string"}')
    result = CliRunner().invoke(main, ["--schemas", "schemas", "impact", "--since", "HEAD"])
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr
