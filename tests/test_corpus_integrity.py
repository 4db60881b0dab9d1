"""Integrity of the whole `schemas/` corpus, checked with the plain JSON Schema toolchain.

These tests deliberately do not import schemagen: they check the corpus the way any third-party
consumer would (jsonschema + referencing + pyyaml), so a bug in schemagen cannot hide a bug in the
corpus. See docs/conventions.md for the rules being enforced.
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urldefrag, urljoin

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

BASE_URI = "https://schemas.familiar.dev/v3/"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
MIN_CORPUS_FILES = 200
SCHEMA_SUFFIXES = (".schema.json", ".schema.yaml", ".schema.yml")

# Keywords whose value is a single subschema / a list of subschemas / a map of name -> subschema.
SINGLE_SUBSCHEMA = (
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "items",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
)
LIST_OF_SUBSCHEMAS = ("prefixItems", "allOf", "anyOf", "oneOf")
MAP_OF_SUBSCHEMAS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")

# Keywords whose numeric value is a "number" in the sense of the x-constant rule.
NUMERIC_KEYWORDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "default",
    "const",
)
PHYSICS_SCOPES = ("components/physics/", "laws/")
UNNAMED_NUMBERS = (0, 1)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def _schema_files(schemas_dir: Path) -> list[Path]:
    return sorted(
        p for p in schemas_dir.rglob("*") if p.is_file() and p.suffix in (".json", ".yaml", ".yml")
    )


def _rel(path: Path, schemas_dir: Path) -> str:
    return path.relative_to(schemas_dir).as_posix()


def _stem(path: Path) -> str:
    for suffix in SCHEMA_SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name.rsplit(".", 1)[0]


@pytest.fixture(scope="module")
def corpus(schemas_dir: Path) -> dict[str, tuple[Path, Any]]:
    """Relative path under schemas/ -> (path, parsed document)."""
    return {_rel(p, schemas_dir): (p, _load(p)) for p in _schema_files(schemas_dir)}


@pytest.fixture(scope="module")
def documents(corpus: dict[str, tuple[Path, Any]]) -> dict[str, dict[str, Any]]:
    """Relative path -> document, for the documents that parsed to an object."""
    return {rel: doc for rel, (_, doc) in corpus.items() if isinstance(doc, dict)}


@pytest.fixture(scope="module")
def registry(documents: dict[str, dict[str, Any]]) -> Registry:
    resources = []
    for doc in documents.values():
        if isinstance(doc.get("$id"), str):
            resources.append(
                (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012))
            )
    return Registry().with_resources(resources).crawl()


@pytest.fixture(scope="module")
def constants() -> dict[str, tuple[str, Any]]:
    """Constant name -> (file it is defined in, value), across governance/constants/*.yaml."""
    found: dict[str, tuple[str, Any]] = {}
    for path in _constant_files():
        data = _load(path) or {}
        for name, spec in (data.get("constants") or {}).items():
            if name not in found and isinstance(spec, dict):
                found[name] = (path.as_posix(), spec.get("value"))
    return found


def _constant_files() -> list[Path]:
    root = Path("governance/constants")
    return sorted(p for p in root.glob("*") if p.suffix in (".yaml", ".yml", ".json"))


# --------------------------------------------------------------------------------------------
# Walking schemas
# --------------------------------------------------------------------------------------------


def _pointer_segment(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _subschemas(schema: dict[str, Any], pointer: str) -> Iterator[tuple[Any, str]]:
    for kw in SINGLE_SUBSCHEMA:
        if kw in schema:
            yield schema[kw], f"{pointer}/{kw}"
    for kw in LIST_OF_SUBSCHEMAS:
        if isinstance(schema.get(kw), list):
            for i, sub in enumerate(schema[kw]):
                yield sub, f"{pointer}/{kw}/{i}"
    for kw in MAP_OF_SUBSCHEMAS:
        if isinstance(schema.get(kw), dict):
            for name, sub in schema[kw].items():
                yield sub, f"{pointer}/{kw}/{_pointer_segment(name)}"


def walk(schema: Any, base: str, pointer: str = "") -> Iterator[tuple[dict[str, Any], str, str]]:
    """Yield (subschema, base URI in effect, JSON pointer from the document root) for every
    subschema, following only schema keywords (so a property *named* `$ref` or `examples` is not
    mistaken for the keyword)."""
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("$id"), str):
        base = urljoin(base, schema["$id"])
    yield schema, base, pointer
    for sub, sub_pointer in _subschemas(schema, pointer):
        yield from walk(sub, base, sub_pointer)


def _every_subschema(documents: dict[str, dict[str, Any]]) -> Iterator[tuple[str, dict, str, str]]:
    for rel, doc in documents.items():
        root_id = doc.get("$id") or BASE_URI + rel
        for sub, base, pointer in walk(doc, root_id):
            yield rel, sub, base, pointer


def _all_dicts(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _all_dicts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _all_dicts(value)


def _same_number(a: Any, b: Any) -> bool:
    numeric = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return isinstance(a, numeric) and isinstance(b, numeric) and a == b


# --------------------------------------------------------------------------------------------
# (1) files parse; the corpus is complete
# --------------------------------------------------------------------------------------------


def test_corpus_is_complete(corpus: dict[str, tuple[Path, Any]]) -> None:
    # Applies once both halves of the corpus are written.
    assert len(corpus) >= MIN_CORPUS_FILES, f"only {len(corpus)} schema files"


def test_every_file_parses_to_an_object(corpus: dict[str, tuple[Path, Any]]) -> None:
    assert corpus, "no schema files found"
    bad = [rel for rel, (_, doc) in corpus.items() if not isinstance(doc, dict)]
    assert not bad, f"not a JSON/YAML object: {bad}"


def test_files_are_named_as_schemas(corpus: dict[str, tuple[Path, Any]]) -> None:
    bad = [rel for rel in corpus if not rel.endswith(SCHEMA_SUFFIXES)]
    assert not bad, f"not named <Title>.schema.json|yaml: {bad}"


# --------------------------------------------------------------------------------------------
# (2) identity, (3) no duplicate $id
# --------------------------------------------------------------------------------------------


def test_ids_and_dialect(documents: dict[str, dict[str, Any]]) -> None:
    problems = []
    for rel, doc in documents.items():
        if doc.get("$id") != BASE_URI + rel:
            problems.append(f"{rel}: $id {doc.get('$id')!r} != {BASE_URI + rel!r}")
        if doc.get("$schema") != DRAFT_2020_12:
            problems.append(f"{rel}: $schema {doc.get('$schema')!r}")
    assert not problems, "\n".join(problems)


def test_no_duplicate_ids(documents: dict[str, dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for rel, doc in documents.items():
        ident = str(doc.get("$id"))
        if ident in seen:
            duplicates.append(f"{ident}: {seen[ident]} and {rel}")
        seen.setdefault(ident, rel)
    assert not duplicates, "\n".join(duplicates)


# --------------------------------------------------------------------------------------------
# (4) every $ref resolves offline
# --------------------------------------------------------------------------------------------


def test_every_ref_resolves(documents: dict[str, dict[str, Any]], registry: Registry) -> None:
    unresolved = []
    count = 0
    for rel, sub, base, pointer in _every_subschema(documents):
        for kw in ("$ref", "$dynamicRef"):
            ref = sub.get(kw)
            if not isinstance(ref, str):
                continue
            count += 1
            if not urldefrag(urljoin(base, ref)).url.startswith(BASE_URI):
                unresolved.append(f"{rel}#{pointer}: {ref} points outside the corpus")
                continue
            try:
                registry.resolver(base_uri=base).lookup(ref)
            except Unresolvable as exc:
                unresolved.append(f"{rel}#{pointer}: {ref} ({exc!r})")
    assert count, "the corpus uses no $ref at all"
    assert not unresolved, "\n".join(unresolved)


# --------------------------------------------------------------------------------------------
# (5) metaschema validity
# --------------------------------------------------------------------------------------------


def test_every_file_is_a_valid_2020_12_schema(documents: dict[str, dict[str, Any]]) -> None:
    invalid = []
    for rel, doc in documents.items():
        try:
            Draft202012Validator.check_schema(doc)
        except SchemaError as exc:
            invalid.append(f"{rel}: {exc.message} at {list(exc.absolute_path)}")
    assert not invalid, "\n".join(invalid)


# --------------------------------------------------------------------------------------------
# (6) examples validate against the (sub)schema they sit on
# --------------------------------------------------------------------------------------------


def test_every_example_validates(documents: dict[str, dict[str, Any]], registry: Registry) -> None:
    failures = []
    count = 0
    for rel, sub, _base, pointer in _every_subschema(documents):
        examples = sub.get("examples")
        if examples is None:
            continue
        if not isinstance(examples, list):
            failures.append(f"{rel}#{pointer}: examples is not an array")
            continue
        quoted = "/".join(quote(seg, safe="") for seg in pointer.split("/"))
        doc_id = documents[rel]["$id"]
        wrapper = {"$ref": f"{doc_id}#{quoted}"} if pointer else {"$ref": doc_id}
        validator = Draft202012Validator(
            wrapper, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for i, example in enumerate(examples):
            count += 1
            try:
                errors = sorted(validator.iter_errors(example), key=lambda e: list(e.absolute_path))
            except Exception as exc:  # e.g. an unresolvable $ref, also reported on its own
                failures.append(f"{rel}#{pointer}/examples/{i}: cannot validate ({exc!r})")
                continue
            for error in errors[:3]:
                failures.append(
                    f"{rel}#{pointer}/examples/{i}: {error.message} at {list(error.absolute_path)}"
                )
    assert count, "the corpus has no examples at all"
    assert not failures, "\n".join(failures)


def test_leaf_types_carry_examples(documents: dict[str, dict[str, Any]]) -> None:
    """Leaf types (primitives, enums, math, classification, fields) and components have examples."""
    leaf_folders = ("primitives/", "enums/", "math/", "classification/", "fields/", "components/")
    missing = [
        rel
        for rel, doc in documents.items()
        if rel.startswith(leaf_folders) and not doc.get("examples")
    ]
    assert not missing, f"no examples: {missing}"


# --------------------------------------------------------------------------------------------
# (7) x-infrastructure blocks
# --------------------------------------------------------------------------------------------


def test_x_infrastructure_blocks(documents: dict[str, dict[str, Any]]) -> None:
    meta = _load(Path("src/schemagen/schemas/x-infrastructure.schema.json"))
    Draft202012Validator.check_schema(meta)
    validator = Draft202012Validator(meta)
    failures = []
    for rel, doc in documents.items():
        for node in _all_dicts(doc):
            if "x-infrastructure" not in node:
                continue
            for error in validator.iter_errors(node["x-infrastructure"]):
                failures.append(
                    f"{rel}: x-infrastructure {error.message} at {list(error.absolute_path)}"
                )
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------------------------
# (8) named constants
# --------------------------------------------------------------------------------------------


def test_constants_files_are_valid_and_names_unique() -> None:
    files = _constant_files()
    assert files, "no constants files in governance/constants/"
    meta = _load(Path("src/schemagen/schemas/constants.schema.json"))
    validator = Draft202012Validator(meta)
    failures = []
    owner: dict[str, str] = {}
    for path in files:
        data = _load(path)
        for error in validator.iter_errors(data):
            failures.append(f"{path}: {error.message} at {list(error.absolute_path)}")
        if not isinstance(data, dict) or not isinstance(data.get("constants"), dict):
            continue
        for name in data["constants"]:
            if name in owner:
                failures.append(f"constant {name} defined in both {owner[name]} and {path}")
            owner.setdefault(name, path.as_posix())
    assert not failures, "\n".join(failures)


def test_x_constants_name_known_constants_with_equal_values(
    documents: dict[str, dict[str, Any]], constants: dict[str, tuple[str, Any]]
) -> None:
    failures = []
    for rel, sub, _, pointer in _every_subschema(documents):
        mapping = sub.get("x-constant")
        if mapping is None:
            continue
        if not isinstance(mapping, dict) or not mapping:
            failures.append(f"{rel}#{pointer}: x-constant must be a non-empty object")
            continue
        for kw, name in mapping.items():
            if kw not in sub:
                failures.append(f"{rel}#{pointer}: x-constant names {kw!r}, which the schema lacks")
            elif name not in constants:
                failures.append(f"{rel}#{pointer}: unknown constant {name!r}")
            elif not _same_number(sub[kw], constants[name][1]):
                failures.append(
                    f"{rel}#{pointer}: {kw}={sub[kw]!r} but {name}={constants[name][1]!r}"
                )
    assert not failures, "\n".join(failures)


def test_physics_numbers_are_named(documents: dict[str, dict[str, Any]]) -> None:
    """In physics scopes every number other than 0 and 1 on a numeric keyword is named."""
    failures = []
    for rel, sub, _, pointer in _every_subschema(documents):
        if not rel.startswith(PHYSICS_SCOPES):
            continue
        named = sub.get("x-constant") or {}
        for kw in NUMERIC_KEYWORDS:
            value = sub.get(kw)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if value in UNNAMED_NUMBERS:
                continue
            if kw not in named:
                failures.append(f"{rel}#{pointer}: bare {kw}={value!r} has no x-constant")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------------------------
# (9) titles
# --------------------------------------------------------------------------------------------


def test_titles_are_unique_python_class_names_equal_to_stem(
    corpus: dict[str, tuple[Path, Any]], documents: dict[str, dict[str, Any]]
) -> None:
    failures = []
    seen: dict[str, str] = {}
    for rel, doc in documents.items():
        title = doc.get("title")
        path = corpus[rel][0]
        if not isinstance(title, str) or not title.isidentifier() or keyword.iskeyword(title):
            failures.append(f"{rel}: title {title!r} is not a Python identifier")
            continue
        if not title[0].isupper():
            failures.append(f"{rel}: title {title!r} is not PascalCase")
        if title != _stem(path):
            failures.append(f"{rel}: title {title!r} != file stem {_stem(path)!r}")
        if title in seen:
            failures.append(f"{rel}: title {title!r} also used by {seen[title]}")
        seen.setdefault(title, rel)
    assert not failures, "\n".join(failures)


def test_every_schema_has_a_description(documents: dict[str, dict[str, Any]]) -> None:
    missing = [rel for rel, doc in documents.items() if not str(doc.get("description", "")).strip()]
    assert not missing, f"no description: {missing}"
