"""Resolve stage: one compiled, immutable image of a corpus that every later stage reads.

`compile_corpus` loads every schema, indexes every resource (`$id`, embedded `$id`, anchors) and
resolves every `$ref` offline:

1. against the `$id` chain, as the specification says;
2. failing that, against the file's own path, with a `ref/resolved-by-path` diagnostic (corpora
   whose `$id`s do not match their files);
3. remote URIs only through a configured prefix -> directory map; anything else is a diagnostic,
   never a fetch. The JSON Schema metaschemas always resolve, from jsonschema-specifications.

The `referencing.Registry` it builds mirrors these decisions (aliases for path-resolved refs), so
validation through jsonschema resolves exactly the refs this stage resolved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urlparse

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema_specifications import REGISTRY as METASCHEMAS
from referencing import Registry, Resource

from schemagen.config import Config, UrlMapping
from schemagen.diagnostics import Diagnostic, Severity
from schemagen.load import SchemaDocument, display_path, load_corpus, load_file, with_dialect
from schemagen.sourcemap import join_pointer, resolve_pointer
from schemagen.walk import DRAFT4, iter_schemas, join_uri

REF_KEYWORDS = ("$ref", "$dynamicRef")


@dataclass(frozen=True)
class RefSite:
    """One `$ref` occurrence: the document, the pointer of the `$ref` value, its text and base."""

    document: SchemaDocument
    pointer: str
    ref: str
    base_uri: str

    @property
    def schema_pointer(self) -> str:
        """The pointer of the schema object that holds the `$ref`."""
        return self.pointer[: self.pointer.rfind("/")]


@dataclass(frozen=True)
class RefTarget:
    uri: str
    document: SchemaDocument | None
    pointer: str
    via_path: bool = False
    metaschema: bool = False


@dataclass(frozen=True)
class Reference:
    site: RefSite
    target: RefTarget | None

    @property
    def cross_file(self) -> bool:
        """An edge of the dependency graph: the target is another corpus file."""
        return (
            self.target is not None
            and self.target.document is not None
            and not self.target.metaschema
            and self.target.document.path != self.site.document.path
        )


@dataclass(frozen=True)
class Corpus:
    """The compiled image of a schemas directory (cf. buf's image): read-only to every stage."""

    config: Config
    root: Path
    documents: tuple[SchemaDocument, ...]
    external_documents: tuple[SchemaDocument, ...]
    references: tuple[Reference, ...]
    registry: Registry[Any]
    diagnostics: tuple[Diagnostic, ...]
    files_seen: int
    _uris: Mapping[str, SchemaDocument] = field(repr=False, compare=False)
    _known_as: dict[str, tuple[SchemaDocument, str]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def checked_files(self) -> tuple[str, ...]:
        """Every file the run looked at, as the user would type it, loaded or not."""
        failed = (d.location.file for d in self.diagnostics if d.rule.startswith("load/"))
        names = {d.display for d in self.documents} | {f for f in failed if f is not None}
        return tuple(sorted(names))

    def uri_of(self, document: SchemaDocument) -> str:
        """The URI a document is known by: its `$id` when that names it, else its file URI."""
        memo = self._known_as.get(document.file_uri)  # stages ask once per reference
        if memo is not None and memo[0] is document:
            return memo[1]
        known = document.file_uri
        if document.declared_id is not None:
            absolute = urldefrag(join_uri(document.file_uri, document.declared_id)).url
            if self._uris.get(absolute) is document:
                known = absolute
        self._known_as[document.file_uri] = (document, known)
        return known

    def by_path(self, text: str | Path) -> SchemaDocument | None:
        """A corpus document by path (as typed, absolute, or relative to the root) or by `$id`."""
        candidate = Path(text)
        for path in (candidate.resolve(), (self.root / candidate).resolve()):
            for document in self.documents:
                if document.path == path:
                    return document
        found = self._uris.get(urldefrag(str(text)).url)
        return found if found is not None and found in self.documents else None

    def references_from(self, document: SchemaDocument) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.site.document.path == document.path)

    def validator(
        self, document: SchemaDocument, pointer: str = ""
    ) -> jsonschema.protocols.Validator:
        """A validator for the (sub)schema at `pointer`; refs resolve via the corpus registry."""
        # Always by reference, so the schema's own base URI (its $id or file) applies to its refs.
        schema = {"$schema": document.dialect, "$ref": f"{self.uri_of(document)}#{pointer}"}
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        registry = self.registry
        return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def _resource(document: SchemaDocument) -> Resource[Any]:
    specification = referencing.jsonschema.specification_with(
        document.dialect, default=referencing.jsonschema.DRAFT202012
    )
    return specification.create_resource(document.contents)


@dataclass
class _Index:
    """Mutable only while compiling; frozen into the Corpus afterwards."""

    uris: dict[str, SchemaDocument] = field(default_factory=dict)
    resource_pointers: dict[str, tuple[SchemaDocument, str]] = field(default_factory=dict)
    anchors: dict[tuple[str, str], str] = field(default_factory=dict)
    file_uris: dict[str, SchemaDocument] = field(default_factory=dict)


def _index_document(
    document: SchemaDocument, index: _Index, base_uri: str | None = None
) -> Iterator[tuple[str, str, str]]:
    """Register a document's resources and anchors; yield its ref sites (pointer, ref, base)."""
    nodes = (
        document.nodes
        if base_uri is None
        else iter_schemas(document.contents, base_uri, document.dialect)
    )
    for node in nodes:
        schema = node.schema
        resource_uri = urldefrag(node.base_uri).url
        id_key = "id" if document.dialect == DRAFT4 else "$id"
        declared = schema.get(id_key)
        if isinstance(declared, str):
            absolute = (
                join_uri(node.base_uri, declared) if declared.startswith("#") else node.base_uri
            )
            url, fragment = urldefrag(absolute)
            if fragment and not fragment.startswith("/"):
                index.anchors.setdefault((url, fragment), node.pointer)  # draft-06/07 "#name" ids
            elif node.pointer:  # an embedded resource
                index.resource_pointers.setdefault(url, (document, node.pointer))
                index.uris.setdefault(url, document)
        for anchor_key in ("$anchor", "$dynamicAnchor"):
            anchor = schema.get(anchor_key)
            if isinstance(anchor, str):
                index.anchors.setdefault((resource_uri, anchor), node.pointer)
        for keyword in REF_KEYWORDS:
            ref = schema.get(keyword)
            if isinstance(ref, str):
                yield join_pointer(node.pointer, keyword), ref, node.base_uri


class _Resolver:
    def __init__(self, config: Config, root: Path, index: _Index) -> None:
        self.config = config
        self.root = root.resolve()
        self.index = index
        self.external: dict[str, SchemaDocument] = {}
        self.external_problems: list[Diagnostic] = []
        self.aliases: dict[str, SchemaDocument] = {}

    def mapped_path(self, uri: str) -> tuple[UrlMapping, Path] | None:
        for mapping in sorted(self.config.url_map, key=lambda m: -len(m.prefix)):
            if uri.startswith(mapping.prefix):
                rest = unquote(uri[len(mapping.prefix) :])
                return mapping, (mapping.directory / rest).resolve()
        return None

    def document_for(self, uri: str) -> tuple[SchemaDocument, str] | None:
        """The document and resource pointer that `uri` (no fragment) names."""
        if uri in self.index.resource_pointers:
            return self.index.resource_pointers[uri]
        if uri in self.index.uris:
            return self.index.uris[uri], ""
        if uri in self.external:
            return self.external[uri], ""
        mapped = self.mapped_path(uri)
        if mapped is not None:
            _, path = mapped
            for candidate in (path, path.with_name(path.name + ".json")):
                found = self.index.file_uris.get(candidate.as_uri())
                if found is not None:
                    self.aliases.setdefault(uri, found)
                    return found, ""
                if candidate.is_file():
                    document, problems = load_file(candidate, self.root)
                    if document is None:
                        self.external_problems.extend(problems)
                        return None
                    document, _ = with_dialect(document, self.config.default_dialect)
                    self.external[uri] = document
                    self.aliases.setdefault(uri, document)
                    for pointer, ref, base in _index_document(document, self.index):
                        del (
                            pointer,
                            ref,
                            base,
                        )  # remote documents' own refs resolve lazily in jsonschema
                    return document, ""
        return None

    def locate(self, uri: str, fragment: str) -> RefTarget | str:
        """A target, or the reason there is none."""
        if uri in METASCHEMAS or uri.rstrip("#") in METASCHEMAS:
            return RefTarget(
                uri + ("#" + fragment if fragment else ""), None, fragment, metaschema=True
            )
        found = self.document_for(uri)
        if found is None:
            return "no schema has this URI"
        document, resource_pointer = found
        if fragment and not fragment.startswith("/"):
            pointer = self.index.anchors.get((uri, fragment))
            if pointer is None:
                return f"{document.display} has no anchor {fragment!r}"
        else:
            pointer = resource_pointer + fragment
        try:
            resolve_pointer(document.contents, pointer)
        except (LookupError, ValueError):
            return f"{document.display} has nothing at {pointer or '/'}"
        return RefTarget(f"{uri}#{fragment}" if fragment else uri, document, pointer)

    def resolve(self, site: RefSite) -> tuple[Reference, Diagnostic | None]:
        try:
            return self._resolve(site)
        except ValueError as error:  # urllib's verdict on a malformed URI
            return Reference(site, None), site.document.diagnostic(
                "ref/unresolvable",
                Severity.ERROR,
                f"{site.ref!r} is not a valid URI reference ({error})",
                site.pointer,
                "a $ref is a URI reference (RFC 3986): a relative path, a #fragment or a URI",
            )

    def _resolve(self, site: RefSite) -> tuple[Reference, Diagnostic | None]:
        document = site.document
        target_uri = join_uri(site.base_uri, site.ref)
        uri, fragment = urldefrag(target_uri)
        fragment = unquote(fragment)
        outcome = self.locate(uri, fragment)
        if isinstance(outcome, RefTarget):
            return Reference(site, outcome), None
        # Fall back to the file's own location when the $id chain does not name the target.
        by_path = join_uri(document.file_uri, site.ref)
        path_uri, path_fragment = urldefrag(by_path)
        if path_uri != uri and path_uri.startswith("file:"):
            path_outcome = self.locate(path_uri, unquote(path_fragment))
            if isinstance(path_outcome, RefTarget) and path_outcome.document is not None:
                self.aliases.setdefault(uri, path_outcome.document)
                target = RefTarget(
                    path_outcome.uri, path_outcome.document, path_outcome.pointer, via_path=True
                )
                return Reference(site, target), document.diagnostic(
                    "ref/resolved-by-path",
                    Severity.WARNING,
                    f"{site.ref!r} resolves against the $id to {uri}, which no schema has; "
                    f"resolved by file path to {path_outcome.document.display}",
                    site.pointer,
                    "make each $id equal one base URI plus the file's path, so both agree",
                )
        if not urlparse(site.ref).scheme and path_uri.startswith("file:"):
            # A relative ref names a file next to this one, whatever the $id says: report it so.
            return Reference(site, None), self.failure(site, path_uri, outcome)
        return Reference(site, None), self.failure(site, uri, outcome)

    def failure(self, site: RefSite, uri: str, reason: str) -> Diagnostic:
        document = site.document
        parsed = urlparse(uri)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path))
            if not path.is_relative_to(self.root):
                return document.diagnostic(
                    "ref/outside-root",
                    Severity.ERROR,
                    f"{site.ref!r} leaves the schemas root (to {display_path(path)})",
                    site.pointer,
                    "schemagen resolves refs only inside the schemas root; "
                    "move the schema in or use --map",
                )
            where = (
                f"no such file under {display_path(self.root)}/" if not path.exists() else reason
            )
            return document.diagnostic(
                "ref/unresolvable",
                Severity.ERROR,
                f"cannot resolve {site.ref!r} ({where})",
                site.pointer,
                "check the relative path from this file",
            )
        if (
            parsed.scheme in ("http", "https")
            and self.mapped_path(uri) is None
            and uri not in self.index.uris
        ):
            return document.diagnostic(
                "ref/remote-unmapped",
                Severity.ERROR,
                f"{site.ref!r} is a remote URI and no local mapping serves it "
                "(schemagen never fetches)",
                site.pointer,
                f"map its prefix to a local directory: --map {parsed.scheme}://{parsed.netloc}/=DIR",
            )
        mapped = self.mapped_path(uri)
        if mapped is not None and reason == "no schema has this URI":
            reason = f"mapped to {display_path(mapped[1])}, which does not exist"
        return document.diagnostic(
            "ref/unresolvable",
            Severity.ERROR,
            f"cannot resolve {site.ref!r} ({reason})",
            site.pointer,
            None,
        )


