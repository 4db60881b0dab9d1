"""The Python stage: one importable, ruff-clean pydantic v2 module per schema, offline,
deterministic and incremental. The repository corpus is generated once per test module (a
module-scoped fixture)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from schemagen.config import Config, ConfigError
from schemagen.diagnostics import Severity
from schemagen.outputs import (
    Manifest,
    StageResult,
    build_manifest,
    manifest_file,
    read_manifest,
    write_tree,
)
from schemagen.pygen import PythonSettings, generate_python, plan_python
from schemagen.pygen import codegen as codegen_module
from schemagen.pygen.codegen import CodegenError, try_codegen
from schemagen.pygen.naming import class_name, module_paths, snake
from schemagen.pygen.render import read_header
from schemagen.pygen.scalars import REFINING
from schemagen.pygen.stage import Layout, plan_layout
from schemagen.resolve import Corpus, compile_corpus
from schemagen.sourcemap import resolve_pointer

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Generated:
    corpus: Corpus
    layout: Layout
    result: StageResult
    out: Path
    package: str

    @property
    def python_dir(self) -> Path:
        return self.out / "python"

    def text(self, relpath: str) -> str:
        spec = self.layout.specs[relpath]
        return (self.out / self.layout.path(spec)).read_text(encoding="utf-8")

    def main_class(self, relpath: str) -> Any:
        spec = self.layout.specs[relpath]
        module = importlib.import_module(".".join((self.package, *spec.parts)))
        return getattr(module, spec.name.name)


def _config(schemas: Path, out: Path, package: str, **extra: Any) -> Config:
    return Config(
        schemas=schemas.resolve(),
        out=out.resolve(),
        sections={"python": {"package": package}},
        **extra,
    )


def run_stage(config: Config, *, write: bool = True) -> tuple[Corpus, StageResult]:
    corpus = compile_corpus(config)
    result = generate_python(corpus, None, previous=read_manifest(config.out), out_dir=config.out)
    if write:
        files = list(result.files)
        files.append(
            manifest_file(build_manifest(files, {d.relpath: d.sha256 for d in corpus.documents}))
        )
        write_tree(config.out, files)
    return corpus, result


def generate_into(schemas: Path, out: Path, package: str) -> Generated:
    config = _config(schemas, out, package)
    corpus, result = run_stage(config)
    return Generated(corpus, plan_layout(corpus, PythonSettings(package)), result, out, package)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, schemas_dir: Path) -> Iterator[Generated]:
    generated = generate_into(
        schemas_dir, tmp_path_factory.mktemp("repo") / "generated", "pygen_repo"
    )
    sys.path.insert(0, str(generated.python_dir))
    yield generated
    sys.path.remove(str(generated.python_dir))


@pytest.fixture(scope="module")
def familiar(tmp_path_factory: pytest.TempPathFactory, shared_corpora: Path) -> Generated:
    return generate_into(
        shared_corpora / "familiar-v3", tmp_path_factory.mktemp("fv3") / "generated", "pygen_fv3"
    )


def import_all(generated: Generated) -> subprocess.CompletedProcess[str]:
    """Import every generated module in a fresh Python (so nothing this process holds helps)."""
    modules = [
        ".".join((generated.package, *spec.parts)) for spec in generated.layout.specs.values()
    ]
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    return subprocess.run(
        [sys.executable, "-c", script, *sorted(modules)],
        cwd=generated.python_dir,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(generated.python_dir)},
    )


def python_files(generated: Generated) -> dict[str, bytes]:
    return {f.path: f.content for f in generated.result.files}


# --- the repository corpus -----------------------------------------------------------------------


def test_every_schema_has_a_module_that_imports(repo: Generated) -> None:
    paths = python_files(repo)
    for spec in repo.layout.specs.values():
        assert repo.layout.path(spec) in paths, spec.relpath
    assert f"python/{repo.package}/py.typed" in paths
    assert f"python/{repo.package}/__init__.py" in paths
    completed = import_all(repo)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert not [d for d in repo.result.diagnostics if d.rule == "generate/python-failed"]


def test_generated_code_passes_ruff_with_the_repo_config(repo: Generated) -> None:
    ruff = shutil.which("ruff", path=str(BIN)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    completed = subprocess.run(
        [
            ruff,
            "check",
            "--no-cache",
            "--config",
            str(REPO_ROOT / "pyproject.toml"),
            str(repo.python_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]


def _validate(model: Any, instance: Any) -> Any:
    if hasattr(model, "model_validate"):
        return model.model_validate(instance)
    return TypeAdapter(model).validate_python(instance)  # an enum schema's class is a Python Enum


def test_every_example_loads_with_its_schemas_class(repo: Generated) -> None:
    checked = 0
    for relpath, spec in sorted(repo.layout.specs.items()):
        model = repo.main_class(relpath)
        for example in spec.document.contents.get("examples", []):
            _validate(model, example)
            checked += 1
    assert checked > 50


ANNOTATIONS = frozenset(
    {
        "$ref",
        "description",
        "title",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "x-constant",
    }
)


def _plain_use(reference: Any) -> bool:
    """A whole-file ref whose schema object adds no constraint of its own (a refinement such as
    `{"$ref": "LongText", "maxLength": 4000}` is a new, narrower type, and generated as one)."""
    if not reference.cross_file or reference.target is None or reference.target.pointer:
        return False
    pointer = reference.site.schema_pointer
    holder = resolve_pointer(reference.site.document.contents, pointer)
    if "/allOf/" in pointer:  # `{"allOf": [{"$ref": "PositiveInteger"}], "maximum": 5}` refines too
        parent = resolve_pointer(reference.site.document.contents, pointer.rsplit("/allOf/", 1)[0])
        if REFINING & set(parent):
            return False
    return set(holder) <= ANNOTATIONS


def test_a_type_is_imported_where_it_is_used_never_redefined(repo: Generated) -> None:
    """For every plain whole-file ref A -> B, A's module imports B's class, never defines it."""
    checked = 0
    for reference in repo.corpus.references:
        if not _plain_use(reference):
            continue
        assert reference.target is not None and reference.target.document is not None
        source = repo.layout.specs[reference.site.document.relpath]
        target = repo.layout.specs[reference.target.document.relpath]
        if target.name.name == source.name.name:
            continue
        text = repo.text(source.relpath)
        module = ".".join(target.parts)
        assert f"class {target.name.name}(" not in text, (source.relpath, target.relpath)
        assert target.name.name in text and module.rsplit(".", 1)[-1] in text, (
            source.relpath,
            target.relpath,
        )
        checked += 1
    assert checked > 100


def test_an_entity_subclasses_its_base_and_imports_it(repo: Generated) -> None:
    bases = [
        r
        for r in repo.corpus.references
        if r.cross_file
        and r.site.schema_pointer == "/allOf/0"
        and r.target is not None
        and r.target.document
        and r.target.document.contents.get("type") == "object"
    ]
    assert bases, "the corpus has entities that extend a base with allOf"
    for reference in bases:
        assert reference.target is not None and reference.target.document is not None
        child = repo.layout.specs[reference.site.document.relpath]
        base = repo.layout.specs[reference.target.document.relpath]
        text = repo.text(child.relpath)
        assert f"class {child.name.name}({base.name.name}" in text
        assert (
            "from ."
            + "." * (len(child.parts) - len(os.path.commonprefix([child.parts, base.parts])) - 1)
            in text
        )
        assert issubclass(repo.main_class(child.relpath), repo.main_class(base.relpath))


def test_headers_name_the_schema_and_the_digest_of_its_inputs(repo: Generated) -> None:
    for relpath, spec in repo.layout.specs.items():
        text = repo.text(relpath)
        assert text.startswith(f"# Generated by schemagen from {relpath}.")
        header = read_header(text.encode())
        assert header is not None and header.digest == spec.digest and header.stub_reason is None
        assert "timestamp" not in text.split("\n\n", 1)[0]
    for generated in repo.result.files:
        if generated.path.endswith(".py") and not generated.path.endswith("__init__.py"):
            assert generated.kind == "python" and generated.sources


def test_sources_cover_what_the_module_imports(repo: Generated) -> None:
    for relpath, spec in repo.layout.specs.items():
        assert relpath in spec.sources
        for reference in repo.corpus.references_from(spec.document):
            if reference.cross_file and reference.target is not None and reference.target.document:
                assert reference.target.document.relpath in spec.sources


# --- faithfulness on small corpora ---------------------------------------------------------------


def write_schemas(root: Path, schemas: dict[str, dict[str, Any]]) -> Path:
    for relpath, contents in schemas.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"$schema": "https://json-schema.org/draft/2020-12/schema", **contents}
        path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    return root


INHERITANCE: dict[str, dict[str, Any]] = {
    "enums/Status.schema.json": {
        "title": "Status",
        "type": "string",
        "enum": ["active", "archived"],
    },
    "base/Base.schema.json": {
        "title": "Base",
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {
                "type": "string",
                "pattern": "^[a-z]+$",
                "minLength": 2,
                "description": "The id.",
            },
            "status": {"$ref": "../enums/Status.schema.json", "default": "active"},
            "score": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.5},
            "kind": {"type": "string", "enum": ["a", "b", "c"]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        },
    },
    "entities/Thing.schema.json": {
        "title": "Thing",
        "description": "A thing.",
        "allOf": [
            {"$ref": "../base/Base.schema.json"},
            {
                "type": "object",
                "required": ["weight"],
                "properties": {
                    "status": {"default": "archived"},
                    "score": {"default": 0.9},
                    "kind": {"const": "b"},
                    "weight": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
                    "version": {"const": 3},
                    "created": {"type": "string", "format": "date-time"},
                },
            },
        ],
    },
}


@pytest.fixture(scope="module")
def inheritance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("inheritance")
    generated = generate_into(
        write_schemas(root / "schemas", INHERITANCE), root / "generated", "pygen_inherit"
    )
    sys.path.insert(0, str(generated.python_dir))
    yield generated
    sys.path.remove(str(generated.python_dir))


def test_subclass_keeps_defaults_it_sets_on_inherited_fields(inheritance: Generated) -> None:
    thing = inheritance.main_class("entities/Thing.schema.json")
    base = inheritance.main_class("base/Base.schema.json")
    assert issubclass(thing, base)
    fields = thing.model_fields
    assert fields["score"].default == 0.9  # optional: a real default
    status = fields["status"]
    assert status.is_required()  # required in the base: a default must not make it optional
    assert status.json_schema_extra == {"default": "archived"}
    assert base.model_fields["status"].json_schema_extra == {"default": "active"}
    schema = thing.model_json_schema()
    assert schema["properties"]["status"]["default"] == "archived"
    assert "status" in schema["required"]


def test_bounds_patterns_enums_consts_and_descriptions_survive(inheritance: Generated) -> None:
    thing = inheritance.main_class("entities/Thing.schema.json")
    valid = {"id": "ab", "status": "active", "weight": 3, "kind": "b"}
    assert thing.model_validate(valid).weight == 3
    for bad in (
        {"weight": 0},
        {"weight": 11},
        {"id": "a"},
        {"id": "AB"},
        {"kind": "a"},
        {"status": "gone"},
        {"score": 1.5},
        {"tags": ["x", "y", "z"]},
        {"version": 4},
    ):
        with pytest.raises(ValueError):
            thing.model_validate({**valid, **bad})
    for missing in ("id", "status", "weight"):
        with pytest.raises(ValueError):
            thing.model_validate({k: v for k, v in valid.items() if k != missing})
    assert thing.model_fields["id"].description == "The id."
    assert thing.__doc__ is not None and "A thing." in thing.__doc__
    text = inheritance.text("entities/Thing.schema.json")
    assert "from ..base.base import Base" in text and "from ..enums.status import Status" in text
    assert "class Status(" not in text  # the const override does not copy the enum in


# --- naming --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected", "problem"),
    [
        ("BaseEntity", "BaseEntity", False),
        ("Bond Entity", "BondEntity", False),
        ("3D Physics Vector", "PhysicsVector3D", True),
        ("6DPhysicsVector", "PhysicsVector6D", True),
        ("123", "Model123", True),
        ("None", "NoneModel", True),
        (None, "FooBar", False),
    ],
)
def test_class_names(title: str | None, expected: str, problem: bool) -> None:
    chosen = class_name(title, "foo-bar")
    assert chosen.name == expected and chosen.name.isidentifier()
    assert (chosen.problem is not None) is problem


def test_module_names_are_snake_case_identifiers_and_unique_in_any_order() -> None:
    relpaths = [
        "a/FooBar.schema.json",
        "a/foo_bar.json",
        "a/foo_bar/X.json",
        "3d/3DVector.json",
        "x/class.json",
    ]
    first = module_paths(relpaths)
    assert first == module_paths(list(reversed(relpaths)))
    assert len(set(first.values())) == len(relpaths)
    packages = {parts[:i] for parts in first.values() for i in range(1, len(parts))}
    for parts in first.values():
        assert parts not in packages and all(p.isidentifier() for p in parts)
    assert first["a/FooBar.schema.json"][-1].startswith("foo_bar")
    assert snake("BaseCognitiveEntity") == "base_cognitive_entity" and snake("class") == "class_"


def test_familiar_v3_every_schema_generates_and_imports(familiar: Generated) -> None:
    assert len(familiar.layout.specs) == len(familiar.corpus.documents) >= 171
    assert not [d for d in familiar.result.diagnostics if d.rule == "generate/python-failed"]
    completed = import_all(familiar)
    assert completed.returncode == 0, completed.stderr[-3000:]
    names = [d for d in familiar.result.diagnostics if d.rule == "hygiene/invalid-class-name"]
    assert len(names) == 2 and all(d.severity is Severity.WARNING for d in names)
    assert all(d.location.pointer == "/title" and d.location.line for d in names)
    chosen = {familiar.layout.specs[r].name.name for r in familiar.layout.specs if "Vec" in r}
    assert {"PhysicsVector3D", "PhysicsVector6D"} <= chosen


# --- robustness: failures, offline ---------------------------------------------------------------


def test_a_schema_codegen_cannot_handle_becomes_a_stub_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas = write_schemas(tmp_path / "schemas", INHERITANCE)
    real = codegen_module.run_codegen

    def fussy(documents: Any, line_length: int) -> Any:
        if any(parts[-1] == "status" and "enum" in doc for parts, doc in documents.items()):
            raise CodegenError("ValueError: cannot handle this")
        return real(documents, line_length)

    monkeypatch.setattr(codegen_module, "run_codegen", fussy)
    config = _config(schemas, tmp_path / "generated", "pygen_fail")
    _, result = run_stage(config)
    failed = [d for d in result.diagnostics if d.rule == "generate/python-failed"]
    assert len(failed) == 1 and failed[0].location.file and "Status" in failed[0].location.file
    assert failed[0].severity is Severity.WARNING
    generated = Generated(
        compile_corpus(config),
        plan_layout(compile_corpus(config), PythonSettings("pygen_fail")),
        result,
        config.out,
        "pygen_fail",
    )
    assert import_all(generated).returncode == 0
    assert "schemagen-stub:" in generated.text("enums/Status.schema.json")
    assert "class Thing(Base)" in generated.text("entities/Thing.schema.json")
    # A no-op run keeps the stub (same inputs, same failure) and still reports it.
    monkeypatch.setattr(codegen_module, "run_codegen", real)
    _, again = run_stage(config)
    assert [d.rule for d in again.diagnostics] == ["generate/python-failed"]


def test_refs_through_id_urls_generate_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SchemaStore-style corpora: refs are https URLs only $ids resolve; nothing is fetched."""
    schemas = {
        "base.json": {
            "$id": "https://json.example.org/base.json",
            "title": "Base",
            "type": "object",
            "properties": {"name": {"type": "string", "maxLength": 5}},
            "definitions": {"level": {"type": "integer", "minimum": 1}},
        },
        "app.json": {
            "$id": "https://json.example.org/app.json",
            "title": "App",
            "type": "object",
            "properties": {
                "base": {"$ref": "https://json.example.org/base.json"},
                "level": {"$ref": "https://json.example.org/base.json#/definitions/level"},
                "meta": {"$ref": "http://json-schema.org/draft-07/schema#"},
                "gone": {"$ref": "https://elsewhere.example.org/missing.json"},
            },
        },
    }

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    root = write_schemas(tmp_path / "schemas", schemas)
    generated = generate_into(root, tmp_path / "generated", "pygen_offline")
    assert not [d for d in generated.result.diagnostics if d.rule == "generate/python-failed"]
    assert import_all(generated).returncode == 0
    text = generated.text("app.json")
    assert "from .base import Base" in text and "Level" in text


