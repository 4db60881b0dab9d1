"""`[tool.schemagen.backstage]`: which Backstage template each service template maps to, where
scaffolded repositories are published, and who owns the generated templates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs

from schemagen.config import Config, ConfigError

DEFAULT_TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "familiar-poem-rest-service": "familiar-rest-api",
        "familiar-poem-graphql-service": "familiar-graphql-api",
        "familiar-quantum-compute-service": "familiar-quantum-service",
        "familiar-workflow-orchestrator": "familiar-workflow-service",
        "familiar-tenant-management-service": "familiar-tenant-service",
    }
)
DEFAULT_REPO_URL_BASE = "github.com?owner=familiar"
DEFAULT_SKELETON_URL = "./skeleton"

KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_OWNER_REF = re.compile(r"(?:(?:group|user):)?(?:[a-z0-9-]+/)?[a-z0-9][a-z0-9._-]*")
_REPO_BASE = re.compile(r"[A-Za-z0-9.-]+\?owner=[A-Za-z0-9_.-]+(?:&[A-Za-z]+=[A-Za-z0-9_.-]+)*")
_URL = re.compile(r"(?:\./|\.\./|https?://)[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]*")
_KNOWN_KEYS = ("default_owner", "repo_url_base", "skeleton_url", "stacks", "templates")


@dataclass(frozen=True)
class BackstageSettings:
    """The Backstage stage's settings; `from_config` validates them (bad ones: ConfigError)."""

    templates: Mapping[str, str] = field(default_factory=lambda: DEFAULT_TEMPLATES)
    repo_url_base: str = DEFAULT_REPO_URL_BASE
    default_owner: str | None = None
    skeleton_url: str = DEFAULT_SKELETON_URL
    stacks: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """service_template -> path (under the schemas directory) of its stack schema."""

    @classmethod
    def from_config(cls, config: Config) -> BackstageSettings:
        section = config.section("backstage")
        unknown = sorted(set(section) - set(_KNOWN_KEYS))
        if unknown:
            raise ConfigError(
                f"[tool.schemagen.backstage] has unknown key(s) {', '.join(unknown)}; "
                f"known: {', '.join(_KNOWN_KEYS)}"
            )
        return cls(
            templates=_templates(section.get("templates", {})),
            repo_url_base=_matching(section, "repo_url_base", _REPO_BASE, DEFAULT_REPO_URL_BASE),
            default_owner=_optional_owner(section.get("default_owner")),
            skeleton_url=_matching(section, "skeleton_url", _URL, DEFAULT_SKELETON_URL),
            stacks=_stacks(section.get("stacks", {})),
        )

    @property
    def known_templates(self) -> tuple[str, ...]:
        return tuple(sorted(self.templates))

    @property
    def repo_host(self) -> str:
        return self.repo_url_base.partition("?")[0]

    @property
    def repo_owner(self) -> str:
        return parse_qs(self.repo_url_base.partition("?")[2])["owner"][0]


def _templates(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError("[tool.schemagen.backstage.templates] must be a table of name = name")
    merged = dict(DEFAULT_TEMPLATES)
    for key, name in value.items():
        if not isinstance(key, str) or not KEBAB.fullmatch(key):
            raise ConfigError(f"[tool.schemagen.backstage.templates] key {key!r} is not kebab-case")
        if not isinstance(name, str) or not KEBAB.fullmatch(name) or len(name) > 63:
            raise ConfigError(
                f"[tool.schemagen.backstage.templates] {key} = {name!r}: a Backstage template name "
                "is kebab-case and at most 63 characters"
            )
        merged[key] = name
    return MappingProxyType(dict(sorted(merged.items())))


def _stacks(value: Any) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v and not v.startswith("/")
        for k, v in value.items()
    ):
        raise ConfigError(
            "[tool.schemagen.backstage.stacks] must be a table of service_template = "
            '"path/under/schemas/Stack.schema.json"'
        )
    return MappingProxyType(dict(sorted(value.items())))


def _matching(section: Mapping[str, Any], key: str, pattern: re.Pattern[str], default: str) -> str:
    value = section.get(key, default)
    if not isinstance(value, str) or not pattern.fullmatch(value) or "{" in value:
        raise ConfigError(
            f"[tool.schemagen.backstage] {key} = {value!r} does not look like "
            + ("HOST?owner=ORG" if key == "repo_url_base" else "./path or an http(s) URL")
        )
    return value


def _optional_owner(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _OWNER_REF.fullmatch(value):
        raise ConfigError(
            f"[tool.schemagen.backstage] default_owner = {value!r} is not a Backstage entity "
            "reference such as group:platform"
        )
    return value
