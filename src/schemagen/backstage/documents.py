"""The Backstage documents as plain data: the Template, the catalog entities, the Location.

Schema text (titles, descriptions, x-infrastructure values) reaches these documents only in places
Backstage treats as data: entity metadata, the form's titles/descriptions/defaults, catalog specs
and API definitions. The scaffolder evaluates `${{ ... }}` only in step inputs, step conditions
and the template output; those hold nothing but generator constants, validated settings and
expressions over `parameters` and `steps` (`templating_problems` checks this), so a `${{ }}` in a
schema stays literal text and is not escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence, Set
from typing import Any

from schemagen.backstage.form import parameter_names
from schemagen.backstage.model import ServiceEntity
from schemagen.backstage.naming import MAX_NAME, TAG, entity_name, fit, identifier
from schemagen.backstage.settings import BackstageSettings

CATALOG_API_VERSION = "backstage.io/v1alpha1"
TEMPLATE_API_VERSION = "scaffolder.backstage.io/v1beta3"
ANNOTATION = "schemagen.dev"
LOCATION_NAME = "schemagen-templates"
_EXPRESSION = re.compile(
    r"\$\{\{ (?:parameters\.[a-z_]+|steps\['[a-z]+'\]\.output\.[A-Za-z]+) \}\}"
)
_TEMPLATING = ("${{", "{{", "}}", "{%", "%}", "{#", "#}")


def expression(text: str) -> str:
    return "${{ " + text + " }}"


# -- names and references ---------------------------------------------------------------------


def template_name(entity: ServiceEntity) -> str:
    return fit(f"{entity.template}-{entity.slug}", f"{entity.template}/{entity.relpath}")


def api_name(entity: ServiceEntity) -> str:
    return fit(f"{entity.slug}-api", entity.relpath)


def database_name(entity: ServiceEntity, module: str) -> str:
    return fit(f"{entity.service}-{module}", f"{entity.service}/{module}")


def topic_name(topic: str) -> str:
    return entity_name(topic, "topic")


def reference(kind: str, name: str) -> str:
    return f"{kind}:default/{name}"


# -- the Template -------------------------------------------------------------------------------


def tags(entity: ServiceEntity) -> list[str]:
    api = entity.section("api")
    database = entity.section("database")
    found = {"schemagen", "service", str(entity.value("compute", "cpu"))}
    if api is not None:
        found.add(str(api["type"]))
    if database is not None:
        found.add(str(database["module"]))
    if entity.section("streaming") is not None:
        found.add("events")
    return sorted(t for t in found if TAG.fullmatch(t) and len(t) <= MAX_NAME)


def source_annotations(entity: ServiceEntity) -> dict[str, str]:
    return {
        f"{ANNOTATION}/schema-id": entity.schema_id,
        f"{ANNOTATION}/service-template": str(entity.value("service_template")),
        f"{ANNOTATION}/source-schema": entity.relpath,
    }


def steps(entity: ServiceEntity, settings: BackstageSettings) -> list[dict[str, Any]]:
    values: dict[str, Any] = {
        name: expression(f"parameters.{name}") for name in sorted(parameter_names(entity))
    }
    values["service_template"] = entity.value("service_template")
    return [
        {
            "id": "fetch",
            "name": "Fetch the service skeleton",
            "action": "fetch:template",
            "input": {"url": settings.skeleton_url, "values": values},
        },
        {
            "id": "publish",
            "name": "Publish to GitHub",
            "action": "publish:github",
            "input": {
                "repoUrl": f"{settings.repo_url_base}&repo={expression('parameters.name')}",
                "description": expression("parameters.description"),
                "defaultBranch": "main",
            },
        },
        {
            "id": "register",
            "name": "Register in the catalog",
            "action": "catalog:register",
            "input": {
                "repoContentsUrl": expression("steps['publish'].output.repoContentsUrl"),
                "catalogInfoPath": "/catalog-info.yaml",
            },
        },
    ]


def output() -> dict[str, Any]:
    return {
        "links": [
            {
                "title": "Repository",
                "icon": "github",
                "url": expression("steps['publish'].output.remoteUrl"),
            },
            {
                "title": "Open in catalog",
                "icon": "catalog",
                "entityRef": expression("steps['register'].output.entityRef"),
            },
        ]
    }


def template_document(
    entity: ServiceEntity, settings: BackstageSettings, parameters: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "apiVersion": TEMPLATE_API_VERSION,
        "kind": "Template",
        "metadata": {
            "name": template_name(entity),
            "title": f"{entity.title} service",
            "description": entity.description,
            "tags": tags(entity),
            "annotations": source_annotations(entity),
        },
        "spec": {
            "owner": settings.default_owner or str(entity.value("owner")),
            "type": "service",
            "parameters": parameters,
            "steps": steps(entity, settings),
            "output": output(),
        },
    }


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def templating_problems(template: Mapping[str, Any]) -> tuple[str, ...]:
    """Strings in the scaffolder's templated sections that hold anything but known expressions."""
    spec = template["spec"]
    templated = [step.get("input", {}) for step in spec["steps"]]
    templated += [step["if"] for step in spec["steps"] if "if" in step]
    templated.append(spec.get("output", {}))
    problems = []
    for text in _strings(templated):
        rest = _EXPRESSION.sub("", text)
        if any(marker in rest for marker in _TEMPLATING):
            problems.append(text)
    return tuple(problems)


