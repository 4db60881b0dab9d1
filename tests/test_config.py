"""Configuration: [tool.schemagen] in pyproject.toml, a --config file, and flag overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemagen.config import DIALECT_2020_12, ConfigError, UrlMapping, load_config


def test_defaults_without_any_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(start=tmp_path)
    assert config.schemas == (tmp_path / "schemas").resolve()
    assert config.out == (tmp_path / "generated").resolve()
    assert config.default_dialect == DIALECT_2020_12
    assert config.url_map == ()


def test_pyproject_table_is_found_upwards_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemagen]\nschemas = "defs"\nout = "build/gen"\nbase_uri = "https://x.test/"\n'
        'constants = ["consts/*.yaml"]\n'
        '[tool.schemagen.map]\n"https://remote.test/" = "vendor"\n'
        '[tool.schemagen.backstage]\nowner = "group:a"\n'
    )
    (tmp_path / "consts").mkdir()
    (tmp_path / "consts" / "b.yaml").write_text("constants: {}\n")
    (tmp_path / "consts" / "a.yaml").write_text("constants: {}\n")
    nested = tmp_path / "deep" / "er"
    nested.mkdir(parents=True)
    config = load_config(start=nested)
    assert config.schemas == tmp_path / "defs"
    assert config.out == tmp_path / "build" / "gen"
    assert config.base_uri == "https://x.test/"
    assert config.url_map == (UrlMapping("https://remote.test/", tmp_path / "vendor"),)
    assert [p.name for p in config.constants] == ["a.yaml", "b.yaml"]
    assert config.section("backstage") == {"owner": "group:a"}
    assert config.section("governance") == {}


def test_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.schemagen]\nschemas = "mine"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(start=tmp_path / "sub").schemas == tmp_path / "mine"


def test_config_file_at_top_level(tmp_path: Path) -> None:
    path = tmp_path / "schemagen.toml"
    path.write_text('schemas = "s"\n')
    assert load_config(path).schemas == tmp_path / "s"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.schemagen\n", "invalid TOML"),
        ("[tool.schemagen]\nschemas = 3\n", "schemas must be a string"),
        ("[tool.schemagen]\nmap = 3\n", "must be a table"),
        ("[tool.schemagen]\nconstants = 3\n", "constants must be a path"),
    ],
)
def test_bad_config_is_a_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_flags_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(start=tmp_path).with_overrides(
        schemas=Path("other"), out=Path("o"), maps=["https://a.test/=vendored"]
    )
    assert config.schemas == tmp_path / "other"
    assert config.out == tmp_path / "o"
    assert config.url_map == (UrlMapping("https://a.test/", tmp_path / "vendored"),)
    with pytest.raises(ConfigError, match="PREFIX=DIR"):
        config.with_overrides(maps=["no-equals-sign"])
