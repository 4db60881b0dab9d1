"""One service-bearing schema, as the Backstage outputs see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemagen.backstage.naming import kebab_name
from schemagen.backstage.stack import StackForm

SCHEMA_SUFFIXES = (".schema.json", ".schema.yaml", ".schema.yml", ".json", ".yaml", ".yml")


@dataclass(frozen=True)
class ServiceEntity:
    """A schema with x-infrastructure, its validated block and the names derived from it."""

    relpath: str
    sources: tuple[str, ...]
    title: str
    description: str
    schema_id: str
    slug: str
    template: str
    infra: Mapping[str, Any]
    stack: StackForm | None = None

    @property
    def form_sources(self) -> tuple[str, ...]:
        """What the template and its parameter block depend on: also the stack they inline."""
        extra = self.stack.dependencies if self.stack is not None else ()
        return tuple(sorted({*self.sources, *extra}))

    @property
    def service(self) -> str:
        """The Backstage Component name: `service_name`, else the kebab-case title."""
        named = self.infra.get("service_name")
        return named if isinstance(named, str) else self.slug

    @property
    def directory(self) -> str:
        return f"backstage/{self.template}/{self.slug}"

    def section(self, name: str) -> Mapping[str, Any] | None:
        value = self.infra.get(name)
        return value if isinstance(value, Mapping) else None

    def value(self, name: str, default: Any = None) -> Any:
        return self.infra.get(name, default)


def stem(relpath: str) -> str:
    name = relpath.rsplit("/", 1)[-1]
    for suffix in SCHEMA_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def display_title(title: str | None, relpath: str) -> str:
    return title if title and title.strip() else stem(relpath)


def entity_slug(title: str | None, relpath: str) -> str:
    """The kebab-case entity name used for directories and default service names."""
    return kebab_name(title if title and title.strip() else stem(relpath), "entity")
