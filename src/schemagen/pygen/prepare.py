"""Turn a corpus document into what datamodel-codegen reads: self-contained, offline, unambiguous.

- every resolved `$ref` becomes a relative file path (`../enums/entity_status.json#/$defs/X`) to the
  prepared copy of its target, wherever the original pointed (`$id` URLs, mapped remote URIs);
  refs nobody can resolve, and refs to metaschemas, are dropped (the value is then unconstrained);
- `$id`s go, so nothing can send datamodel-codegen to the network;
- the root `title` becomes the module's class name (a safe one where the title makes none);
- a `default` on a property the schema (or an `allOf` base) requires moves to a private key that
  comes out as `json_schema_extra={"default": ...}`: pydantic treats a default as "not required",
  JSON Schema treats it as an annotation, and the model must still reject a missing field;
- scalar refinements (`{"allOf": [{"$ref": "PositiveInteger"}], "maximum": 5}`) are merged into
  one set of bounds (see `scalars`);
- a property that narrows an inherited one (`{"const": "bond"}`, `{"required": [...]}`, a smaller
  `enum`) is tied to what it narrows, so the inherited type is imported, not copied.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from schemagen.load import SchemaDocument
from schemagen.pygen.codegen import REQUIRED_DEFAULT_KEY, ModulePath
from schemagen.pygen.scalars import flattened
from schemagen.resolve import Reference
from schemagen.sourcemap import join_pointer, resolve_pointer, unescape_pointer_token
from schemagen.walk import DRAFT4

_ALLOF_MEMBER = re.compile(r"^(.*)/allOf/\d+$")
_PROPERTY = re.compile(r"^(.*)/properties/([^/]+)$")
_FRAGMENT_SAFE = "/~!$&'()*+,;=:@-._"


@dataclass(frozen=True)
class RefIndex:
    """Resolved references by the schema object holding them: (file path, pointer) -> reference."""

    by_holder: Mapping[tuple[str, str], Reference]
    documents: Mapping[str, SchemaDocument]

    @classmethod
    def build(
        cls, references: Sequence[Reference], documents: Sequence[SchemaDocument]
    ) -> RefIndex:
        holders = {(str(r.site.document.path), r.site.schema_pointer): r for r in references}
        return cls(holders, {d.relpath: d for d in documents})

    def target(self, document: SchemaDocument, pointer: str) -> tuple[SchemaDocument, str] | None:
        reference = self.by_holder.get((str(document.path), pointer))
        if reference is None or reference.target is None or reference.target.document is None:
            return None
        return reference.target.document, reference.target.pointer


def plain_copy(contents: Mapping[str, Any]) -> dict[str, Any]:
    """A deep, JSON-only copy (YAML dates and the like become strings)."""
    copied: dict[str, Any] = json.loads(json.dumps(contents, default=str))
    return copied


def _ref_to(
    target: SchemaDocument, pointer: str, source: SchemaDocument, modules: Mapping[str, ModulePath]
) -> str | None:
    """The ref from `source`'s prepared copy to `pointer` in `target`'s prepared copy."""
    fragment = f"#{quote(pointer, safe=_FRAGMENT_SAFE)}" if pointer else ""
    if target.path == source.path:
        return fragment or "#"
    parts, here = modules.get(target.relpath), modules.get(source.relpath)
    if parts is None or here is None:
        return None
    relative = posixpath.relpath(
        "/".join(parts) + ".json", posixpath.dirname("/".join(here)) or "."
    )
    return relative + fragment


def _rewritten_ref(reference: Reference, modules: Mapping[str, ModulePath]) -> str | None:
    target = reference.target
    if target is None or target.document is None or target.metaschema:
        return None
    return _ref_to(target.document, target.pointer, reference.site.document, modules)


def _strip_ids(document: SchemaDocument, data: dict[str, Any]) -> set[str]:
    """Drop every `$id` (and nested `$schema`); return the pointers of schema objects."""
    id_key = "id" if document.dialect == DRAFT4 else "$id"
    pointers: set[str] = set()
    for node in document.nodes:
        holder = resolve_pointer(data, node.pointer)
        if not isinstance(holder, MutableMapping):
            continue
        pointers.add(node.pointer)
        if isinstance(holder.get(id_key), str):
            del holder[id_key]
        if node.pointer:
            holder.pop("$schema", None)
    return pointers


def _rewrite_refs(
    document: SchemaDocument,
    data: dict[str, Any],
    references: Sequence[Reference],
    modules: Mapping[str, ModulePath],
    schema_pointers: set[str],
) -> None:
    rewritten: set[str] = set()
    for reference in references:
        holder = resolve_pointer(data, reference.site.schema_pointer)
        keyword = reference.site.pointer.rsplit("/", 1)[-1]
        if not isinstance(holder, MutableMapping):
            continue
        holder.pop(keyword, None)
        new = _rewritten_ref(reference, modules)
        if new is not None:
            holder["$ref"] = new
        rewritten.add(reference.site.schema_pointer)
    for pointer in (
        schema_pointers - rewritten
    ):  # refs the corpus did not resolve (remote documents)
        holder = resolve_pointer(data, pointer)
        for keyword in ("$ref", "$dynamicRef"):
            value = holder.get(keyword)
            if isinstance(value, str) and (keyword == "$dynamicRef" or not value.startswith("#")):
                del holder[keyword]


def _required_of(
    document: SchemaDocument, pointer: str, refs: RefIndex, seen: set[tuple[str, str]]
) -> set[str]:
    key = (str(document.path), pointer)
    if key in seen:
        return set()
    seen.add(key)
    try:
        schema = resolve_pointer(document.contents, pointer)
    except LookupError:
        return set()
    if not isinstance(schema, Mapping):
        return set()
    required = schema.get("required")
    names = {n for n in required if isinstance(n, str)} if isinstance(required, list) else set()
    members = schema.get("allOf")
    if isinstance(members, list):
        for index in range(len(members)):
            names |= _required_of(document, join_pointer(pointer, "allOf", index), refs, seen)
    target = refs.target(document, pointer)
    if target is not None:
        names |= _required_of(target[0], target[1], refs, seen)
    return names


def _required_in_context(document: SchemaDocument, pointer: str, refs: RefIndex) -> set[str]:
    """The property names a schema object's instance must have: its own, its allOf bases', and
    (for an allOf member) those of the schema it is part of."""
    seen: set[tuple[str, str]] = set()
    names = _required_of(document, pointer, refs, seen)
    while match := _ALLOF_MEMBER.match(pointer):
        pointer = match.group(1)
        names |= _required_of(document, pointer, refs, seen)
    return names


def _move_required_defaults(
    document: SchemaDocument, data: dict[str, Any], schema_pointers: set[str], refs: RefIndex
) -> None:
    for pointer, holder in _holders(data, schema_pointers):
        properties = holder.get("properties")
        if not isinstance(properties, MutableMapping):
            continue
        with_defaults = [
            n for n, s in properties.items() if isinstance(s, MutableMapping) and "default" in s
        ]
        if not with_defaults:
            continue
        required = _required_in_context(document, pointer, refs)
        for name in with_defaults:
            if name in required:
                properties[name][REQUIRED_DEFAULT_KEY] = properties[name].pop("default")


def _holders(
    data: dict[str, Any], pointers: set[str]
) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
    """The schema objects still present in the prepared copy (flattening removes some), in order."""
    for pointer in sorted(pointers):
        try:
            holder = resolve_pointer(data, pointer)
        except LookupError:
            continue
        if isinstance(holder, MutableMapping):
            yield pointer, holder


def _flatten_refinements(
    document: SchemaDocument, data: dict[str, Any], schema_pointers: set[str], refs: RefIndex
) -> None:
    for pointer, holder in _holders(data, schema_pointers):
        if not ("$ref" in holder or "allOf" in holder):
            continue
        merged = flattened(document, pointer, refs, holder)
        if merged is not None:
            holder.clear()
            holder.update(merged)


def _bases(
    document: SchemaDocument, pointer: str, refs: RefIndex, seen: set[tuple[str, str]]
) -> list[tuple[SchemaDocument, str]]:
    """What a schema object at `pointer` inherits from: its `allOf` refs, its allOf siblings' refs,
    and, for a property that overrides an inherited one, the schema it overrides."""
    holders: list[str] = []
    schema = resolve_pointer(document.contents, pointer)
    if isinstance(schema, Mapping) and isinstance(schema.get("allOf"), list):
        holders.extend(join_pointer(pointer, "allOf", i) for i in range(len(schema["allOf"])))
    if match := _ALLOF_MEMBER.match(pointer):
        parent = resolve_pointer(document.contents, match.group(1))
        holders.extend(
            join_pointer(match.group(1), "allOf", i) for i in range(len(parent["allOf"]))
        )
    found = [
        refs.target(document, holder) or (document, holder)
        for holder in holders
        if holder != pointer
    ]
    if match := _PROPERTY.match(pointer):
        overridden = _inherited(
            document, match.group(1), unescape_pointer_token(match.group(2)), refs, seen
        )
        if overridden is not None:
            found.append(refs.target(*overridden) or overridden)
    return [target for target in found if target is not None]


def _inherited(
    document: SchemaDocument, pointer: str, name: str, refs: RefIndex, seen: set[tuple[str, str]]
) -> tuple[SchemaDocument, str] | None:
    """Where a base defines the property `name` that a schema object at `pointer` overrides."""
    for base, base_pointer in _bases(document, pointer, refs, seen):
        key = (str(base.path), base_pointer)
        if key in seen:
            continue
        seen.add(key)
        schema = resolve_pointer(base.contents, base_pointer)
        properties = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(properties, Mapping) and isinstance(properties.get(name), Mapping):
            return base, join_pointer(base_pointer, "properties", name)
        deeper = _inherited(base, base_pointer, name, refs, seen)
        if deeper is not None:
            return deeper
    return None


def overridden(
    document: SchemaDocument, pointer: str, refs: RefIndex
) -> tuple[SchemaDocument, str] | None:
    """The inherited schema that the schema object at `pointer` overrides (a property of an allOf
    member that a base defines too, or the `items` of such a property): the target of the
    inherited schema's `$ref`, or the inherited schema itself."""
    found: tuple[SchemaDocument, str] | None = None
    if match := _PROPERTY.match(pointer):
        found = _inherited(
            document, match.group(1), unescape_pointer_token(match.group(2)), refs, set()
        )
    elif pointer.endswith("/items"):
        outer = overridden(document, pointer[: -len("/items")], refs)
        if outer is not None:
            schema = resolve_pointer(outer[0].contents, outer[1])
            if isinstance(schema, Mapping) and isinstance(schema.get("items"), Mapping):
                found = outer[0], join_pointer(outer[1], "items")
    if found is None:
        return None
    return refs.target(*found) or found


