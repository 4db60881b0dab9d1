"""The `$ref` dependency graph, checked against independent recounts of the corpora.

The recounts here do not use schemagen's resolver: they parse every file with json/yaml, find
every `"$ref"` string by a generic walk, resolve it against the file's own path, and keep the refs
that land (fragment included) on another existing file. The graph must agree edge for edge.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import FrozenInstanceError
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

import pytest
import yaml
from click.testing import CliRunner

from schemagen.cli import main
from schemagen.config import Config, UrlMapping
from schemagen.graph import (
    GraphError,
    SchemaGraph,
    build_graph,
    graph_json,
    graph_outputs,
    render_graph,
)
from schemagen.resolve import compile_corpus

BASE_URI = "https://schemas.familiar.dev/v3/"
SCHEMASTORE_URL = "https://json.schemastore.org/"
SUFFIXES = (".json", ".yaml", ".yml")

Edge = tuple[str, str, str]  # (source relpath, target relpath, pointer of the $ref)


# ---------------------------------------------------------------------------------------------
# The independent recount


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _refs(node: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every (pointer of the $ref value, ref text) anywhere in a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{_escape(key)}"
            if key == "$ref" and isinstance(value, str):
                yield here, value
            else:
                yield from _refs(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, f"{pointer}/{index}")


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)


def _has_pointer(document: Any, fragment: str) -> bool:
    if not fragment:
        return True
    if not fragment.startswith("/"):
        return False  # anchors: none in the corpora checked this way
    node = document
    for raw in fragment[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def independent_edges(root: Path, base_uri: str | None = None) -> Counter[Edge]:
    """Cross-file refs of a corpus, found without schemagen (see the module docstring)."""
    root = root.resolve()
    files = {p.resolve(): _load(p) for p in sorted(root.rglob("*")) if p.suffix in SUFFIXES}
    edges: Counter[Edge] = Counter()
    for path, document in files.items():
        for pointer, ref in _refs(document):
            url, fragment = urldefrag(ref)
            if base_uri is not None and url.startswith(base_uri):
                target = (root / url[len(base_uri) :]).resolve()
            elif url and "://" not in url:
                target = (path.parent / unquote(url)).resolve()
            else:
                continue
            if (
                target != path
                and target in files
                and _has_pointer(files[target], unquote(fragment))
            ):
                edges[(rel(path, root), rel(target, root), pointer)] += 1
    return edges


def rel(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def independent_levels(nodes: set[str], edges: Counter[Edge]) -> dict[str, int]:
    """Level 0 = references nothing, else 1 + the highest level referenced (DAGs only)."""
    targets: dict[str, set[str]] = {n: set() for n in nodes}
    for source, target, _ in edges:
        targets[source].add(target)

    @cache
    def level(node: str) -> int:
        return 1 + max((level(t) for t in targets[node]), default=-1)

    return {n: level(n) for n in nodes}


def has_cycle(nodes: set[str], edges: Counter[Edge]) -> bool:
    """Kahn's algorithm: a cycle leaves nodes that never reach in-degree 0."""
    pairs = {(s, t) for s, t, _ in edges}
    indegree = Counter(t for _, t in pairs)
    ready = [n for n in nodes if indegree[n] == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for source, target in pairs:
            if source == node:
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
    return seen != len(nodes)


def graph_edges(data: Mapping[str, Any], root: Path) -> Counter[Edge]:
    return Counter(
        (rel(Path(e["source"]), root), rel(Path(e["target"]), root), e["pointer"])
        for e in data["edges"]
    )


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def repo_graph(schemas_dir: Path) -> SchemaGraph:
    return build_graph(compile_corpus(Config(schemas=schemas_dir.resolve())))


@pytest.fixture(scope="module")
def familiar_dir(shared_corpora: Path) -> Path:
    return shared_corpora / "familiar-v3"


@pytest.fixture(scope="module")
def familiar_graph(familiar_dir: Path) -> SchemaGraph:
    return build_graph(compile_corpus(Config(schemas=familiar_dir.resolve())))


@pytest.fixture(scope="module")
def schemastore(shared_corpora: Path) -> tuple[Any, SchemaGraph]:
    directory = (shared_corpora / "schemastore" / "schemas" / "json").resolve()
    config = Config(schemas=directory, url_map=(UrlMapping(SCHEMASTORE_URL, directory),))
    corpus = compile_corpus(config)
    return corpus, build_graph(corpus)


def write_corpus(root: Path, files: Mapping[str, Any]) -> Path:
    schemas = root / "schemas"
    for relpath, contents in files.items():
        path = schemas / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"$schema": "https://json-schema.org/draft/2020-12/schema", **contents}
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return schemas


