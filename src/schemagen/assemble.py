"""Assemble stage: per root schema, a self-contained bundle and a flattened view.

Every corpus document is a root (any may be a consumer's entry point).

Bundle: a JSON Schema 2020-12 Compound Schema Document. Every resource the root reaches through
`$ref`/`$dynamicRef` is embedded once under `$defs`, keyed by its relpath (or by its URI when it
is not a corpus file), keeping its `$schema` and carrying the `$id` that the references resolve
to, so `$ref` strings stay exactly as written. Three details make that hold on real corpora:

- A file whose `$id` does not match its path is reached, by path fallback, at a URI it does not
  declare; it is embedded under that URI (the one the `$ref` resolves to), so the bundle
  validates as the corpus did. Its own refs then resolve against that URI, and what they reach is
  embedded under the URIs they resolve to in turn.
- A document without `$id` is known to the corpus by its file URI; in a bundle that would leak the
  checkout's absolute path, so such URIs become `https://schemagen.invalid/<relpath>` (a reserved
  domain, never fetched), consistently for every reference.
- A root that is not 2020-12 is wrapped: `{"$schema": 2020-12, "$ref": <root URI>, "$defs":
  {...the root and its dependencies...}}`, so the root keeps its own dialect. In drafts 3 to 7 a
  `$ref` next to `$id` hides the `$id`, so an embedded legacy resource whose top level holds a
  `$ref` has it moved into `allOf: [{"$ref": ...}]` (the string unchanged).

Flattened view: refs inlined and `allOf` merged (properties united and merged, `required`
united, `type`/`enum` intersected, bounds tightened), for consumers that cannot follow refs
(Backstage forms). Recursion is broken with the `$ref` left in place (`assemble/cycle`), and
constraints that cannot both hold are reported (`assemble/conflict`) and kept side by side in a
residual `allOf` rather than one overwriting the other. `$defs` are dropped.

Both are pure functions of the corpus: traversal follows document order, embedded resources are
sorted by key, nothing is shared between roots.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urldefrag

import jsonschema_specifications

from schemagen.cache import PreviousRun
from schemagen.config import Config, ConfigError, matches_any
from schemagen.diagnostics import Diagnostic, Severity, sort_diagnostics
from schemagen.jsontext import json_bytes
from schemagen.load import SchemaDocument, load_file, normalize_dialect, with_dialect
from schemagen.outputs import GeneratedFile, StageResult, subtree, write_tree
from schemagen.resolve import Corpus
from schemagen.sourcemap import join_pointer, resolve_pointer
from schemagen.walk import (
    ANNOTATIONS,
    SCHEMA_ARRAYS,
    SCHEMA_MAPS,
    SINGLE_SCHEMA,
    iter_schemas,
    join_uri,
)

DIALECT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT3 = "http://json-schema.org/draft-03/schema"
DRAFT4 = "http://json-schema.org/draft-04/schema"
MODERN = frozenset({DIALECT_2020_12, "https://json-schema.org/draft/2019-09/schema"})
PORTABLE_BASE = "https://schemagen.invalid/"
LEGACY_VALIDATION = frozenset(
    {
        "type", "enum", "const", "multipleOf", "divisibleBy", "maximum", "exclusiveMaximum",
        "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
        "uniqueItems", "maxProperties", "minProperties", "required", "format", "properties",
        "patternProperties", "additionalProperties", "dependencies", "items", "additionalItems",
        "contains", "propertyNames", "if", "then", "else", "not", "allOf", "anyOf", "oneOf",
        "extends", "disallow",
    }
)  # fmt: skip
"""Keywords that validate in drafts 3-7 (ignored there next to a `$ref`)."""
REF_KEYWORDS = ("$ref", "$dynamicRef")

MAX_FLAT_NODES = 10_000
"""Inlining shared definitions can grow a flattened view exponentially; past this, refs stay."""
MAX_INLINE_DEPTH = 96
"""Refs nested deeper than this stay in place (keeps recursion far from Python's limit)."""


def canonical_json(value: Any) -> bytes:
    """Indent 2, keys in their original order, trailing newline."""
    return json_bytes(value)


def _id_key(dialect: str) -> str:
    return "id" if dialect in (DRAFT3, DRAFT4) else "$id"


def _is_metaschema(uri: str) -> bool:
    registry = jsonschema_specifications.REGISTRY
    return uri in registry or uri.rstrip("#") in registry or uri + "#" in registry


# --- resolution: where each ref of a document points -----------------------------------------


@dataclass(frozen=True)
class Site:
    """One `$ref`/`$dynamicRef` in a document, with the base URI the corpus resolved it against."""

    schema_pointer: str
    keyword: str
    ref: str
    base_uri: str

    @property
    def pointer(self) -> str:
        return join_pointer(self.schema_pointer, self.keyword)


@dataclass(frozen=True)
class Target:
    document: SchemaDocument
    pointer: str


class Resolution:
    """The corpus's answers to "where does this ref go", for corpus and mapped documents.

    Corpus documents' refs come from `corpus.references` (the resolver's decisions, including
    path fallback). Mapped documents outside the root (served by a URL map) are not in that
    table; their refs are looked up in the corpus registry, which resolves the same way.
    """

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._corpus_paths = {d.path for d in corpus.documents}
        self._references = {(r.site.document.path, r.site.pointer): r for r in corpus.references}
        self._sites: dict[Path, tuple[Site, ...]] = {}
        self._identity: dict[int, Target] | None = None
        self._mapped: dict[str, SchemaDocument | None] = {}
        self._by_path = {d.path: d for d in (*corpus.documents, *corpus.external_documents)}
        self.flat_memo: dict[tuple[Path, str], _Memo] = {}
        self._units: dict[tuple[Path, str], _Unit] = {}
        self._root_prefix = corpus.root.as_uri().rstrip("/") + "/"

    def is_corpus(self, document: SchemaDocument) -> bool:
        return document.path in self._corpus_paths

    def retrieval_uri(self, document: SchemaDocument) -> str:
        """The URI a document is read from: its file, or for a mapped document its mapped URI."""
        if self.is_corpus(document):
            return document.file_uri
        for mapping in sorted(self.corpus.config.url_map, key=lambda m: -len(m.prefix)):
            if document.path.is_relative_to(mapping.directory):
                return mapping.prefix + document.path.relative_to(mapping.directory).as_posix()
        return document.file_uri

    def natural_uri(self, document: SchemaDocument) -> str:
        """The bundle-space URI a document is known by when reached by its own identity."""
        if self.is_corpus(document):
            return self.portable(self.corpus.uri_of(document))
        declared = document.declared_id
        base = self.retrieval_uri(document)
        return self.portable(urldefrag(join_uri(base, declared) if declared else base).url)

    def portable(self, uri: str) -> str:
        """File URIs under the schemas root become machine-independent."""
        if uri.startswith(self._root_prefix):
            return PORTABLE_BASE + uri[len(self._root_prefix) :]
        return uri

    def sites(self, document: SchemaDocument) -> tuple[Site, ...]:
        cached = self._sites.get(document.path)
        if cached is None:
            found: list[Site] = []
            base = self.retrieval_uri(document)
            for node in iter_schemas(document.contents, base, document.dialect):
                for keyword in REF_KEYWORDS:
                    ref = node.schema.get(keyword)
                    if isinstance(ref, str):
                        found.append(Site(node.pointer, keyword, ref, node.base_uri))
            cached = self._sites[document.path] = tuple(found)
        return cached

    def target(self, document: SchemaDocument, site: Site) -> Target | None:
        """The schema a ref reaches; None when it is a metaschema or does not resolve offline."""
        if self.is_corpus(document):
            reference = self._references.get((document.path, site.pointer))
            if reference is not None and reference.target is not None:
                found = reference.target.document
                return Target(found, reference.target.pointer) if found is not None else None
        # A mapped document's refs (not in the resolver's table), or one the resolver missed.
        uri, fragment = urldefrag(join_uri(site.base_uri, site.ref))
        if _is_metaschema(uri):
            return None
        try:
            resolved = self.corpus.registry.resolver(base_uri=site.base_uri).lookup(site.ref)
        except Exception:  # noqa: BLE001 - any failure means this ref does not resolve offline
            return None
        known = self._identities().get(id(resolved.contents))
        return known if known is not None else self._by_uri(uri, unquote(fragment))

    def _by_uri(self, uri: str, fragment: str) -> Target | None:
        """A target in a mapped document that the registry retrieved while looking it up."""
        document = self._mapped_document(uri)
        if document is None:
            return None
        pointer = (
            fragment
            if not fragment or fragment.startswith("/")
            else self._anchor(document, uri, fragment)
        )
        if pointer is None:
            return None
        try:
            resolve_pointer(document.contents, pointer)
        except (LookupError, ValueError):
            return None
        return Target(document, pointer)

    def _mapped_document(self, uri: str) -> SchemaDocument | None:
        if uri in self._mapped:
            return self._mapped[uri]
        found: SchemaDocument | None = None
        for mapping in sorted(self.corpus.config.url_map, key=lambda m: -len(m.prefix)):
            if not uri.startswith(mapping.prefix):
                continue
            path = (mapping.directory / unquote(uri[len(mapping.prefix) :])).resolve()
            for candidate in (path, path.with_name(path.name + ".json")):
                known = self._by_path.get(candidate)
                if known is not None:
                    found = known
                elif candidate.is_file():
                    loaded, _ = load_file(
                        candidate, self.corpus.root
                    )  # problems: reported by resolve
                    if loaded is not None:
                        found, _ = with_dialect(loaded, self.corpus.config.default_dialect)
                if found is not None:
                    break
            break
        self._mapped[uri] = found
        if found is not None:
            self._by_path.setdefault(found.path, found)
        return found

    def _anchor(self, document: SchemaDocument, uri: str, name: str) -> str | None:
        base = self.retrieval_uri(document)
        for node in iter_schemas(document.contents, base, document.dialect):
            legacy = node.schema.get(_id_key(document.dialect))
            names = (node.schema.get("$anchor"), node.schema.get("$dynamicAnchor"))
            declares = name in names or (isinstance(legacy, str) and legacy == "#" + name)
            if declares and urldefrag(node.base_uri).url == uri:
                return node.pointer
        return None

    def _identities(self) -> dict[int, Target]:
        """Which document and pointer each schema object is (registry lookups return objects)."""
        if self._identity is None:
            self._identity = {}
            for document in (*self.corpus.documents, *self.corpus.external_documents):
                for pointer, value in _containers(document.contents):
                    self._identity.setdefault(id(value), Target(document, pointer))
        return self._identity

    def embedded_uris(self, document: SchemaDocument) -> frozenset[str]:
        """Bundle-space URIs of resources embedded in a document embedded under its own URI."""
        unit = self.unit(document, self.natural_uri(document))
        return unit.provided - {self.natural_uri(document)}

    def unit(self, document: SchemaDocument, uri: str) -> _Unit:
        """A document as embedded under `uri`, with the base URI of each of its subschemas."""
        key = (document.path, uri)
        cached = self._units.get(key)
        if cached is None:
            copy = embedded_copy(document, uri)
            id_key = _id_key(document.dialect)
            bases: dict[str, str] = {}
            provided = {uri}
            for node in iter_schemas(copy, uri, document.dialect):
                bases[node.pointer] = node.base_uri
                if isinstance(node.schema.get(id_key), str):
                    provided.add(urldefrag(node.base_uri).url)
            cached = self._units[key] = _Unit(copy, bases, frozenset(provided))
        return cached


@dataclass(frozen=True)
class _Unit:
    copy: Mapping[str, Any]
    bases: Mapping[str, str]
    provided: frozenset[str]


def _containers(value: Any) -> Iterator[tuple[str, Any]]:
    """Every object and array in a JSON value, with its pointer. Iterative."""
    todo: list[tuple[str, Any]] = [("", value)]
    while todo:
        pointer, node = todo.pop()
        if isinstance(node, Mapping):
            yield pointer, node
            todo.extend((join_pointer(pointer, k), v) for k, v in node.items())
        elif isinstance(node, list):
            yield pointer, node
            todo.extend((join_pointer(pointer, i), v) for i, v in enumerate(node))


# --- bundles ------------------------------------------------------------------------------------


def embedded_copy(document: SchemaDocument, uri: str) -> dict[str, Any]:
    """The document as an embedded resource: `$schema` explicit, identified by `uri`."""
    contents = document.contents
    id_key = _id_key(document.dialect)
    declared = contents.get("$schema")
    # An unknown or missing $schema was read as the default dialect; say so explicitly, since a
    # validator reading the bundle would otherwise reject the unknown dialect.
    keeps = isinstance(declared, str) and normalize_dialect(declared) == document.dialect
    dialect = declared if keeps else document.dialect
    out: dict[str, Any] = {}
    if "$schema" not in contents:
        out["$schema"] = dialect
        if id_key not in contents:
            out[id_key] = uri
    for key, value in contents.items():
        if key == "$schema":
            out[key] = dialect
            if id_key not in contents:
                out[id_key] = uri
        else:
            out[key] = uri if key == id_key else value
    if document.dialect not in MODERN and "$ref" in out:
        # Drafts 3-7 ignore every sibling of $ref, the identifier included. Moving the $ref into
        # allOf lets the identifier count; the ignored validation siblings must stay ignored.
        ref = out.pop("$ref")
        out = {k: v for k, v in out.items() if k not in LEGACY_VALIDATION}
        out["allOf"] = [{"$ref": ref}]
    return out


@dataclass(frozen=True)
class Bundle:
    document: SchemaDocument
    contents: dict[str, Any]
    sources: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


def _defs_key(resolution: Resolution, uri: str, document: SchemaDocument) -> str:
    if resolution.is_corpus(document) and uri == resolution.natural_uri(document):
        return document.relpath
    return uri


def bundle_document(resolution: Resolution, document: SchemaDocument) -> Bundle:
    """The root and every resource it reaches, as one 2020-12 compound document."""
    root_uri = resolution.natural_uri(document)
    units: dict[str, SchemaDocument] = {root_uri: document}
    copies: dict[str, Mapping[str, Any]] = {}
    provided: set[str] = set()
    diagnostics: list[Diagnostic] = []
    queue = deque([root_uri])
    while queue:
        uri = queue.popleft()
        unit = units[uri]
        prepared = resolution.unit(unit, uri)
        copies[uri] = prepared.copy
        bases = prepared.bases
        provided |= prepared.provided
        for site in resolution.sites(unit):
            target = resolution.target(unit, site)
            if target is None:
                continue
            wanted = urldefrag(join_uri(bases.get(site.schema_pointer, uri), site.ref)).url
            if wanted in units or wanted in provided:
                continue
            host = _host_uri(resolution, target.document, wanted)
            if host not in units:
                units[host] = target.document
                queue.append(host)
            elif units[host].path != target.document.path and resolution.is_corpus(unit):
                diagnostics.append(
                    unit.diagnostic(
                        "assemble/uri-conflict",
                        Severity.WARNING,
                        f"{site.ref!r} resolves to {host}, which the bundle of "
                        f"{document.display} already gives to {units[host].display}",
                        site.pointer,
                    )
                )
    embedded = {
        _defs_key(resolution, uri, unit): copies[uri]
        for uri, unit in units.items()
        if uri != root_uri
    }
    contents = _compound(document, copies[root_uri], root_uri, embedded)
    sources = tuple(sorted({u.relpath for u in units.values() if resolution.is_corpus(u)}))
    return Bundle(document, contents, sources, tuple(diagnostics))


def _host_uri(resolution: Resolution, document: SchemaDocument, wanted: str) -> str:
    """The URI to embed `document` under so that `wanted` resolves in the bundle."""
    natural = resolution.natural_uri(document)
    if wanted == natural or wanted in resolution.embedded_uris(document):
        return natural
    return wanted  # reached by path fallback (or a mapping alias): embed under that URI


def _compound(
    document: SchemaDocument, root: Mapping[str, Any], root_uri: str, embedded: Mapping[str, Any]
) -> dict[str, Any]:
    existing = root.get("$defs", {})
    if document.dialect == DIALECT_2020_12 and isinstance(existing, Mapping):
        defs = dict(existing)
        for key in sorted(embedded):
            name = key
            while name in defs:
                name += "~"  # the root's own $defs keep their names
            defs[name] = embedded[key]
        out = dict(root)
        if defs:
            out["$defs"] = defs
        return out
    wrapped = dict(embedded)
    wrapped[_wrapped_root_key(document, embedded)] = root
    return {
        "$schema": DIALECT_2020_12,
        "$ref": root_uri,
        "$defs": {key: wrapped[key] for key in sorted(wrapped)},
    }


def _wrapped_root_key(document: SchemaDocument, embedded: Mapping[str, Any]) -> str:
    key = document.relpath
    while key in embedded:
        key += "~"
    return key


# --- flattened view -----------------------------------------------------------------------------

LOWER_BOUNDS = (
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
    "minContains",
)
UPPER_BOUNDS = (
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
    "maxContains",
)
BOUND_PAIRS = (
    ("minimum", "maximum"),
    ("exclusiveMinimum", "maximum"),
    ("minimum", "exclusiveMaximum"),
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minProperties", "maxProperties"),
    ("minContains", "maxContains"),
)
MERGED_SCHEMAS = frozenset(
    {
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "additionalItems",
        "propertyNames",
    }
)
IDENTITY_KEYWORDS = frozenset(
    {"$id", "id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$schema"}
)
DROPPED = frozenset({"$defs", "definitions"})
EITHER = frozenset({"uniqueItems", "readOnly", "writeOnly", "deprecated"})


@dataclass(frozen=True)
class Conflict:
    path: str
    message: str


def _same(a: Any, b: Any) -> bool:
    """JSON equality (Python's == says True == 1)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _types(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _intersect_types(a: list[str], b: list[str]) -> list[str]:
    out: list[str] = []
    for t in a:
        if t in b or (t == "integer" and "number" in b):
            out.append(t)
        elif t == "number" and "integer" in b:
            out.append("integer")
    return list(dict.fromkeys(out))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _type_allows(types: list[str], value: Any) -> bool:
    kind = _json_type(value)
    return kind in types or (kind == "integer" and "number" in types)


def _pattern_matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return True  # unknown: assume it matches, so no constraint is added


@dataclass
class _Merge:
    """Merges two flattened schemas as `allOf: [a, b]` would validate them (b wins annotations)."""

    conflicts: list[Conflict] = field(default_factory=list)

    def schemas(self, a: Any, b: Any, path: str = "") -> Any:
        if a is True or a is None:
            return b
        if b is True or b is None:
            return a
        if a is False or b is False:
            return False
        if not isinstance(a, Mapping) or not isinstance(b, Mapping):
            return b
        out: dict[str, Any] = dict(a)
        residual: list[dict[str, Any]] = (
            list(a.get("allOf", [])) if isinstance(a.get("allOf"), list) else []
        )
        out.pop("allOf", None)
        for keyword, value in b.items():
            if keyword == "allOf" and isinstance(value, list):
                residual.extend(value)
            elif keyword not in out:
                out[keyword] = value
            else:
                self.keyword(out, residual, keyword, out[keyword], value, path)
        self.properties(out, a, b, path)
        _drop_stale_instances(out, a, b)
        self.check(out, path)
        if residual:
            out["allOf"] = residual
        return out

    def keyword(
        self,
        out: dict[str, Any],
        residual: list[dict[str, Any]],
        keyword: str,
        a: Any,
        b: Any,
        path: str,
    ) -> None:
        here = join_pointer(path, keyword)
        if _same(a, b):
            return
        if keyword in ("properties", "patternProperties", "dependentSchemas") and _both_maps(a, b):
            merged = dict(a)
            for name, schema in b.items():
                merged[name] = (
                    self.schemas(merged[name], schema, join_pointer(here, name))
                    if name in merged
                    else schema
                )
            out[keyword] = merged
        elif keyword == "required" and isinstance(a, list) and isinstance(b, list):
            out[keyword] = list(dict.fromkeys([*a, *b]))
        elif keyword == "dependentRequired" and _both_maps(a, b):
            out[keyword] = {
                **a,
                **{k: list(dict.fromkeys([*a.get(k, []), *v])) for k, v in b.items()},
            }
        elif keyword == "type" and _types(a) is not None and _types(b) is not None:
            common = _intersect_types(_types(a) or [], _types(b) or [])
            if not common:
                self.conflict(path, f"type {a!r} and type {b!r} have no type in common")
                residual.append({keyword: b})
            else:
                out[keyword] = common[0] if len(common) == 1 else common
        elif keyword == "enum" and isinstance(a, list) and isinstance(b, list):
            common = [v for v in a if any(_same(v, w) for w in b)]
            if not common:
                self.conflict(path, f"enum {_short(a)} and enum {_short(b)} share no value")
                residual.append({keyword: b})
            else:
                out[keyword] = common
        elif keyword == "const":
            self.conflict(path, f"const {_short(a)} and const {_short(b)} cannot both hold")
            residual.append({keyword: b})
        elif keyword in LOWER_BOUNDS and _numbers(a, b):
            out[keyword] = max(a, b)
        elif keyword in UPPER_BOUNDS and _numbers(a, b):
            out[keyword] = min(a, b)
        elif keyword in EITHER and isinstance(a, bool) and isinstance(b, bool):
            out[keyword] = a or b
        elif keyword in MERGED_SCHEMAS or (
            keyword == "items" and not isinstance(a, list) and not isinstance(b, list)
        ):
            out[keyword] = self.schemas(a, b, here)
        elif keyword == "not":
            out[keyword] = {"anyOf": [a, b]}  # not A and not B == not (A or B)
        elif keyword in ANNOTATIONS or keyword.startswith("x-") or keyword not in _VALIDATION:
            out[keyword] = b  # annotations and unknown keywords: the later (the child's) wins
        else:
            residual.append({keyword: b})  # both hold, but one keyword cannot say so

    def properties(
        self, out: dict[str, Any], a: Mapping[str, Any], b: Mapping[str, Any], path: str
    ) -> None:
        """A property one side lacks is still bound by the other side's additionalProperties."""
        merged = out.get("properties")
        if not isinstance(merged, Mapping):
            return
        merged = dict(merged)
        for side, other in ((a, b), (b, a)):
            extra = other.get("additionalProperties", True)
            own = side.get("properties")
            if extra is True or not isinstance(own, Mapping):
                continue
            known = _mapping(other.get("properties"))
            patterns = _mapping(other.get("patternProperties"))
            for name in own:
                if name in known or any(_pattern_matches(p, name) for p in patterns):
                    continue
                merged[name] = self.schemas(
                    merged.get(name, True), extra, join_pointer(path, "properties", name)
                )
        out["properties"] = merged

    def check(self, out: Mapping[str, Any], path: str) -> None:
        """Constraints that each merged fine but cannot hold together."""
        for low, high in BOUND_PAIRS:
            lower: Any = out.get(low)
            upper: Any = out.get(high)
            if not _numbers(lower, upper):
                continue
            if lower > upper or (lower == upper and "exclusive" in low + high):
                self.conflict(path, f"{low} {lower} exceeds {high} {upper}")
        types = _types(out.get("type"))
        if "const" in out and types is not None and not _type_allows(types, out["const"]):
            self.conflict(path, f"const {_short(out['const'])} is not of type {out['type']!r}")
        enum = out.get("enum")
        if (
            "const" in out
            and isinstance(enum, list)
            and not any(_same(out["const"], v) for v in enum)
        ):
            self.conflict(path, f"const {_short(out['const'])} is not in enum {_short(enum)}")
        properties, required = out.get("properties"), out.get("required")
        if isinstance(properties, Mapping) and isinstance(required, list):
            for name in required:
                if properties.get(name) is False:
                    self.conflict(
                        path, f"property {name!r} is required but another branch forbids it"
                    )

    def conflict(self, path: str, message: str) -> None:
        self.conflicts.append(Conflict(path, message))


_VALIDATION = frozenset(
    {
        "type", "enum", "const", "multipleOf", "pattern", "format", "contains", "not", "if", "then",
        "else", "anyOf", "oneOf", "items", "prefixItems", "$ref", "$dynamicRef", "dependencies",
        "contentSchema", *LOWER_BOUNDS, *UPPER_BOUNDS, *MERGED_SCHEMAS,
    }
)  # fmt: skip


def _both_maps(a: Any, b: Any) -> bool:
    return isinstance(a, Mapping) and isinstance(b, Mapping)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"


@dataclass(frozen=True)
class _Memo:
    """A flattened ref target that no cycle cut and no limit truncated: the same from any root
    and any path (a target that reached back to an ancestor would have been cut), so roots share
    it. `nodes` and `span` let a root check its own limits as if it had computed it."""

    flat: Any
    nodes: int
    span: int
    sources: frozenset[str]
    diagnostics: tuple[Diagnostic, ...]


class _Flattener:
    """Inlines refs and merges allOf for one root."""

    def __init__(self, resolution: Resolution, root: SchemaDocument) -> None:
        self.resolution = resolution
        self.root = root
        self.diagnostics: list[Diagnostic] = []
        self.sources: list[str] = [root.relpath]
        self.expanding: list[tuple[Path, str]] = [(root.path, "")]
        self.memo = resolution.flat_memo
        self.cut = 0  # refs left in place (cycles, limits): results above them are not shared
        self.nodes = 0
        self.deepest = 0
        self.sites: dict[Path, dict[str, Site]] = {}

    def run(self) -> Any:
        flat = self.schema(self.root, "", self.root.contents, 0)
        if isinstance(flat, dict) and "$schema" in self.root.contents:
            flat = {"$schema": self.root.contents["$schema"], **flat}
        return flat

    def site(self, document: SchemaDocument, pointer: str) -> Site | None:
        table = self.sites.get(document.path)
        if table is None:
            table = self.sites[document.path] = {
                s.pointer: s for s in self.resolution.sites(document)
            }
        return table.get(pointer)

    def schema(self, document: SchemaDocument, pointer: str, value: Any, depth: int) -> Any:
        if not isinstance(value, Mapping):
            return value
        self.nodes += 1
        self.deepest = max(self.deepest, depth)
        legacy = document.dialect not in MODERN
        pieces: list[Any] = []
        own: dict[str, Any] = {}
        for keyword, child in value.items():
            here = join_pointer(pointer, keyword)
            if keyword in DROPPED or keyword in IDENTITY_KEYWORDS:
                continue
            if keyword in REF_KEYWORDS and isinstance(child, str):
                if legacy and keyword == "$dynamicRef":
                    own[keyword] = child
                    continue
                inlined = self.reference(document, here, child, depth)
                if inlined is None:
                    own[keyword] = child
                else:
                    pieces.insert(0, inlined)
            elif keyword == "allOf" and isinstance(child, list):
                pieces.extend(
                    self.schema(document, join_pointer(here, i), branch, depth + 1)
                    for i, branch in enumerate(child)
                )
            else:
                own[keyword] = self.children(document, here, keyword, child, depth)
        if legacy and "$ref" in value:
            # Drafts 3-7 ignore siblings of $ref; keep only what a form would show.
            own = {
                k: v
                for k, v in own.items()
                if k in ANNOTATIONS or k.startswith("x-") or k == "$ref"
            }
        if not pieces:
            return own
        merge = _Merge()
        merged: Any = True
        for piece in [*pieces, own]:
            merged = merge.schemas(merged, piece)
        for conflict in merge.conflicts:
            where = f" at {conflict.path}" if conflict.path else ""
            self.diagnostics.append(
                document.diagnostic(
                    "assemble/conflict",
                    Severity.ERROR,
                    f"allOf/$ref constraints conflict{where}: {conflict.message}",
                    pointer,
                    "no instance can satisfy both; change one side (the flattened view keeps both)",
                )
            )
        return merged

    def children(
        self, document: SchemaDocument, pointer: str, keyword: str, value: Any, depth: int
    ) -> Any:
        if keyword.startswith("x-") or keyword in ("enum", "const", "default", "examples"):
            return value
        if keyword in SCHEMA_MAPS and isinstance(value, Mapping):
            return {
                name: self.schema(document, join_pointer(pointer, name), sub, depth + 1)
                if isinstance(sub, Mapping | bool)
                else sub
                for name, sub in value.items()
            }
        if keyword in SCHEMA_ARRAYS and isinstance(value, list):
            return [
                self.schema(document, join_pointer(pointer, i), sub, depth + 1)
                for i, sub in enumerate(value)
            ]
        if keyword in SINGLE_SCHEMA and isinstance(value, Mapping | bool):
            return self.schema(document, pointer, value, depth + 1)
        return value

    def reference(self, document: SchemaDocument, pointer: str, ref: str, depth: int) -> Any:
        """The flattened target of the ref at `pointer`, or None to leave the ref in place."""
        site = self.site(document, pointer)
        target = self.resolution.target(document, site) if site is not None else None
        if target is None:
            return None
        key = (target.document.path, target.pointer)
        if key in self.expanding:
            self.cut += 1
            self.note(
                document,
                pointer,
                "assemble/cycle",
                f"{ref!r} refers back to a schema it is part of; "
                "the flattened view keeps this $ref",
            )
            return None
        memo = self.memo.get(key)
        if memo is not None and self.fits(depth, memo.nodes, memo.span):
            self.nodes += memo.nodes
            self.deepest = max(self.deepest, depth + memo.span)
            self.sources.extend(memo.sources)
            self.diagnostics.extend(memo.diagnostics)
            return memo.flat
        if not self.fits(depth, 0, 0):
            self.cut += 1
            self.note(
                document,
                pointer,
                "assemble/too-large",
                f"{ref!r} left in place: the flattened view would be too large or too deep",
            )
            return None
        try:
            value = resolve_pointer(target.document.contents, target.pointer)
        except (LookupError, ValueError):
            return None
        before = (self.cut, self.nodes, len(self.sources), len(self.diagnostics), self.deepest)
        self.deepest = depth
        if self.resolution.is_corpus(target.document):
            self.sources.append(target.document.relpath)
        self.expanding.append(key)
        try:
            flat = self.schema(target.document, target.pointer, value, depth + 1)
        finally:
            self.expanding.pop()
        cut, nodes, sources, diagnostics, deepest = before
        if cut == self.cut:
            self.memo[key] = _Memo(
                flat,
                self.nodes - nodes,
                self.deepest - depth,
                frozenset(self.sources[sources:]),
                tuple(self.diagnostics[diagnostics:]),
            )
        self.deepest = max(self.deepest, deepest)
        return flat

    def fits(self, depth: int, nodes: int, span: int) -> bool:
        return depth + span <= MAX_INLINE_DEPTH and self.nodes + nodes <= MAX_FLAT_NODES

    def note(self, document: SchemaDocument, pointer: str, rule: str, message: str) -> None:
        hint = "consumers that cannot follow $ref see this part unexpanded; the bundle is exact"
        self.diagnostics.append(document.diagnostic(rule, Severity.WARNING, message, pointer, hint))


@dataclass(frozen=True)
class Flattened:
    document: SchemaDocument
    contents: Any
    sources: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]