def _narrows(override: Mapping[str, Any]) -> bool:
    if "$ref" in override or "allOf" in override:
        return False
    if "const" in override or "enum" in override:
        return True
    return ("properties" in override or "required" in override) and override.get(
        "type", "object"
    ) == "object"


def narrowed_schemas(document: SchemaDocument, refs: RefIndex) -> set[tuple[str, str]]:
    """(file, pointer) of each inherited schema in another file that `document`'s properties
    narrow (see below). Each becomes a class in that file's module, which `document` imports."""
    found: set[tuple[str, str]] = set()
    nodes = document.nodes
    if not any("allOf" in node.schema for node in nodes):
        return found  # nothing inherited, nothing overridden
    for node in nodes:
        if node.pointer and _narrows(node.schema):
            target = overridden(document, node.pointer, refs)
            if target is not None and target[0].path != document.path:
                found.add((target[0].relpath, target[1]))
    return found


def _pin_inherited_refs(
    document: SchemaDocument,
    data: dict[str, Any],
    schema_pointers: set[str],
    refs: RefIndex,
    modules: Mapping[str, ModulePath],
) -> None:
    """A schema that narrows an inherited one refers to what it narrows: `{"const": "bond"}`
    overriding an inherited `{"$ref": "EntityType"}` becomes `{"allOf": [{"$ref": "EntityType"}],
    "const": "bond"}`, and `{"required": ["universal"]}` overriding `{"$ref": "PhysicsState"}`
    becomes a subclass of PhysicsState (the same for the `items` of an overriding array). The same
    constraints; and datamodel-codegen, which otherwise copies the inherited schema into the
    overriding module (and loses the narrowing), imports it instead. An `enum` that narrows an
    inherited enum becomes an `anyOf` of consts: a new enum of just those members (given as an
    `enum`, datamodel-codegen would append them to the inherited members)."""
    for pointer, holder in _holders(data, schema_pointers):
        if not pointer or not _narrows(holder):
            continue
        target = overridden(document, pointer, refs)
        if target is None:
            continue
        if isinstance(holder.get("enum"), list) and "const" not in holder:
            inherited = resolve_pointer(target[0].contents, target[1])
            if (
                isinstance(inherited, Mapping) and "enum" in inherited
            ):  # it would append the members
                holder["anyOf"] = [{"const": value} for value in holder.pop("enum")]
            continue
        if target[0].path == document.path:
            continue  # inherited within the file: one module either way (and no cycles of refs)
        new = _ref_to(target[0], target[1], document, modules)
        if new is not None:
            holder["allOf"] = [{"$ref": new}]