CYCLIC = {
    "core/A.schema.json": {"title": "A", "properties": {"b": {"$ref": "./B.schema.json"}}},
    "core/B.schema.json": {"title": "B", "properties": {"c": {"$ref": "C.schema.json"}}},
    "core/C.schema.json": {
        "title": "C",
        "allOf": [{"$ref": "A.schema.json"}, {"$ref": "#/$defs/x"}],
        "$defs": {"x": {"type": "string"}},
    },
    "lib/Leaf.schema.json": {"title": "Leaf", "type": "string"},
    "lib/Orphan.schema.json": {"title": "Orphan", "type": "string"},
    "entities/Top.schema.json": {
        "title": "Top",
        "properties": {
            "a": {"$ref": "../core/A.schema.json"},
            "a2": {"items": {"$ref": "../core/A.schema.json#/properties/b"}},
            "leaf": {"$ref": "../lib/Leaf.schema.json"},
            "self": {"$ref": "#/$defs/own"},
            "meta": {"$ref": "https://json-schema.org/draft/2020-12/schema"},
            "gone": {"$ref": "../lib/Missing.schema.json"},
        },
        "$defs": {"own": {"type": "integer"}},
    },
    "entities/Lone.schema.json": {"title": "Lone", "type": "object"},
}


@pytest.fixture()
def cyclic_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SchemaGraph:
    monkeypatch.chdir(tmp_path)
    schemas = write_corpus(tmp_path, CYCLIC)
    return build_graph(compile_corpus(Config(project_root=tmp_path, schemas=schemas.resolve())))


# ---------------------------------------------------------------------------------------------
# The repository's corpus


def test_repo_graph_has_one_edge_per_resolvable_cross_file_ref(
    repo_graph: SchemaGraph, schemas_dir: Path
) -> None:
    expected = independent_edges(schemas_dir, BASE_URI)
    data = json.loads(graph_json(repo_graph))
    assert expected, "the corpus has cross-file refs"
    assert graph_edges(data, schemas_dir) == expected
    assert len(data["edges"]) == sum(expected.values())


def test_repo_levels_run_from_primitives_to_entities(
    repo_graph: SchemaGraph, schemas_dir: Path
) -> None:
    data = json.loads(graph_json(repo_graph))
    levels = {rel(Path(n["id"]), schemas_dir): n["level"] for n in data["nodes"]}
    expected = independent_levels(set(levels), independent_edges(schemas_dir, BASE_URI))
    assert levels == expected
    assert {levels[n] for n in levels if n.startswith("primitives/")} == {0}
    entities = {n: level for n, level in levels.items() if n.startswith("entities/")}
    assert entities, "the corpus has entities"
    assert max(entities.values()) >= 5
    edges = independent_edges(schemas_dir, BASE_URI)
    assert all(levels[source] > levels[target] for source, target, _ in edges), "levels run upward"
    extended = {t for s, t, _ in edges if s in entities and t.startswith("base/")}
    assert extended >= {"base/BaseCognitiveEntity.schema.json", "base/BaseSystemEntity.schema.json"}


def test_repo_graph_is_acyclic_and_layers_partition_nodes(repo_graph: SchemaGraph) -> None:
    assert repo_graph.cycles() == ()
    layers = repo_graph.layers()
    assert sorted(n for layer in layers for n in layer) == sorted(repo_graph.nodes)
    assert set(layers[0]) == set(repo_graph.leaves())


# ---------------------------------------------------------------------------------------------
# familiar-v3: real, messy, no configuration