# -- catalog entities ---------------------------------------------------------------------------


def _metadata(
    name: str, title: str, description: str, annotations: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "name": name,
        "title": title,
        "description": description,
        "annotations": dict(sorted(annotations.items())),
    }


def component_annotations(entity: ServiceEntity, settings: BackstageSettings) -> dict[str, str]:
    found = source_annotations(entity)
    if settings.repo_host == "github.com":
        slug = f"{settings.repo_owner}/{entity.service}"
        found["github.com/project-slug"] = slug
        found["backstage.io/source-location"] = f"url:https://github.com/{slug}/tree/main/"
    observability = entity.section("observability") or {}
    if observability.get("dashboard") == "grafana":
        found["grafana/dashboard-selector"] = f"tags @> '{entity.service}'"
        if observability.get("alerts"):
            found["grafana/alert-label-selector"] = f"service={entity.service}"
    return found


def resources(entity: ServiceEntity) -> list[dict[str, Any]]:
    """A Resource per database module and per streaming topic the service depends on."""
    database = entity.section("database")
    streaming = entity.section("streaming")
    found = [database_resource(entity, database)] if database is not None else []
    if streaming is not None:
        found.extend(topic_resource(entity, streaming, t) for t in sorted(streaming["topics"]))
    return found


def _resource(
    entity: ServiceEntity, kind: str, name: str, title: str, text: str, notes: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": CATALOG_API_VERSION,
        "kind": "Resource",
        "metadata": _metadata(name, title, text, notes),
        "spec": {
            "type": kind,
            "owner": str(entity.value("owner")),
            "system": str(entity.value("system")),
        },
    }


def database_resource(entity: ServiceEntity, database: Mapping[str, Any]) -> dict[str, Any]:
    module = str(database["module"])
    notes = {f"{ANNOTATION}/database-module": module}
    if "table" in database:
        notes[f"{ANNOTATION}/database-table"] = str(database["table"])
    if "retention_days" in database:
        notes[f"{ANNOTATION}/retention-days"] = str(database["retention_days"])
    return _resource(
        entity,
        "database",
        database_name(entity, module),
        f"{entity.title} storage ({module})",
        f"The {module} database that stores {entity.title} instances.",
        notes,
    )


def topic_resource(
    entity: ServiceEntity, streaming: Mapping[str, Any], topic: str
) -> dict[str, Any]:
    notes = {f"{ANNOTATION}/topic": topic}
    if "partitions" in streaming:
        notes[f"{ANNOTATION}/partitions"] = str(streaming["partitions"])
    text = f"Event topic that carries {entity.title} events."
    return _resource(entity, "topic", topic_name(topic), topic, text, notes)


def api_document(entity: ServiceEntity) -> dict[str, Any] | None:
    api = entity.section("api")
    if api is None:
        return None
    return {
        "apiVersion": CATALOG_API_VERSION,
        "kind": "API",
        "metadata": _metadata(
            api_name(entity),
            f"{entity.title} API",
            entity.description,
            source_annotations(entity),
        ),
        "spec": {
            "type": str(api["type"]),
            "lifecycle": str(entity.value("lifecycle", "experimental")),
            "owner": str(entity.value("owner")),
            "system": str(entity.value("system")),
            "definition": api_definition(entity, str(api["type"])),
        },
    }


