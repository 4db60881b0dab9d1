"""The frozen input of every check, and facts about the corpus that several rules share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from schemagen.config import Config
from schemagen.govern.code import PythonSource
from schemagen.govern.constants import ConstantTable
from schemagen.govern.naming import class_name
from schemagen.govern.settings import GovernanceSettings
from schemagen.load import SchemaDocument
from schemagen.outputs import GeneratedFile, Manifest
from schemagen.resolve import Corpus, Reference
from schemagen.sourcemap import join_pointer, resolve_pointer
from schemagen.walk import SchemaNode

if TYPE_CHECKING:
    from schemagen.graph import SchemaGraph


def file_stem(document: SchemaDocument) -> str:
    name = PurePosixPath(document.relpath).name
    for suffix in (".schema.json", ".schema.yaml", ".schema.yml", ".json", ".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class Part:
    """One schema object that contributes to an effective (allOf/$ref-merged) view."""

    document: SchemaDocument
    pointer: str
    schema: Mapping[str, Any]


class CorpusFacts:
    """Indexes over a compiled corpus, computed on first use (the corpus is immutable)."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self._nodes: dict[Path, tuple[SchemaNode, ...]] = {}

    def nodes(self, document: SchemaDocument) -> tuple[SchemaNode, ...]:
        """Every subschema of a document (walked once, shared by all rules)."""
        found = self._nodes.get(document.path)
        if found is None:
            found = document.nodes
            self._nodes[document.path] = found
        return found

    @cached_property
    def by_path(self) -> Mapping[Path, SchemaDocument]:
        return {d.path: d for d in self.corpus.documents}

    @cached_property
    def refs_at(self) -> Mapping[tuple[Path, str], Reference]:
        """The resolved `$ref` of the schema object at (file, pointer)."""
        return {
            (r.site.document.path, r.site.schema_pointer): r
            for r in self.corpus.references
            if r.site.pointer.endswith("/$ref")
            and r.target is not None
            and r.target.document is not None
        }

    @cached_property
    def depends_on(self) -> Mapping[Path, frozenset[Path]]:
        """Every cross-file `$ref` edge, source -> target (the dependency graph)."""
        edges: dict[Path, set[Path]] = {}
        for r in self.corpus.references:
            if not r.cross_file or r.target is None or r.target.document is None:
                continue
            if r.target.document.path in self.by_path:
                edges.setdefault(r.site.document.path, set()).add(r.target.document.path)
        return {k: frozenset(v) for k, v in edges.items()}

    @cached_property
    def extends(self) -> Mapping[Path, frozenset[Path]]:
        """Inheritance, transitively: the documents whose whole schema a document includes
        through its root `$ref` and `allOf` chain (local `$defs` hops included)."""
        edges: dict[Path, frozenset[Path]] = {}
        for document in self.corpus.documents:
            inherited = {
                part.document.path
                for part in self.parts(document)
                if part.pointer == "" and part.document.path != document.path
            }
            if inherited:
                edges[document.path] = frozenset(inherited)
        return edges

    @cached_property
    def extended_by(self) -> Mapping[Path, frozenset[Path]]:
        reverse: dict[Path, set[Path]] = {}
        for source, targets in self.extends.items():
            for target in targets:
                reverse.setdefault(target, set()).add(source)
        return {k: frozenset(v) for k, v in reverse.items()}

    @cached_property
    def referenced_by(self) -> Mapping[Path, frozenset[Path]]:
        reverse: dict[Path, set[Path]] = {}
        for source, targets in self.depends_on.items():
            for target in targets:
                reverse.setdefault(target, set()).add(source)
        return {k: frozenset(v) for k, v in reverse.items()}

    def descendants(self, base: SchemaDocument) -> frozenset[Path]:
        """Every document that extends `base`, however indirectly (not `base` itself)."""
        found: set[Path] = set()
        todo = [base.path]
        while todo:
            for child in self.extended_by.get(todo.pop(), ()):
                if child not in found and child != base.path:
                    found.add(child)
                    todo.append(child)
        return frozenset(found)

    def identify(self, name: str) -> SchemaDocument | None:
        """The document a configured name means: by title's class name, else by file stem."""
        for document in self.corpus.documents:
            if document.title is not None and class_name(document.title) == name:
                return document
        for document in self.corpus.documents:
            if file_stem(document) == name:
                return document
        return None

    def parts(self, document: SchemaDocument, pointer: str = "") -> Iterator[Part]:
        """The schema object at `pointer` and everything it inherits through `allOf` and `$ref`."""
        seen: set[tuple[Path, str]] = set()
        todo = [(document, pointer)]
        while todo:
            doc, ptr = todo.pop()
            if (doc.path, ptr) in seen:
                continue
            seen.add((doc.path, ptr))
            try:
                schema = resolve_pointer(doc.contents, ptr)
            except (LookupError, ValueError):
                continue
            if not isinstance(schema, Mapping):
                continue
            yield Part(doc, ptr, schema)
            reference = self.refs_at.get((doc.path, ptr))
            if reference is not None and reference.target is not None and reference.target.document:
                target = self.by_path.get(reference.target.document.path, reference.target.document)
                todo.append((target, reference.target.pointer))
            members = schema.get("allOf")
            if isinstance(members, list):
                todo.extend(
                    (doc, join_pointer(ptr, "allOf", i)) for i in reversed(range(len(members)))
                )

    @cached_property
    def title_classes(self) -> Mapping[str, tuple[SchemaDocument, ...]]:
        """Class name -> the documents whose root title makes it."""
        names: dict[str, list[SchemaDocument]] = {}
        for document in self.corpus.documents:
            if document.title is not None:
                names.setdefault(class_name(document.title), []).append(document)
        return {k: tuple(v) for k, v in names.items()}

    @cached_property
    def all_title_classes(self) -> Mapping[str, SchemaDocument]:
        """Class names of every titled (sub)schema: what the generator may emit."""
        names: dict[str, SchemaDocument] = {}
        for document in self.corpus.documents:
            for node in self.nodes(document):
                title = node.schema.get("title")
                if isinstance(title, str):
                    names.setdefault(class_name(title), document)
        return names

    @cached_property
    def numbers(self) -> frozenset[float]:
        """Every number anywhere in the corpus contents."""
        found: set[float] = set()
        todo: list[Any] = [d.contents for d in self.corpus.documents]
        while todo:
            value = todo.pop()
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                found.add(float(value))
            elif isinstance(value, Mapping):
                todo.extend(value.values())
            elif isinstance(value, list):
                todo.extend(value)
        return frozenset(found)


@dataclass(frozen=True)
class RuleContext:
    """Everything a check may read. Frozen; checks are pure functions of it."""

    config: Config
    settings: GovernanceSettings
    corpus: Corpus
    graph: SchemaGraph | None
    """The plan's `$ref` dependency graph (networkx in `.graph`), for rules that want it."""
    files: tuple[GeneratedFile, ...]
    """What `generate` would write now (the plan)."""
    manifest: Manifest
    """The manifest of what `generate` would write now."""
    generated_manifest: Manifest | None
    """The manifest in the generated directory (what was written last), if any."""
    plan_has_errors: bool
    constants: ConstantTable
    code: tuple[PythonSource, ...]
    generated_python: tuple[PythonSource, ...]
    selected: frozenset[str]
    facts: CorpusFacts

    @property
    def out_display(self) -> str:
        return self.config.display(self.config.out)

    def generated_display(self, path: str) -> str:
        return f"{self.out_display}/{path}"

    def no_output_note(self) -> str | None:
        """The note of the rules that read the generated directory, when there is none yet."""
        if self.config.out.is_dir():
            return None
        return (
            "schema-first/hand-edit, schema-first/orphan, magic-numbers/generated-literal: "
            f"{self.out_display}/ does not exist yet; nothing to read"
        )
