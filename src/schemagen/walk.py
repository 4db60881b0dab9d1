"""Walk the subschemas of a document, knowing which keywords hold schemas and which hold data.

A schema-aware walk matters: a property called `examples` or `$ref` is a name, not a keyword, and
the values under `enum`, `const`, `default` and `examples` are instances, never schemas. Unknown
keywords whose values look like schemas are walked too (legacy corpora nest schemas under a
non-standard `fields` keyword), and flagged as `via_unknown` so rules can tell.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from schemagen.sourcemap import join_pointer

SINGLE_SCHEMA = frozenset(
    {
        "additionalProperties",
        "additionalItems",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
        "items",
    }
)
SCHEMA_ARRAYS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
)
INSTANCE_KEYWORDS = frozenset({"enum", "const", "default", "examples"})
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
"""Keywords that describe but never constrain an instance."""
SCHEMA_HINT_KEYS = frozenset(
    {"$ref", "type", "properties", "allOf", "anyOf", "oneOf", "items", "enum", "const"}
)

DRAFT4 = "http://json-schema.org/draft-04/schema"


@dataclass(frozen=True)
class SchemaNode:
    pointer: str
    schema: Mapping[str, Any]
    base_uri: str
    via_unknown: bool


def schema_id(schema: Mapping[str, Any], dialect: str) -> str | None:
    """The resource identifier the schema declares, without an anchor-only form."""
    value = schema.get("id" if dialect == DRAFT4 else "$id")
    if not isinstance(value, str) or value.startswith("#"):
        return None
    return value


@lru_cache(maxsize=1 << 16)  # a corpus joins the same few thousand pairs over and over
def join_uri(base: str, ref: str) -> str:
    """RFC 3986 resolution, tolerant of URN bases that urljoin does not understand."""
    if ref.startswith("#"):
        return urldefrag(base).url + ref
    if base.startswith("urn:") and ":" not in ref.split("/", 1)[0]:
        return ref
    return urljoin(base, ref)


def _looks_like_schema(value: Any) -> bool:
    return isinstance(value, Mapping) and any(key in value for key in SCHEMA_HINT_KEYS)


def iter_schemas(contents: Mapping[str, Any], base_uri: str, dialect: str) -> Iterator[SchemaNode]:
    """Every subschema (root first) with its pointer and base URI. Iterative, any depth."""
    todo: list[tuple[Any, str, str, bool]] = [(contents, "", base_uri, False)]
    while todo:
        schema, pointer, base, via_unknown = todo.pop()
        if not isinstance(schema, Mapping):
            continue  # boolean schemas have no keywords
        declared = schema_id(schema, dialect)
        if declared is not None:
            # A malformed $id keeps the outer base; the metaschema check reports it.
            with contextlib.suppress(ValueError):
                base = join_uri(base, declared)
        yield SchemaNode(pointer, schema, base, via_unknown)
        children: list[tuple[Any, str, str, bool]] = []
        for keyword, value in schema.items():
            here = join_pointer(pointer, keyword)
            if keyword in INSTANCE_KEYWORDS or keyword.startswith("x-"):
                continue
            if keyword in SCHEMA_MAPS and isinstance(value, Mapping):
                children.extend(
                    (v, join_pointer(here, k), base, via_unknown)
                    for k, v in value.items()
                    if isinstance(v, Mapping | bool)
                )
            elif keyword in SCHEMA_ARRAYS and isinstance(value, list):
                children.extend(
                    (v, join_pointer(here, i), base, via_unknown) for i, v in enumerate(value)
                )
            elif keyword in SINGLE_SCHEMA and isinstance(value, Mapping | bool):
                children.append((value, here, base, via_unknown))
            elif (
                not keyword.startswith("$")
                and keyword not in SINGLE_SCHEMA | SCHEMA_ARRAYS | SCHEMA_MAPS
            ):
                # An unknown keyword: walk values that look like schemas.
                if _looks_like_schema(value):
                    children.append((value, here, base, True))
                elif isinstance(value, Mapping):
                    children.extend(
                        (v, join_pointer(here, k), base, True)
                        for k, v in value.items()
                        if _looks_like_schema(v)
                    )
                elif isinstance(value, list):
                    children.extend(
                        (v, join_pointer(here, i), base, True)
                        for i, v in enumerate(value)
                        if _looks_like_schema(v)
                    )
        todo.extend(reversed(children))
