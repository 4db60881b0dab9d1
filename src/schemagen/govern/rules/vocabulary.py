"""The keywords of each JSON Schema dialect (everything its metaschema declares)."""

from __future__ import annotations

from collections.abc import Mapping

_CORE_07 = {"$schema", "$id", "$ref", "$comment", "definitions"}
_META = {"title", "description", "default", "examples"}
_VALIDATION_04 = {
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "type",
    "format",
}
_APPLICATOR_04 = {
    "additionalItems",
    "items",
    "additionalProperties",
    "properties",
    "patternProperties",
    "dependencies",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
}
DRAFT4 = frozenset(
    {"id", "$schema", "$ref", "definitions", "title", "description", "default"}
    | _VALIDATION_04
    | _APPLICATOR_04
)
DRAFT3 = frozenset(
    (DRAFT4 - {"multipleOf", "maxProperties", "minProperties", "allOf", "anyOf", "oneOf", "not"})
    | {"extends", "disallow", "divisibleBy"}
)
DRAFT6 = frozenset((DRAFT4 - {"id"}) | {"$id", "const", "contains", "propertyNames", "examples"})
DRAFT7 = frozenset(
    DRAFT6
    | _CORE_07
    | _META
    | {"if", "then", "else", "readOnly", "writeOnly", "contentMediaType", "contentEncoding"}
)
DRAFT2019 = frozenset(
    (DRAFT7 - {"dependencies"})
    | {
        "$anchor",
        "$defs",
        "$recursiveRef",
        "$recursiveAnchor",
        "$vocabulary",
        "dependentSchemas",
        "dependentRequired",
        "unevaluatedItems",
        "unevaluatedProperties",
        "maxContains",
        "minContains",
        "deprecated",
        "contentSchema",
        # The 2019-09 metaschema still declares these for compatibility.
        "definitions",
        "dependencies",
    }
)
DRAFT2020 = frozenset(
    (DRAFT2019 - {"$recursiveRef", "$recursiveAnchor"})
    | {"$dynamicRef", "$dynamicAnchor", "prefixItems"}
)

VOCABULARIES: Mapping[str, frozenset[str]] = {
    "http://json-schema.org/draft-03/schema": DRAFT3,
    "http://json-schema.org/draft-04/schema": DRAFT4,
    "http://json-schema.org/draft-06/schema": DRAFT6,
    "http://json-schema.org/draft-07/schema": DRAFT7,
    "https://json-schema.org/draft/2019-09/schema": DRAFT2019,
    "https://json-schema.org/draft/2020-12/schema": DRAFT2020,
}


def vocabulary(dialect: str) -> frozenset[str]:
    return VOCABULARIES.get(dialect, DRAFT2020)
