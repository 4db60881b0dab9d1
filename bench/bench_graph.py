"""Benchmark: the dependency graph of a synthetic 1,000-schema corpus.

The corpus is shaped like a real one: 5 layers (primitives, enums/fields, components, bases,
entities), each schema referring to 2-5 schemas of lower layers, sometimes more than once and
sometimes into a `$defs` entry, plus refs inside the file. Times `compile_corpus` (load + resolve)
and `build_graph` + levels separately, best and median of several runs.

    python bench/bench_graph.py [--schemas 1000] [--runs 7] [--seed 8]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))  # run from a checkout without installing

from schemagen.config import Config  # noqa: E402
from schemagen.graph import build_graph  # noqa: E402
from schemagen.resolve import compile_corpus  # noqa: E402

LAYERS = ("primitives", "fields", "components", "base", "entities")
LAYER_SHARE = (0.2, 0.25, 0.25, 0.1, 0.2)
BASE_URI = "https://schemas.example.org/bench/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def layer_sizes(total: int) -> list[int]:
    sizes = [int(total * share) for share in LAYER_SHARE]
    sizes[-1] += total - sum(sizes)
    return sizes


def schema(layer: int, index: int, lower: list[str], rng: random.Random) -> dict[str, Any]:
    """One schema of `layer` that refers to 2-5 schemas of lower layers (none for layer 0)."""
    name = f"{LAYERS[layer].title()}{index:04d}"
    document: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": f"{BASE_URI}{LAYERS[layer]}/{name}.schema.json",
        "title": name,
        "description": f"Synthetic schema {name}.",
        "$defs": {"local": {"type": "string", "maxLength": 64}},
    }
    if layer == 0:
        document.update({"type": "string", "pattern": "^[a-z]+$"})
        return document
    properties: dict[str, Any] = {"note": {"$ref": "#/$defs/local"}}
    for number, target in enumerate(rng.sample(lower, rng.randint(2, min(5, len(lower))))):
        ref = f"../{target}"
        if rng.random() < 0.2:
            ref += "#/$defs/local"
        properties[f"p{number}"] = {"$ref": ref}
        if rng.random() < 0.15:
            properties[f"list{number}"] = {"type": "array", "items": {"$ref": ref}}
    document.update({"type": "object", "properties": properties})
    return document


def write_corpus(root: Path, total: int, seed: int) -> int:
    rng = random.Random(seed)
    written: list[list[str]] = []
    for layer, size in enumerate(layer_sizes(total)):
        lower = [path for below in written for path in below]
        names = []
        for index in range(size):
            document = schema(layer, index, lower, rng)
            relpath = f"{LAYERS[layer]}/{document['title']}.schema.json"
            path = root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, indent=2), encoding="utf-8")
            names.append(relpath)
        written.append(names)
    return sum(len(names) for names in written)


def timed(func: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return times, result


def summary(label: str, times: list[float]) -> str:
    best, median, worst = (1000 * f(times) for f in (min, statistics.median, max))
    return f"{label:<24} best {best:8.1f} ms   median {median:8.1f} ms   worst {worst:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="schemagen-bench-") as directory:
        root = Path(directory) / "schemas"
        count = write_corpus(root, args.schemas, args.seed)
        config = Config(project_root=Path(directory), schemas=root)
        compile_times, corpus = timed(lambda: compile_corpus(config), args.runs)

        def graph_and_levels() -> Any:
            graph = build_graph(corpus)
            _ = graph.levels
            return graph

        graph_times, graph = timed(graph_and_levels, args.runs)
    refs = len(corpus.references)
    print(f"synthetic corpus: {count} schemas, {refs} $refs, {len(graph.edges)} graph edges")
    print(
        f"levels 0..{graph.depth}, {len(graph.cycles())} cycles, layer sizes {layer_sizes(count)}"
    )
    print(summary("compile_corpus", compile_times))
    print(summary("build_graph + levels", graph_times))
    verdict = "well under" if min(graph_times) < 0.25 else "NOT well under"
    print(f"graph build: {verdict} a second (target: well under 1 s for 1,000 schemas)")


if __name__ == "__main__":
    main()
