"""Hostile text through the Backstage stage: whatever a schema says comes back as the same data.

Titles, descriptions and x-infrastructure values full of quotes, newlines, `${{ }}`, `#`, `: `,
unicode, leading spaces, YAML keywords and numbers-as-strings must parse back (yaml.safe_load_all)
to exactly those strings, in files that still validate against Backstage's schemas.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backstage_checks import backstage_problems
from schemagen.backstage import generate_backstage
from schemagen.backstage.yamlout import strict_equal, to_yaml, yaml_document
from schemagen.config import Config
from schemagen.outputs import GeneratedFile
from schemagen.resolve import compile_corpus

HOSTILE = [
    '"',
    "'",
    "\\",
    "\\n",
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "  leading",
    "trailing  ",
    "\n\n",
    "${{ parameters.name }}",
    "${{",
    "}}",
    "{{ x }}",
    "{% raw %}",
    "{# c #}",
    "#",
    " # comment",
    ": ",
    "key: value",
    "- item",
    "? key",
    "&anchor",
    "*alias",
    "!!python/object",
    "|",
    ">",
    "%YAML 1.2",
    "---",
    "...",
    "@",
    "`",
    ",",
    "[",
    "]",
    "{",
    "}",
    "yes",
    "no",
    "Yes",
    "NO",
    "on",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    "0",
    "1",
    "-1",
    "1.0",
    "1e3",
    "1_000",
    "0x1F",
    "0o17",
    "017",
    ".inf",
    "-.inf",
    ".nan",
    "2001-12-14",
    "12:30:45",
    "<<",
    "=",
    "é",
    "e\u0301",
    "日本語",
    "🙂",
    "\u00a0",
    "\u2028",
    "\u2029",
    "\x85",
    "\ufeff",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\u200b",
    "\U0001f600",
]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=6).map(
    "".join
)
surrogate_text = st.text(st.characters(codec=None, categories=["Cs", "Ll", "Zs"]), max_size=4)

KEYWORDS = ["yes", "no", "on", "off", "y", "n", "true", "false", "null", "nan", "inf", "e1"]


def kebab_value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(KEYWORDS), st.from_regex(r"\A[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}\Z")
    )


def infra_strategy() -> st.SearchStrategy[dict[str, Any]]:
    table = st.one_of(st.sampled_from(KEYWORDS), st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z"))
    topic = st.one_of(
        st.sampled_from(["yes.no", "null.true", "on.off", "a.0", "x.1e3", "y.0x1f", "n.012"]),
        st.from_regex(r"\A[a-z][a-z0-9_-]{0,5}(\.[a-z0-9_-]{1,5}){1,3}\Z"),
    )
    path_prefix = st.one_of(
        st.sampled_from(["/", "/0", "/1e3", "/yes", "/null", "/-", "/_"]),
        st.from_regex(r"\A/[a-z0-9/_-]{0,10}\Z"),
    )
    return st.fixed_dictionaries(
        {
            "service_template": st.just("familiar-poem-rest-service"),
            "owner": kebab_value().map(lambda v: f"group:{v}"),
            "system": kebab_value(),
        },
        optional={
            "service_name": kebab_value(),
            "lifecycle": st.sampled_from(["experimental", "production", "deprecated"]),
            "compute": st.sampled_from(["cpu", "gpu", "quantum-simulator"]),
            "api": st.fixed_dictionaries(
                {"type": st.sampled_from(["openapi", "graphql", "grpc", "asyncapi"])},
                optional={"path_prefix": path_prefix},
            ),
            "database": st.fixed_dictionaries(
                {
                    "module": st.sampled_from(
                        ["timescaledb", "postgresql", "redis", "qdrant", "neo4j"]
                    )
                },
                optional={"table": table, "retention_days": st.integers(1, 10**12)},
            ),
            "streaming": st.fixed_dictionaries(
                {"topics": st.lists(topic, min_size=1, max_size=3, unique=True)},
                optional={"partitions": st.integers(1, 64)},
            ),
            "observability": st.fixed_dictionaries(
                {},
                optional={
                    "dashboard": st.sampled_from(["grafana", "datadog", "none"]),
                    "alerts": st.booleans(),
                    "slo_availability": st.one_of(
                        st.floats(min_value=1e-9, max_value=100, allow_nan=False),
                        st.integers(1, 100),
                    ),
                },
            ),
            "scaling": st.fixed_dictionaries(
                {},
                optional={
                    "min_replicas": st.integers(0, 10),
                    "max_replicas": st.integers(1, 10),
                    "target_cpu_percent": st.integers(1, 100),
                },
            ),
        },
    )


# -- Backstage's schemas, and the checks over one generated tree -------------------------------

_CORPORA: dict[str, Path] = {}


@pytest.fixture(scope="module")
def backstage_schemas(shared_corpora: Path) -> None:
    """Where Backstage's schemas are (the fixture skips a test when the corpora are absent);
    not passed to the tests, so that hypothesis does not print them with every failing example."""
    _CORPORA["path"] = shared_corpora


def generate(title: str, description: str, infra: Mapping[str, Any]) -> tuple[GeneratedFile, ...]:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://schemas.familiar.dev/v3/entities/Hostile.schema.json",
        "title": title,
        "description": description,
        "type": "object",
        "x-infrastructure": dict(infra),
    }
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "schemas/entities").mkdir(parents=True)
        (root / "schemas/entities/Hostile.schema.json").write_text(json.dumps(schema))
        corpus = compile_corpus(Config(project_root=root, schemas=root / "schemas"))
        result = generate_backstage(corpus)
    assert [str(d) for d in result.diagnostics] == []
    return result.files


def parse(files: tuple[GeneratedFile, ...], kind: str) -> list[Any]:
    (file,) = [f for f in files if f.kind == kind]
    return list(yaml.safe_load_all(file.content.decode("utf-8")))


def defaults(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for page in parameters:
        fields = dict(page["properties"])
        for toggle, dependency in page.get("dependencies", {}).items():
            fields.update(
                {k: v for k, v in dependency["oneOf"][0]["properties"].items() if k != toggle}
            )
        for name, field in fields.items():
            if "default" in field:
                found[name] = field["default"]
            for key, member in field.get("properties", {}).items():
                if "default" in member:
                    found[f"{name}/{key}"] = member["default"]
    return found


def check_tree(files: tuple[GeneratedFile, ...]) -> None:
    problems = backstage_problems(_CORPORA["path"])
    for file in files:
        assert "\t" not in file.content.decode("utf-8").replace("\\t", "")
        if file.kind == "backstage-parameters":
            continue
        for entity in yaml.safe_load_all(file.content.decode("utf-8")):
            assert problems(entity) == [], file.path


# -- properties ---------------------------------------------------------------------------------


@functools.cache
def baseline() -> list[Any]:
    infra = {
        "service_template": "familiar-poem-rest-service",
        "owner": "group:team",
        "system": "familiar",
        "api": {"type": "openapi"},
    }
    (template,) = parse(generate("Plain", "Plain text.", infra), "backstage-template")
    return [template["spec"]["steps"], template["spec"]["output"]]


FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.usefixtures("backstage_schemas")
@FAST
@given(title=hostile_text, description=hostile_text)
def test_hostile_titles_and_descriptions_survive(title: str, description: str) -> None:
    infra = {
        "service_template": "familiar-poem-rest-service",
        "owner": "group:team",
        "system": "familiar",
        "api": {"type": "openapi"},
    }
    files = generate(title, description, infra)
    shown = title if title.strip() else "Hostile"
    meant = description if description.strip() else f"The service that owns {shown}."
    (template,) = parse(files, "backstage-template")
    assert template["metadata"]["title"] == f"{shown} service"
    assert template["metadata"]["description"] == meant
    info = template["spec"]["parameters"][0]["properties"]
    assert info["description"]["default"] == meant
    (parameters,) = parse(files, "backstage-parameters")
    assert strict_equal(parameters["parameters"], template["spec"]["parameters"])
    component, api = parse(files, "backstage-catalog")
    assert (component["metadata"]["title"], component["metadata"]["description"]) == (shown, meant)
    assert (api["metadata"]["title"], api["metadata"]["description"]) == (f"{shown} API", meant)
    assert json.loads(api["spec"]["definition"])["info"]["description"] == meant
    # Schema text never reaches a field the scaffolder evaluates.
    # Schema text never reaches a field the scaffolder evaluates: steps and output are the same
    # whatever the title and description say.
    assert strict_equal([template["spec"]["steps"], template["spec"]["output"]], baseline())
    check_tree(files)


@pytest.mark.usefixtures("backstage_schemas")
@FAST
@given(title=surrogate_text, description=surrogate_text)
def test_lone_surrogates_survive(title: str, description: str) -> None:
    files = generate(
        title,
        description,
        {
            "service_template": "familiar-poem-rest-service",
            "owner": "group:team",
            "system": "familiar",
        },
    )
    # The schema file holds `\ud800\udc00` escapes; a JSON reader joins a pair into one character.
    meant = json.loads(json.dumps(title))
    shown = meant if meant.strip() else "Hostile"
    (template,) = parse(files, "backstage-template")
    assert template["metadata"]["title"] == f"{shown} service"
    described = json.loads(json.dumps(description))
    assert template["metadata"]["description"] == (
        described if described.strip() else f"The service that owns {shown}."
    )
    check_tree(files)


@pytest.mark.usefixtures("backstage_schemas")
@FAST
@given(infra=infra_strategy(), description=hostile_text)
def test_hostile_infrastructure_values_survive(infra: dict[str, Any], description: str) -> None:
    files = generate("Hostile", description, infra)
    (template,) = parse(files, "backstage-template")
    found = defaults(template["spec"]["parameters"])
    assert found["owner"] == infra["owner"] and found["system"] == infra["system"]
    assert found["name"] == infra.get("service_name", "hostile")
    for section in ("api", "database", "streaming", "observability", "scaling"):
        for key, value in infra.get(section, {}).items():
            assert strict_equal(found[f"{section}/{key}"], value), (section, key)
    for key in ("lifecycle", "compute"):
        if key in infra:
            assert found[key] == infra[key]
    component, *rest = parse(files, "backstage-catalog")
    assert component["spec"]["owner"] == infra["owner"]
    assert component["spec"]["system"] == infra["system"]
    assert component["metadata"]["name"] == infra.get("service_name", "hostile")
    topics = [r for r in rest if r["kind"] == "Resource" and r["spec"]["type"] == "topic"]
    assert sorted(t["metadata"]["annotations"]["schemagen.dev/topic"] for t in topics) == sorted(
        infra.get("streaming", {}).get("topics", [])
    )
    check_tree(files)


# -- the emitter on its own ---------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        hostile_text,
        st.text(st.characters(codec=None), max_size=5),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(hostile_text, children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values, indent=st.integers(2, 6))
def test_emitter_round_trips_any_json_value(value: Any, indent: int) -> None:
    text = f"{'x' * 0}key: {to_yaml(value, indent)}\nafter: 1\n"
    assert strict_equal(yaml.safe_load(text), {"key": value, "after": 1})


@settings(max_examples=200, deadline=None)
@given(value=st.dictionaries(hostile_text, json_values, max_size=4))
def test_emitter_round_trips_documents(value: dict[str, Any]) -> None:
    text = f"---\n{yaml_document(value)}\n---\n{yaml_document(value)}\n"
    assert all(strict_equal(doc, value) for doc in yaml.safe_load_all(text))


@pytest.mark.parametrize(
    "word",
    [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "null",
        "~",
        "true",
        "1",
        "1.0",
        "1e3",
        "0x1F",
        ".inf",
        "2001-12-14",
        "12:30:45",
    ],
)
def test_keywords_and_numbers_are_quoted(word: str) -> None:
    assert to_yaml(word).startswith('"')
    assert yaml.safe_load(f"k: {to_yaml(word)}") == {"k": word}
