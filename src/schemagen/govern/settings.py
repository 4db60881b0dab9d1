"""`[tool.schemagen.governance]`: which rules run, how severe they are, and what they read.

    [tool.schemagen.governance]
    select = ["schema-first", "magic-numbers", "physics-state", "hygiene", "suppression"]
    ignore = ["hygiene/unused"]
    severity = {"hygiene/missing-description" = "warning"}
    per_path_ignores = {"schemas/legacy/**" = ["hygiene"]}
    magic_number_scopes = ["components/physics/**", "laws/**", "infrastructure/**"]
    allowed_numbers = [0, 1]
    deny_scripts = ["scripts/export_schemas.py"]
    code_paths = ["."]
    code_exclude = ["scripts/vendored/**"]
    cognitive_base = "BaseCognitiveEntity"
    system_base = "BaseSystemEntity"
    universal_state = "UniversalPhysicsState"
    unused_roots = ["entities/**", "events/**", "api/**"]

Globs in `per_path_ignores`, `deny_scripts`, `code_paths` and `code_exclude` are relative to the
project root (the directory of pyproject.toml; with no configuration file, no code is read);
`magic_number_scopes` and `unused_roots` are
relative to the schemas root. `**` spans directories, `*` and `?` stay within one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemagen.config import ConfigError, glob_match, matches_any
from schemagen.diagnostics import Severity

TABLE = "[tool.schemagen.governance]"

DEFAULT_SCOPES = ("components/physics/**", "laws/**", "infrastructure/**")
DEFAULT_UNUSED_ROOTS = (
    "entities/**",
    "events/**",
    "api/**",
    "payloads/**",
    "laws/**",
    "tables/**",
    "taxonomy/**",
    "workflows/**",
    "infrastructure/**",
)
DEFAULT_CODE_EXCLUDE = (
    "tests/**",
    "test/**",
    "**/.*/**",
    "**/__pycache__/**",
    "**/node_modules/**",
    "**/site-packages/**",
    "venv/**",
    "build/**",
    "dist/**",
)

KNOWN_KEYS = frozenset(
    {
        "select",
        "ignore",
        "severity",
        "per_path_ignores",
        "magic_number_scopes",
        "allowed_numbers",
        "deny_scripts",
        "code_paths",
        "code_exclude",
        "cognitive_base",
        "system_base",
        "universal_state",
        "unused_roots",
    }
)


@dataclass(frozen=True)
class GovernanceSettings:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity | None] = field(default_factory=dict)
    """Rule id or family -> severity; None means "off" (the rule does not run)."""
    per_path_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    magic_number_scopes: tuple[str, ...] = DEFAULT_SCOPES
    allowed_numbers: tuple[float, ...] = (0, 1)
    deny_scripts: tuple[str, ...] = ()
    code_paths: tuple[str, ...] = (".",)
    code_exclude: tuple[str, ...] = ()
    cognitive_base: str = "BaseCognitiveEntity"
    system_base: str = "BaseSystemEntity"
    universal_state: str = "UniversalPhysicsState"
    unused_roots: tuple[str, ...] = DEFAULT_UNUSED_ROOTS


def _strings(table: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = table.get(key)
    if value is None:
        return default
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{TABLE} {key} must be a list of strings")
    return tuple(value)


def _string(table: Mapping[str, Any], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{TABLE} {key} must be a non-empty string")
    return value


def parse_settings(table: Mapping[str, Any]) -> GovernanceSettings:
    """Typed settings from the governance table; ConfigError says what is wrong."""
    unknown = sorted(set(table) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{TABLE}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_KEYS))}"
        )
    severity_table = table.get("severity", {})
    if not isinstance(severity_table, Mapping):
        raise ConfigError(f"{TABLE} severity must be a table of rule = severity")
    severity: dict[str, Severity | None] = {}
    for rule, level in severity_table.items():
        if not isinstance(level, str):
            raise ConfigError(f"{TABLE} severity.{rule} must be a string")
        if level.lower() == "off":
            severity[str(rule)] = None
            continue
        try:
            severity[str(rule)] = Severity.parse(level)
        except ValueError as error:
            raise ConfigError(f"{TABLE} severity.{rule}: {error} (or 'off')") from None
    ignores_table = table.get("per_path_ignores", {})
    if not isinstance(ignores_table, Mapping):
        raise ConfigError(f"{TABLE} per_path_ignores must be a table of glob = [rules]")
    per_path: dict[str, tuple[str, ...]] = {}
    for glob, rules in ignores_table.items():
        per_path[str(glob)] = _strings({"rules": rules}, "rules", ())
    numbers = table.get("allowed_numbers", [0, 1])
    if not isinstance(numbers, list) or not all(
        isinstance(n, int | float) and not isinstance(n, bool) for n in numbers
    ):
        raise ConfigError(f"{TABLE} allowed_numbers must be a list of numbers")
    return GovernanceSettings(
        select=_strings(table, "select", ()),
        ignore=_strings(table, "ignore", ()),
        severity=severity,
        per_path_ignores=per_path,
        magic_number_scopes=_strings(table, "magic_number_scopes", DEFAULT_SCOPES),
        allowed_numbers=tuple(float(n) for n in numbers),
        deny_scripts=_strings(table, "deny_scripts", ()),
        code_paths=_strings(table, "code_paths", (".",)),
        code_exclude=_strings(table, "code_exclude", ()),
        cognitive_base=_string(table, "cognitive_base", "BaseCognitiveEntity"),
        system_base=_string(table, "system_base", "BaseSystemEntity"),
        universal_state=_string(table, "universal_state", "UniversalPhysicsState"),
        unused_roots=_strings(table, "unused_roots", DEFAULT_UNUSED_ROOTS),
    )


__all__ = ["GovernanceSettings", "glob_match", "matches_any", "parse_settings"]
