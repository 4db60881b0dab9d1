"""JSON-Schema-Test-Suite: bundling must not change any verdict.

For every test group of `tests/draft2020-12` and `tests/draft7` (remotes served from
`http://localhost:1234/` by a URL map, never fetched), the group's schema is written to a
corpus of its own, compiled, and bundled; each test's data is validated against the bundle with
an empty registry (so the bundle must be self-contained). Where the plain jsonschema validator
(original schema, remotes in its registry) agrees with the suite, the bundle must agree too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from schemagen.assemble import Resolution, bundle_document, flatten_document
from schemagen.config import Config, UrlMapping
from schemagen.resolve import compile_corpus

REMOTE_PREFIX = "http://localhost:1234/"
DIALECTS = {
    "draft2020-12": "https://json-schema.org/draft/2020-12/schema",
    "draft7": "http://json-schema.org/draft-07/schema",
}


@dataclass(frozen=True)
class Outcome:
    dialect: str
    passed: int
    skipped: int
    mismatches: tuple[str, ...]


def _remote_registry(remotes: Path) -> Registry[Any]:
    def retrieve(uri: str) -> Resource[Any]:
        if not uri.startswith(REMOTE_PREFIX):
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
        path = remotes / uri[len(REMOTE_PREFIX) :]
        if not path.is_file():
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
        return Resource.from_contents(json.loads(path.read_text("utf-8")))

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


def _groups(suite: Path, dialect: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((suite / "tests" / dialect).glob("*.json")):
        for index, group in enumerate(json.loads(path.read_text("utf-8"))):
            yield f"{dialect}/{path.stem}#{index} {group['description']}", group


def _plain_verdict(cls: Any, schema: Any, registry: Registry[Any], data: Any) -> bool | None:
    try:
        return bool(cls(schema, registry=registry).is_valid(data))
    except Exception:  # noqa: BLE001 - not ours to judge
        return None


def _bundle_verdict(bundle: Any, data: Any) -> bool | str:
    cls = jsonschema.validators.validator_for(bundle)
    try:
        return bool(cls(bundle, registry=Registry()).is_valid(data))
    except Exception as error:  # noqa: BLE001 - reported as a mismatch
        return f"{type(error).__name__}: {error}"


def run_suite(suite: Path, dialect: str, tmp: Path) -> Outcome:
    uri = DIALECTS[dialect]
    cls = jsonschema.validators.validator_for({"$schema": uri})
    remotes = suite / "remotes"
    registry = _remote_registry(remotes)
    passed = skipped = 0
    mismatches: list[str] = []
    for number, (name, group) in enumerate(_groups(suite, dialect)):
        schema, tests = group["schema"], group["tests"]
        if not isinstance(schema, dict):
            skipped += len(tests)  # boolean schemas are not files schemagen loads
            continue
        root = tmp / dialect / f"{number:04d}"
        root.mkdir(parents=True)
        (root / "schema.json").write_text(json.dumps(schema), "utf-8")
        config = Config(
            schemas=root, url_map=(UrlMapping(REMOTE_PREFIX, remotes),), default_dialect=uri
        )
        corpus = compile_corpus(config)
        document = corpus.documents[0]
        resolution = Resolution(corpus)
        bundle = bundle_document(resolution, document).contents
        flatten_document(resolution, document)  # must terminate on every suite schema
        for test in tests:
            expected = test["valid"]
            if _plain_verdict(cls, schema, registry, test["data"]) != expected:
                skipped += 1
                continue
            verdict = _bundle_verdict(bundle, test["data"])
            if verdict == expected:
                passed += 1
            else:
                mismatches.append(
                    f"{name} / {test['description']}: bundle says {verdict}, suite {expected}"
                )
    return Outcome(dialect, passed, skipped, tuple(mismatches))


@pytest.fixture(scope="module")
def suite(shared_corpora: Path) -> Path:
    return shared_corpora / "json-schema-test-suite"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_bundles_keep_every_verdict(suite: Path, dialect: str, tmp_path: Path) -> None:
    outcome = run_suite(suite, dialect, tmp_path)
    counts = f"{outcome.passed} passed, {outcome.skipped} skipped"
    print(f"\n{dialect}: {counts}, {len(outcome.mismatches)} mismatched")
    assert outcome.passed > 500
    assert not outcome.mismatches, "\n".join(outcome.mismatches[:20])
