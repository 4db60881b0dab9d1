"""Graph stage: the `$ref` dependency graph of a corpus, its queries, renderings and impact.

`build_graph` turns `Corpus.references` into a frozen `networkx.MultiDiGraph`: one node per schema
file (id = the path as the user would type it), one edge per `$ref` occurrence that resolved to
another file (key = the pointer of the `$ref`). A ref counts exactly when the resolver resolved it,
so the graph and every other stage agree on what depends on what. Refs inside one file and refs
to the JSON Schema metaschemas are not edges.

Edges point from the referring file to the referred one, so "dependencies" follow edges and
"dependents" go against them. Levels run upward: level 0 references nothing, level n is one more
than the highest level it references. Cycles never crash anything: a strongly connected component
is one unit of the layering, and its members share a level.

Renderings: the CLI contract's JSON, Graphviz DOT and Mermaid (clustered by folder, optionally
restricted to a `--focus` neighbourhood), SVG through Graphviz's `dot`. `compute_impact` answers
"what does a change to these schemas affect" from the graph and the manifest of generated files;
`changed_since` finds the changed schemas in git.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import logging
import os
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urldefrag, urlparse

import networkx as nx

from schemagen.config import Config
from schemagen.jsontext import json_text
from schemagen.load import SCHEMA_SUFFIXES, SchemaDocument
from schemagen.outputs import GeneratedFile, Manifest, StageResult
from schemagen.resolve import Corpus
from schemagen.walk import join_uri

log = logging.getLogger(__name__)

GRAPH_FORMATS = ("json", "dot", "mermaid", "svg")
IMPACT_FORMATS = ("text", "json")
TEMPLATES_DIR = "backstage/"
DEFAULT_ENTRY_FOLDERS = (
    "entities",
    "events",
    "payloads",
    "api",
    "workflows",
    "infrastructure",
    "laws",
    "tables",
    "taxonomy",
)
"""Top folders whose schemas are entry points (used by applications, not by other schemas)."""
EXTERNAL = "(external)"
"""The folder of documents served from outside the schemas root (through --map)."""
GRAPHVIZ_HINT = "install Graphviz (Debian package graphviz) or use --format dot"


class GraphError(Exception):
    """A graph question that cannot be answered as asked (unknown target, missing tool, no git)."""


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class Edge:
    """One cross-file `$ref` occurrence: source file, target file, pointer of the `$ref`."""

    source: str
    target: str
    pointer: str
    target_pointer: str = ""


@dataclass(frozen=True)
class NodeInfo:
    id: str
    path: str
    relpath: str
    folder: str
    schema_id: str | None
    title: str | None
    entry_point: bool
    external: bool

    @property
    def label(self) -> str:
        """A short name for pictures: the title, else the file name without its suffixes."""
        return self.title or _stem(self.relpath)


@dataclass(frozen=True, eq=False)
class SchemaGraph:
    """A frozen `networkx.MultiDiGraph` of a corpus plus the queries every stage asks of it.

    Node ids are display paths; node attributes are the fields of `NodeInfo`; edge keys and the
    `pointer` attribute are the pointers of the `$ref`s.
    """

    digraph: Any
    root: Path
    project_root: Path

    # -- nodes and edges ----------------------------------------------------------------------

    @cached_property
    def nodes(self) -> tuple[str, ...]:
        return tuple(sorted(self.digraph.nodes))

    @cached_property
    def edges(self) -> tuple[Edge, ...]:
        return tuple(
            sorted(
                (
                    Edge(u, v, data["pointer"], data["target_pointer"])
                    for u, v, data in self.digraph.edges(data=True)
                ),
                key=lambda e: (e.source, e.target, e.pointer),
            )
        )

    def info(self, node: str) -> NodeInfo:
        return NodeInfo(id=node, **self.digraph.nodes[node])

    @cached_property
    def simple(self) -> Any:
        """The graph with parallel edges merged (a `networkx.DiGraph`)."""
        simple = nx.DiGraph()
        simple.add_nodes_from(self.nodes)
        simple.add_edges_from(sorted({(u, v) for u, v in self.digraph.edges()}))
        return nx.freeze(simple)

    def resolve(self, text: str) -> str:
        """The node a target names: a node id, a path (as typed, absolute, or relative to the
        schemas root), a `$id`, or (when unique) a title or file stem. GraphError otherwise."""
        found = _match_target(self, text)
        if found is None:
            raise GraphError(_unknown_target_message(self, text))
        return found

    # -- structure ----------------------------------------------------------------------------

    def dependencies(self, node: str, *, transitive: bool = False) -> tuple[str, ...]:
        """What `node` refers to (directly, or through any chain of refs)."""
        found = nx.descendants(self.simple, node) if transitive else self.simple.successors(node)
        return tuple(sorted(found))

    def dependents(self, node: str, *, transitive: bool = False) -> tuple[str, ...]:
        """What refers to `node` (directly, or through any chain of refs)."""
        found = nx.ancestors(self.simple, node) if transitive else self.simple.predecessors(node)
        return tuple(sorted(found))

    def reaches(self, node: str, target: str) -> bool:
        """Whether a chain of one or more refs leads from `node` to `target`."""
        if node == target:
            return self._in_cycle(node)
        return bool(nx.has_path(self.simple, node, target))

    def roots(self) -> tuple[str, ...]:
        """Schemas nothing refers to."""
        return tuple(n for n in self.nodes if self.simple.in_degree(n) == 0)

    def leaves(self) -> tuple[str, ...]:
        """Schemas that refer to nothing (level 0)."""
        return tuple(n for n in self.nodes if self.simple.out_degree(n) == 0)

    def entry_points(self) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if self.digraph.nodes[n]["entry_point"])

    def unused(self) -> tuple[str, ...]:
        """Schemas nothing refers to that are not entry points either: candidates for removal."""
        return tuple(
            n
            for n in self.roots()
            if not self.digraph.nodes[n]["entry_point"] and not self.digraph.nodes[n]["external"]
        )

    @cached_property
    def _components(self) -> tuple[tuple[str, ...], ...]:
        found = nx.strongly_connected_components(self.simple)
        return tuple(sorted(tuple(sorted(c)) for c in found))

    def strongly_connected_components(self) -> tuple[tuple[str, ...], ...]:
        """Every strongly connected component (singletons included), sorted."""
        return self._components

    def cycles(self) -> tuple[tuple[str, ...], ...]:
        """The components that hold a cycle of refs: each group's members reach one another."""
        return tuple(c for c in self._components if len(c) > 1)

    def _in_cycle(self, node: str) -> bool:
        return any(node in c for c in self.cycles())

    # -- layering -----------------------------------------------------------------------------

    @cached_property
    def _condensation(self) -> Any:
        return nx.condensation(self.simple)

    @cached_property
    def levels(self) -> Mapping[str, int]:
        """Node -> level: 0 for a node that references nothing, else 1 + the highest level it
        references. Members of a cycle form one unit and share its level."""
        condensed = self._condensation
        component_level: dict[int, int] = {}
        for component in reversed(list(nx.topological_sort(condensed))):
            below = [component_level[s] for s in condensed.successors(component)]
            component_level[component] = 1 + max(below) if below else 0
        mapping = condensed.graph["mapping"]
        return {node: component_level[mapping[node]] for node in self.nodes}

    def level(self, node: str) -> int:
        return self.levels[node]

    @property
    def depth(self) -> int:
        """The highest level (0 for an empty graph)."""
        return max(self.levels.values(), default=0)

    def layers(self) -> tuple[tuple[str, ...], ...]:
        """Nodes grouped by level, level 0 first."""
        grouped: dict[int, list[str]] = defaultdict(list)
        for node in self.nodes:
            grouped[self.levels[node]].append(node)
        return tuple(tuple(grouped[level]) for level in range(self.depth + 1)) if grouped else ()

    def longest_path(self) -> tuple[str, ...]:
        """A longest chain of refs (len = depth + 1), from a top-level schema down to level 0.

        Through a cycle the chain passes its component once, named by its first member."""
        if not self.nodes:
            return ()
        condensed = self._condensation
        members = condensed.nodes

        def representative(component: int) -> str:
            return str(min(members[component]["members"]))

        mapping = condensed.graph["mapping"]
        levels = self.levels
        current = mapping[min(self.nodes, key=lambda n: (-levels[n], n))]
        path = [representative(current)]
        while condensed.out_degree(current):
            wanted = levels[path[-1]] - 1
            current = min(
                (s for s in condensed.successors(current) if levels[representative(s)] == wanted),
                key=representative,
            )
            path.append(representative(current))
        return tuple(path)

    # -- subgraphs ----------------------------------------------------------------------------

    def neighbourhood(self, focus: Iterable[str], depth: int) -> tuple[str, ...]:
        """The focus nodes plus what they reach within `depth` refs, and what reaches them."""
        found: set[str] = set()
        reverse = self.simple.reverse(copy=False)
        for node in focus:
            found.update(nx.single_source_shortest_path_length(self.simple, node, cutoff=depth))
            found.update(nx.single_source_shortest_path_length(reverse, node, cutoff=depth))
        return tuple(sorted(found))


