"""Validate stage: everything that can be wrong with a compiled corpus, as located diagnostics.

`validate_corpus` adds to what loading and resolving found (syntax, dialects, refs, duplicate
`$id`s, already in `corpus.diagnostics`):

- `schema/metaschema`: each document against its dialect's metaschema, at the offending value;
- `schema/invalid-example`, `schema/invalid-default`: `examples` and `default` against the
  (sub)schema they sit on, resolving `$ref`s through the corpus registry;
- `schema/invalid-pattern`: `pattern` values and `patternProperties` keys that are not ECMA-262
  regular expressions (checked with Python `re` after a small translation, see `regex_problem`);
- `infrastructure/invalid`: `x-infrastructure` blocks against the schema shipped with schemagen.

The walk over subschemas is iterative and never follows `$ref`, so cycles cannot hang it.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema_specifications
import referencing.exceptions
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from schemagen.assemble import Resolution, bundle_document
from schemagen.diagnostics import Diagnostic, Severity, sort_diagnostics
from schemagen.load import KNOWN_DIALECTS, SchemaDocument
from schemagen.resolve import Corpus
from schemagen.sourcemap import join_pointer
from schemagen.walk import SchemaNode

MAX_MESSAGE = 240
"""Messages quote offending values; a whole schema quoted back is noise, not help."""

INFRASTRUCTURE_KEYWORD = "x-infrastructure"


# --- regular expressions ----------------------------------------------------------------------


@dataclass(frozen=True)
class RegexProblem:
    severity: Severity
    message: str


_PROPERTY_NAME = re.compile(r"[A-Za-z_]+(=[A-Za-z_]+)?")
_QUANTIFIER_BRACE = re.compile(r"\{\d+(,\d*)?\}")
_GROUP_NAME = re.compile(r"<([A-Za-z_$][A-Za-z0-9_$]*)>")
# Escapes that mean the same in ECMA-262 and Python `re` and that Python accepts as written.
_SHARED_ESCAPES = frozenset("dDwWsSbBfnrtv0")
# ECMA-262 modifiers (ES2025) `(?ims-ims:...)`, which Python also understands.
_MODIFIERS = re.compile(r"\(\?[ims]*(-[ims]+)?:")


class _Translation:
    """ECMA-262 pattern -> Python pattern with the same syntax errors, plus non-ECMA findings.

    Only what decides *whether a pattern compiles* is translated: Unicode property escapes
    become `\\w`, named groups and backreferences take Python's spelling, `[^]` and `[]` their
    Python equivalents, identity escapes of letters become the letter (ECMA-262 without the
    `u` flag). Python-only syntax (inline flags, `(?P...)`, atomic groups, possessive
    quantifiers) is an error, because an ECMA-262 engine (ajv, browsers) rejects it.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.out: list[str] = []
        self.problems: list[RegexProblem] = []
        self.index = 0
        self.in_class = False
        self.after_quantifier = False

    def error(self, message: str) -> None:
        self.problems.append(RegexProblem(Severity.ERROR, message))

    def run(self) -> str:
        pattern = self.pattern
        while self.index < len(pattern):
            char = pattern[self.index]
            quantifier = False
            if char == "\\":
                self.escape()
            elif self.in_class:
                self.out.append("\\[" if char == "[" else char)  # '[' is literal in an ECMA class
                self.in_class = char != "]"
                self.index += 1
            elif char == "[":
                self.open_class()
            elif char == "(":
                self.open_group()
            elif char in "*+?" or (char == "{" and _QUANTIFIER_BRACE.match(pattern, self.index)):
                quantifier = self.quantifier(char)
            else:
                self.out.append(char)
                self.index += 1
            self.after_quantifier = quantifier
        return "".join(self.out)

    def quantifier(self, char: str) -> bool:
        if self.after_quantifier and char == "+":
            self.error("possessive quantifier ('*+', '++', ...) is Python syntax, not ECMA-262")
        if char == "{":
            match = _QUANTIFIER_BRACE.match(self.pattern, self.index)
            assert match is not None
            self.out.append(match.group())
            self.index = match.end()
        else:
            self.out.append(char)
            self.index += 1
        if self.pattern.startswith("?", self.index):
            self.out.append("?")  # lazy
            self.index += 1
        return True

    def open_class(self) -> None:
        rest = self.pattern[self.index :]
        if rest.startswith("[^]"):
            self.out.append(r"[\s\S]")  # ECMA: any character
            self.index += 3
        elif rest.startswith("[]"):
            self.out.append("(?!)")  # ECMA: matches nothing (Python would read ']' as a member)
            self.index += 2
        else:
            self.in_class = True
            self.out.append("[^" if rest.startswith("[^") else "[")
            self.index += 2 if rest.startswith("[^") else 1

    def open_group(self) -> None:
        rest = self.pattern[self.index :]
        if not rest.startswith("(?"):
            self.out.append("(")
            self.index += 1
            return
        for plain in ("(?:", "(?=", "(?!", "(?<=", "(?<!"):
            if rest.startswith(plain):
                self.out.append(plain)
                self.index += len(plain)
                return
        named = _GROUP_NAME.match(rest, 2)
        if named:
            self.out.append(f"(?P<{named.group(1).replace('$', '_')}>")
            self.index += named.end()
            return
        modifiers = _MODIFIERS.match(rest)
        if modifiers:
            self.out.append(modifiers.group())
            self.index += modifiers.end()
            return
        self.error(f"group syntax {rest[:4]!r} is not ECMA-262 (inline flags, (?P...), (?>...))")
        self.out.append("(?:")
        self.index += 2

    def escape(self) -> None:
        pattern, index = self.pattern, self.index
        if index + 1 >= len(pattern):
            self.error("pattern ends with a lone backslash")
            self.out.append("\\\\")
            self.index += 1
            return
        char = pattern[index + 1]
        self.index += 2
        if char in _SHARED_ESCAPES:
            self.out.append("\\" + char)
        elif char in "pP" and pattern.startswith("{", self.index):
            end = pattern.find("}", self.index)
            name = pattern[self.index + 1 : end] if end >= 0 else ""
            if end < 0 or not _PROPERTY_NAME.fullmatch(name):
                self.error(f"invalid Unicode property escape \\{char}{{{name}")
            self.out.append("\\w")  # stands in for any one-character class
            self.index = end + 1 if end >= 0 else len(pattern)
        elif char == "k" and not self.in_class and _GROUP_NAME.match(pattern, self.index):
            named = _GROUP_NAME.match(pattern, self.index)
            assert named is not None
            self.out.append(f"(?P={named.group(1).replace('$', '_')})")
            self.index = named.end()
        elif char == "u" and pattern.startswith("{", self.index):
            end = pattern.find("}", self.index)
            digits = pattern[self.index + 1 : end] if end >= 0 else ""
            if not re.fullmatch(r"[0-9A-Fa-f]{1,6}", digits) or int(digits, 16) > 0x10FFFF:
                self.error(f"invalid code point escape \\u{{{digits}}}")
                digits = "0"
            self.out.append(f"\\U{int(digits, 16):08X}")
            self.index = end + 1 if end >= 0 else len(pattern)
        elif char == "u" and re.match(r"[0-9A-Fa-f]{4}", pattern[self.index : self.index + 4]):
            self.out.append("\\u" + pattern[self.index : self.index + 4])
            self.index += 4
        elif char == "x" and re.match(r"[0-9A-Fa-f]{2}", pattern[self.index : self.index + 2]):
            self.out.append("\\x" + pattern[self.index : self.index + 2])
            self.index += 2
        elif char == "c" and pattern[self.index : self.index + 1].isalpha():
            self.out.append("\\x01")  # a control character
            self.index += 1
        elif char.isdigit():
            self.out.append("\\" + char)  # backreference (or, without groups, an octal escape)
        elif char in "AZz":
            self.problems.append(
                RegexProblem(
                    Severity.WARNING,
                    f"'\\{char}' is Python syntax; ECMA-262 reads it as the letter {char!r} "
                    "(use ^ and $ for anchors)",
                )
            )
            self.out.append(char)
        elif char.isascii() and char.isalnum():
            self.out.append(char)  # ECMA-262 identity escape (no `u` flag): the letter itself
        else:
            self.out.append(re.escape(char))