def test_shared_schemastore_refs_resolve_through_a_url_map(
    tmp_path: Path, shared_corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        socket.socket, "connect", lambda *a: (_ for _ in ()).throw(AssertionError("network"))
    )
    store = shared_corpora / "schemastore" / "schemas" / "json"
    schemas = write_schemas(
        tmp_path / "schemas",
        {
            "Config.schema.json": {
                "title": "Config",
                "type": "object",
                "properties": {
                    "package": {"$ref": "https://json.schemastore.org/partial-mypy.json"}
                },
            }
        },
    )
    config = _config(schemas, tmp_path / "generated", "pygen_store")
    from schemagen.config import UrlMapping

    config = Config(
        **{**config.__dict__, "url_map": (UrlMapping("https://json.schemastore.org/", store),)}
    )
    if not (store / "partial-mypy.json").is_file():
        pytest.skip("the SchemaStore file this test uses is not in the shared corpus")
    corpus, result = run_stage(config)
    assert corpus.external_documents
    generated = Generated(
        corpus,
        plan_layout(corpus, PythonSettings("pygen_store")),
        result,
        config.out,
        "pygen_store",
    )
    assert import_all(generated).returncode == 0
    assert "from .external." in generated.text("Config.schema.json")


# --- determinism and incrementality --------------------------------------------------------------


