"""The assemble stage: bundles (compound documents) and flattened views.

Bundles are checked by validating against them with an empty registry (self-contained) and
comparing each verdict with the source corpus's; flattened views by their merged keywords and
the conflicts and cycles they report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from schemagen.assemble import (
    Resolution,
    assemble_corpus,
    bundle_document,
    canonical_json,
    flatten_document,
    output_names,
    write_assembled,
)
from schemagen.config import Config
from schemagen.diagnostics import Diagnostic, Severity
from schemagen.load import SchemaDocument
from schemagen.outputs import GeneratedFile
from schemagen.resolve import Corpus, compile_corpus

S2020 = "https://json-schema.org/draft/2020-12/schema"
DRAFT7 = "http://json-schema.org/draft-07/schema#"


def corpus_of(root: Path, files: dict[str, Any]) -> Corpus:
    for relpath, value in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2))
    return compile_corpus(Config(schemas=root))


def doc(corpus: Corpus, relpath: str) -> SchemaDocument:
    return next(d for d in corpus.documents if d.relpath == relpath)


def bundle_validator(bundle: Any, pointer: str = "") -> Any:
    """A validator for the bundle (or a subschema of its root), with nothing else to resolve."""
    cls = jsonschema.validators.validator_for(bundle)
    if not pointer:
        return cls(bundle, registry=Registry())
    uri = bundle["$id"]
    registry: Registry[Any] = Registry().with_resource(uri, Resource.from_contents(bundle))
    return cls({"$ref": f"{uri}#{pointer}"}, registry=registry)


def refs_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "$ref" and isinstance(child, str):
                yield child
            else:
                yield from refs_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from refs_in(child)


def source_validator(corpus: Corpus, document: SchemaDocument, pointer: str = "") -> Any:
    """The corpus's validator for a subschema, in the `$ref` form (which also gives a root
    without `$id` its base URI)."""
    validator = corpus.validator(document, pointer or "/")
    uri = corpus.uri_of(document)
    return validator.evolve(schema={"$schema": document.dialect, "$ref": f"{uri}#{pointer}"})


def assert_same_verdicts(
    corpus: Corpus,
    document: SchemaDocument,
    bundle: Any,
    instances: list[Any],
    expected: list[bool],
) -> None:
    """The bundle's verdicts are the expected ones; where the corpus's validator can follow the
    refs, it agrees (it cannot for a file reached by path fallback: jsonschema resolves that
    file's refs against the URI it was reached by, which only the bundle provides)."""
    bundled = bundle_validator(bundle)
    assert [bundled.is_valid(i) for i in instances] == expected
    try:
        source = [source_validator(corpus, document).is_valid(i) for i in instances]
    except jsonschema.exceptions._RefResolutionError:
        return
    assert source == expected


# --- bundles --------------------------------------------------------------------------------------

LINKED: dict[str, dict[str, Any]] = {
    "Root.schema.json": {
        "$schema": S2020, "$id": "https://x.test/Root.schema.json", "title": "Root",
        "type": "object",
        "properties": {
            "a": {"$ref": "parts/A.schema.json"},
            "b": {"$ref": "parts/B.schema.json#/$defs/code"},
            "again": {"$ref": "parts/A.schema.json"},
        },
        "$defs": {"local": {"type": "string"}},
    },
    "parts/A.schema.json": {
        "$schema": S2020, "$id": "https://x.test/parts/A.schema.json", "type": "object",
        "properties": {"b": {"$ref": "B.schema.json"}}, "required": ["b"],
    },
    "parts/B.schema.json": {
        "$schema": DRAFT7, "$id": "https://x.test/parts/B.schema.json", "type": "string",
        "minLength": 2,
        "definitions": {}, "$defs": {"code": {"type": "integer", "maximum": 9}},
    },
}  # fmt: skip


def test_bundle_embeds_each_resource_once_keeping_id_schema_and_refs(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, LINKED)
    bundle = bundle_document(Resolution(corpus), doc(corpus, "Root.schema.json"))
    contents = bundle.contents
    assert list(contents)[:5] == ["$schema", "$id", "title", "type", "properties"]
    assert list(contents["$defs"]) == ["local", "parts/A.schema.json", "parts/B.schema.json"]
    for relpath in ("parts/A.schema.json", "parts/B.schema.json"):
        embedded = contents["$defs"][relpath]
        assert embedded["$id"] == LINKED[relpath]["$id"]
        assert embedded["$schema"] == LINKED[relpath]["$schema"]  # B stays draft-07
    assert sorted(refs_in(contents)) == sorted(refs_in(LINKED))  # every $ref string unchanged
    assert bundle.sources == ("Root.schema.json", "parts/A.schema.json", "parts/B.schema.json")
    assert_same_verdicts(
        corpus,
        doc(corpus, "Root.schema.json"),
        contents,
        [
            {},
            {"a": {"b": "ok"}},
            {"a": {"b": "x"}},
            {"a": {}},
            {"b": 3},
            {"b": 10},
            {"again": {"b": 1}},
        ],
        [True, True, False, False, True, False, False],
    )


FALLBACK = {
    # $ids from another layout (as in familiar-v3): refs resolve only by file path.
    "entities/Bond.schema.json": {
        "$schema": S2020, "$id": "https://old.test/v1/Bond.v1.json", "type": "object",
        "properties": {"tension": {"$ref": "../components/Tension.schema.json"}},
    },
    "components/Tension.schema.json": {
        "$schema": S2020, "$id": "https://old.test/v1/components/Tension.v1.json", "type": "object",
        "properties": {"value": {"$ref": "./Value.schema.json"}}, "required": ["value"],
    },
    "components/Value.schema.json": {
        "$schema": S2020, "type": "number", "minimum": 0, "maximum": 1,
    },
}  # fmt: skip


def test_bundle_of_refs_resolved_by_path_validates_like_the_corpus(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, FALLBACK)
    assert any(d.rule == "ref/resolved-by-path" for d in corpus.diagnostics)
    bond = doc(corpus, "entities/Bond.schema.json")
    bundle = bundle_document(Resolution(corpus), bond).contents
    embedded_ids = sorted(value["$id"] for value in bundle["$defs"].values())
    # Embedded under the URIs the refs resolve to from the $id chain, not under their own $ids.
    assert embedded_ids == [
        "https://old.test/components/Tension.schema.json",
        "https://old.test/components/Value.schema.json",
    ]
    assert str(tmp_path) not in json.dumps(bundle)
    assert_same_verdicts(
        corpus,
        bond,
        bundle,
        [{}, {"tension": {}}, {"tension": {"value": 0.5}}, {"tension": {"value": 2}}],
        [True, False, True, False],
    )


def test_documents_without_id_get_a_portable_uri(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "A.schema.json": {"$schema": S2020, "items": {"$ref": "sub/B.schema.json"}},
            "sub/B.schema.json": {"$schema": S2020, "type": "integer"},
        },
    )
    a = doc(corpus, "A.schema.json")
    bundle = bundle_document(Resolution(corpus), a).contents
    assert bundle["$id"] == "https://schemagen.invalid/A.schema.json"
    assert (
        bundle["$defs"]["sub/B.schema.json"]["$id"] == "https://schemagen.invalid/sub/B.schema.json"
    )
    assert str(tmp_path) not in json.dumps(bundle)
    assert_same_verdicts(corpus, a, bundle, [[1, 2], [1, "x"], "x"], [True, False, True])