@functools.lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> RegexProblem | None:
    """Why `pattern` is not a valid ECMA-262 regular expression, or None when it is."""
    translation = _Translation(pattern)
    translated = translation.run()
    errors = [p for p in translation.problems if p.severity is Severity.ERROR]
    if errors:
        return errors[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set" and friends
            re.compile(translated)
    except re.error as error:
        if "look-behind requires fixed-width" in str(error):
            return None  # ECMA-262 lookbehind may have any width
        return RegexProblem(Severity.ERROR, f"invalid regular expression: {error.msg}")
    except (RecursionError, OverflowError) as error:
        return RegexProblem(Severity.ERROR, f"regular expression too complex: {error}")
    return translation.problems[0] if translation.problems else None


# --- metaschemas and the shipped x-infrastructure schema --------------------------------------


_VOCABULARIES_2020_12 = (
    "core", "applicator", "unevaluated", "validation", "meta-data", "format-annotation", "content",
)  # fmt: skip


def _static_refs(value: Any) -> Any:
    """`$dynamicRef: #meta` -> `$ref: #`, and refs between the vocabularies -> local refs."""
    if isinstance(value, list):
        return [_static_refs(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    if value.get("$dynamicRef") == "#meta":
        return {"$ref": "#"}
    out = {k: _static_refs(v) for k, v in value.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("meta/") and "#" in ref:
        out["$ref"] = "#" + ref.split("#", 1)[1]
    return out


@functools.cache
def static_metaschema_2020_12() -> Mapping[str, Any] | None:
    """The 2020-12 metaschema with its vocabularies merged into one schema without $dynamicRef.

    The published metaschema extends itself through `$dynamicRef`, which jsonschema resolves by
    searching the dynamic scope at every subschema: validating a corpus against it is several
    times slower than against this equivalent (no dialect extends it here, so every `#meta`
    resolves to the root). Built from the packaged metaschemas; None if they ever stop merging
    cleanly, and the published one is used instead.
    """
    base = "https://json-schema.org/draft/2020-12/"
    registry = jsonschema_specifications.REGISTRY
    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    parts = [registry.contents(f"{base}meta/{name}") for name in _VOCABULARIES_2020_12]
    parts.append(registry.contents(f"{base}schema"))
    for part in parts:
        if not isinstance(part, Mapping):
            return None
        for target, source in (
            (properties, part.get("properties", {})),
            (definitions, part.get("$defs", {})),
        ):
            if set(target) & set(source):
                return None  # a keyword defined twice: merging would change the meaning
            target.update(source)
    merged = {"$schema": f"{base}schema", "type": ["object", "boolean"], "properties": properties}
    return _static_refs({**merged, "$defs": definitions})  # type: ignore[no-any-return]


@functools.cache
def _metaschema_validator(dialect: str) -> jsonschema.protocols.Validator:
    """One metaschema validator per dialect, shared by every document of that dialect.

    No format checker: `format: regex` would judge patterns by Python's dialect, which is what
    `schema/invalid-pattern` does properly, and `uri-reference` needs optional packages.
    """
    cls = jsonschema.validators.validator_for(
        {"$schema": dialect}, default=jsonschema.Draft202012Validator
    )
    static = static_metaschema_2020_12() if cls is jsonschema.Draft202012Validator else None
    validator: jsonschema.protocols.Validator = cls(
        static if static is not None else cls.META_SCHEMA
    )
    return validator


@functools.lru_cache(maxsize=1)
def infrastructure_validator() -> jsonschema.protocols.Validator:
    """The validator for `x-infrastructure` blocks, from the schema packaged with schemagen."""
    text = (
        resources.files("schemagen")
        .joinpath("schemas/x-infrastructure.schema.json")
        .read_text("utf-8")
    )
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return validator


# --- helpers ------------------------------------------------------------------------------------


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _error_pointer(base: str, error: jsonschema.exceptions.ValidationError) -> str:
    return join_pointer(base, *error.absolute_path)


def _best(error: jsonschema.exceptions.ValidationError) -> jsonschema.exceptions.ValidationError:
    """The most specific cause of an error (descends into anyOf/oneOf contexts)."""
    best = jsonschema.exceptions.best_match([error])
    return best if best is not None else error


def _dialect_name(document: SchemaDocument) -> str:
    return KNOWN_DIALECTS.get(document.dialect, document.dialect)


# --- checks ---------------------------------------------------------------------------------------


def metaschema_findings(document: SchemaDocument) -> Iterator[Diagnostic]:
    """Each metaschema violation at the offending value."""
    validator = _metaschema_validator(document.dialect)
    try:
        errors = list(validator.iter_errors(document.contents))
    except RecursionError:
        yield document.diagnostic(
            "schema/metaschema",
            Severity.WARNING,
            "schema nests too deeply to check against its metaschema",
            "",
            "flatten the nesting with $defs and $ref",
        )
        return
    for error in errors:
        best = _best(error)
        yield document.diagnostic(
            "schema/metaschema",
            Severity.ERROR,
            _shorten(f"not valid {_dialect_name(document)}: {best.message}"),
            _error_pointer("", best),
            f"the metaschema's {best.validator!r} keyword rejects this value",
        )


def pattern_findings(document: SchemaDocument, node: SchemaNode) -> Iterator[Diagnostic]:
    located: list[tuple[str, Any]] = []
    pattern = node.schema.get("pattern")
    if isinstance(pattern, str):
        located.append((join_pointer(node.pointer, "pattern"), pattern))
    pattern_properties = node.schema.get("patternProperties")
    if isinstance(pattern_properties, Mapping):
        located.extend(
            (join_pointer(node.pointer, "patternProperties", k), k) for k in pattern_properties
        )
    for pointer, text in located:
        problem = regex_problem(text)
        if problem is not None:
            yield document.diagnostic(
                "schema/invalid-pattern",
                problem.severity,
                _shorten(f"{text!r}: {problem.message}"),
                pointer,
                "patterns are ECMA-262 regular expressions (as in JavaScript)",
            )


def infrastructure_findings(document: SchemaDocument, node: SchemaNode) -> Iterator[Diagnostic]:
    if INFRASTRUCTURE_KEYWORD not in node.schema:
        return
    base = join_pointer(node.pointer, INFRASTRUCTURE_KEYWORD)
    for error in infrastructure_validator().iter_errors(node.schema[INFRASTRUCTURE_KEYWORD]):
        best = _best(error)
        yield document.diagnostic(
            "infrastructure/invalid",
            Severity.ERROR,
            _shorten(f"x-infrastructure: {best.message}"),
            _error_pointer(base, best),
            "see src/schemagen/schemas/x-infrastructure.schema.json and docs/conventions.md",
        )


@dataclass(frozen=True)
class _Instance:
    rule: str
    label: str
    pointer: str
    value: Any


def _instances(node: SchemaNode) -> list[_Instance]:
    found: list[_Instance] = []
    examples = node.schema.get("examples")
    if isinstance(examples, list):
        found.extend(
            _Instance(
                "schema/invalid-example",
                f"example {i}",
                join_pointer(node.pointer, "examples", i),
                value,
            )
            for i, value in enumerate(examples)
        )
    if "default" in node.schema:
        found.append(
            _Instance(
                "schema/invalid-default",
                "default",
                join_pointer(node.pointer, "default"),
                node.schema["default"],
            )
        )
    return found


def _has_unresolved(pointer: str, unresolved: frozenset[str]) -> bool:
    """Whether a ref inside the subschema at `pointer` did not resolve (reported already)."""
    prefix = pointer + "/"
    return any(site == pointer or site.startswith(prefix) for site in unresolved)


class _Validators:
    """Subschema validators for a whole corpus, sharing one resolver.

    `Corpus.validator` builds a validator whose registry is combined with the metaschemas; on a
    large corpus that costs milliseconds per call. So it is called once, and every other
    validator is evolved from that one: the same `{"$ref": "<uri>#<pointer>"}` schema that
    `Corpus.validator` builds, resolved by the same registry, without rebuilding it.

    Where jsonschema cannot follow a ref that the corpus resolved (a file reached by path
    fallback resolves its own relative refs against the URI it was reached by, which the
    registry does not know), the document's bundle is used instead: it embeds every resource
    under the URI its refs resolve to, following the corpus's own decisions.
    """

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._base: jsonschema.protocols.Validator | None = None
        self._resolution: Resolution | None = None
        self._bundles: dict[Path, jsonschema.protocols.Validator] = {}

    def at(self, document: SchemaDocument, pointer: str) -> jsonschema.protocols.Validator:
        if self._base is None:
            self._base = self.corpus.validator(document, pointer)
        # Always the $ref form, also for the root: a root validated as itself has no base URI
        # when it declares no $id, and its relative refs would not resolve.
        uri = self.corpus.uri_of(document)
        schema = {"$schema": document.dialect, "$ref": f"{uri}#{pointer}"}
        evolved: jsonschema.protocols.Validator = self._base.evolve(schema=schema)
        return evolved

    def bundled(self, document: SchemaDocument, pointer: str) -> jsonschema.protocols.Validator:
        if self._resolution is None:
            self._resolution = Resolution(self.corpus)
        base = self._bundles.get(document.path)
        if base is None:
            bundle = bundle_document(self._resolution, document).contents
            cls = jsonschema.validators.validator_for(bundle)
            resource = Resource.from_contents(bundle, default_specification=DRAFT202012)
            registry: Registry[Any] = Registry().with_resource("urn:schemagen:bundle", resource)
            base = self._bundles[document.path] = cls(
                bundle, registry=registry, format_checker=cls.FORMAT_CHECKER
            )
        root = self._resolution.natural_uri(document)
        schema = {"$schema": document.dialect, "$ref": f"{root}#{pointer}"}
        evolved: jsonschema.protocols.Validator = base.evolve(schema=schema)
        return evolved

    def errors(
        self, document: SchemaDocument, pointer: str, instance: Any
    ) -> list[jsonschema.exceptions.ValidationError] | None:
        """The instance's errors against the subschema; None if a ref cannot be followed."""
        try:
            return list(self.at(document, pointer).iter_errors(instance))
        except referencing.exceptions.Unresolvable:
            pass
        try:
            return list(self.bundled(document, pointer).iter_errors(instance))
        except referencing.exceptions.Unresolvable:
            return None  # a ref that did not resolve: reported at the ref


def instance_findings(
    validators: _Validators, document: SchemaDocument, node: SchemaNode, unresolved: frozenset[str]
) -> Iterator[Diagnostic]:
    """`examples` and `default` of one subschema, validated against that subschema."""
    instances = _instances(node)
    if not instances or _has_unresolved(node.pointer, unresolved):
        return
    for instance in instances:
        try:
            errors = validators.errors(document, node.pointer, instance.value)
        except RecursionError:
            yield document.diagnostic(
                instance.rule,
                Severity.WARNING,
                f"{instance.label} could not be checked: its schema recurses without end",
                instance.pointer,
            )
            continue
        except Exception as error:  # noqa: BLE001 - a malformed schema (reported by the metaschema)
            yield document.diagnostic(
                instance.rule,
                Severity.WARNING,
                _shorten(
                    f"{instance.label} could not be checked: its schema is malformed "
                    f"({_why_unchecked(error)})"
                ),
                instance.pointer,
                "fix the schema's metaschema errors first",
            )
            continue
        if errors is None:
            return  # a ref further away did not resolve; that is reported at the ref
        for found in errors:
            best = _best(found)
            yield document.diagnostic(
                instance.rule,
                Severity.ERROR,
                _shorten(f"{instance.label} is not valid against its schema: {best.message}"),
                _error_pointer(instance.pointer, best),
                "make the value satisfy the schema it sits on (or fix the schema)",
            )


def _why_unchecked(error: Exception) -> str:
    """The validator's complaint in a few words (not a Python exception or a schema dump)."""
    if isinstance(error, ZeroDivisionError):
        return "multipleOf is zero, or so small that it reads as zero"
    lines = str(error).strip().splitlines()
    if not lines:
        return "the validator cannot use it"
    return lines[0].removesuffix(" for validator with schema:").rstrip(":")


def _unresolved_sites(corpus: Corpus) -> dict[str, frozenset[str]]:
    """Per document (relpath), the pointers of schemas holding a ref that did not resolve."""
    found: dict[str, set[str]] = {}
    for reference in corpus.references:
        if reference.target is None:
            site = reference.site
            found.setdefault(site.document.relpath, set()).add(site.schema_pointer)
    return {relpath: frozenset(pointers) for relpath, pointers in found.items()}


def document_findings(
    validators: _Validators, document: SchemaDocument, unresolved: frozenset[str]
) -> Iterator[Diagnostic]:
    """Everything `validate` checks in one document, beyond loading and resolving."""
    yield from metaschema_findings(document)
    for node in document.nodes:
        yield from pattern_findings(document, node)
        yield from instance_findings(validators, document, node, unresolved)
        if not node.via_unknown:
            yield from infrastructure_findings(document, node)


def validate_documents(
    corpus: Corpus, documents: Iterable[SchemaDocument]
) -> tuple[Diagnostic, ...]:
    """The findings of `documents` only (without the corpus's load and resolve findings)."""
    unresolved = _unresolved_sites(corpus)
    validators = _Validators(corpus)
    found: list[Diagnostic] = []
    for document in documents:
        found.extend(
            document_findings(validators, document, unresolved.get(document.relpath, frozenset()))
        )
    return sort_diagnostics(found)


def validate_corpus(corpus: Corpus) -> tuple[Diagnostic, ...]:
    """Load and resolve findings plus every check above: sorted, without duplicates."""
    return sort_diagnostics((*corpus.diagnostics, *validate_documents(corpus, corpus.documents)))
