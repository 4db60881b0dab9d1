"""physics-state/*: cognitive entities carry a universal physics state; system entities none."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from schemagen.diagnostics import Severity
from schemagen.govern.context import Part, RuleContext
from schemagen.govern.model import Finding, Note, Rule, Stage
from schemagen.load import SchemaDocument
from schemagen.sourcemap import join_pointer

Found = Iterator[Finding | Note]


def _required(parts: list[Part]) -> set[str]:
    names: set[str] = set()
    for part in parts:
        required = part.schema.get("required")
        if isinstance(required, list):
            names.update(r for r in required if isinstance(r, str))
    return names


def _property(context: RuleContext, parts: list[Part], name: str) -> list[Part]:
    """The effective parts of property `name` across `parts`."""
    found: list[Part] = []
    for part in parts:
        properties = part.schema.get("properties")
        if isinstance(properties, Mapping) and name in properties:
            pointer = join_pointer(part.pointer, "properties", name)
            found.extend(context.facts.parts(part.document, pointer))
    return found


def _where(entity: SchemaDocument, parts: list[Part]) -> Part | None:
    """The part to point at: the first in the entity's own file, else the first."""
    own = [p for p in parts if p.document.path == entity.path]
    candidates = own or parts
    return candidates[0] if candidates else None


def check_missing(context: RuleContext) -> Found:
    facts = context.facts
    settings = context.settings
    base = facts.identify(settings.cognitive_base)
    if base is None:
        yield Note(
            f"physics-state: no schema is {settings.cognitive_base}; no cognitive entities found"
        )
        return
    universal = facts.identify(settings.universal_state)
    if universal is None:
        yield Note(
            f"physics-state: no schema is {settings.universal_state}; `universal` not resolved"
        )
    concrete = sorted(
        (facts.by_path[p] for p in facts.descendants(base) if not facts.extended_by.get(p)),
        key=lambda d: d.relpath,
    )
    for entity in concrete:
        parts = list(facts.parts(entity))
        root = entity.locate("")
        if "physics_state" not in _required(parts):
            yield Finding(
                f"cognitive entity (extends {base.display}) does not require physics_state",
                root,
                "require physics_state (BaseCognitiveEntity does; do not break the allOf chain)",
            )
            continue
        state = _property(context, parts, "physics_state")
        if not state:
            yield Finding("physics_state is required but has no schema", root)
            continue
        here = _where(entity, state)
        location = (
            here.document.locate(here.pointer)
            if here and here.document.path == entity.path
            else root
        )
        if "universal" not in _required(state):
            yield Finding(
                f"physics_state of this cognitive entity does not require universal "
                f"(defined at {here.document.display if here else '?'})",
                location,
                f'physics_state must require universal: {{"$ref": "...{settings.universal_state}'
                '.schema.json"}',
            )
            continue
        if universal is None:
            continue
        targets = _property(context, state, "universal")
        if not any(p.document.path == universal.path and p.pointer == "" for p in targets):
            yield Finding(
                f"physics_state.universal does not resolve to {universal.display}",
                location,
                f"make universal a $ref to {universal.relpath}",
            )


def check_on_system_entity(context: RuleContext) -> Found:
    facts = context.facts
    base = facts.identify(context.settings.system_base)
    if base is None:
        yield Note(
            f"physics-state: no schema is {context.settings.system_base}; no system entities found"
        )
        return
    seen: set[tuple[str, str]] = set()
    for path in sorted({base.path, *facts.descendants(base)}):
        entity = facts.by_path[path]
        for part in facts.parts(entity):
            properties = part.schema.get("properties")
            required = part.schema.get("required")
            pointer = None
            if isinstance(properties, Mapping) and "physics_state" in properties:
                pointer = join_pointer(part.pointer, "properties", "physics_state")
            elif isinstance(required, list) and "physics_state" in required:
                pointer = join_pointer(part.pointer, "required", required.index("physics_state"))
            if pointer is None or (part.document.display, pointer) in seen:
                continue
            seen.add((part.document.display, pointer))
            yield Finding(
                f"system entity {entity.display} carries physics_state",
                part.document.locate(pointer),
                "system entities live outside the physics simulation; remove physics_state",
            )


RULES = (
    Rule(
        "physics-state/missing",
        Severity.ERROR,
        "A cognitive entity lacks a required physics_state with a required universal state.",
        """A cognitive entity is any concrete schema (one that no other schema extends) that
extends BaseCognitiveEntity (cognitive_base, matched by title or file stem) through a root $ref
or root allOf, however indirectly and wherever its file lives. Through everything it inherits,
it must require physics_state, and physics_state must require universal, a $ref to
UniversalPhysicsState (universal_state).

Example (fires): entities/cognitive/Bond.schema.json extends BaseCognitiveEntity, whose
CognitivePhysicsState has
    "properties": {"universal": {"$ref": "./EnergyState.schema.json"}}, "required": ["universal"]
Fix:
    "properties": {"universal": {"$ref": "./UniversalPhysicsState.schema.json"}}""",
        Stage.GRAPH,
        check_missing,
    ),
    Rule(
        "physics-state/on-system-entity",
        Severity.ERROR,
        "A system entity carries a physics_state.",
        """System entities (BaseSystemEntity, system_base, and everything extending it) are managed
outside the physics simulation and must neither define nor require physics_state, in their own
file or in anything they inherit.

Example (fires), in entities/system/Tenant.schema.json:
    "allOf": [{"$ref": "../../base/BaseSystemEntity.schema.json"},
              {"properties": {"physics_state": {"type": "object"}}}]
Fix: remove physics_state; if the entity lives in the simulation, extend BaseCognitiveEntity.""",
        Stage.GRAPH,
        check_on_system_entity,
    ),
)
