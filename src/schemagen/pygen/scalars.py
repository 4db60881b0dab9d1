"""Refinements of scalar types: `{"allOf": [{"$ref": "PositiveInteger"}], "maximum": 5}`.

datamodel-codegen gets these wrong both ways: with `allOf` it keeps the base and drops the
refinement's own bounds (Priority 1..5 would accept 7), with sibling keywords it lets the
refinement's bounds replace the base's. So the prepare step merges them itself: the result holds
every bound, the stricter of each pair, and no ref (a refinement is a new, narrower type).
Two different patterns cannot be combined for pydantic's regex engine (no look-ahead); the
refinement's own pattern is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from schemagen import walk
from schemagen.load import SchemaDocument
from schemagen.sourcemap import join_pointer, resolve_pointer

NUMERIC_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems")
NUMERIC_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")
REFINING = frozenset({*NUMERIC_LOWER, *NUMERIC_UPPER, "multipleOf", "pattern", "enum", "const"})
SCALAR_KEYWORDS = frozenset({*REFINING, "type", "format"})
ANNOTATIONS = walk.ANNOTATIONS | {
    "$id",
    "id",
    "$schema",
    "$anchor",
    "$defs",
    "definitions",
    "contentMediaType",
    "contentEncoding",
}
SCALAR_TYPES = frozenset({"string", "integer", "number", "boolean", "null"})


class Targets(Protocol):
    def target(
        self, document: SchemaDocument, pointer: str
    ) -> tuple[SchemaDocument, str] | None: ...


def _is_annotation(key: str) -> bool:
    return key in ANNOTATIONS or key.startswith("x-")


def _ref_holders(schema: Mapping[str, Any], pointer: str) -> list[str] | None:
    """Pointers of the schema objects whose refs a scalar schema combines (itself, its allOf
    members); None when its allOf holds anything but refs and scalar keywords."""
    holders = [pointer] if "$ref" in schema else []
    members = schema.get("allOf", [])
    if not isinstance(members, list):
        return None
    for index, member in enumerate(members):
        if not isinstance(member, Mapping):
            return None
        if "$ref" in member:
            holders.append(join_pointer(pointer, "allOf", index))
        elif not all(_is_annotation(k) or k in SCALAR_KEYWORDS for k in member):
            return None
    return holders


def constraints(
    document: SchemaDocument,
    pointer: str,
    refs: Targets,
    seen: frozenset[tuple[str, str]] = frozenset(),
    trail: set[str] | None = None,
) -> dict[str, Any] | None:
    """Every scalar constraint the schema at `pointer` imposes, through its refs; None if it is not
    a scalar schema (objects, arrays of schemas, anyOf, ...). `trail` collects the files read."""
    if trail is not None:
        trail.add(document.relpath)
    key = (str(document.path), pointer)
    if key in seen:
        return None
    try:
        schema = resolve_pointer(document.contents, pointer)
    except LookupError:
        return None
    if not isinstance(schema, Mapping):
        return None
    if any(
        not (_is_annotation(k) or k in SCALAR_KEYWORDS or k in ("$ref", "allOf")) for k in schema
    ):
        return None
    declared = schema.get("type")
    if declared is not None and not (isinstance(declared, str) and declared in SCALAR_TYPES):
        return None
    holders = _ref_holders(schema, pointer)
    if holders is None:
        return None
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k in SCALAR_KEYWORDS}
    for member in schema.get("allOf", []):
        if "$ref" not in member:
            merged = merge(merged, {k: v for k, v in member.items() if k in SCALAR_KEYWORDS})
    for holder in holders:
        target = refs.target(document, holder)
        if target is None:
            return None
        inherited = constraints(target[0], target[1], refs, seen | {key}, trail)
        if inherited is None:
            return None
        merged = merge(merged, inherited)
    return merged


def refinement(document: SchemaDocument, pointer: str, refs: Targets) -> set[str] | None:
    """If the schema object at `pointer` refines scalar types it refers to (adds bounds of its
    own), the files its merged constraints come from; else None."""
    schema = resolve_pointer(document.contents, pointer)
    if not isinstance(schema, Mapping) or not (REFINING & set(schema)):
        return None
    holders = _ref_holders(schema, pointer)
    trail: set[str] = set()
    if not holders or constraints(document, pointer, refs, trail=trail) is None:
        return None
    return trail


def _stricter(pick: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def combine(a: Any, b: Any) -> Any:
        numbers = isinstance(a, int | float) and isinstance(b, int | float)
        return pick(a, b) if numbers and not isinstance(a, bool) and not isinstance(b, bool) else a

    return combine


def _multiple(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a > 0 and b > 0:
        return a * b // math.gcd(a, b)
    return a


def _types(a: Any, b: Any) -> Any:
    return "integer" if {a, b} == {"integer", "number"} else a


def _enums(a: Any, b: Any) -> Any:
    if isinstance(a, list) and isinstance(b, list):
        return [value for value in a if value in b]
    return a


_COMBINE: dict[str, Callable[[Any, Any], Any]] = {
    **{k: _stricter(max) for k in NUMERIC_LOWER},
    **{k: _stricter(min) for k in NUMERIC_UPPER},
    "multipleOf": _multiple,
    "type": _types,
    "enum": _enums,
}


def merge(own: Mapping[str, Any], inherited: Mapping[str, Any]) -> dict[str, Any]:
    """Both sets of constraints at once (the own value wins where they cannot be combined)."""
    merged = dict(inherited)
    for keyword, value in own.items():
        merged[keyword] = (
            _COMBINE.get(keyword, lambda a, b: a)(value, inherited[keyword])
            if keyword in inherited
            else value
        )
    return merged


def flattened(
    document: SchemaDocument, pointer: str, refs: Targets, prepared: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The prepared schema object at `pointer`, its scalar refinement merged in, if it is one."""
    if refinement(document, pointer, refs) is None:
        return None
    merged = constraints(document, pointer, refs)
    if merged is None:
        return None
    kept = {k: v for k, v in prepared.items() if _is_annotation(k)}
    return {**kept, **merged}
