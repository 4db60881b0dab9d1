"""Which schemas a generated module's content depends on, from the corpus's resolved `$ref`s.

A module imports the classes of the schemas it refers to, so its text depends on their names and
kinds (an enum renders defaults as members), not on their descriptions or examples; through
`allOf` it inherits a base's fields (and may re-declare them), so it depends on its bases' whole
text and on what they refer to. It does not depend on the schemas behind its imports' imports:
editing a leaf regenerates the leaf and the modules that merge its text in, not the tree above it.
A subschema another file refers to by pointer (`x.json#/properties/a`) becomes a class in x's
module, so x's module depends on that referrer too. The differential test (incremental output
equals a cold run after single-schema edits) is what keeps this honest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from schemagen.pygen.prepare import RefIndex, narrowed_schemas
from schemagen.pygen.scalars import ANNOTATIONS, refinement
from schemagen.resolve import Corpus, Reference
from schemagen.sourcemap import resolve_pointer

_ALLOF_MEMBER = re.compile(r"/allOf/\d+$")
_DEFINITIONS = re.compile(r"^/(\$defs|definitions)/[^/]+$")


@dataclass(frozen=True)
class Dependencies:
    """Per relpath: the schemas its refs land in, its allOf bases, its content's sources, and
    which of those can show in it with their whole text (`deep`)."""

    refs: Mapping[str, frozenset[str]]
    bases: Mapping[str, frozenset[str]]
    pointer_referrers: Mapping[str, frozenset[str]]
    sources: Mapping[str, frozenset[str]]
    deep: Mapping[str, frozenset[str]]
    narrowers: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """Per relpath: its schemas (by pointer) that other files narrow, and which files do."""

    def narrowed(self, relpath: str) -> tuple[tuple[str, str, str], ...]:
        """(file, pointer, first narrower) for every schema of `relpath` or of its bases up the
        allOf chain that some file narrows. Whether a schema is narrowed shows in the modules
        (it becomes a class) even when the narrowing file is not among their sources, so this
        goes into their digests, and a run that regenerates them includes one narrower each."""
        found: list[tuple[str, str, str]] = []
        chain, walked = [relpath], set()
        while chain:
            current = chain.pop()
            if current in walked:
                continue
            walked.add(current)
            for pointer, who in self.narrowers.get(current, {}).items():
                found.append((current, pointer, who[0]))
            chain.extend(self.bases.get(current, frozenset()))
        return tuple(sorted(found))

    def run_set(self, targets: Iterable[str], *, closure: bool = True) -> frozenset[str]:
        """What a datamodel-codegen run needs in order to produce `targets`' modules: them, the
        files that refer into them by pointer, and (with `closure`) everything those refer to."""
        todo = list(targets)
        for target in list(todo):
            todo.extend(self.pointer_referrers.get(target, ()))
        if not closure:
            return frozenset(todo)
        seen: set[str] = set()
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.refs.get(current, ()))
        return frozenset(seen)

    def topological(self, relpaths: Iterable[str]) -> tuple[str, ...]:
        """`relpaths` with every schema after the schemas it refers to (cycles broken by name)."""
        wanted = set(relpaths)
        order: list[str] = []
        seen: set[str] = set()
        for root in sorted(wanted):
            stack: list[tuple[str, bool]] = [(root, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    order.append(node)
                    continue
                if node in seen:
                    continue
                seen.add(node)
                stack.append((node, True))
                children = sorted(self.refs.get(node, frozenset()) & wanted, reverse=True)
                stack.extend((child, False) for child in children if child not in seen)
        return tuple(order)


def _refined(reference: Reference) -> bool:
    """A ref beside keywords of its own (`{"$ref": "Obj", "required": [...]}`): a new type that
    datamodel-codegen builds from the target's text."""
    try:
        holder = resolve_pointer(reference.site.document.contents, reference.site.schema_pointer)
    except LookupError:
        return False
    return isinstance(holder, Mapping) and any(
        key != "$ref" and key not in ANNOTATIONS and not key.startswith("x-") for key in holder
    )