def test_legacy_root_is_wrapped_in_a_2020_12_compound_document(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "Legacy.schema.json": {
                "$schema": DRAFT7, "$id": "https://x.test/Legacy.schema.json",
                # draft-07: "type" next to "$ref" is ignored
                "$ref": "#/definitions/positive", "type": "string",
                "definitions": {"positive": {"type": "integer", "minimum": 1}},
            },
        },
    )  # fmt: skip
    legacy = doc(corpus, "Legacy.schema.json")
    bundle = bundle_document(Resolution(corpus), legacy).contents
    assert bundle["$schema"] == S2020
    assert bundle["$ref"] == "https://x.test/Legacy.schema.json"
    assert bundle["$defs"]["Legacy.schema.json"]["$schema"] == DRAFT7
    assert_same_verdicts(corpus, legacy, bundle, [1, 0, "x"], [True, False, False])


def test_bundles_do_not_depend_on_processing_order(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, {**LINKED, **{f"more/{k}": v for k, v in FALLBACK.items()}})
    reordered = replace(corpus, documents=tuple(reversed(corpus.documents)))
    first, second = assemble_corpus(corpus), assemble_corpus(reordered)
    assert first.files == second.files
    assert first.diagnostics == second.diagnostics
    assert assemble_corpus(corpus).files == first.files


def test_generated_files_are_canonical(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, LINKED)
    files = {f.path: f for f in assemble_corpus(corpus).files}
    assert sorted(files) == sorted(
        f"assembled/{kind}/{relpath}" for kind in ("bundles", "flat") for relpath in LINKED
    )
    bundle = files["assembled/bundles/Root.schema.json"]
    assert bundle.kind == "assembled"
    assert bundle.content.endswith(b"}\n") and bundle.content.startswith(b'{\n  "$schema"')
    assert bundle.content == canonical_json(json.loads(bundle.content))
    assert files["assembled/flat/parts/A.schema.json"].sources == (
        "parts/A.schema.json",
        "parts/B.schema.json",
    )