# --------------------------------------------------------------------------------------------
# Building


def build_graph(corpus: Corpus) -> SchemaGraph:
    """The dependency graph of a compiled corpus (see the module docstring)."""
    patterns = _entry_patterns(corpus.config)
    digraph = nx.MultiDiGraph()
    for document in (*corpus.documents, *corpus.external_documents):
        digraph.add_node(document.display, **_node_attributes(document, patterns))
    for reference in sorted(
        corpus.references, key=lambda r: (r.site.document.display, r.site.pointer)
    ):
        if (
            not reference.cross_file
            or reference.target is None
            or reference.target.document is None
        ):
            continue
        source, target = reference.site.document.display, reference.target.document.display
        digraph.add_edge(
            source,
            target,
            key=reference.site.pointer,
            pointer=reference.site.pointer,
            target_pointer=reference.target.pointer,
        )
    return SchemaGraph(nx.freeze(digraph), corpus.root, corpus.config.project_root.resolve())


def _node_attributes(document: SchemaDocument, patterns: Sequence[str]) -> dict[str, Any]:
    external = document.relpath.startswith("..")
    return {
        "path": str(document.path),
        "relpath": document.relpath,
        "folder": EXTERNAL if external else _folder_of(document.relpath),
        "schema_id": document.declared_id,
        "title": document.title,
        "entry_point": not external and _is_entry_point(document, patterns),
        "external": external,
    }


