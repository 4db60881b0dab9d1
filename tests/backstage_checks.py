"""Backstage's own rules for catalog entities, shared by the Backstage tests.

The official schemas (`../shared/corpora/backstage-schemas`, draft-07, referring to each other by
bare `$id` names) are loaded into one registry, and the naming rules Backstage applies at run time
on top of them (entity names, tags, annotation keys) are checked too.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

KIND_SCHEMAS = {
    "Template": "TemplateV1beta3",
    "Component": "ComponentV1alpha1",
    "API": "ApiV1alpha1",
    "Resource": "ResourceV1alpha1",
    "Location": "LocationV1alpha1",
}
ENTITY_NAME = re.compile(r"^([A-Za-z0-9]+[-_.])*[A-Za-z0-9]+$")
TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
ANNOTATION_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)

Checker = Callable[[Mapping[str, Any]], list[str]]


@functools.cache
def backstage_registry(corpora: Path) -> Registry[Any]:
    resources = []
    for path in sorted((corpora / "backstage-schemas").rglob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append(
            (contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7))
        )
    ids = {uri for uri, _ in resources}
    assert {"Entity", "EntityEnvelope", "EntityMeta", "common", *KIND_SCHEMAS.values()} <= ids
    return Registry().with_resources(resources).crawl()


@functools.cache
def backstage_problems(corpora: Path) -> Checker:
    """A function from a catalog entity to what Backstage would reject in it (empty: fine)."""
    registry = backstage_registry(corpora)

    def validator(schema_id: str) -> jsonschema.Draft7Validator:
        return jsonschema.Draft7Validator(registry.contents(schema_id), registry=registry)

    validators = {kind: validator(schema_id) for kind, schema_id in KIND_SCHEMAS.items()}
    envelope = validator("EntityEnvelope")

    def problems(entity: Mapping[str, Any]) -> list[str]:
        found = [e.message for e in envelope.iter_errors(entity)]
        found += [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validators[entity["kind"]].iter_errors(entity)
        ]
        metadata = entity["metadata"]
        if not (ENTITY_NAME.match(metadata["name"]) and len(metadata["name"]) <= 63):
            found.append(f"bad entity name {metadata['name']!r}")
        found += [f"bad tag {t!r}" for t in metadata.get("tags", []) if not TAG.match(t)]
        annotations = metadata.get("annotations", {})
        found += [f"bad annotation key {k!r}" for k in annotations if not ANNOTATION_KEY.match(k)]
        found += [
            f"annotation {k} is not a string"
            for k, v in annotations.items()
            if not isinstance(v, str)
        ]
        return found

    return problems