def test_write_assembled_replaces_only_the_assembled_tree(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    (out / "python").mkdir(parents=True)
    (out / "python" / "keep.py").write_text("x = 1\n")
    (out / "assembled" / "bundles").mkdir(parents=True)
    (out / "assembled" / "bundles" / "Stale.schema.json").write_text("{}\n")
    files = (
        GeneratedFile("assembled/bundles/A.schema.json", b"{}\n", ("A.schema.json",), "assembled"),
        GeneratedFile("python/other.py", b"", (), "python"),
    )
    target = write_assembled(out, files)
    assert target == out / "assembled"
    assert (out / "assembled" / "bundles" / "A.schema.json").read_bytes() == b"{}\n"
    assert not (out / "assembled" / "bundles" / "Stale.schema.json").exists()
    assert (out / "python" / "keep.py").read_text() == "x = 1\n"
    assert not (out / "python" / "other.py").exists()


# --- flattened views ------------------------------------------------------------------------------

BASE = {
    "$schema": S2020, "$id": "https://x.test/Base.schema.json", "title": "Base", "type": "object",
    "required": ["id", "status"],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 64},
        "status": {"enum": ["active", "archived", "deleted"], "default": "active"},
        "size": {"type": ["integer", "string"], "minimum": 0, "maximum": 100},
    },
    "$defs": {"unused": {"type": "null"}},
}  # fmt: skip

CHILD = {
    "$schema": S2020, "$id": "https://x.test/Child.schema.json", "title": "Child",
    "allOf": [
        {"$ref": "Base.schema.json"},
        {
            "required": ["name", "id"],
            "properties": {
                "name": {"type": "string"},
                "status": {"enum": ["active", "archived"], "default": "archived"},
                "size": {"type": "number", "minimum": 5, "maximum": 200},
                "id": {"maxLength": 36},
            },
        },
    ],
}  # fmt: skip


def test_flattening_merges_allof_and_inlines_refs(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, {"Base.schema.json": BASE, "Child.schema.json": CHILD})
    flat = flatten_document(Resolution(corpus), doc(corpus, "Child.schema.json"))
    assert flat.diagnostics == ()
    assert flat.sources == ("Base.schema.json", "Child.schema.json")
    contents = flat.contents
    assert (
        "$defs" not in contents and "allOf" not in contents and "$ref" not in json.dumps(contents)
    )
    assert contents["title"] == "Child"  # the child's own annotations win
    assert contents["required"] == ["id", "status", "name"]
    properties = contents["properties"]
    assert list(properties) == ["id", "status", "size", "name"]
    assert properties["id"] == {"type": "string", "minLength": 1, "maxLength": 36}
    assert properties["status"] == {"enum": ["active", "archived"], "default": "archived"}
    assert properties["size"] == {"type": "integer", "minimum": 5, "maximum": 100}


CONFLICTS = {
    "Conflict.schema.json": {
        "$schema": S2020,
        "allOf": [
            {
                "properties": {
                    "kind": {"const": "a"},
                    "n": {"type": "string"},
                    "e": {"enum": [1, 2]},
                }
            },
            {"properties": {"kind": {"const": "b"}, "n": {"type": "integer"}, "e": {"enum": [3]}}},
            {"properties": {"m": {"minimum": 10}}},
            {"properties": {"m": {"maximum": 5}}},
            {"properties": {"closed": {"properties": {"x": {}}, "additionalProperties": False}}},
            {"properties": {"closed": {"properties": {"y": {}}, "required": ["y"]}}},
        ],
    },
}


def test_conflicting_constraints_are_reported_not_overwritten(tmp_path: Path) -> None:
    corpus = corpus_of(tmp_path, CONFLICTS)
    flat = flatten_document(Resolution(corpus), doc(corpus, "Conflict.schema.json"))
    conflicts = [d for d in flat.diagnostics if d.rule == "assemble/conflict"]
    messages = " | ".join(d.message for d in conflicts)
    for expected in (
        'at /properties/kind: const "a" and const "b"',
        "at /properties/n: type 'string' and type 'integer'",
        "at /properties/e: enum [1, 2] and enum [3]",
        "at /properties/m: minimum 10 exceeds maximum 5",
        "at /properties/closed: property 'y' is required but another branch forbids it",
    ):
        assert expected in messages
    assert all(d.severity is Severity.ERROR and d.location.pointer == "" for d in conflicts)
    assert all((d.location.line, d.location.column) == (1, 1) for d in conflicts)
    kind = flat.contents["properties"]["kind"]
    assert kind == {"const": "a", "allOf": [{"const": "b"}]}  # both kept: nothing silently lost


