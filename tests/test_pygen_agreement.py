"""The generated models agree with jsonschema on the corpus's own schemas.

- what jsonschema accepts, the model accepts;
- what jsonschema rejects for a bound, an enum/const or a required property, the model rejects.

Leaf schemas (no cross-file refs) draw instances from hypothesis-jsonschema; every schema with
examples (entities, events, requests, with refs across the corpus) is exercised through
hand-written strategies that mutate one place in an example (drop a key, put another value there),
with jsonschema deciding, through the corpus's own registry, what the result is.

Known gaps, not checked: an optional property given an explicit `null` (datamodel-codegen types it
`X | None = None`, so the model accepts the null that JSON Schema rejects), and constraints under
conditional keywords (`if`/`then`/`else`, `not`, `dependent*`), which the models do not enforce;
nor rejections under `anyOf`/`oneOf`, where jsonschema reports the combinator, not the bound.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from schemagen.config import Config
from schemagen.load import SchemaDocument
from schemagen.outputs import write_tree
from schemagen.pygen import PythonSettings, generate_python
from schemagen.pygen.stage import Layout, plan_layout
from schemagen.resolve import Corpus, compile_corpus

PACKAGE = "pygen_agreement"
CHECKED = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "enum",
        "const",
        "required",
    }
)

CONDITIONAL = frozenset(
    {"if", "then", "else", "not", "dependentRequired", "dependentSchemas", "anyOf", "oneOf"}
)
_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value.upper() and parsed.tzinfo is not None


@FORMATS.checks("duration")
def _duration(value: object) -> bool:
    return not isinstance(value, str) or bool(_DURATION.match(value))


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(
        urlparse(value).scheme and urlparse(value).netloc or ":" in value
    )


class Models:
    def __init__(self, corpus: Corpus, layout: Layout) -> None:
        self.corpus = corpus
        self.layout = layout
        self._validators: dict[str, Callable[[Any], Any]] = {}

    def model_validate(self, relpath: str) -> Callable[[Any], Any]:
        if relpath not in self._validators:
            spec = self.layout.specs[relpath]
            module = importlib.import_module(".".join((PACKAGE, *spec.parts)))
            model = getattr(module, spec.name.name)
            if hasattr(model, "model_validate"):
                self._validators[relpath] = model.model_validate
            else:  # an enum schema's class is a Python Enum
                self._validators[relpath] = TypeAdapter(model).validate_python
        return self._validators[relpath]

    def errors(self, document: SchemaDocument, instance: Any) -> list[jsonschema.ValidationError]:
        validator = self.corpus.validator(document).evolve(format_checker=FORMATS)
        return list(validator.iter_errors(instance))


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, schemas_dir: Path) -> Iterator[Models]:
    out = tmp_path_factory.mktemp("agreement") / "generated"
    config = Config(
        schemas=schemas_dir.resolve(), out=out, sections={"python": {"package": PACKAGE}}
    )
    corpus = compile_corpus(config)
    result = generate_python(corpus, None, previous=None, out_dir=out)
    write_tree(out, result.files)
    sys.path.insert(0, str(out / "python"))
    yield Models(corpus, plan_layout(corpus, PythonSettings(PACKAGE)))
    sys.path.remove(str(out / "python"))


def _ecma_regex(pattern: str) -> str:
    """`pattern` for Python's `re` as ECMA-262 (JSON Schema's dialect) reads it, as far as the
    two differ for these schemas: ECMA's `$` is the end of the input, Python's also matches
    before a final newline. Each `$` outside a class and not escaped becomes `\\Z`."""
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


def _rejected_per_ecma(error: ValidationError) -> bool:
    """The model refused only patterns that ECMA-262 refuses too, where jsonschema's Python
    `re` accepted: the model is right (pydantic-core's `$`, like ECMA's, ends the input)."""
    for detail in error.errors():
        pattern = (detail.get("ctx") or {}).get("pattern")
        value = detail.get("input")
        if detail["type"] != "string_pattern_mismatch" or not isinstance(value, str):
            return False
        if re.search(_ecma_regex(str(pattern)), value):
            return False
    return True


def test_the_ecma_reading_of_dollar() -> None:
    assert _ecma_regex(r"^\S(.*\S)?$") == r"^\S(.*\S)?\Z"
    assert _ecma_regex(r"^[$a]+\$$") == r"^[$a]+\$\Z"  # in a class, escaped: not anchors
    assert _ecma_regex(r"[\]$]$") == r"[\]$]\Z"


def check(models: Models, document: SchemaDocument, instance: Any) -> str:
    errors = models.errors(document, instance)
    validate = models.model_validate(document.relpath)
    if not errors:
        try:
            validate(instance)  # jsonschema accepts: so must the model
        except ValidationError as error:
            if not _rejected_per_ecma(error):
                raise
            return "rejected per ECMA-262"
        return "valid"
    checked = [
        e
        for e in errors
        if e.validator in CHECKED
        and e.instance is not None
        and not CONDITIONAL & set(map(str, e.absolute_schema_path))
    ]
    if checked:
        with pytest.raises(ValidationError):
            validate(instance)
        return "rejected"
    return "other"


# --- leaf schemas: hypothesis-jsonschema ---------------------------------------------------------


def _leaves(corpus: Corpus) -> list[SchemaDocument]:
    crossing = {r.site.document.relpath for r in corpus.references if r.cross_file}
    return [d for d in corpus.documents if d.relpath not in crossing]


_STRATEGIES: dict[str, st.SearchStrategy[Any] | None] = {}


def _from_schema(document: SchemaDocument) -> st.SearchStrategy[Any] | None:
    from hypothesis_jsonschema import from_schema

    if document.relpath not in _STRATEGIES:
        try:
            drawn = from_schema(dict(document.contents))
            find(drawn, lambda _: True, settings=settings(max_examples=10, database=None))
            strategy: st.SearchStrategy[Any] | None = drawn
        except Exception:  # noqa: BLE001 - schemas hypothesis-jsonschema cannot handle are skipped
            strategy = None
        _STRATEGIES[document.relpath] = strategy
    return _STRATEGIES[document.relpath]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(-1e6, 1e6, allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _corpus(schemas: Path) -> Corpus:
    return compile_corpus(Config(schemas=schemas.resolve()))


REPO_SCHEMAS = Path("schemas")
_PLAIN = _corpus(REPO_SCHEMAS) if REPO_SCHEMAS.is_dir() else None
LEAVES = sorted(d.relpath for d in _leaves(_PLAIN)) if _PLAIN else []
WITH_EXAMPLES = (
    sorted(d.relpath for d in _PLAIN.documents if d.contents.get("examples")) if _PLAIN else []
)


def _boundaries(corpus: Corpus | None) -> st.SearchStrategy[Any]:
    """Every bound the corpus uses and its neighbours, and every enum member: where models and
    schemas can disagree."""
    found: set[float] = set()
    members: set[str] = set()
    keywords = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    for document in corpus.documents if corpus else ():
        stack: list[Any] = [document.contents]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                found |= {
                    v for k, v in node.items() if k in keywords and isinstance(v, int | float)
                }
                if isinstance(node.get("enum"), list):
                    members |= {v for v in node["enum"] if isinstance(v, str)}
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    values: list[Any] = sorted({v + d for v in found for d in (-1, -0.001, 0, 0.001, 1)})
    values.extend(sorted(members))  # enum members: a narrowed enum must refuse the others
    return st.sampled_from(values) if values else st.nothing()


BOUNDARIES = _boundaries(_PLAIN)


def _document(models: Models, relpath: str) -> SchemaDocument:
    document = models.layout.specs[relpath].document
    return document


@pytest.mark.parametrize("relpath", LEAVES)
def test_leaf_schema_accepts_what_jsonschema_accepts(models: Models, relpath: str) -> None:
    document = _document(models, relpath)
    strategy = _from_schema(document)
    if strategy is None:
        pytest.skip("hypothesis-jsonschema cannot draw from this schema")

    @settings(
        max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(strategy)
    def run(instance: Any) -> None:
        assert check(models, document, instance) == "valid"

    run()


@pytest.mark.parametrize("relpath", LEAVES)
def test_leaf_schema_rejects_what_jsonschema_rejects_for_bounds_and_enums(
    models: Models, relpath: str
) -> None:
    document = _document(models, relpath)

    @settings(
        max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(JSON | _near_bounds(document) | BOUNDARIES)
    def run(instance: Any) -> None:
        check(models, document, instance)

    run()


def _near_bounds(document: SchemaDocument) -> st.SearchStrategy[Any]:
    """Values just inside and just outside a scalar schema's bounds and enum."""
    schema = document.contents
    values: list[Any] = []
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = schema.get(key)
        if isinstance(bound, int | float):
            values.extend([bound - 1, bound, bound + 1, bound - 0.001, bound + 0.001])
    for key in ("minLength", "maxLength"):
        bound = schema.get(key)
        if isinstance(bound, int):
            values.extend(["a" * max(bound - 1, 0), "a" * bound, "a" * (bound + 1)])
    for key in ("minItems", "maxItems"):
        bound = schema.get(key)
        if isinstance(bound, int) and bound < 50:
            values.extend([[0.0] * max(bound - 1, 0), [0.0] * (bound + 1)])
    if isinstance(schema.get("enum"), list):
        values.extend([*schema["enum"], "not-a-member"])
    return st.sampled_from(values) if values else st.nothing()


