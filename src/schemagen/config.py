"""Configuration: `[tool.schemagen]` in pyproject.toml (or a `--config` file of the same shape).

The core settings are typed here. Each later stage reads its own sub-table (`backstage`,
`governance`, `python`) from `Config.section(...)`, so a stage owns its settings' meaning.
Relative paths in a config file are relative to that file's directory; on the command line,
to the current directory.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from schemagen.load import display_path

DIALECT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


KNOWN_KEYS = frozenset({"schemas", "out", "map", "default_dialect", "base_uri", "constants"})
KNOWN_SECTIONS = frozenset({"python", "assemble", "backstage", "governance", "graph"})
"""Sub-tables, each read by its own stage (see the stage's `...Settings.from_config`)."""


class ConfigError(Exception):
    """The configuration cannot be used; the CLI exits 2 with this message."""


@dataclass(frozen=True)
class UrlMapping:
    """Serve every URI starting with `prefix` from `directory` / the rest of the URI."""

    prefix: str
    directory: Path

    @classmethod
    def parse(cls, text: str, relative_to: Path) -> UrlMapping:
        prefix, sep, directory = text.partition("=")
        if not sep or not prefix or not directory:
            raise ConfigError(f"--map takes PREFIX=DIR, got {text!r}")
        return cls(prefix, (relative_to / directory).resolve())


@dataclass(frozen=True)
class Config:
    project_root: Path = field(default_factory=Path.cwd)
    schemas: Path = Path("schemas")
    out: Path = Path("generated")
    url_map: tuple[UrlMapping, ...] = ()
    default_dialect: str = DIALECT_2020_12
    base_uri: str | None = None
    constants: tuple[Path, ...] = ()
    sections: Mapping[str, Any] = field(default_factory=dict)
    config_file: Path | None = None
    project_code: bool = True
    """Whether `project_root` holds the project's own code. False when no configuration was
    found: then only the schemas are known, and the directory the user stands in is not read."""

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.sections.get(name, {})
        if not isinstance(value, Mapping):
            raise ConfigError(f"[tool.schemagen.{name}] must be a table")
        return value

    def display(self, path: Path) -> str:
        """A path as the user would type it: relative to the cwd where that is shorter."""
        return display_path(path)

    def with_overrides(
        self,
        *,
        schemas: Path | None = None,
        out: Path | None = None,
        maps: Sequence[str] = (),
    ) -> Config:
        cwd = Path.cwd()
        changes: dict[str, Any] = {}
        if schemas is not None:
            changes["schemas"] = (cwd / schemas).resolve()
        if out is not None:
            changes["out"] = (cwd / out).resolve()
        if maps:
            extra = tuple(UrlMapping.parse(m, cwd) for m in maps)
            changes["url_map"] = self.url_map + extra
        return replace(self, **changes)


def _paths(value: Any, base: Path, key: str) -> tuple[Path, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ConfigError(f"[tool.schemagen] {key} must be a path or a list of paths")
    found: list[Path] = []
    for item in items:
        matches = sorted(base.glob(item)) if any(c in item for c in "*?[") else [base / item]
        found.extend(p.resolve() for p in matches)
    return tuple(found)


def config_from_table(table: Mapping[str, Any], base: Path, source: Path | None = None) -> Config:
    """Build a Config from a `[tool.schemagen]` table whose relative paths are under `base`."""
    where = f" in {source}" if source else ""

    def string(key: str, default: str | None) -> str | None:
        value = table.get(key, default)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"[tool.schemagen] {key} must be a string{where}")
        return value

    unknown = sorted(set(table) - KNOWN_KEYS - KNOWN_SECTIONS)
    if unknown:
        known = ", ".join(sorted(KNOWN_KEYS | KNOWN_SECTIONS))
        raise ConfigError(
            f"[tool.schemagen] has unknown key(s) {', '.join(unknown)}{where}; known: {known}"
        )
    url_map_table = table.get("map", {})
    if not isinstance(url_map_table, Mapping):
        raise ConfigError(f"[tool.schemagen.map] must be a table of PREFIX = DIR{where}")
    url_map = tuple(
        UrlMapping(str(prefix), (base / str(directory)).resolve())
        for prefix, directory in sorted(url_map_table.items())
    )
    sections = {k: v for k, v in table.items() if isinstance(v, Mapping) and k != "map"}
    return Config(
        project_root=base,
        schemas=(base / (string("schemas", "schemas") or "schemas")).resolve(),
        out=(base / (string("out", "generated") or "generated")).resolve(),
        url_map=url_map,
        default_dialect=string("default_dialect", DIALECT_2020_12) or DIALECT_2020_12,
        base_uri=string("base_uri", None),
        constants=_paths(table.get("constants", []), base, "constants"),
        sections=sections,
        config_file=source,
    )


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Read `path`, or the nearest pyproject.toml upwards from `start` that has [tool.schemagen].

    With neither, sensible defaults relative to the current directory.
    """
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        config = _read(path.resolve(), require_table=False)
        assert config is not None  # a --config file needs no [tool.schemagen] table
        return config
    directory = (start or Path.cwd()).resolve()
    for candidate in (directory, *directory.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            config = _read(pyproject, require_table=True)
            if config is not None:
                return config
    cwd = Path.cwd()
    return Config(
        project_root=cwd,
        schemas=(cwd / "schemas").resolve(),
        out=(cwd / "generated").resolve(),
        project_code=False,
    )


def _read(path: Path, *, require_table: bool) -> Config | None:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    table = document.get("tool", {}).get("schemagen")
    if table is None:
        if require_table:
            return None
        table = document  # a --config file may hold the table at its top level
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [tool.schemagen] must be a table")
    return config_from_table(table, path.parent, path)


@lru_cache(maxsize=512)
def _glob_regex(glob: str) -> re.Pattern[str]:
    out = []
    i = 0
    glob = glob.strip("/") if glob not in ("", "/") else ""
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, glob: str) -> bool:
    """Whether a POSIX relative path matches a glob (`**` spans directories; a directory glob
    such as `legacy/` or `legacy` also matches everything below it)."""
    if glob in (".", "./", "**"):
        return True
    if _glob_regex(glob).match(path):
        return True
    return _glob_regex(glob.rstrip("/") + "/**").match(path) is not None


def matches_any(path: str, globs: Sequence[str]) -> bool:
    return any(glob_match(path, g) for g in globs)
