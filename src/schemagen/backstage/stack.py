"""The stack page: the configuration schema of the service template's stack, inlined for the form.

A stack is a schema that describes the configuration of the services one service template
scaffolds (`schemas/infrastructure/*Stack.schema.json` in the Familiar corpus). For each service
template the stack is named in `[tool.schemagen.backstage.stacks]` or, failing that, is the first
schema under `infrastructure/` whose own x-infrastructure names that service template. Its
properties that x-infrastructure does not already cover (endpoints, engine, timeouts, ...) become
one more form page, with the stack's types, fixed sets (enums) and defaults. react-jsonschema-form
cannot follow `$ref`s into other files, so they are inlined; every schema reached that way is a
source of the template and its parameter block.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemagen.backstage.infra import KEYWORD, infrastructure_schema, ref_target
from schemagen.backstage.settings import BackstageSettings
from schemagen.config import ConfigError
from schemagen.load import SchemaDocument
from schemagen.resolve import Corpus

STACK_FIELD = "stack"
STACK_FOLDER = "infrastructure/"
_MAX_DEPTH = 24
# Draft-07 keywords the form keeps; everything else ($id, $defs, x-*, 2020-12-only keywords) goes.
_KEEP = frozenset(
    {
        "type", "enum", "const", "default", "title", "description", "pattern", "format",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "items",
        "properties", "required", "additionalProperties", "minProperties", "maxProperties",
        "oneOf", "anyOf", "allOf",
    }
)  # fmt: skip
_SCHEMA_LISTS = ("oneOf", "anyOf", "allOf")


@dataclass(frozen=True)
class StackForm:
    """The stack page's one object field, and the schemas it was built from."""

    relpath: str
    field: Mapping[str, Any]
    dependencies: tuple[str, ...]


def find_stacks(corpus: Corpus, settings: BackstageSettings) -> dict[str, SchemaDocument]:
    """service_template -> stack document: configured ones first, then discovered ones.

    A configured stack that is not in the corpus is a ConfigError (the command exits 2).
    """
    stacks: dict[str, SchemaDocument] = {}
    for template, relpath in settings.stacks.items():
        document = next((d for d in corpus.documents if d.relpath == relpath), None)
        if document is None:
            raise ConfigError(
                f"[tool.schemagen.backstage.stacks] {template} = {relpath!r}: no such schema "
                f"under {corpus.config.display(corpus.root)}/"
            )
        stacks[template] = document
    for document in corpus.documents:
        infra = document.contents.get(KEYWORD)
        if document.relpath.startswith(STACK_FOLDER) and isinstance(infra, Mapping):
            named = infra.get("service_template")
            if isinstance(named, str):
                stacks.setdefault(named, document)
    return stacks


def stack_form(corpus: Corpus, document: SchemaDocument) -> StackForm | None:
    """The stack page's field for `document`, or None when it adds nothing to x-infrastructure."""
    properties = document.contents.get("properties")
    if not isinstance(properties, Mapping):
        return None
    covered = set(infrastructure_schema()["properties"])
    reached: set[str] = {document.relpath}
    members = {
        name: titled(name, schema, inline(corpus, document, schema, reached, 0))
        for name, schema in properties.items()
        if name not in covered and not name.startswith("$") and isinstance(schema, Mapping)
    }
    if not members:
        return None
    required = document.contents.get("required", [])
    title = document.title if document.title and document.title.strip() else "Stack"
    field: dict[str, Any] = {"title": title, "type": "object"}
    description = document.contents.get("description")
    if isinstance(description, str):
        field["description"] = description
    wanted = [r for r in required if r in members] if isinstance(required, list) else []
    if wanted:
        field["required"] = wanted
    field["properties"] = members
    return StackForm(document.relpath, field, tuple(sorted(reached)))


def titled(name: str, schema: Any, inlined: Any) -> Any:
    """A property's form label: its own title, else its name in words (not its $ref's title)."""
    if not isinstance(inlined, dict):
        return inlined
    own = schema.get("title") if isinstance(schema, Mapping) else None
    label = own if isinstance(own, str) else name.replace("_", " ").capitalize()
    return {"title": label, **{k: v for k, v in inlined.items() if k != "title"}}


def inline(
    corpus: Corpus, document: SchemaDocument, schema: Any, reached: set[str], depth: int
) -> Any:
    """`schema` with its `$ref`s replaced by what they point to, in draft-07 keywords only."""
    if isinstance(schema, bool) or not isinstance(schema, Mapping):
        return schema if isinstance(schema, bool) else {}
    out: dict[str, Any] = {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and depth < _MAX_DEPTH:
        found = ref_target(corpus, document, ref)
        if found is not None:
            target, _, value = found
            reached.add(target.relpath)
            out.update(inline(corpus, target, value, reached, depth + 1))
    for key, value in schema.items():
        if key not in _KEEP:
            continue
        if key == "properties" and isinstance(value, Mapping):
            out[key] = {
                name: titled(name, sub, inline(corpus, document, sub, reached, depth + 1))
                for name, sub in value.items()
                if not name.startswith("$")
            }
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            out[key] = inline(corpus, document, value, reached, depth + 1)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [inline(corpus, document, sub, reached, depth + 1) for sub in value]
        else:
            out[key] = value
    return out
