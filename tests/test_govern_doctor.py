"""`schemagen setup` checks (schemagen.doctor): each says what is wrong, and fails when due."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from schemagen import doctor
from schemagen.config import Config


def _config(tmp_path: Path, *, config_file: Path | None = None) -> Config:
    return Config(
        project_root=tmp_path,
        schemas=tmp_path / "schemas",
        out=tmp_path / "generated",
        config_file=config_file,
    )


def _schema(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / "schemas").mkdir(exist_ok=True)
    (tmp_path / "schemas" / name).write_text(text)


def test_a_healthy_project(tmp_path: Path) -> None:
    _schema(
        tmp_path,
        "A.schema.json",
        json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema"}),
    )
    (tmp_path / "pyproject.toml").write_text("[tool.schemagen]\n")
    checks = {
        c.name: c
        for c in doctor.run_checks(_config(tmp_path, config_file=tmp_path / "pyproject.toml"))
    }
    assert list(checks) == ["python", "packages", "graphviz", "config", "schemas", "output"]
    for name in ("python", "packages", "config", "schemas", "output"):
        assert checks[name].ok, checks[name]
    assert checks["graphviz"].required is False
    assert "1 schemas" in checks["schemas"].detail and "will be created" in checks["output"].detail


def test_missing_schemas_dir_and_config(tmp_path: Path) -> None:
    checks = {c.name: c for c in doctor.run_checks(_config(tmp_path))}
    assert (
        not checks["schemas"].ok
        and checks["schemas"].required
        and "does not exist" in checks["schemas"].detail
    )
    assert not checks["config"].ok and not checks["config"].required


def test_schemas_that_do_not_load(tmp_path: Path) -> None:
    _schema(tmp_path, "Bad.schema.json", "{not json")
    check = doctor.check_schemas(_config(tmp_path))
    assert not check.ok and "1 errors" in check.detail and "load/syntax" in check.detail


def test_old_python_and_missing_packages() -> None:
    assert not doctor.check_python((3, 10, 4)).ok
    assert doctor.check_python((3, 12, 0)).ok
    check = doctor.check_packages((("json", "json"), ("surely_not_installed_pkg", "surely-not")))
    assert not check.ok and "surely-not" in check.detail


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can write anywhere"
)
def test_unwritable_output(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        config = Config(project_root=tmp_path, schemas=tmp_path, out=locked / "generated")
        assert not doctor.check_output(config).ok
    finally:
        locked.chmod(0o700)


def test_output_under_a_file_is_not_writable(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    config = Config(project_root=tmp_path, schemas=tmp_path, out=tmp_path / "afile" / "generated")
    assert not doctor.check_output(config).ok


def test_graphviz_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    check = doctor.check_graphviz()
    assert not check.ok and not check.required and "graphviz" in check.detail
