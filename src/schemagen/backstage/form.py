"""The parameter block: Backstage form pages (react-jsonschema-form JSON Schema with `ui:*` keys).

Each infrastructure field copies its type and constraints (type, enum, pattern, bounds) from the
x-infrastructure schema and takes its default from the entity's x-infrastructure value. Optional
blocks (database, streaming) sit behind a boolean (`use_database`, `use_streaming`) and appear only
when it is true, through `dependencies: {use_x: {oneOf: [...]}}` as react-jsonschema-form renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemagen.backstage.infra import infrastructure_schema
from schemagen.backstage.model import ServiceEntity
from schemagen.backstage.stack import STACK_FIELD

_COPIED = (
    "type",
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "items",
)
_TITLES = {
    "type": "API type",
    "path_prefix": "Path prefix",
    "module": "Database",
    "table": "Table",
    "retention_days": "Retention (days)",
    "topics": "Topics",
    "partitions": "Partitions",
    "dashboard": "Dashboard",
    "alerts": "Alerts",
    "slo_availability": "Availability SLO (%)",
    "min_replicas": "Minimum replicas",
    "max_replicas": "Maximum replicas",
    "target_cpu_percent": "Target CPU (%)",
    "lifecycle": "Lifecycle",
    "compute": "Compute",
    "api": "API",
    "database": "Database",
    "streaming": "Event streaming",
    "observability": "Observability",
    "scaling": "Scaling",
}
_WIDGETS: Mapping[str, Mapping[str, Any]] = {
    "type": {"ui:widget": "radio"},
    "alerts": {"ui:widget": "checkbox"},
    "topics": {"ui:options": {"orderable": False}},
}
TOGGLES = {"database": "use_database", "streaming": "use_streaming"}


def _properties() -> Mapping[str, Any]:
    properties: Mapping[str, Any] = infrastructure_schema()["properties"]
    return properties


def typed_field(spec: Mapping[str, Any], title: str, value: Any = None) -> dict[str, Any]:
    """A form field typed like `spec`, defaulting to `value` (or the schema's own default)."""
    field: dict[str, Any] = {"title": title}
    if "type" not in spec and all(isinstance(v, str) for v in spec.get("enum", [None])):
        field["type"] = "string"
    for key in _COPIED:
        if key in spec:
            field[key] = spec[key]
    if "description" in spec:
        field["description"] = spec["description"]
    if value is not None:
        field["default"] = value
    elif "default" in spec:
        field["default"] = spec["default"]
    return field


def _without(field: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in field.items() if k != key}


def section_field(name: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """An object field for one x-infrastructure block, each member typed and defaulted."""
    spec = _properties()[name]
    given = value or {}
    members = {
        key: {**typed_field(sub, _TITLES.get(key, key), given.get(key)), **_WIDGETS.get(key, {})}
        for key, sub in spec["properties"].items()
    }
    field: dict[str, Any] = {
        "title": _TITLES[name],
        "description": spec["description"],
        "type": "object",
    }
    if spec.get("required"):
        field["required"] = list(spec["required"])
    field["properties"] = members
    return field


def _toggle(name: str, value: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The boolean that switches an optional block on, and the dependency that reveals it."""
    toggle = TOGGLES[name]
    switch = {
        "title": f"Use {_TITLES[name].lower()}",
        "type": "boolean",
        "default": value is not None,
        "ui:help": _properties()[name]["description"],
    }
    dependency = {
        "oneOf": [
            {
                "properties": {toggle: {"enum": [True]}, name: section_field(name, value)},
                "required": [name],
            },
            {"properties": {toggle: {"enum": [False]}}},
        ]
    }
    return switch, dependency


def service_page(entity: ServiceEntity) -> dict[str, Any]:
    spec = _properties()
    return {
        "title": "Service information",
        "type": "object",
        "required": ["name", "owner", "system"],
        "properties": {
            "name": {
                **typed_field(spec["service_name"], "Name", entity.service),
                "ui:autofocus": True,
                "ui:help": "Lower-case words separated by hyphens; also the repository name.",
            },
            "description": {
                "title": "Description",
                "type": "string",
                "default": entity.description,
                "ui:widget": "textarea",
                "ui:options": {"rows": 4},
            },
            "owner": {
                **typed_field(spec["owner"], "Owner", entity.value("owner")),
                "ui:field": "OwnerPicker",
                # allowedKinds for older Backstage versions, catalogFilter for current ones
                "ui:options": {"allowedKinds": ["Group"], "catalogFilter": {"kind": "Group"}},
            },
            "system": {
                # No pattern: the picker answers with a full reference (system:default/name).
                **_without(
                    typed_field(spec["system"], "System", entity.value("system")), "pattern"
                ),
                "ui:field": "EntityPicker",
                "ui:options": {
                    "catalogFilter": {"kind": "System"},
                    "defaultKind": "System",
                    "defaultNamespace": "default",
                },
            },
            "lifecycle": {
                **typed_field(spec["lifecycle"], "Lifecycle", entity.value("lifecycle")),
                "ui:widget": "radio",
            },
        },
    }


def runtime_page(entity: ServiceEntity) -> dict[str, Any]:
    spec = _properties()
    return {
        "title": "API and runtime",
        "type": "object",
        "properties": {
            "api": section_field("api", entity.section("api")),
            "compute": {
                **typed_field(spec["compute"], "Compute", entity.value("compute")),
                "ui:help": "GPU and quantum simulators are scheduled on dedicated node pools.",
            },
            "scaling": section_field("scaling", entity.section("scaling")),
        },
    }


def data_page(entity: ServiceEntity) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    dependencies: dict[str, Any] = {}
    for name, toggle in TOGGLES.items():
        properties[toggle], dependencies[toggle] = _toggle(name, entity.section(name))
    return {
        "title": "Data and events",
        "type": "object",
        "properties": properties,
        "dependencies": dependencies,
    }


def stack_page(entity: ServiceEntity) -> dict[str, Any] | None:
    if entity.stack is None:
        return None
    return {
        "title": "Stack configuration",
        "type": "object",
        "properties": {STACK_FIELD: dict(entity.stack.field)},
    }


def observability_page(entity: ServiceEntity) -> dict[str, Any]:
    return {
        "title": "Observability",
        "type": "object",
        "properties": {
            "observability": section_field("observability", entity.section("observability")),
        },
    }


def parameter_pages(entity: ServiceEntity) -> list[dict[str, Any]]:
    """The form pages: service information first, then the infrastructure configuration."""
    stack = stack_page(entity)
    return [
        service_page(entity),
        runtime_page(entity),
        data_page(entity),
        *([stack] if stack is not None else []),
        observability_page(entity),
    ]


def parameter_names(entity: ServiceEntity) -> tuple[str, ...]:
    """Every top-level value the form collects (what the steps pass on to the skeleton)."""
    stack = (STACK_FIELD,) if entity.stack is not None else ()
    return *stack, *(
        "name",
        "description",
        "owner",
        "system",
        "lifecycle",
        "api",
        "compute",
        "scaling",
        "use_database",
        "database",
        "use_streaming",
        "streaming",
        "observability",
    )