def test_familiar_counts_agree_with_independent_recount(
    familiar_graph: SchemaGraph, familiar_dir: Path
) -> None:
    expected = independent_edges(familiar_dir)
    data = json.loads(graph_json(familiar_graph))
    nodes = {rel(Path(n["id"]), familiar_dir) for n in data["nodes"]}
    assert len(nodes) == len(data["nodes"]) == 171
    assert graph_edges(data, familiar_dir) == expected
    assert len(familiar_graph.edges) == sum(expected.values())


def test_familiar_is_cycle_free_and_longest_path_agrees(
    familiar_graph: SchemaGraph, familiar_dir: Path
) -> None:
    expected = independent_edges(familiar_dir)
    nodes = {rel(Path(n), familiar_dir) for n in familiar_graph.nodes}
    assert not has_cycle(nodes, expected)
    assert familiar_graph.cycles() == ()
    assert all(len(c) == 1 for c in familiar_graph.strongly_connected_components())
    longest = max(independent_levels(nodes, expected).values())
    path = [rel(Path(n), familiar_dir) for n in familiar_graph.longest_path()]
    assert len(path) - 1 == longest == familiar_graph.depth
    pairs = {(s, t) for s, t, _ in expected}
    assert all((a, b) in pairs for a, b in zip(path, path[1:], strict=False))


# ---------------------------------------------------------------------------------------------
# SchemaStore: its own list of cross-file dependencies (`externalSchema`) as a second opinion