# --- schemas with refs: mutated examples ---------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


DELETE = object()


def _mutated(example: Any, path: tuple[Any, ...], replacement: Any) -> Any:
    if not path:
        return example if replacement is DELETE else replacement
    head, rest = path[0], path[1:]
    if isinstance(example, dict):
        copy = dict(example)
        if not rest and replacement is DELETE:
            del copy[head]
        else:
            copy[head] = _mutated(example[head], rest, replacement)
        return copy
    items = list(example)
    if not rest and replacement is DELETE:
        del items[head]
    else:
        items[head] = _mutated(items[head], rest, replacement)
    return items


REPLACEMENTS = (
    st.just(DELETE)
    | st.integers(-5, 20)
    | st.sampled_from([-1e9, 1e9, 0.5, -0.5, 1.5, 1000001])
    | st.text(max_size=6)
    | st.sampled_from(["", "x" * 300, "not-a-member"])
    | st.booleans()
    | st.just({})
    | st.just([])
    | st.lists(st.integers(0, 3), min_size=4, max_size=12)
)


@pytest.mark.parametrize("relpath", WITH_EXAMPLES)
def test_examples_mutated_in_one_place_agree(models: Models, relpath: str) -> None:
    document = _document(models, relpath)
    examples = list(document.contents["examples"])

    @settings(
        max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        example = data.draw(st.sampled_from(examples))
        path = data.draw(st.sampled_from(list(_paths(example))))
        replacement = data.draw(REPLACEMENTS | BOUNDARIES)
        assume(path or replacement is not DELETE)
        check(models, document, _mutated(example, path, replacement))

    run()


def test_a_trailing_newline_is_refused_as_ecma_refuses_it(models: Models) -> None:
    """jsonschema reads `pattern` with Python's `re`, whose `$` matches before a final newline;
    the model, like ECMA-262, does not: the one known way they part, found by the test above."""
    document = _document(models, "primitives/DisplayName.schema.json")
    assert check(models, document, "0\n") == "rejected per ECMA-262"
    assert check(models, document, "Grandmother's kitchen") == "valid"
