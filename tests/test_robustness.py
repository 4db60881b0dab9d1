"""A user's mistakes never cost files, and odd input is a diagnostic, not a crash."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemagen.cli import main
from schemagen.config import ConfigError, config_from_table
from schemagen.parallel import Job, Resident, Worker
from schemagen.pipeline import generate

SCHEMA = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "A", "type": "string"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "A.schema.json").write_text(json.dumps(SCHEMA))
    (tmp_path / "keep.txt").write_text("not generated")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("out", [".", "..", "schemas", "schemas/gen", "keep.txt", "occupied"])
@pytest.mark.parametrize("command", ["generate", "dev", "assemble"])
def test_an_output_directory_that_would_destroy_files_is_refused(
    project: Path, out: str, command: str
) -> None:
    (project / "occupied").mkdir()
    (project / "occupied" / "mine.txt").write_text("hand-written")
    before = _snapshot(project.parent)
    result = CliRunner().invoke(main, ["--quiet", "--out", out, command])
    assert result.exit_code == 2, result.output
    assert "refusing" in result.output or "not a directory" in result.output
    assert _snapshot(project.parent) == before


def test_an_output_directory_schemagen_wrote_is_replaced(project: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["--quiet", "--out", "out", "generate"]).exit_code == 0
    assert runner.invoke(main, ["--quiet", "--out", "out", "dev"]).exit_code == 0
    assert (project / "out" / "manifest.json").is_file()


def _validate_json(project: Path) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(main, ["--quiet", "validate", "--format", "json"])
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


def test_odd_files_are_diagnostics(project: Path) -> None:
    schemas = project / "schemas"
    os.symlink("loop.json", schemas / "loop.json")
    os.symlink("missing.json", schemas / "dangling.json")
    (schemas / "nan.json").write_text('{"a": NaN}')
    (schemas / "inf.json").write_text('{"a": 1e999}')
    (schemas / "badref.json").write_text(
        json.dumps({**SCHEMA, "title": "B", "$ref": "http://[::1"})
    )
    os.close(os.open(os.fsencode(schemas) + b"/N\xe9\xff.json", os.O_CREAT | os.O_WRONLY))
    code, found = _validate_json(project)
    assert code == 1
    rules = {(Path(str(d["file"])).name, d["rule"]) for d in found}
    assert ("loop.json", "load/unreadable") in rules
    assert ("dangling.json", "load/unreadable") in rules
    assert ("nan.json", "load/syntax") in rules
    assert ("inf.json", "load/syntax") in rules
    assert ("badref.json", "ref/unresolvable") in rules
    assert any(rule == "load/bad-filename" for _, rule in rules)
    assert ("A.schema.json", "load/syntax") not in rules  # the good file still loads


def test_an_empty_corpus_is_a_warning(project: Path) -> None:
    shutil.rmtree(project / "schemas")
    (project / "schemas").mkdir()
    code, found = _validate_json(project)
    assert code == 0
    assert [d["rule"] for d in found] == ["load/no-schemas"]


def test_unknown_config_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        config_from_table({"schemas": "s", "shemas_typo": 1}, tmp_path)


def test_a_bad_stage_setting_is_exit_2_with_one_line(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.schemagen.python]\npackage = "not a name!"\n')
    result = CliRunner().invoke(main, ["--quiet", "generate"])
    assert result.exit_code == 2
    assert "configuration" in result.output and "Traceback" not in result.output


def _fail(message: str) -> None:
    raise ConfigError(message)


def _pid_and(value: object) -> tuple[int, object]:
    return os.getpid(), value


def test_a_worker_raises_its_own_exception() -> None:
    failing: Worker[None] = Worker()
    failing.submit(_fail, "bad setting")
    with pytest.raises(ConfigError, match="bad setting"):
        failing.result()


def test_a_worker_runs_its_job_in_another_process_after_warming_up() -> None:
    worker: Worker[tuple[int, object]] = Worker(warm_up=lambda: time.sleep(0.05))
    worker.submit(_pid_and, {"ok": [1, 2]})
    pid, value = worker.result()
    assert value == {"ok": [1, 2]}
    assert pid != os.getpid() or os.environ.get("SCHEMAGEN_JOBS") == "1"


def test_a_job_that_cannot_travel_runs_in_process() -> None:
    worker: Worker[tuple[int, object]] = Worker()
    worker.submit(_pid_and, lambda: None)  # a lambda cannot be pickled
    pid, _ = worker.result()
    assert pid == os.getpid()


def test_a_cancelled_worker_leaves_no_child() -> None:
    worker: Worker[None] = Worker(warm_up=lambda: time.sleep(30))
    child = worker._pid
    worker.cancel()
    if child is not None:
        with pytest.raises(ChildProcessError):
            os.waitpid(child, os.WNOHANG)


def test_graph_output_to_a_directory_is_a_usage_error(project: Path) -> None:
    result = CliRunner().invoke(main, ["--quiet", "graph", "-o", "schemas"])
    assert result.exit_code == 2 and "directory" in result.output


def test_rules_list_as_json_for_tools() -> None:
    result = CliRunner().invoke(main, ["govern", "--list-rules", "--format", "json"])
    assert result.exit_code == 0
    rules = {r["id"]: r for r in json.loads(result.stdout)["rules"]}
    assert rules["physics-state/missing"]["severity"] == "error"
    assert "ref/unresolvable" in rules and rules["ref/unresolvable"]["stage"] is None


def test_without_configuration_no_stray_python_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--schemas` alone, run from a directory full of unrelated Python: only the schemas count."""
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "A.schema.json").write_text(
        json.dumps({**SCHEMA, "description": "An a."})
    )
    (tmp_path / "stray.py").write_text(
        "from pydantic import BaseModel\n\n\nclass A(BaseModel):\n    x: int\n\n\n"
        "A.model_json_schema()\n"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--quiet", "govern", "--format", "json"])
    payload = json.loads(result.stdout)
    code_rules = {"schema-first/reverse-flow", "schema-first/shadow-model"}
    assert not [d for d in payload["diagnostics"] if d["rule"] in code_rules]
    assert any("no project configuration" in note for note in payload["notes"])
    (tmp_path / "pyproject.toml").write_text("[tool.schemagen]\n")  # now it is a project
    result = CliRunner().invoke(main, ["--quiet", "govern", "--format", "json"])
    rules = {d["rule"] for d in json.loads(result.stdout)["diagnostics"]}
    assert code_rules <= rules


def test_a_resident_worker_answers_many_jobs_from_one_process() -> None:
    with Resident() as resident:
        pids = set()
        for value in range(3):
            job: Job[tuple[int, object]] = resident.job()
            job.submit(_pid_and, value)
            pid, echoed = job.result()
            assert echoed == value
            pids.add(pid)
        failing: Job[None] = resident.job()
        failing.submit(_fail, "still one process")
        with pytest.raises(ConfigError, match="still one process"):
            failing.result()
        after: Job[tuple[int, object]] = resident.job()
        after.submit(_pid_and, "after")
        pids.add(after.result()[0])
    assert len(pids) == 1
    assert os.getpid() not in pids or os.environ.get("SCHEMAGEN_JOBS") == "1"


def test_a_resident_worker_cancelled_mid_job_is_replaced() -> None:
    with Resident() as resident:
        slow: Job[None] = resident.job()
        slow.submit(time.sleep, 30)
        slow.cancel()
        job: Job[tuple[int, object]] = resident.job()
        job.submit(_pid_and, "next")
        assert job.result()[1] == "next"


def test_without_workers_everything_runs_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SCHEMAGEN_JOBS=1 (or no fork): no child process, the same output."""
    monkeypatch.setenv("SCHEMAGEN_JOBS", "1")
    worker: Worker[tuple[int, object]] = Worker(warm_up=lambda: time.sleep(30))
    worker.submit(_pid_and, "here")
    assert worker.result() == (os.getpid(), "here")
    with Resident() as resident:
        job: Job[tuple[int, object]] = resident.job()
        job.submit(_pid_and, "here too")
        assert job.result() == (os.getpid(), "here too")
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "Thing.schema.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "Thing",
                "type": "object",
                "properties": {"size": {"type": "integer", "minimum": 1}},
            }
        )
    )
    outcome = generate(config_from_table({}, tmp_path).with_overrides(schemas=schemas))
    assert outcome.wrote
    assert (tmp_path / "generated/python/familiar_schemas/thing.py").is_file()