def component_document(
    entity: ServiceEntity,
    settings: BackstageSettings,
    api: Mapping[str, Any] | None,
    depends_on: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    metadata = _metadata(
        entity.service, entity.title, entity.description, component_annotations(entity, settings)
    )
    metadata["tags"] = tags(entity)
    spec: dict[str, Any] = {
        "type": "service",
        "lifecycle": str(entity.value("lifecycle", "experimental")),
        "owner": str(entity.value("owner")),
        "system": str(entity.value("system")),
    }
    if api is not None:
        spec["providesApis"] = [reference("api", api["metadata"]["name"])]
    if depends_on:
        spec["dependsOn"] = sorted(reference("resource", r["metadata"]["name"]) for r in depends_on)
    return {
        "apiVersion": CATALOG_API_VERSION,
        "kind": "Component",
        "metadata": metadata,
        "spec": spec,
    }


def catalog_documents(
    entity: ServiceEntity, settings: BackstageSettings, declared_elsewhere: Set[str] = frozenset()
) -> list[dict[str, Any]]:
    """Component first, then its API, then the Resources it depends on.

    A Resource named in `declared_elsewhere` (another schema's catalog file declares it) is only
    referred to, so that every catalog entity is declared exactly once.
    """
    api = api_document(entity)
    depends_on = resources(entity)
    component = component_document(entity, settings, api, depends_on)
    own = [r for r in depends_on if r["metadata"]["name"] not in declared_elsewhere]
    return [component, *([api] if api is not None else []), *own]


def location_document(targets: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": CATALOG_API_VERSION,
        "kind": "Location",
        "metadata": {
            "name": LOCATION_NAME,
            "description": "The Backstage software templates schemagen generated from the schemas.",
        },
        "spec": {"targets": sorted(targets)},
    }


# -- API definitions ----------------------------------------------------------------------------


def _comment(prefix: str, text: str) -> list[str]:
    return [f"{prefix} {line}".rstrip() for line in text.splitlines()] or [prefix]


def openapi_definition(entity: ServiceEntity) -> str:
    name = identifier(entity.title)
    api = entity.section("api") or {}
    prefix = str(api.get("path_prefix", f"/{entity.slug}")).rstrip("/") or ""
    one = {"$ref": f"#/components/schemas/{name}"}

    def response(schema: Mapping[str, Any], what: str) -> dict[str, Any]:
        return {"description": what, "content": {"application/json": {"schema": schema}}}

    document = {
        "openapi": "3.1.0",
        "info": {
            "title": f"{entity.title} API",
            "version": "1.0.0",
            "description": entity.description,
        },
        "paths": {
            prefix or "/": {
                "get": {
                    "operationId": f"list{name}",
                    "responses": {"200": response({"type": "array", "items": one}, "A page.")},
                },
                "post": {
                    "operationId": f"create{name}",
                    "requestBody": {"content": {"application/json": {"schema": one}}},
                    "responses": {"201": response(one, "Created.")},
                },
            },
            f"{prefix}/{{id}}": {
                "get": {
                    "operationId": f"get{name}",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": response(one, "Found."),
                        "404": {"description": "Absent."},
                    },
                },
            },
        },
        "components": {"schemas": {name: {"$ref": entity.schema_id}}},
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def asyncapi_definition(entity: ServiceEntity) -> str:
    name = identifier(entity.title)
    streaming = entity.section("streaming") or {}
    channels = {
        topic: {"subscribe": {"message": {"name": name, "payload": {"$ref": entity.schema_id}}}}
        for topic in sorted(streaming.get("topics", []))
    }
    document = {
        "asyncapi": "2.6.0",
        "info": {
            "title": f"{entity.title} events",
            "version": "1.0.0",
            "description": entity.description,
        },
        "channels": channels,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def graphql_definition(entity: ServiceEntity) -> str:
    name = identifier(entity.title)
    field = name[0].lower() + name[1:]
    lines = [
        *_comment("#", entity.description),
        f"# Schema: {entity.schema_id}",
        f"type {name} {{",
        "  id: ID!",
        "}",
        "",
        "type Query {",
        f"  {field}(id: ID!): {name}",
        f"  {field}List(first: Int, after: String): [{name}!]!",
        "}",
    ]
    return "\n".join(lines) + "\n"


def grpc_definition(entity: ServiceEntity) -> str:
    name = identifier(entity.title)
    package = entity.service.replace("-", "_")
    lines = [
        'syntax = "proto3";',
        "",
        f"package familiar.{package}.v1;",
        "",
        *_comment("//", entity.description),
        f"// Schema: {entity.schema_id}",
        f"message {name} {{",
        "  string id = 1;",
        "}",
        "",
        f"message Get{name}Request {{",
        "  string id = 1;",
        "}",
        "",
        f"service {name}Service {{",
        f"  rpc Get{name}(Get{name}Request) returns ({name});",
        "}",
    ]
    return "\n".join(lines) + "\n"


_DEFINITIONS = {
    "openapi": openapi_definition,
    "asyncapi": asyncapi_definition,
    "graphql": graphql_definition,
    "grpc": grpc_definition,
}


def api_definition(entity: ServiceEntity, kind: str) -> str:
    return _DEFINITIONS[kind](entity)