def strip_jsonc(text: str) -> str:
    """Drop // and /* */ comments outside strings, and trailing commas."""
    out: list[str] = []
    index, in_string = 0, False
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(text[index : index + 2] if char == "\\" else char)
            index += 2 if char == "\\" else 1
            in_string = char != '"'
            continue
        if text.startswith("//", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            index = len(text) if end < 0 else end + 2
        else:
            in_string = char == '"'
            out.append(char)
            index += 1
    return re.sub(r",(\s*[\]}])", r"\1", "".join(out))


# Entries of `externalSchema` that no file reachable from the schema names at all (text search):
# SchemaStore's list is stale for these, so no resolver could find the dependency.
STALE_EXTERNAL = {
    ("apollo-router-2.8.1.json", "base.json"),
    ("apollo-router-2.8.2.json", "base.json"),
    ("apollo-router-2.9.0.json", "base.json"),
    ("appsscript.json", "base.json"),
    ("clib.json", "base.json"),
    ("foxx-manifest.json", "base-04.json"),
    ("grafana-dashboard-5.x.json", "base-04.json"),
    ("hugo-theme.json", "base.json"),
    ("hugo.json", "base.json"),
    ("ninjs-2.0.json", "geojson.json"),
    ("partial-poetry.json", "base.json"),
    ("poetry.json", "base.json"),
    ("publiccode.json", "base.json"),
    ("pulumi.json", "base.json"),
    ("sarif-external-property-file.json", "sarif-2.1.0.json"),
}
# Graph edges that `externalSchema` does not list. rancher-fleet-0.8.json declares the same $id
# as rancher-fleet-0.5.json, so its own "#/..." refs resolve (by the $id, as the spec says) into
# the file that holds that $id first: 0.5.
UNDECLARED_EDGES = {("rancher-fleet-0.8.json", "rancher-fleet-0.5.json")}


def test_schemastore_graph_builds(schemastore: tuple[Any, SchemaGraph]) -> None:
    corpus, graph = schemastore
    assert len(graph.nodes) == len(corpus.documents) > 800
    assert len(graph.edges) == sum(1 for r in corpus.references if r.cross_file)
    assert graph.levels  # layering over the whole store does not crash
    json.loads(graph_json(graph))


def test_schemastore_edges_agree_with_external_schema_lists(
    schemastore: tuple[Any, SchemaGraph], shared_corpora: Path
) -> None:
    corpus, graph = schemastore
    directory = shared_corpora / "schemastore" / "schemas" / "json"
    quirks = json.loads(
        strip_jsonc((shared_corpora / "schemastore" / "schema-validation.jsonc").read_text())
    )
    declared = {
        key: o["externalSchema"] for key, o in quirks["options"].items() if o.get("externalSchema")
    }
    node = {graph.info(n).relpath: n for n in graph.nodes}
    name = {n: graph.info(n).relpath for n in graph.nodes}
    dangling = {r.site.document.relpath for r in corpus.references if r.target is None}

    agree: list[tuple[str, str]] = []
    stale: set[tuple[str, str]] = set()
    behind_dangling: list[tuple[str, str]] = []
    absent: list[str] = []
    undeclared: set[tuple[str, str]] = set()
    disagree: list[tuple[str, str]] = []
    for schema, listed in sorted(declared.items()):
        if schema not in node:
            absent.append(schema)  # left out of the corpus (it names a package registry's host)
            continue
        direct = {name[t] for t in graph.dependencies(node[schema])}
        undeclared.update((schema, t) for t in direct - set(listed))
        closure = {name[t] for t in graph.dependencies(node[schema], transitive=True)} | {schema}
        for entry in listed:
            if entry in closure:
                agree.append((schema, entry))
            elif entry not in node or closure & dangling:
                behind_dangling.append((schema, entry))  # the file, or the way to it, is missing
            elif not any(entry in (directory / f).read_text(encoding="utf-8") for f in closure):
                stale.add((schema, entry))
            else:
                disagree.append((schema, entry))

    assert disagree == []
    assert undeclared == UNDECLARED_EDGES
    for source, target in undeclared:
        assert graph.info(node[source]).schema_id == graph.info(node[target]).schema_id
    assert stale == STALE_EXTERNAL
    assert len(agree) == 90
    assert sorted(absent) == [
        "app-config.json",
        "cargo.json",
        "fabric.mod.json",
        "package.json",
        "partial-pdm.json",
        "pyproject.json",
        "tsoa.json",
    ]
    # Everything else is behind a ref into a file the corpus left out: pep-723.json -> uv.json,
    # podman-desktop-extension*.json -> package.json.
    assert {s for s, _ in behind_dangling} == {
        "pep-723.json",
        "podman-desktop-extension.json",
        "podman-desktop-extension-1.27.json",
    }
    assert not (directory / "uv.json").exists() and not (directory / "package.json").exists()


# ---------------------------------------------------------------------------------------------
# Queries on a small corpus with a cycle


def test_only_resolved_cross_file_refs_are_edges(cyclic_graph: SchemaGraph) -> None:
    edges = {(e.source, e.target, e.pointer) for e in cyclic_graph.edges}
    top = "schemas/entities/Top.schema.json"
    assert edges == {
        ("schemas/core/A.schema.json", "schemas/core/B.schema.json", "/properties/b/$ref"),
        ("schemas/core/B.schema.json", "schemas/core/C.schema.json", "/properties/c/$ref"),
        ("schemas/core/C.schema.json", "schemas/core/A.schema.json", "/allOf/0/$ref"),
        (top, "schemas/core/A.schema.json", "/properties/a/$ref"),
        (top, "schemas/core/A.schema.json", "/properties/a2/items/$ref"),
        (top, "schemas/lib/Leaf.schema.json", "/properties/leaf/$ref"),
    }
    assert len(cyclic_graph.digraph.nodes) == len(CYCLIC)


def test_cycles_are_grouped_into_one_level(cyclic_graph: SchemaGraph) -> None:
    cycle = (
        "schemas/core/A.schema.json",
        "schemas/core/B.schema.json",
        "schemas/core/C.schema.json",
    )
    assert cyclic_graph.cycles() == (cycle,)
    levels = cyclic_graph.levels
    assert {levels[n] for n in cycle} == {0}
    assert levels["schemas/entities/Top.schema.json"] == 1
    assert cyclic_graph.depth == 1
    assert cyclic_graph.longest_path() == ("schemas/entities/Top.schema.json", cycle[0])
    assert json.loads(graph_json(cyclic_graph))["cycles"] == [list(cycle)]
    assert "classDef cycle" in str(render_graph(cyclic_graph, "mermaid"))
    assert cyclic_graph.reaches(cycle[0], cycle[0])
    assert not cyclic_graph.reaches("schemas/lib/Leaf.schema.json", "schemas/lib/Leaf.schema.json")


def test_dependencies_dependents_roots_leaves_unused(cyclic_graph: SchemaGraph) -> None:
    g = cyclic_graph
    top, a, b, c = (
        f"schemas/{p}.schema.json" for p in ("entities/Top", "core/A", "core/B", "core/C")
    )
    leaf, orphan, lone = (
        f"schemas/{p}.schema.json" for p in ("lib/Leaf", "lib/Orphan", "entities/Lone")
    )
    assert g.dependencies(top) == (a, leaf)
    assert g.dependencies(top, transitive=True) == (a, b, c, leaf)
    assert g.dependents(a) == (c, top)
    assert g.dependents(leaf, transitive=True) == (top,)
    assert g.dependents(b, transitive=True) == (a, c, top)  # never the node itself
    assert g.roots() == (lone, top, orphan)
    assert g.leaves() == (lone, leaf, orphan)
    assert g.unused() == (orphan,)  # Top and Lone are entry points (entities/)
    assert g.reaches(top, c) and not g.reaches(c, top) and not g.reaches(leaf, top)
    assert g.neighbourhood([b], 1) == (a, b, c)
    assert g.neighbourhood([leaf], 0) == (leaf,)


def test_graph_is_frozen(cyclic_graph: SchemaGraph) -> None:
    with pytest.raises(FrozenInstanceError):
        cyclic_graph.root = Path("/")  # type: ignore[misc]
    with pytest.raises(Exception, match="[Ff]rozen"):
        cyclic_graph.digraph.add_node("x")


def test_targets_resolve_by_path_root_relative_id_and_title(
    cyclic_graph: SchemaGraph, tmp_path: Path
) -> None:
    a = "schemas/core/A.schema.json"
    for text in (a, str(tmp_path / a), "core/A.schema.json", "A"):
        assert cyclic_graph.resolve(text) == a
    with pytest.raises(GraphError, match=r"did you mean: .*schemas/core/A\.schema\.json"):
        cyclic_graph.resolve("core/A.schema.jsn")


def test_outputs_are_deterministic_and_cwd_independent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = write_corpus(tmp_path, CYCLIC)
    config = Config(project_root=tmp_path, schemas=schemas.resolve())
    monkeypatch.chdir(tmp_path)
    first = graph_outputs(build_graph(compile_corpus(config)))
    monkeypatch.chdir(schemas / "core")
    second = graph_outputs(build_graph(compile_corpus(config)))
    assert [f.path for f in first.files] == ["graph/graph.json", "graph/graph.mmd"]
    assert [f.content for f in first.files] == [f.content for f in second.files]
    assert {f.kind for f in first.files} == {"graph"}
    assert set(first.files[0].sources) == set(CYCLIC)
    ids = [n["id"] for n in json.loads(first.files[0].content)["nodes"]]
    assert ids == sorted(f"schemas/{p}" for p in CYCLIC)
    assert first.files[1].content.startswith(b"flowchart TB\n")


def test_overview_picture_is_the_reduced_folder_layering(
    repo_graph: SchemaGraph, schemas_dir: Path
) -> None:
    mermaid = graph_outputs(repo_graph).files[1].content.decode()
    boxes = re.findall(r"^\s*(f_\w+)\[\"([^\"]+?)/ · (\d+) schemas? · ", mermaid, flags=re.M)
    arrows = set(re.findall(r"^\s*(f_\w+) --> (f_\w+)$", mermaid, flags=re.M))
    folder = {box: name for box, name, _ in boxes}
    files = [rel(p, schemas_dir) for p in schemas_dir.rglob("*") if p.suffix in SUFFIXES]
    per_folder = Counter(str(Path(f).parent) for f in files)
    assert {name: int(count) for _, name, count in boxes} == per_folder
    drawn = {(folder[u], folder[v]) for u, v in arrows}
    needed = {
        (str(Path(s).parent), str(Path(t).parent))
        for s, t, _ in independent_edges(schemas_dir, BASE_URI)
        if Path(s).parent != Path(t).parent
    }
    assert drawn <= needed, "every arrow stands for real refs"

    def reach(start: str, pairs: set[tuple[str, str]]) -> set[str]:
        found, todo = set(), [start]
        while todo:
            here = todo.pop()
            for u, v in pairs:
                if u == here and v not in found:
                    found.add(v)
                    todo.append(v)
        return found

    assert all(t in reach(s, drawn) for s, t in needed), "no dependency between folders is lost"
    assert all(v not in reach(u, drawn - {(u, v)}) for u, v in drawn), "transitively reduced"
    assert mermaid.count("subgraph ") == len(re.findall(r"^\s*end$", mermaid, flags=re.M)) > 0


# ---------------------------------------------------------------------------------------------
# The command line


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_graph_json(familiar_dir: Path) -> None:
    result = run("--schemas", str(familiar_dir), "graph", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["nodes"]) == 171
    assert set(data["nodes"][0]) >= {"id", "schema_id", "title", "level"}
    assert graph_edges(data, familiar_dir) == independent_edges(familiar_dir)
    assert data["nodes"] == sorted(data["nodes"], key=lambda n: n["id"])


def test_cli_graph_dot_clusters_by_folder(familiar_dir: Path) -> None:
    result = run("--schemas", str(familiar_dir), "graph", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("digraph schemas {")
    assert 'subgraph "cluster_snippets/types/physics" {' in result.stdout
    pairs = {(s, t) for s, t, _ in independent_edges(familiar_dir)}
    assert result.stdout.count(" -> ") == len(pairs)  # parallel refs merged into one arrow


def test_cli_graph_mermaid(familiar_dir: Path) -> None:
    result = run("--schemas", str(familiar_dir), "graph", "--format", "mermaid")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("flowchart TB\n")
    assert 'subgraph dir_entities["entities/"]' in result.stdout
    ids = re.findall(r"^\s*(s_\w+)\[", result.stdout, flags=re.M)
    assert len(ids) == len(set(ids)) == 171


def test_cli_graph_focus_is_the_neighbourhood(familiar_dir: Path) -> None:
    target = "components/UniversalPhysicsState.schema.json"
    result = run("--schemas", str(familiar_dir), "graph", "--focus", target, "--depth", "1")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pairs = {(s, t) for s, t, _ in independent_edges(familiar_dir)}
    expected = (
        {target} | {t for s, t in pairs if s == target} | {s for s, t in pairs if t == target}
    )
    assert {rel(Path(n["id"]), familiar_dir) for n in data["nodes"]} == expected
    assert [rel(Path(f), familiar_dir) for f in data["focus"]] == [target]
    assert len(expected) > 3


def test_cli_graph_unknown_focus_is_a_usage_error(familiar_dir: Path) -> None:
    result = run("--schemas", str(familiar_dir), "graph", "--focus", "UniversalPhysicState")
    assert result.exit_code == 2
    assert "did you mean" in result.stderr and "UniversalPhysicsState" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_cli_graph_svg(familiar_dir: Path) -> None:
    result = run("--schemas", str(familiar_dir), "graph", "--format", "svg", "--focus", "Thread")
    assert result.exit_code == 0, result.output
    assert b"<svg" in result.stdout_bytes and b"Universal Physics State" in result.stdout_bytes


def test_svg_without_graphviz_says_how_to_install_it(
    familiar_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    result = run("--schemas", str(familiar_dir), "graph", "--format", "svg")
    assert result.exit_code == 2
    assert "install Graphviz (Debian package graphviz)" in result.stderr
    assert result.stdout == ""


def test_mapped_documents_outside_the_root_are_marked_external(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "remote").mkdir()
    (tmp_path / "remote" / "R.json").write_text('{"type": "string"}')
    refs = {"r": {"$ref": "https://x.example/R.json"}, "s": {"$ref": "sub/S.schema.json"}}
    schemas = write_corpus(
        tmp_path, {"Top.schema.json": {"properties": refs}, "sub/S.schema.json": {"type": "null"}}
    )
    mapping = UrlMapping("https://x.example/", tmp_path / "remote")
    config = Config(project_root=tmp_path, schemas=schemas.resolve(), url_map=(mapping,))
    graph = build_graph(compile_corpus(config))
    assert graph.dependencies("schemas/Top.schema.json") == (
        "remote/R.json",
        "schemas/sub/S.schema.json",
    )
    assert (
        graph.info("remote/R.json").external and graph.info("schemas/Top.schema.json").folder == ""
    )
    assert graph.unused() == ("schemas/Top.schema.json",)
    assert set(graph_outputs(graph).files[0].sources) == {"Top.schema.json", "sub/S.schema.json"}
    assert 'subgraph dir__external_["outside the schemas root"]' in str(
        render_graph(graph, "mermaid")
    )
