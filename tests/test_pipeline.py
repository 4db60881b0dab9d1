"""The whole pipeline: incremental equals cold, a no-op writes nothing, bad input neither."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from schemagen.config import Config, load_config
from schemagen.outputs import existing_files
from schemagen.pipeline import generate, plan


def _tree(root: Path) -> dict[str, bytes]:
    return {path: file.read_bytes() for path, file in sorted(existing_files(root).items())}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's corpus and settings, so runs never touch the repository."""
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree("schemas", root / "schemas")
    shutil.copytree("governance", root / "governance", ignore=shutil.ignore_patterns("BUILD"))
    shutil.copy("pyproject.toml", root / "pyproject.toml")
    return root


def _config(root: Path, out: str = "generated") -> Config:
    return load_config(root / "pyproject.toml").with_overrides(out=root / out)


def _edit(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data, indent=2) + "\n")


def test_incremental_runs_equal_cold_runs(workspace: Path) -> None:
    config = _config(workspace)
    first = generate(config)
    assert first.wrote and not [d for d in first.diagnostics if d.severity.value == "error"]
    again = generate(config)
    assert not again.wrote and again.drift.clean  # a no-op writes nothing

    # One leaf nobody references, one primitive everything reaches, one base schema.
    _edit(
        workspace / "schemas/events/BondArchivedEvent.schema.json",
        description="Edited: a bond was archived.",
    )
    _edit(
        workspace / "schemas/primitives/Uuid.schema.json", description="Edited: an RFC 9562 UUID."
    )
    base = workspace / "schemas/base/BaseEntity.schema.json"
    data = json.loads(base.read_text())
    data["properties"]["revision_note"] = {
        "type": "string",
        "description": "Why this revision exists.",
    }
    base.write_text(json.dumps(data, indent=2) + "\n")

    incremental = generate(config)
    assert incremental.wrote
    cold = generate(_config(workspace, "cold"))
    assert _tree(workspace / "generated") == _tree(workspace / "cold")
    assert incremental.diagnostics == cold.diagnostics
    changed = set(incremental.drift.changed)
    assert "assembled/bundles/events/BondArchivedEvent.schema.json" in changed
    assert "assembled/bundles/enums/EntityType.schema.json" not in changed  # untouched sources
    assert cold.wrote


def test_a_hand_edit_is_regenerated_and_check_reports_drift(workspace: Path) -> None:
    config = _config(workspace)
    generate(config)
    target = next((workspace / "generated/python").rglob("bond.py"))
    original = target.read_bytes()
    target.write_bytes(original + b"\n# edited by hand\n")
    checked = generate(config, check=True)
    assert [d.rule for d in checked.drift_findings()] == ["schema-first/drift"]
    assert target.read_bytes() != original  # --check writes nothing
    generate(config)
    assert target.read_bytes() == original


def test_schema_errors_leave_the_previous_output_whole(workspace: Path) -> None:
    config = _config(workspace)
    generate(config)
    before = _tree(workspace / "generated")
    broken = workspace / "schemas/fields/Name.schema.json"
    saved = broken.read_text()
    broken.write_text(saved.replace('"$schema"', '"$ref": "./Missing.schema.json", "$schema"', 1))
    try:
        outcome = generate(config)
        assert not outcome.wrote
        assert any(d.rule == "ref/unresolvable" for d in outcome.diagnostics)
        assert _tree(workspace / "generated") == before
    finally:
        broken.write_text(saved)


def test_plan_is_pure(workspace: Path) -> None:
    config = _config(workspace, "never-written")
    result = plan(config)
    assert result.files and not (workspace / "never-written").exists()
    paths = [f.path for f in result.files]
    assert paths == sorted(paths) and "manifest.json" in paths


def test_an_edit_renders_only_the_backstage_entities_it_reaches(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import schemagen.backstage as backstage

    config = _config(workspace)
    generate(config)
    rendered: list[str] = []
    real = backstage.entity_files

    def spy(entity: backstage.ServiceEntity, *args: object) -> object:
        rendered.append(entity.relpath)
        return real(entity, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(backstage, "entity_files", spy)
    _edit(workspace / "schemas/entities/system/Course.schema.json", description="Edited: a course.")
    incremental = generate(config)
    reached = {
        path.rsplit("/", 1)[0]
        for path, entry in incremental.plan.manifest.files.items()
        if entry.kind in ("backstage-template", "backstage-catalog")
        and "entities/system/Course.schema.json" in entry.sources
    }
    assert "entities/system/Course.schema.json" in rendered
    assert 0 < len(rendered) == len(reached) < 24  # the others are reused, not rendered again
    cold = generate(_config(workspace, "cold-backstage"))
    assert _tree(workspace / "generated") == _tree(workspace / "cold-backstage")
    assert incremental.diagnostics == cold.diagnostics


def test_watch_regenerates_after_an_edit_and_reports_a_bad_configuration(
    workspace: Path,
) -> None:
    from schemagen.watch import Round, watch

    pyproject = workspace / "pyproject.toml"
    saved = pyproject.read_text()
    leaf = workspace / "schemas/events/BondArchivedEvent.schema.json"
    rounds: list[Round] = []

    def report(round_: Round) -> None:
        rounds.append(round_)
        if round_.number == 1:  # an edit after the first run: the next poll sees it
            _edit(leaf, description="Edited while watching.")
        elif round_.number == 2:
            pyproject.write_text(saved + "\n[tool.schemagen\n")  # broken TOML

    try:
        watch(
            _config(workspace),
            report,
            load=lambda: _config(workspace),
            interval=0.05,
            max_rounds=3,
        )
    finally:
        pyproject.write_text(saved)
    first, second, third = rounds
    assert first.outcome is not None and second.outcome is not None
    assert "python/familiar_schemas/events/bond_archived_event.py" in second.outcome.drift.changed
    assert third.outcome is None and third.problem and "invalid TOML" in third.problem


def test_watch_takes_neither_check_nor_a_format(workspace: Path) -> None:
    from click.testing import CliRunner

    from schemagen.cli import main

    runner = CliRunner()
    for extra in (["--check"], ["--format", "json"]):
        result = runner.invoke(
            main, ["--config", str(workspace / "pyproject.toml"), "generate", "--watch", *extra]
        )
        assert result.exit_code == 2 and "--watch" in result.output


def test_generate_watch_from_the_command_line_and_ctrl_c(workspace: Path) -> None:
    """The CLI: a line per round on stderr, a schema error reported without stopping, and
    Ctrl-C (SIGINT) ends it with exit 0 and no worker left behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    leaf = workspace / "schemas/events/BondArchivedEvent.schema.json"
    saved = leaf.read_text()
    env = {**os.environ, "PYTHONPATH": str(Path("src").resolve())}
    process = subprocess.Popen(
        [sys.executable, "-m", "schemagen.cli", "--no-color", "generate", "--watch"],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines: list[str] = []

    def next_round() -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("schemagen: [") or not line:
                return line
        raise AssertionError(f"no round reported: {lines}")

    try:
        assert "generated/" in next_round()
        leaf.write_text(saved.replace('"type": "object"', '"type": "objectx"', 1))
        assert "the schemas have errors" in next_round()
        leaf.write_text(saved.replace('"description": "', '"description": "Watched. ', 1))
        assert "wrote generated/" in next_round()
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        workers = children.read_text().split() if children.exists() else []
        assert workers or not children.exists()  # the resident datamodel-codegen worker
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
        time.sleep(0.5)
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    finally:
        leaf.write_text(saved)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "stopped watching" in rest and "Traceback" not in "".join(lines) + rest