def _duplicate_ids(documents: tuple[SchemaDocument, ...], index: _Index) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    for document in documents:
        declared = document.declared_id
        if declared is None:
            continue
        uri = urldefrag(join_uri(document.file_uri, declared)).url
        owner = index.uris.get(uri)
        if owner is None:
            index.uris[uri] = document
        elif owner.path != document.path:
            id_key = "id" if document.dialect == DRAFT4 else "$id"
            diagnostics.append(
                document.diagnostic(
                    "id/duplicate",
                    Severity.ERROR,
                    f"$id {declared!r} is already declared by {owner.display}",
                    f"/{id_key}",
                    "every schema needs its own $id; refs to this one resolve to the first file",
                )
            )
    return diagnostics


def compile_corpus(config: Config) -> Corpus:
    """Load and resolve the configured schemas directory (FileNotFoundError if missing)."""
    loaded = load_corpus(config.schemas, config.default_dialect)
    index = _Index()
    for document in loaded.documents:
        index.file_uris[document.file_uri] = document
        index.uris[document.file_uri] = document
    diagnostics = list(loaded.diagnostics)
    diagnostics.extend(_duplicate_ids(loaded.documents, index))
    sites = [
        RefSite(document, pointer, ref, base)
        for document in loaded.documents
        for pointer, ref, base in _index_document(document, index)
    ]
    resolver = _Resolver(config, loaded.root, index)
    references: list[Reference] = []
    for site in sites:
        reference, problem = resolver.resolve(site)
        references.append(reference)
        if problem is not None:
            diagnostics.append(problem)
    registry = _build_registry(loaded.documents, resolver)
    diagnostics.extend(resolver.external_problems)
    return Corpus(
        config=config,
        root=loaded.root,
        documents=loaded.documents,
        external_documents=tuple(resolver.external.values()),
        references=tuple(references),
        registry=registry,
        diagnostics=tuple(diagnostics),
        files_seen=loaded.files_seen,
        _uris=dict(index.uris),
    )