GENERATE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from schemagen.config import Config
    from schemagen.outputs import read_manifest
    from schemagen.resolve import compile_corpus
    from schemagen.pygen import generate_python
    out = Path(sys.argv[2])
    corpus = compile_corpus(Config(schemas=Path(sys.argv[1]), out=out))
    start = time.perf_counter()
    result = generate_python(corpus, None, previous=read_manifest(out), out_dir=out)
    elapsed = time.perf_counter() - start
    from schemagen.outputs import build_manifest, manifest_file, write_tree
    files = list(result.files) + [manifest_file(build_manifest(result.files, {}))]
    write_tree(out, files)
    print(elapsed, "datamodel_code_generator" in sys.modules)
    """
)


def run_in_subprocess(schemas: Path, out: Path, seed: str) -> tuple[float, bool]:
    completed = subprocess.run(
        [sys.executable, "-c", GENERATE_SCRIPT, str(schemas), str(out)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO_ROOT / "src")},
    )
    elapsed, imported = completed.stdout.split()
    return float(elapsed), imported == "True"


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_byte_identical_under_different_hash_seeds_and_a_noop_imports_nothing(
    tmp_path: Path, schemas_dir: Path
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    run_in_subprocess(schemas_dir.resolve(), first, "0")
    run_in_subprocess(schemas_dir.resolve(), second, "4242")
    assert tree(first) == tree(second)
    elapsed, imported = run_in_subprocess(schemas_dir.resolve(), first, "17")
    assert not imported, "a no-op run must not import datamodel_code_generator"
    assert elapsed < 1.0  # the target is 0.3 s; loose here, for busy CI machines
    assert tree(first) == tree(second)


@pytest.fixture
def edited_copy(tmp_path: Path, schemas_dir: Path) -> tuple[Path, Path]:
    schemas = tmp_path / "schemas"
    shutil.copytree(schemas_dir, schemas, ignore=shutil.ignore_patterns("BUILD"))
    return schemas, tmp_path / "generated"


def _edit_description(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["description"] = data.get("description", "") + " (Edited.)"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def _recording(monkeypatch: pytest.MonkeyPatch) -> list[set[tuple[str, ...]]]:
    runs: list[set[tuple[str, ...]]] = []
    real = codegen_module.run_codegen

    def recording(documents: Any, line_length: int) -> Any:
        runs.append(set(documents))
        return real(documents, line_length)

    monkeypatch.setattr(codegen_module, "run_codegen", recording)
    return runs


def test_unchanged_corpus_regenerates_nothing(
    edited_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas, out = edited_copy
    config = _config(schemas, out, "pygen_inc")
    run_stage(config)
    runs = _recording(monkeypatch)
    before = tree(out)
    run_stage(config)
    assert runs == [] and tree(out) == before


def _cold_equals(corpus: Corpus, out: Path, incremental: StageResult) -> None:
    cold = generate_python(corpus, None, previous=None, out_dir=out)
    assert {f.path: f.content for f in cold.files} == {f.path: f.content for f in incremental.files}


def test_a_leaf_description_edit_regenerates_the_leaf_alone(
    edited_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas, out = edited_copy
    config = _config(schemas, out, "pygen_inc")
    run_stage(config)
    _edit_description(schemas / "primitives" / "Uuid.schema.json")
    runs = _recording(monkeypatch)
    corpus, incremental = run_stage(config)
    assert runs == [{("primitives", "uuid")}]  # importers show its name and kind, not its prose
    _cold_equals(corpus, out, incremental)


def test_a_leaf_constraint_edit_regenerates_the_leaf_and_its_direct_users(
    edited_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    schemas, out = edited_copy
    config = _config(schemas, out, "pygen_inc")
    corpus, _ = run_stage(config)
    leaf = "primitives/NormalizedValue.schema.json"
    users = {
        r.site.document.relpath
        for r in corpus.references
        if r.cross_file and r.target and r.target.document and r.target.document.relpath == leaf
    }
    path = schemas / leaf
    data = json.loads(path.read_text(encoding="utf-8"))
    data["maximum"] = 2
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    before = tree(out)
    runs = _recording(monkeypatch)
    corpus, incremental = run_stage(config)
    layout = plan_layout(corpus, PythonSettings("pygen_inc"))
    changed = {p for p, content in tree(out).items() if before.get(p) != content} - {
        "manifest.json"
    }
    assert layout.path(layout.specs[leaf]) in changed
    assert changed <= {layout.path(layout.specs[r]) for r in {leaf, *users}} | {
        layout.path(s) for s in layout.specs.values() if leaf in s.sources
    }
    assert len(runs) == 1 and len(changed) < len(layout.specs) // 4
    _cold_equals(corpus, out, incremental)


def test_edited_base_regenerates_dependents_and_matches_a_cold_run(
    edited_copy: tuple[Path, Path],
) -> None:
    schemas, out = edited_copy
    config = _config(schemas, out, "pygen_inc")
    run_stage(config)
    base = schemas / "base" / "BaseEntity.schema.json"
    data = json.loads(base.read_text(encoding="utf-8"))
    data["properties"]["extra_note"] = {"type": "string", "maxLength": 7}
    base.write_text(json.dumps(data, indent=2), encoding="utf-8")
    corpus, incremental = run_stage(config)
    _cold_equals(corpus, out, incremental)


def test_a_hand_edited_module_is_regenerated(edited_copy: tuple[Path, Path]) -> None:
    schemas, out = edited_copy
    config = _config(schemas, out, "pygen_inc")
    _, first = run_stage(config)
    target = next(f for f in first.files if f.path.endswith("/uuid.py"))
    path = out / target.path
    path.write_bytes(path.read_bytes() + b"\nHAND_EDIT = 1\n")
    _, second = run_stage(config, write=False)
    assert {f.path: f.content for f in second.files}[target.path] == target.content


def test_settings_from_config() -> None:
    assert PythonSettings.from_config(Config()) == PythonSettings("familiar_schemas", 100)
    assert (
        PythonSettings.from_config(Config(sections={"python": {"package": "x_types"}})).package
        == "x_types"
    )
    for bad in (
        {"package": "not-valid"},
        {"package": "class"},
        {"line_length": 3},
        {"colour": "blue"},
    ):
        with pytest.raises(ConfigError):
            PythonSettings.from_config(Config(sections={"python": bad}))


def test_manifest_type_is_the_pipelines(repo: Generated) -> None:
    manifest = build_manifest(repo.result.files, {})
    assert isinstance(manifest, Manifest)
    some = next(s for s in repo.layout.specs.values() if len(s.sources) > 1)
    assert manifest.outputs_of([some.sources[-1]])


def test_output_does_not_depend_on_the_order_documents_and_refs_come_in(tmp_path: Path) -> None:
    schemas = write_schemas(tmp_path / "schemas", INHERITANCE)
    corpus = compile_corpus(_config(schemas, tmp_path / "generated", "pygen_order"))
    shuffled = replace(
        corpus,
        documents=tuple(reversed(corpus.documents)),
        references=tuple(reversed(corpus.references)),
    )
    first = generate_python(corpus, None, previous=None, out_dir=tmp_path / "nowhere")
    second = generate_python(shuffled, None, previous=None, out_dir=tmp_path / "nowhere")
    assert [(f.path, f.content, f.sources) for f in first.files] == [
        (f.path, f.content, f.sources) for f in second.files
    ]


def _rename(data: dict[str, Any]) -> None:
    data["title"] = f"{data['title']}Renamed"


def _add_member(data: dict[str, Any]) -> None:
    data["enum"] = [*data["enum"], "zz_added"]


@pytest.mark.parametrize(
    ("relpath", "edit"),
    [("primitives/Uuid.schema.json", _rename), ("enums/EntityType.schema.json", _add_member)],
    ids=["rename-a-leaf", "extend-an-enum"],
)
def test_incremental_output_equals_a_cold_run_after_an_edit(
    edited_copy: tuple[Path, Path], relpath: str, edit: Any
) -> None:
    """The differential check behind the dependency rules: whatever one edit regenerates (and
    whatever it reuses), the tree is the one a cold run makes."""
    schemas, out = edited_copy
    config = _config(schemas, out, "pygen_inc")
    run_stage(config)
    path = schemas / relpath
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    corpus, incremental = run_stage(config)
    assert not [d for d in incremental.diagnostics if d.rule == "generate/python-failed"]
    _cold_equals(corpus, out, incremental)


def test_a_new_narrowing_of_an_inherited_field_regenerates_the_base(tmp_path: Path) -> None:
    """A subclass that narrows an inline field of its base makes that field a class in the base's
    module, which the subclass imports: narrowing a field nobody narrowed before must regenerate
    the base too (found by generating the corpus in two halves)."""
    base = {
        "title": "Base",
        "type": "object",
        "properties": {
            "kind": {"type": "string", "maxLength": 20},
            "code": {"type": "string", "pattern": "^[a-z]+$"},
        },
    }
    child = {
        "title": "Child",
        "allOf": [
            {"$ref": "Base.schema.json"},
            {"type": "object", "properties": {"kind": {"const": "child"}}},
        ],
    }
    schemas = write_schemas(
        tmp_path / "schemas", {"Base.schema.json": base, "Child.schema.json": child}
    )
    config = _config(schemas, tmp_path / "generated", "pygen_narrow")
    run_stage(config)
    child["allOf"][1]["properties"]["code"] = {"const": "abc"}  # type: ignore[index]
    write_schemas(schemas, {"Child.schema.json": child})
    corpus, incremental = run_stage(config)
    _cold_equals(corpus, config.out, incremental)
    imported = subprocess.run(
        [sys.executable, "-c", "import pygen_narrow.child"],
        cwd=config.out / "python",
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr


def _modules_alone_and_together(corpus: Corpus) -> tuple[int, list[str]]:
    """Generate every schema's module in a run of its own (the runs an incremental regeneration
    makes) and in one run of the whole corpus (a cold run); the schemas whose modules differ."""
    plan = plan_python(corpus, previous=None, out_dir=Path("unused"))
    job = plan.codegen_job()
    assert job is not None
    together = try_codegen(*job)
    assert isinstance(together, dict)
    differ = []
    for relpath in plan.dirty:
        alone_job = plan.codegen_job([relpath])
        assert alone_job is not None
        alone = try_codegen(*alone_job)
        parts = plan.layout.specs[relpath].parts
        if not isinstance(alone, dict) or alone.get(parts) != together.get(parts):
            differ.append(relpath)
    return len(plan.dirty), differ


def test_every_module_generated_alone_equals_its_cold_run_text(repo: Generated) -> None:
    """The differential test of incremental generation, for every schema of the repository's
    corpus: whatever one edit regenerates comes out as a cold run would have it."""
    checked, differ = _modules_alone_and_together(repo.corpus)
    assert checked == len(repo.layout.specs) and differ == []


def test_familiar_v3_modules_alone_differ_only_by_run_wide_numbering(
    familiar: Generated,
) -> None:
    """datamodel-codegen numbers clashing names of inline classes across the whole run (an
    inline enum `Type4` in a cold run is `Type1` alone), so where a corpus has such clashes an
    incremental run names them differently from a cold one. familiar-v3 has four; the
    repository's conventions (every shared type a schema of its own) have none."""
    _, differ = _modules_alone_and_together(familiar.corpus)
    infrastructure = "snippets/types/infrastructure"
    assert differ == [
        f"{infrastructure}/EnvoyProxy.json",
        f"{infrastructure}/GraphQLFederationGateway.json",
        f"{infrastructure}/OpenTelemetryCollector.json",
        f"{infrastructure}/WindmillWorkflows.json",
    ]