def _folder_of(relpath: str) -> str:
    """The folder under the schemas root ("" for the root itself)."""
    parent = str(PurePosixPath(relpath).parent)
    return "" if parent == "." else parent


def _entry_patterns(config: Config) -> tuple[str, ...]:
    """Globs (over paths relative to the schemas root) of entry points: `[tool.schemagen.graph]
    entry_points`, else every schema under one of DEFAULT_ENTRY_FOLDERS."""
    configured = config.section("graph").get("entry_points")
    if isinstance(configured, list) and all(isinstance(p, str) for p in configured):
        return tuple(configured)
    return tuple(f"{folder}/*" for folder in DEFAULT_ENTRY_FOLDERS)


def _is_entry_point(document: SchemaDocument, patterns: Sequence[str]) -> bool:
    """Used by applications rather than by other schemas: it carries `x-infrastructure` (a
    service-bearing entity) or lies where entry points live."""
    if "x-infrastructure" in document.contents:
        return True
    return any(fnmatch.fnmatchcase(document.relpath, pattern) for pattern in patterns)


# --------------------------------------------------------------------------------------------
# Targets


def _match_target(graph: SchemaGraph, text: str) -> str | None:
    if text in graph.digraph:
        return text
    nodes = graph.digraph.nodes
    by_path = {nodes[n]["path"]: n for n in graph.nodes}
    candidate = Path(text)
    for path in (candidate.resolve(), (graph.root / candidate).resolve()):
        if str(path) in by_path:
            return by_path[str(path)]
    bare = urldefrag(text).url
    for node in graph.nodes:
        schema_id = nodes[node]["schema_id"]
        if schema_id is not None and urldefrag(schema_id).url == bare:
            return node
    named = [n for n in graph.nodes if text in (nodes[n]["title"], _stem(nodes[n]["relpath"]))]
    return named[0] if len(named) == 1 else None