def _constrains(schema: Mapping[str, Any]) -> bool:
    return any(k not in ANNOTATIONS and not k.startswith("x-") for k in schema)


def _drop_stale_instances(out: dict[str, Any], a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    """`examples` and `default` written for one side of a merge need not fit the other side's
    constraints (a `const` narrowing an enum, say), so when both sides constrain, only values
    both sides stated (b's winning) survive; a value from one side alone is dropped."""
    if not (_constrains(a) and _constrains(b)):
        return
    for keyword in ("examples", "default"):
        if (keyword in a) != (keyword in b):
            out.pop(keyword, None)


def flatten_document(resolution: Resolution, document: SchemaDocument) -> Flattened:
    flattener = _Flattener(resolution, document)
    flat = flattener.run()
    sources = tuple(sorted(set(flattener.sources)))
    return Flattened(document, flat, sources, tuple(dict.fromkeys(flattener.diagnostics)))


# --- stage ----------------------------------------------------------------------------------------


def output_names(documents: Sequence[SchemaDocument]) -> dict[Path, str]:
    """Each document's output path: its relpath as .json (a YAML file that would collide with a
    JSON sibling keeps its suffix before .json)."""
    names: dict[Path, str] = {}
    taken: set[str] = set()
    ordered = sorted(documents, key=lambda d: (not d.relpath.endswith(".json"), d.relpath))
    for document in ordered:
        relpath = PurePosixPath(document.relpath)
        name = str(relpath.with_suffix(".json"))
        if name in taken:
            name = document.relpath + ".json"
        taken.add(name)
        names[document.path] = name
    return names


@dataclass(frozen=True)
class AssembleSettings:
    """`[tool.schemagen.assemble]`: `flatten` globs (relative to the schemas root; `**` spans
    folders) name the schemas whose consumers need a flattened view. Every schema gets a bundle."""

    flatten: tuple[str, ...] = ("**",)

    @classmethod
    def from_config(cls, config: Config) -> AssembleSettings:
        section = config.section("assemble")
        unknown = sorted(set(section) - {"flatten"})
        if unknown:
            raise ConfigError(f"[tool.schemagen.assemble] has unknown keys: {', '.join(unknown)}")
        flatten = section.get("flatten", list(cls.flatten))
        if not isinstance(flatten, list) or not all(isinstance(g, str) for g in flatten):
            raise ConfigError("[tool.schemagen.assemble] flatten must be a list of globs")
        return cls(tuple(flatten))

    def wants_flat(self, relpath: str) -> bool:
        return matches_any(relpath, self.flatten)


def assemble_corpus(corpus: Corpus, previous: PreviousRun | None = None) -> StageResult:
    """A bundle per corpus document and, where configured, a flattened view, as files.

    With `previous`, a document whose outputs' sources are all unchanged keeps them as they are.
    """
    settings = AssembleSettings.from_config(corpus.config)
    resolution = Resolution(corpus)
    names = output_names(corpus.documents)
    files: list[GeneratedFile] = []
    diagnostics: list[Diagnostic] = []
    for document in corpus.documents:
        wanted = [f"assembled/bundles/{names[document.path]}"]
        if settings.wants_flat(document.relpath):
            wanted.append(f"assembled/flat/{names[document.path]}")
        kept = [previous.reuse(path) for path in wanted] if previous is not None else [None]
        if previous is not None and all(kept):
            files.extend(f for f in kept if f is not None)
            diagnostics.extend(previous.findings(document.display, "assemble"))
            continue
        bundle = bundle_document(resolution, document)
        name = names[document.path]
        files.append(
            GeneratedFile(
                f"assembled/bundles/{name}",
                canonical_json(bundle.contents),
                bundle.sources,
                "assembled",
            )
        )
        diagnostics.extend(bundle.diagnostics)
        if not settings.wants_flat(document.relpath):
            continue
        flat = flatten_document(resolution, document)
        files.append(
            GeneratedFile(
                f"assembled/flat/{name}", canonical_json(flat.contents), flat.sources, "assembled"
            )
        )
        diagnostics.extend(flat.diagnostics)
    files.sort(key=lambda f: f.path)
    return StageResult(tuple(files), sort_diagnostics(diagnostics))


def write_assembled(out_dir: Path, files: Iterable[GeneratedFile]) -> Path:
    """Replace `out_dir/assembled` atomically with the assembled files; the rest is untouched."""
    target = out_dir / "assembled"
    write_tree(target, subtree(files, "assembled"))
    return target