def test_conflict_location_is_the_schema_holding_the_allof(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "A.schema.json": {
                "$schema": S2020,
                "properties": {"x": {"allOf": [{"type": "string"}, {"type": "null"}]}},
            }
        },
    )
    flat = flatten_document(Resolution(corpus), doc(corpus, "A.schema.json"))
    [conflict] = flat.diagnostics
    assert (conflict.location.pointer, conflict.location.line, conflict.location.column) == (
        "/properties/x",
        4,
        10,
    )


def test_cycles_leave_a_ref_in_place_and_terminate(tmp_path: Path) -> None:
    corpus = corpus_of(
        tmp_path,
        {
            "Tree.schema.json": {
                "$schema": S2020, "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#"}},
                               "meta": {"$ref": "#/$defs/meta"}},
                "$defs": {
                    "meta": {"type": "object", "properties": {"up": {"$ref": "#/$defs/meta"}}},
                },
            },
        },
    )  # fmt: skip
    flat = flatten_document(Resolution(corpus), doc(corpus, "Tree.schema.json"))
    cycles: list[Diagnostic] = [d for d in flat.diagnostics if d.rule == "assemble/cycle"]
    assert sorted(d.location.pointer or "" for d in cycles) == [
        "/$defs/meta/properties/up/$ref",
        "/properties/children/items/$ref",
    ]
    assert all(d.severity is Severity.WARNING for d in cycles)
    assert flat.contents["properties"]["children"]["items"] == {"$ref": "#"}
    assert flat.contents["properties"]["meta"]["properties"]["up"] == {"$ref": "#/$defs/meta"}


# --- real corpora ---------------------------------------------------------------------------------


def _examples(document: SchemaDocument) -> list[tuple[str, Any]]:
    """(pointer of the schema, instance) for every `examples` entry and `default` value."""
    from schemagen.walk import iter_schemas

    found: list[tuple[str, Any]] = []
    for node in iter_schemas(document.contents, document.file_uri, document.dialect):
        examples = node.schema.get("examples")
        if node.via_unknown:
            continue
        if isinstance(examples, list):
            found.extend((node.pointer, example) for example in examples)
        if "default" in node.schema:
            found.append((node.pointer, node.schema["default"]))
    return found


WRONG: list[Any] = [None, "not-an-object", 12345, {}, []]


def test_repository_examples_keep_their_verdict_in_bundles_and_flat_views(
    schemas_dir: Path,
) -> None:
    corpus = compile_corpus(Config(schemas=schemas_dir.resolve()))
    result = assemble_corpus(corpus)
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR]
    files = {f.path: f for f in result.files}
    names = output_names(corpus.documents)
    checked = 0
    for document in corpus.documents:
        name = names[document.path]
        bundle = json.loads(files[f"assembled/bundles/{name}"].content)
        flat = json.loads(files[f"assembled/flat/{name}"].content)
        for pointer, example in _examples(document):
            source = source_validator(corpus, document, pointer)
            bundled = bundle_validator(bundle, pointer)
            for instance in (example, *WRONG):
                assert source.is_valid(instance) == bundled.is_valid(instance), (
                    name,
                    pointer,
                    instance,
                )
            checked += 1
        if "$ref" not in json.dumps(
            flat
        ):  # a flat view without cycles accepts what the source does
            flat_validator = jsonschema.Draft202012Validator(flat)
            for _, example in [
                e for e in _examples(document) if e[0] == "" and "examples" in document.contents
            ]:
                assert flat_validator.is_valid(example), name
    print(f"\nrepository corpus: {len(corpus.documents)} bundles, {checked} examples checked")
    assert checked >= len(corpus.documents) // 2


def test_familiar_bundles_are_self_contained_and_agree(shared_corpora: Path) -> None:
    corpus = compile_corpus(Config(schemas=(shared_corpora / "familiar-v3").resolve()))
    resolution = Resolution(corpus)
    compared = 0
    for document in corpus.documents:
        bundle = bundle_document(resolution, document).contents
        assert str(corpus.root) not in json.dumps(bundle)
        flatten_document(resolution, document)  # terminates, whatever the corpus holds
        for pointer, example in _examples(document):
            if document.dialect != S2020:
                continue
            # Every ref the corpus resolved is inside the bundle: no Unresolvable here.
            verdict = bundle_validator(bundle, pointer).is_valid(example)
            assert verdict == source_validator(corpus, document, pointer).is_valid(example)
            compared += 1
    print(f"\nfamiliar-v3: {len(corpus.documents)} bundles, {compared} examples compared")
    assert compared >= 100


@pytest.mark.parametrize("relpath", ["Root.schema.json"])
def test_bundle_validators_need_no_network(tmp_path: Path, relpath: str) -> None:
    corpus = corpus_of(tmp_path, LINKED)
    bundle = bundle_document(Resolution(corpus), doc(corpus, relpath)).contents
    validator = bundle_validator(bundle)
    assert not validator.is_valid({"a": {"b": "x"}})  # resolves parts/B inside the bundle