def _unknown_target_message(graph: SchemaGraph, text: str) -> str:
    nodes = graph.digraph.nodes
    names: dict[str, str] = {}
    for node in graph.nodes:
        for name in (
            node,
            nodes[node]["relpath"],
            nodes[node]["title"],
            _stem(nodes[node]["relpath"]),
        ):
            if isinstance(name, str):
                names.setdefault(name, node)
    near = difflib.get_close_matches(text, list(names), n=5, cutoff=0.6)
    suggestions = sorted({names[n] for n in near})
    where = _display(graph.root)
    ambiguous = [n for n in graph.nodes if text in (nodes[n]["title"], _stem(nodes[n]["relpath"]))]
    if len(ambiguous) > 1:
        return f"{text!r} names {len(ambiguous)} schemas; say which: {', '.join(ambiguous)}"
    message = f"no schema {text!r} in {where}/ (give a path, a path under {where}/, or a $id)"
    return message + (f"; did you mean: {', '.join(suggestions)}" if suggestions else "")


def _stem(relpath: str) -> str:
    name = PurePosixPath(relpath).name
    for suffix in (".schema.json", ".schema.yaml", ".schema.yml", *SCHEMA_SUFFIXES):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------
# Rendering


def render_graph(
    graph: SchemaGraph, fmt: str, *, focus: Sequence[str] = (), depth: int = 2
) -> str | bytes:
    """The graph (or the `focus` neighbourhood within `depth` refs) as json, dot, mermaid or svg."""
    if fmt not in GRAPH_FORMATS:
        raise GraphError(f"unknown graph format {fmt!r}; one of {', '.join(GRAPH_FORMATS)}")
    focused = tuple(sorted({graph.resolve(f) for f in focus}))
    shown = graph.neighbourhood(focused, depth) if focused else graph.nodes
    if fmt == "json":
        return graph_json(graph, shown, focus=focused)
    if fmt == "mermaid":
        return render_mermaid(graph, shown, focus=focused)
    dot = render_dot(graph, shown, focus=focused)
    return dot if fmt == "dot" else dot_to_svg(dot)


def graph_json(
    graph: SchemaGraph,
    shown: Sequence[str] | None = None,
    *,
    focus: Sequence[str] = (),
    ids: Callable[[str], str] | None = None,
) -> str:
    """The CLI contract's JSON (nodes sorted by id, edges by source, target, pointer), plus
    `cycles` (groups of nodes that refer to one another) and, when focused, `focus`."""
    name = ids or (lambda node: node)
    members = set(graph.nodes if shown is None else shown)
    levels = graph.levels
    nodes = [
        {
            "id": name(n),
            "schema_id": graph.digraph.nodes[n]["schema_id"],
            "title": graph.digraph.nodes[n]["title"],
            "level": levels[n],
        }
        for n in graph.nodes
        if n in members
    ]
    edges = [
        {"source": name(e.source), "target": name(e.target), "pointer": e.pointer}
        for e in graph.edges
        if e.source in members and e.target in members
    ]
    data: dict[str, Any] = {
        "nodes": sorted(nodes, key=lambda n: n["id"]),
        "edges": sorted(edges, key=lambda e: (e["source"], e["target"], e["pointer"])),
        "cycles": sorted(
            sorted(name(n) for n in c) for c in graph.cycles() if members.intersection(c)
        ),
    }
    if focus:
        data["focus"] = sorted(name(n) for n in focus)
    return json_text(data)


def _folder_tree(graph: SchemaGraph, shown: Sequence[str]) -> dict[str, list[str]]:
    """Folder -> the shown nodes directly in it ("" is the schemas root)."""
    tree: dict[str, list[str]] = defaultdict(list)
    for node in shown:
        tree[graph.digraph.nodes[node]["folder"]].append(node)
    return tree


def _parent_folder(folder: str) -> str:
    parent = str(PurePosixPath(folder).parent)
    return "" if parent == "." or folder in ("", EXTERNAL) else parent


def _folder_label(folder: str) -> str:
    return "outside the schemas root" if folder == EXTERNAL else f"{folder}/"


def _all_folders(folders: Iterable[str]) -> list[str]:
    """The folders and every ancestor of them, sorted (so parents come before children)."""
    found: set[str] = set()
    for folder in folders:
        while folder:
            found.add(folder)
            folder = _parent_folder(folder)
    return sorted(found)


def _merged_edges(graph: SchemaGraph, shown: Sequence[str]) -> list[tuple[str, str, list[str]]]:
    """Parallel edges merged: (source, target, pointers) among the shown nodes."""
    members = set(shown)
    merged: dict[tuple[str, str], list[str]] = defaultdict(list)
    for edge in graph.edges:
        if edge.source in members and edge.target in members:
            merged[(edge.source, edge.target)].append(edge.pointer)
    return [(u, v, pointers) for (u, v), pointers in sorted(merged.items())]