_CRAWLED: dict[tuple[str, str, str, tuple[str, ...]], Registry[Any]] = {}
"""One document's crawled registry, per (path, digest, dialect, URIs): a long-lived process
(`generate --watch`) crawls only the documents that changed. Registries are immutable."""
_CRAWLED_LIMIT = 20_000


def _crawled(document: SchemaDocument, uris: tuple[str, ...]) -> Registry[Any]:
    key = (str(document.path), document.sha256, document.dialect, uris)
    found = _CRAWLED.get(key)
    if found is None:
        resource = _resource(document)
        found = Registry().with_resources([(uri, resource) for uri in uris]).crawl()
        if len(_CRAWLED) >= _CRAWLED_LIMIT:
            _CRAWLED.clear()
        _CRAWLED[key] = found
    return found


def _build_registry(documents: tuple[SchemaDocument, ...], resolver: _Resolver) -> Registry[Any]:
    """One registry holding every document under each URI the resolver knows it by.

    Each document is crawled (its embedded resources and anchors indexed) on its own, so one
    that referencing cannot index is left out with a diagnostic instead of breaking the rest.
    """
    uris: dict[Path, list[str]] = {}
    for uri, document in resolver.index.uris.items():
        if "#" not in uri:
            uris.setdefault(document.path, []).append(uri)
    by_path = {document.path: document for document in documents}
    for uri, document in {**resolver.external, **resolver.aliases}.items():
        by_path.setdefault(document.path, document)
        uris.setdefault(document.path, []).append(uri)
    crawled: list[Registry[Any]] = []
    for path, document in by_path.items():
        try:
            crawled.append(_crawled(document, tuple(dict.fromkeys(uris.get(path, ())))))
        except Exception as error:  # noqa: BLE001 - referencing raises assorted errors here
            resolver.external_problems.append(
                document.diagnostic(
                    "schema/malformed",
                    Severity.WARNING,
                    f"the referencing library cannot index this schema ({type(error).__name__}: "
                    f"{error}); validation cannot follow $refs into it",
                    "",
                    "run `schemagen validate` for any metaschema errors",
                )
            )

    def retrieve(uri: str) -> Resource[Any]:
        # Remote documents a mapped document refers to: served by the map, never fetched.
        found = resolver.document_for(urldefrag(uri).url)
        if found is None:
            raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]
        return _resource(found[0])

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    return registry.combine(*crawled, METASCHEMAS)
