"""magic-numbers/*: every number in a physics or configuration scope has a name and a source."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from typing import Any

from schemagen.diagnostics import Location, Severity
from schemagen.govern.context import RuleContext
from schemagen.govern.model import Finding, Note, Rule, Stage
from schemagen.govern.settings import matches_any
from schemagen.load import SchemaDocument
from schemagen.sourcemap import join_pointer

Found = Iterator[Finding | Note]

NUMERIC_KEYWORDS = (
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "const",
    "enum",
)
STRUCTURAL_ARGUMENTS = frozenset(
    {"min_length", "max_length", "min_items", "max_items", "min_properties", "max_properties"}
)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _allowed(context: RuleContext, value: float) -> bool:
    return float(value) in context.settings.allowed_numbers


def _unnamed(
    context: RuleContext,
    document: SchemaDocument,
    pointer: str,
    keyword: str,
    value: Any,
    spec: Any,
) -> Found:
    if is_number(value):
        if _allowed(context, value) or isinstance(spec, str):
            return
        same = sorted(c.name for c in context.constants.constants.values() if c.value == value)
        hint = (
            f'name it: "x-constant": {{"{keyword}": "{same[0]}"}}'
            if same
            else "add a named constant to the constants files and name it with x-constant"
        )
        yield Finding(f"unnamed number {value!r} in {keyword}", document.locate(pointer), hint)
    elif isinstance(value, list):
        specs = spec if isinstance(spec, list) else []
        for index, item in enumerate(value):
            item_spec = (
                specs[index] if index < len(specs) and not isinstance(item, list | dict) else None
            )
            yield from _unnamed(
                context, document, join_pointer(pointer, index), keyword, item, item_spec
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _unnamed(context, document, join_pointer(pointer, key), keyword, item, None)


def check_unnamed_literal(context: RuleContext) -> Found:
    scopes = context.settings.magic_number_scopes
    if not context.constants.files:
        yield Note(
            "magic-numbers: no constants files (set constants in [tool.schemagen], "
            "or add governance/constants/*.yaml)"
        )
    for document in context.corpus.documents:
        if not matches_any(document.relpath, scopes):
            continue
        for node in context.facts.nodes(document):
            names = node.schema.get("x-constant")
            names = names if isinstance(names, Mapping) else {}
            for keyword in NUMERIC_KEYWORDS:
                if keyword in node.schema:
                    yield from _unnamed(
                        context,
                        document,
                        join_pointer(node.pointer, keyword),
                        keyword,
                        node.schema[keyword],
                        names.get(keyword),
                    )


def _compare(
    context: RuleContext,
    document: SchemaDocument,
    pointer: str,
    keyword: str,
    value: Any,
    name: str,
) -> Found:
    constant = context.constants.constants.get(name)
    where = document.locate(pointer)
    if constant is None:
        known = ", ".join(context.constants.files) or "no constants files are configured"
        yield Finding(
            f"x-constant names {name!r}, which no constants file defines", where, f"see {known}"
        )
    elif not is_number(value):
        yield Finding(
            f"x-constant names {name} for {keyword}, whose value {value!r} is no number", where
        )
    elif float(value) != float(constant.value):
        yield Finding(
            f"{keyword} is {value!r} but x-constant names {name} = {constant.value!r}",
            where,
            f"make the literal {constant.value!r} (defined at {constant.location})",
        )


def check_constant_mismatch(context: RuleContext) -> Found:
    for document in context.corpus.documents:
        for node in context.facts.nodes(document):
            if "x-constant" not in node.schema:
                continue
            names = node.schema["x-constant"]
            base = join_pointer(node.pointer, "x-constant")
            if not isinstance(names, Mapping):
                yield Finding(
                    "x-constant must be an object from keyword to constant name",
                    document.locate(base),
                    '"x-constant": {"default": "BOND_DAMPING_DEFAULT"}',
                )
                continue
            for keyword, spec in names.items():
                pointer = join_pointer(base, keyword)
                if keyword not in node.schema:
                    yield Finding(
                        f"x-constant names {keyword!r}, but this schema has no {keyword}",
                        document.locate(pointer),
                    )
                    continue
                value = node.schema[keyword]
                if isinstance(spec, str):
                    yield from _compare(context, document, pointer, keyword, value, spec)
                elif isinstance(spec, list) and isinstance(value, list):
                    for index, item in enumerate(spec):
                        if item is None:
                            continue
                        item_pointer = join_pointer(pointer, index)
                        if not isinstance(item, str) or index >= len(value):
                            yield Finding(
                                f"x-constant {keyword}[{index}] names nothing in {keyword}",
                                document.locate(item_pointer),
                            )
                            continue
                        yield from _compare(
                            context, document, item_pointer, keyword, value[index], item
                        )
                else:
                    yield Finding(
                        f"x-constant {keyword} must be a constant name"
                        + (" (or a list of names for a list)" if isinstance(value, list) else ""),
                        document.locate(pointer),
                    )


def check_constants_file(context: RuleContext) -> Found:
    yield from context.constants.problems


def _numeric_constants(tree: ast.Module) -> Iterator[tuple[Any, ast.expr]]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in STRUCTURAL_ARGUMENTS:
            skip.update(id(n) for n in ast.walk(node.value))
        elif (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub | ast.UAdd)
            and isinstance(node.operand, ast.Constant)
            and is_number(node.operand.value)
        ):
            skip.add(id(node.operand))
            if id(node) not in skip:
                value: Any = node.operand.value
                yield (-value if isinstance(node.op, ast.USub) else value), node
        elif isinstance(node, ast.Constant) and is_number(node.value) and id(node) not in skip:
            yield node.value, node


def check_generated_literal(context: RuleContext) -> Found:
    note = context.no_output_note()
    if note is not None:
        yield Note(note)
        return
    known = context.facts.numbers | {float(c.value) for c in context.constants.constants.values()}
    for source in context.generated_python:
        if source.tree is None:
            yield Note(f"magic-numbers/generated-literal: {source.display} {source.error}")
            continue
        for value, node in _numeric_constants(source.tree):
            if isinstance(value, complex) or float(value) in known or _allowed(context, value):
                continue
            yield Finding(
                f"number {value!r} in generated code comes from no schema",
                Location(source.display, node.lineno, node.col_offset + 1),
                "the generator must take every number from the schemas; fix the generator "
                "or the template, never the generated file",
            )


RULES = (
    Rule(
        "magic-numbers/unnamed-literal",
        Severity.ERROR,
        "A number in a physics or configuration schema has no x-constant name.",
        """In the configured scopes (magic_number_scopes; default components/physics/**, laws/**,
infrastructure/** under the schemas root), every number in default, minimum, maximum,
exclusiveMinimum, exclusiveMaximum, multipleOf, const and enum must be named with x-constant,
pointing at a constant in the constants files. The literal stays (validators and generated
models see it); the name says where it comes from. The allowed numbers (allowed_numbers; default
0 and 1) and structural sizes (minItems, maxLength, ...) need no name. In an enum or a list
default, x-constant holds a list of names by position (null for entries that need none).

Example (fires), in components/physics/DampingProfile.schema.json:
    "damping": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.85}
Fix, with BOND_DAMPING_DEFAULT: {value: 0.85, ...} in governance/constants/physics.yaml:
    "damping": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.85,
                "x-constant": {"default": "BOND_DAMPING_DEFAULT"}}""",
        Stage.CORPUS,
        check_unnamed_literal,
    ),
    Rule(
        "magic-numbers/constant-mismatch",
        Severity.ERROR,
        "x-constant names an unknown constant, or one whose value differs from the literal.",
        """x-constant maps a numeric keyword of the same schema object to a constant's name. The
constant must exist in the constants files and its value must equal the literal; the keyword
must exist. Checked in every schema, in scope or not.

Example (fires), with BOND_DAMPING_DEFAULT = 0.85:
    "default": 0.8, "x-constant": {"default": "BOND_DAMPING_DEFAULT"}
Fix: "default": 0.85 (or change the constant, if the physics changed).""",
        Stage.CORPUS,
        check_constant_mismatch,
    ),
    Rule(
        "magic-numbers/constants-file",
        Severity.ERROR,
        "A constants file does not parse, is invalid, or defines a name twice.",
        """Constants files (constants in [tool.schemagen]; default governance/constants/*.yaml) are
valid against src/schemagen/schemas/constants.schema.json: an object `constants` from
UPPER_SNAKE names to {value, unit, description}. A name is defined once across all files.

Example (fires):
    constants:
      bond_damping: {value: 0.85}
Fix:
    constants:
      BOND_DAMPING_DEFAULT: {value: 0.85, unit: "1", description: Default bond damping.}""",
        Stage.CORPUS,
        check_constants_file,
    ),
    Rule(
        "magic-numbers/generated-literal",
        Severity.ERROR,
        "A number in generated Python code traces back to no schema value.",
        """Generated models must take every number from the schemas. A numeric literal in
generated/python/** that appears nowhere in the corpus (nor among the named constants) was
invented by the generator or typed in by hand. 0, 1, the allowed numbers and structural sizes
(min_length, max_items, ...) are ignored.

Example (fires), with no 0.9 anywhere in the schemas:
    damping: float = Field(0.9, ge=0, le=1)
Fix: regenerate (`schemagen generate`); if it persists, fix the generator.""",
        Stage.GENERATED,
        check_generated_literal,
    ),
)