PALETTE = ("#e8f1fb", "#eaf7ea", "#fdf3e1", "#f3e9f7", "#fbe9ec", "#e6f6f5", "#f6f6e0", "#eeeeee")


def _colours(graph: SchemaGraph) -> dict[str, str]:
    """A fill colour per top folder, stable for a given corpus layout."""
    tops = sorted({_top_folder(graph.digraph.nodes[n]["folder"]) for n in graph.nodes})
    return {top: PALETTE[i % len(PALETTE)] for i, top in enumerate(tops)}


def _top_folder(folder: str) -> str:
    return folder.split("/", 1)[0]


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(
    graph: SchemaGraph, shown: Sequence[str] | None = None, *, focus: Sequence[str] = ()
) -> str:
    """Graphviz DOT: one cluster per folder (nested like the folders), parallel refs merged
    into one edge (tooltip: their pointers), cycle members outlined in red, focus in bold.

    Levels run left to right (level 0 on the left): folder clusters then stack vertically, which
    stays readable where a top-down layout puts every primitive in one very wide row."""
    shown = graph.nodes if shown is None else tuple(shown)
    tree = _folder_tree(graph, shown)
    colours = _colours(graph)
    cyclic = {n for c in graph.cycles() for n in c}
    lines = [
        "digraph schemas {",
        '  graph [rankdir=RL, newrank=true, ranksep=0.9, nodesep=0.2, fontname="Helvetica", '
        'fontsize=12, labeljust=l, style="rounded", color="#b0b0b0"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, '
        'height=0.3, color="#7a7a7a"];',
        '  edge [color="#8a8a8aa0", arrowsize=0.6];',
    ]

    def node_line(node: str, indent: str) -> str:
        info = graph.info(node)
        attrs = [
            f"label={_dot_quote(info.label)}",
            f"tooltip={_dot_quote(f'{node} (level {graph.levels[node]})')}",
            f"fillcolor={_dot_quote(colours[_top_folder(info.folder)])}",
        ]
        if node in cyclic:
            attrs.append('color="#d62728", penwidth=2')
        if node in focus:
            attrs.append('penwidth=2.5, fontname="Helvetica-Bold"')
        return f"{indent}{_dot_quote(node)} [{', '.join(attrs)}];"

    def emit(folder: str, indent: str) -> None:
        children = [f for f in folders if f and _parent_folder(f) == folder and f != folder]
        for child in children:
            lines.append(f"{indent}subgraph {_dot_quote('cluster_' + child)} {{")
            lines.append(f"{indent}  label={_dot_quote(_folder_label(child))};")
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")
        lines.extend(node_line(n, indent) for n in sorted(tree.get(folder, ())))

    folders = _all_folders(tree)
    emit("", "  ")
    for source, target, pointers in _merged_edges(graph, shown):
        attrs = [f"tooltip={_dot_quote(', '.join(pointers))}"]
        if len(pointers) > 1:
            attrs.append(f"penwidth={min(1 + 0.5 * (len(pointers) - 1), 3):g}")
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_to_svg(dot: str) -> bytes:
    """Lay out DOT with Graphviz's `dot -Tsvg`. GraphError when Graphviz is not installed."""
    executable = shutil.which("dot")
    if executable is None:
        raise GraphError(
            f"SVG output needs Graphviz's `dot` program, which is not on PATH: {GRAPHVIZ_HINT}"
        )
    try:
        done = subprocess.run(
            [executable, "-Tsvg"], input=dot.encode(), capture_output=True, check=False, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GraphError(f"Graphviz `dot` failed to run: {error}") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise GraphError(
            f"Graphviz `dot` failed: {detail[-1] if detail else f'exit {done.returncode}'}"
        )
    return bytes(done.stdout)


class _MermaidIds:
    """Mermaid-safe, unique, deterministic identifiers."""

    def __init__(self) -> None:
        self.given: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()

    def __call__(self, key: str, prefix: str) -> str:
        if (prefix, key) in self.given:
            return self.given[(prefix, key)]
        base = prefix + re.sub(r"[^A-Za-z0-9_]", "_", key)
        name, counter = base, 2
        while name in self.used:
            name, counter = f"{base}_{counter}", counter + 1
        self.given[(prefix, key)] = name
        self.used.add(name)
        return name


def _mermaid_label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def _schema_key(graph: SchemaGraph, node: str) -> str:
    """A node by its path under the schemas root, so Mermaid ids do not depend on the cwd."""
    relpath = str(graph.digraph.nodes[node]["relpath"])
    return str(PurePosixPath(relpath).parent / _stem(relpath)).removeprefix("./")


def render_mermaid(
    graph: SchemaGraph, shown: Sequence[str] | None = None, *, focus: Sequence[str] = ()
) -> str:
    """A Mermaid flowchart, one subgraph per folder, parallel refs merged into one arrow."""
    shown = graph.nodes if shown is None else tuple(shown)
    ids = _MermaidIds()
    tree = _folder_tree(graph, shown)
    lines = ["flowchart TB"]
    _mermaid_folders(graph, tree, ids, lines)
    for source, target, _ in _merged_edges(graph, shown):
        lines.append(
            f"  {ids(_schema_key(graph, source), 's_')} --> {ids(_schema_key(graph, target), 's_')}"
        )
    lines.extend(_mermaid_classes(graph, shown, focus, ids))
    return "\n".join(lines) + "\n"


def _mermaid_folders(
    graph: SchemaGraph,
    tree: Mapping[str, Sequence[str]],
    ids: _MermaidIds,
    lines: list[str],
    extra: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Nested subgraphs per folder holding the nodes of `tree` (and `extra` lines per folder)."""
    folders = _all_folders([*tree, *(extra or {})])

    def emit(folder: str, indent: str) -> None:
        for child in (f for f in folders if f and _parent_folder(f) == folder):
            lines.append(
                f"{indent}subgraph {ids(child, 'dir_')}[{_mermaid_label(_folder_label(child))}]"
            )
            emit(child, indent + "  ")
            lines.append(f"{indent}end")
        for node in sorted(tree.get(folder, ())):
            lines.append(
                f"{indent}{ids(_schema_key(graph, node), 's_')}"
                f"[{_mermaid_label(graph.info(node).label)}]"
            )
        lines.extend(indent + line for line in (extra or {}).get(folder, ()))

    emit("", "  ")


def _mermaid_classes(
    graph: SchemaGraph, shown: Sequence[str], focus: Sequence[str], ids: _MermaidIds
) -> list[str]:
    lines: list[str] = []
    cyclic = sorted({n for c in graph.cycles() for n in c}.intersection(shown))
    if cyclic:
        lines.append("  classDef cycle stroke:#d62728,stroke-width:2px")
        lines.append(f"  class {','.join(ids(_schema_key(graph, n), 's_') for n in cyclic)} cycle")
    if focus:
        lines.append("  classDef focus stroke-width:3px,font-weight:bold")
        lines.append(f"  class {','.join(ids(_schema_key(graph, n), 's_') for n in focus)} focus")
    return lines


def folder_graph(graph: SchemaGraph) -> Any:
    """Folders as nodes (attributes `count`, `low`, `high`: schemas and their level range), an edge
    where a schema of one folder refers to a schema of another, reduced transitively (an edge
    implied by a longer chain is left out; within a cycle of folders every edge stays)."""
    folder_of = {n: str(graph.digraph.nodes[n]["folder"]) for n in graph.nodes}
    folders = nx.DiGraph()
    for folder in sorted(set(folder_of.values())):
        levels = [graph.levels[n] for n in graph.nodes if folder_of[n] == folder]
        folders.add_node(folder, count=len(levels), low=min(levels), high=max(levels))
    pairs = {(folder_of[u], folder_of[v]) for u, v in graph.simple.edges}
    folders.add_edges_from(sorted((u, v) for u, v in pairs if u != v))
    condensed = nx.condensation(folders)
    kept = set(nx.transitive_reduction(condensed).edges)
    component = condensed.graph["mapping"]
    reduced = nx.DiGraph()
    reduced.add_nodes_from(folders.nodes(data=True))
    reduced.add_edges_from(
        (u, v)
        for u, v in sorted(folders.edges)
        if component[u] == component[v] or (component[u], component[v]) in kept
    )
    return reduced


def _overview_label(folder: str, count: int, low: int, high: int) -> str:
    levels = f"level {low}" if low == high else f"levels {low}-{high}"
    return f"{folder or '.'}/ · {count} {'schema' if count == 1 else 'schemas'} · {levels}"


def render_overview(graph: SchemaGraph) -> str:
    """Mermaid of the corpus at its top level: one node per folder (schema count and level
    range), nested like the folders, arrows from each folder to the folders it builds on, reduced
    transitively, so the layering reads from the top (events, api) down to primitives."""
    folders = folder_graph(graph)
    ids = _MermaidIds()
    every = _all_folders(folders.nodes)
    nesting = {_parent_folder(f) for f in every if _parent_folder(f)}
    lines = ["flowchart TB"]

    def box(folder: str) -> str:
        attrs = folders.nodes[folder]
        label = _overview_label(folder, attrs["count"], attrs["low"], attrs["high"])
        return f"{ids(folder, 'f_')}[{_mermaid_label(label)}]"

    def emit(parent: str, indent: str) -> None:
        for child in (f for f in every if f and _parent_folder(f) == parent):
            if child not in nesting:
                lines.append(indent + box(child))
                continue
            lines.append(
                f"{indent}subgraph {ids(child, 'dir_')}[{_mermaid_label(_folder_label(child))}]"
            )
            if child in folders:
                lines.append(indent + "  " + box(child))
            emit(child, indent + "  ")
            lines.append(f"{indent}end")

    if "" in folders:
        lines.append("  " + box(""))
    emit("", "  ")
    lines.extend(f"  {ids(u, 'f_')} --> {ids(v, 'f_')}" for u, v in sorted(folders.edges))
    return "\n".join(lines) + "\n"


def graph_outputs(graph: SchemaGraph) -> StageResult:
    """`graph/graph.json` (the contract JSON) and `graph/graph.mmd` (Mermaid of the top levels:
    `render_overview`).

    Node ids in the files are paths relative to the project root, whatever the cwd, so the
    generated tree does not drift when `generate` runs from another directory."""
    sources = tuple(
        sorted(graph.info(n).relpath for n in graph.nodes if not graph.info(n).external)
    )

    @cache  # asked once per node and edge end
    def stable(node: str) -> str:
        path = Path(graph.digraph.nodes[node]["path"])
        return os.path.relpath(path, graph.project_root).replace(os.sep, "/")

    return StageResult(
        files=(
            GeneratedFile(
                "graph/graph.json", graph_json(graph, ids=stable).encode(), sources, "graph"
            ),
            GeneratedFile("graph/graph.mmd", render_overview(graph).encode(), sources, "graph"),
        )
    )


# --------------------------------------------------------------------------------------------
# Impact


@dataclass(frozen=True)
class Impact:
    """What a change to `targets` affects. Paths as the user would type them, sorted."""

    targets: tuple[str, ...]
    schemas: tuple[str, ...]
    generated: tuple[str, ...]
    templates: tuple[str, ...]
    manifest_found: bool = field(default=True, compare=False)

    def to_json(self) -> dict[str, list[str]]:
        return {
            "targets": list(self.targets),
            "schemas": list(self.schemas),
            "generated": list(self.generated),
            "templates": list(self.templates),
        }


def compute_impact(
    graph: SchemaGraph, targets: Sequence[str], manifest: Manifest | None, config: Config
) -> Impact:
    """Every schema that depends on a target (transitively, targets included) and every generated
    file and template whose manifest sources include one of them."""
    chosen = tuple(sorted({graph.resolve(t) for t in targets}))
    affected = set(chosen)
    for node in chosen:
        affected.update(graph.dependents(node, transitive=True))
    schemas = tuple(sorted(affected))
    relpaths = [graph.info(n).relpath for n in schemas]
    outputs = manifest.outputs_of(relpaths) if manifest is not None else ()
    shown = {path: config.display(config.out / path) for path in outputs}
    return Impact(
        targets=chosen,
        schemas=schemas,
        generated=tuple(sorted(shown[p] for p in outputs if not p.startswith(TEMPLATES_DIR))),
        templates=tuple(sorted(shown[p] for p in outputs if p.startswith(TEMPLATES_DIR))),
        manifest_found=manifest is not None,
    )


def render_impact(impact: Impact, fmt: str) -> str:
    """`json`: the contract shape; `text`: one section per kind, one path a line."""
    if fmt == "json":
        return json.dumps(impact.to_json(), indent=2) + "\n"
    if fmt != "text":
        raise GraphError(f"unknown impact format {fmt!r}; one of {', '.join(IMPACT_FORMATS)}")
    if not impact.targets:
        return "no schema changed: nothing is affected\n"
    sections = (
        ("targets", impact.targets),
        ("schemas affected", impact.schemas),
        ("generated files", impact.generated),
        ("templates", impact.templates),
    )
    lines: list[str] = []
    for heading, paths in sections:
        lines.append(f"{heading} ({len(paths)}):")
        lines.extend(f"  {p}" for p in paths)
    if not impact.manifest_found:
        lines.append(
            "(no manifest in the generated directory: "
            "run `schemagen generate` to list generated files)"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Git


@dataclass(frozen=True)
class GitChanges:
    """Schema files under the corpus root that differ from a revision (relative to the root)."""

    changed: tuple[str, ...]
    removed: tuple[str, ...]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    except FileNotFoundError:
        raise GraphError("impact --since needs git, which is not installed") from None


def git_changes(root: Path, gitref: str) -> GitChanges:
    """What `git diff --name-status gitref --` and the untracked files say changed under `root`."""
    if _git(root, "rev-parse", "--show-toplevel").returncode != 0:
        raise GraphError(
            f"{_display(root)} is not inside a git repository, so --since cannot be used"
        )
    if _git(root, "rev-parse", "--verify", "--quiet", f"{gitref}^{{commit}}").returncode != 0:
        raise GraphError(f"unknown git revision {gitref!r} (try a branch, a tag, or HEAD~1)")
    diff = _git(root, "diff", "--name-status", "-z", "-M", "--relative", gitref, "--")
    if diff.returncode != 0:
        raise GraphError(
            f"git diff {gitref} failed: {diff.stderr.decode(errors='replace').strip()}"
        )
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    changed, removed = _parse_name_status(os.fsdecode(diff.stdout).split("\0"))
    changed.extend(p for p in os.fsdecode(untracked.stdout).split("\0") if p)
    return GitChanges(_schema_paths(changed), _schema_paths(removed))


def _schema_paths(paths: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({p for p in paths if p.endswith(SCHEMA_SUFFIXES)}))


def _parse_name_status(fields: list[str]) -> tuple[list[str], list[str]]:
    """`-z --name-status` records: STATUS NUL PATH (NUL NEW_PATH for renames and copies)."""
    changed: list[str] = []
    removed: list[str] = []
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        if status[0] in "RC":
            old, new = fields[index + 1], fields[index + 2]
            changed.append(new)
            if status[0] == "R":
                removed.append(old)
            index += 3
            continue
        (removed if status[0] == "D" else changed).append(fields[index + 1])
        index += 2
    return changed, removed


def changed_since(corpus: Corpus, gitref: str) -> tuple[str, ...]:
    """The corpus schemas changed (added, modified, renamed, untracked) since `gitref`, as display
    paths. A deleted schema is no node; the schemas whose refs now dangle because of it are
    included instead, and the deletion is logged as a warning (stderr on the command line)."""
    changes = git_changes(corpus.root, gitref)
    found = {
        d.display for p in changes.changed if (d := corpus.by_path(corpus.root / p)) is not None
    }
    for removed in changes.removed:
        orphans = _referrers_of_missing(corpus, corpus.root / removed)
        found.update(orphans)
        also = f"; its referrers count as changed: {', '.join(sorted(orphans))}" if orphans else ""
        log.warning("%s was deleted since %s%s", _display(corpus.root / removed), gitref, also)
    return tuple(sorted(found))


def _referrers_of_missing(corpus: Corpus, path: Path) -> set[str]:
    """Documents with an unresolved ref that names `path` by its file location."""
    wanted = path.resolve()
    found: set[str] = set()
    for reference in corpus.references:
        if reference.target is not None:
            continue
        uri = urldefrag(join_uri(reference.site.document.file_uri, reference.site.ref)).url
        parsed = urlparse(uri)
        if parsed.scheme == "file" and Path(unquote(parsed.path)) == wanted:
            found.add(reference.site.document.display)
    return found