def _is_base(reference: Reference) -> bool:
    return bool(_ALLOF_MEMBER.search(reference.site.schema_pointer))


def dependencies(corpus: Corpus) -> Dependencies:
    refs: dict[str, set[str]] = {}
    bases: dict[str, set[str]] = {}
    referrers: dict[str, set[str]] = {}
    pointed: dict[str, set[str]] = {}
    for reference in corpus.references:
        if (
            not reference.cross_file
            or reference.target is None
            or reference.target.document is None
        ):
            continue
        source = reference.site.document.relpath
        target = reference.target.document.relpath
        refs.setdefault(source, set()).add(target)
        if _is_base(reference):
            bases.setdefault(source, set()).add(target)
        pointer = reference.target.pointer
        if pointer or _refined(reference):  # the target's text can show in the source's module
            pointed.setdefault(source, set()).add(target)
        if pointer and not _DEFINITIONS.match(pointer):
            referrers.setdefault(target, set()).add(source)
    index = RefIndex.build(corpus.references, corpus.documents)
    narrowers: dict[str, dict[str, set[str]]] = {}
    for document in corpus.documents:  # a narrowed inherited schema is inherited from, like a base
        for target, pointer in narrowed_schemas(document, index):
            bases.setdefault(document.relpath, set()).add(target)
            narrowers.setdefault(target, {}).setdefault(pointer, set()).add(document.relpath)
    frozen_refs = _frozen(refs)
    graph = _Graph(
        frozen_refs,
        _frozen(bases),
        _frozen(referrers),
        _frozen(pointed),
        _refinements(corpus, index),
    )
    everything = (
        {d.relpath for d in corpus.documents}
        | set(frozen_refs)
        | {t for targets in frozen_refs.values() for t in targets}
    )
    found = {relpath: graph.sources(relpath) for relpath in sorted(everything)}
    return Dependencies(
        frozen_refs,
        graph.bases,
        graph.referrers,
        {k: v[0] for k, v in found.items()},
        {k: v[1] for k, v in found.items()},
        {
            target: {pointer: tuple(sorted(who)) for pointer, who in sorted(pointers.items())}
            for target, pointers in narrowers.items()
        },
    )


def _frozen(mapping: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    return {k: frozenset(v) for k, v in mapping.items()}


@dataclass(frozen=True)
class _Graph:
    refs: Mapping[str, frozenset[str]]
    bases: Mapping[str, frozenset[str]]
    referrers: Mapping[str, frozenset[str]]
    pointed: Mapping[str, frozenset[str]]
    merged: Mapping[str, frozenset[str]]

    def sources(self, start: str) -> tuple[frozenset[str], frozenset[str]]:
        """(all sources, the deep ones) of `start`'s module: itself, what it refers to, and the
        same for each base up the allOf chain. Deep sources are those whose whole text can show
        in the module (bases, narrowed and merged schemas, pointer targets and referrers); of the
        others only the interface counts (see `interface_digest`)."""
        found: set[str] = set()
        deep: set[str] = set()
        chain = [start]
        walked: set[str] = set()
        while chain:
            current = chain.pop()
            if current in walked:
                continue
            walked.add(current)
            extra = self.referrers.get(current, frozenset()) | self.pointed.get(
                current, frozenset()
            )
            extra |= self.merged.get(current, frozenset())
            deep |= {current} | extra
            found |= {current} | extra | self.refs.get(current, frozenset())
            chain.extend(self.bases.get(current, frozenset()))
        return frozenset(found), frozenset(deep)


def _refinements(corpus: Corpus, index: RefIndex) -> dict[str, frozenset[str]]:
    """Files whose scalar constraints a document's refinements merge in (see `scalars`)."""
    found: dict[str, frozenset[str]] = {}
    holders = {(str(r.site.document.path), r.site.schema_pointer) for r in corpus.references}
    for document in corpus.documents:
        trail: set[str] = set()
        for node in document.nodes:
            if "allOf" not in node.schema and (str(document.path), node.pointer) not in holders:
                continue
            trail |= refinement(document, node.pointer, index) or set()
        if trail:
            found[document.relpath] = frozenset(trail)
    return found