def prepare(
    document: SchemaDocument,
    *,
    class_name: str,
    references: Sequence[Reference],
    modules: Mapping[str, ModulePath],
    refs: RefIndex,
) -> dict[str, Any]:
    """The prepared copy of `document` (its own refs are `references`)."""
    data = plain_copy(document.contents)
    schema_pointers = _strip_ids(document, data)
    _rewrite_refs(document, data, references, modules, schema_pointers)
    _flatten_refinements(document, data, schema_pointers, refs)
    _move_required_defaults(document, data, schema_pointers, refs)
    _pin_inherited_refs(document, data, schema_pointers, refs, modules)
    data["title"] = class_name
    if document.dialect:
        data["$schema"] = document.dialect
    return data


def _file_refs(prepared: Any) -> Iterator[str]:
    stack: list[Any] = [prepared]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                yield ref
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def referenced_modules(prepared: Mapping[str, Any], here: ModulePath) -> set[ModulePath]:
    """The modules a prepared document's refs (ours, relative file paths) point to."""
    found: set[ModulePath] = set()
    directory = posixpath.dirname("/".join(here))
    for ref in _file_refs(prepared):
        path = posixpath.normpath(posixpath.join(directory, ref.split("#", 1)[0]))
        if path.endswith(".json") and not path.startswith(".."):
            found.add(tuple(path[: -len(".json")].split("/")))
    return found


def without_file_refs(prepared: Mapping[str, Any]) -> dict[str, Any]:
    """A prepared document with every ref to another file dropped (refs inside it stay)."""
    copied = plain_copy(prepared)
    stack: list[Any] = [copied]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                del node["$ref"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return copied


def stub(document: SchemaDocument, class_name: str) -> dict[str, Any]:
    """What stands in for a schema datamodel-codegen cannot handle: anything, same name."""
    return (
        {"$schema": document.dialect, "title": class_name}
        if document.dialect
        else {"title": class_name}
    )
