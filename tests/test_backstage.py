"""Backstage stage: templates, parameter blocks, catalog entities and the Location.

Every generated document is validated against Backstage's own JSON schemas (the shared corpus
`backstage-schemas/`, all loaded into one referencing registry under their bare `$id`s) and against
the naming rules Backstage enforces at runtime; parameter defaults are compared with the
x-infrastructure values they come from; sources are checked through the manifest's impact query.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from backstage_checks import backstage_problems
from schemagen.backstage import BackstageSettings, generate_backstage
from schemagen.backstage.yamlout import strict_equal
from schemagen.config import Config, ConfigError
from schemagen.diagnostics import Severity
from schemagen.outputs import GeneratedFile, StageResult, build_manifest
from schemagen.resolve import Corpus, compile_corpus

BASE = "https://schemas.familiar.dev/v3/"
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DIALECT = "https://json-schema.org/draft/2020-12/schema"

BOND_INFRA: dict[str, Any] = {
    "service_template": "familiar-poem-rest-service",
    "owner": "group:cognition-platform",
    "system": "familiar-cognition",
    "lifecycle": "production",
    "api": {"type": "openapi", "path_prefix": "/v3/bonds"},
    "database": {"module": "timescaledb", "table": "bonds", "retention_days": 365},
    "streaming": {"topics": ["entity.bond.lifecycle.events"], "partitions": 6},
    "observability": {"dashboard": "grafana", "alerts": True, "slo_availability": 99.9},
    "scaling": {"min_replicas": 2, "max_replicas": 8, "target_cpu_percent": 70},
}
MINIMAL_INFRA: dict[str, Any] = {
    "service_template": "familiar-workflow-orchestrator",
    "owner": "group:flow",
    "system": "familiar-workflows",
}

# Runtime rules Backstage applies on top of its JSON schemas (catalog-model validators).


# -- helpers ------------------------------------------------------------------------------------


def entity_schema(
    title: str, infra: Any, *, description: str | None = None, relpath: str | None = None
) -> dict[str, Any]:
    relpath = relpath or f"entities/{title}.schema.json"
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": BASE + relpath,
        "title": title,
        "description": description if description is not None else f"A {title}.",
        "type": "object",
        "properties": {"id": {"type": "string"}},
    }
    if infra is not None:
        schema["x-infrastructure"] = infra
    return schema


def make_corpus(
    root: Path, files: Mapping[str, Any], backstage: Mapping[str, Any] | None = None
) -> Corpus:
    schemas = root / "schemas"
    for relpath, contents in files.items():
        path = schemas / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(contents, indent=2), encoding="utf-8")
    sections = {"backstage": dict(backstage)} if backstage is not None else {}
    config = Config(project_root=root, schemas=schemas, out=root / "generated", sections=sections)
    return compile_corpus(config)


def by_path(result: StageResult) -> dict[str, GeneratedFile]:
    return {f.path: f for f in result.files}


def documents(file: GeneratedFile) -> list[Any]:
    return list(yaml.load_all(file.content.decode("utf-8"), Loader=LOADER))


def only(file: GeneratedFile) -> Any:
    (document,) = documents(file)
    return document


def walk(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    yield pointer, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{pointer}/{index}")


def page(parameters: list[dict[str, Any]], title: str) -> dict[str, Any]:
    (found,) = [p for p in parameters if p["title"] == title]
    return found


def expected_defaults(infra: Mapping[str, Any], service: str, description: str) -> dict[str, Any]:
    """What the form must default to, keyed by where the form keeps it."""
    expected: dict[str, Any] = {
        "Service information/name": service,
        "Service information/description": description,
        "Service information/owner": infra["owner"],
        "Service information/system": infra["system"],
        "Service information/lifecycle": infra.get("lifecycle", "experimental"),
        "API and runtime/compute": infra.get("compute", "cpu"),
        "Data and events/use_database": "database" in infra,
        "Data and events/use_streaming": "streaming" in infra,
    }
    for section, where in (
        ("api", "API and runtime"),
        ("scaling", "API and runtime"),
        ("observability", "Observability"),
        ("database", "Data and events"),
        ("streaming", "Data and events"),
    ):
        for key, value in infra.get(section, {}).items():
            expected[f"{where}/{section}/{key}"] = value
    return expected


def actual_defaults(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """Every default in the form, keyed like `expected_defaults` (dependencies' true branch)."""
    found: dict[str, Any] = {}
    for form_page in parameters:
        fields = dict(form_page["properties"])
        for toggle, dependency in form_page.get("dependencies", {}).items():
            (shown,) = [b for b in dependency["oneOf"] if b["properties"][toggle]["enum"] == [True]]
            fields.update({k: v for k, v in shown["properties"].items() if k != toggle})
        for name, field in fields.items():
            if "default" in field:
                found[f"{form_page['title']}/{name}"] = field["default"]
            for key, member in field.get("properties", {}).items():
                if "default" in member:
                    found[f"{form_page['title']}/{name}/{key}"] = member["default"]
    return found


# -- Backstage's schemas ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def check_backstage(shared_corpora: Path) -> Any:
    problems = backstage_problems(shared_corpora)

    def check(entity: Mapping[str, Any]) -> None:
        found = problems(entity)
        assert not found, found

    return check


def test_backstage_schemas_reject_a_broken_template(check_backstage: Any) -> None:
    """The validation the other tests rely on does reject what Backstage would reject."""
    broken = {
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {"name": "x"},
        "spec": {"type": "service", "steps": [{"id": "no-action"}]},
    }
    with pytest.raises(AssertionError):
        check_backstage(broken)
    with pytest.raises(AssertionError):
        check_backstage(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {"name": "bad name!"},
                "spec": {"type": "service", "lifecycle": "x", "owner": "y"},
            }
        )


# -- the generated tree -------------------------------------------------------------------------


@pytest.fixture
def bond_corpus(tmp_path: Path) -> Corpus:
    return make_corpus(
        tmp_path,
        {
            "entities/BondTension.schema.json": entity_schema("BondTension", BOND_INFRA),
            "entities/Workflow.schema.json": entity_schema("Workflow", MINIMAL_INFRA),
            "entities/Plain.schema.json": entity_schema("Plain", None),
        },
    )


def test_layout_and_kinds(bond_corpus: Corpus) -> None:
    result = generate_backstage(bond_corpus)
    assert result.diagnostics == ()
    files = by_path(result)
    assert sorted(files) == [
        "backstage/all-templates.yaml",
        "backstage/familiar-rest-api/bond-tension/catalog-info.yaml",
        "backstage/familiar-rest-api/bond-tension/parameters.yaml",
        "backstage/familiar-rest-api/bond-tension/template.yaml",
        "backstage/familiar-workflow-service/workflow/catalog-info.yaml",
        "backstage/familiar-workflow-service/workflow/parameters.yaml",
        "backstage/familiar-workflow-service/workflow/template.yaml",
    ]
    kinds = {path.rsplit("/", 1)[-1]: f.kind for path, f in files.items()}
    assert kinds == {
        "all-templates.yaml": "backstage-location",
        "catalog-info.yaml": "backstage-catalog",
        "parameters.yaml": "backstage-parameters",
        "template.yaml": "backstage-template",
    }


def test_every_document_validates_against_backstage_schemas(
    bond_corpus: Corpus, check_backstage: Any
) -> None:
    files = generate_backstage(bond_corpus).files
    seen: dict[str, int] = {}
    for file in files:
        if file.kind == "backstage-parameters":
            continue
        for entity in documents(file):
            check_backstage(entity)
            seen[entity["kind"]] = seen.get(entity["kind"], 0) + 1
    assert seen == {"Template": 2, "Component": 2, "API": 1, "Resource": 2, "Location": 1}


def test_template_shape(bond_corpus: Corpus) -> None:
    files = by_path(generate_backstage(bond_corpus))
    template = only(files["backstage/familiar-rest-api/bond-tension/template.yaml"])
    assert template["apiVersion"] == "scaffolder.backstage.io/v1beta3"
    assert template["metadata"]["description"] == "A BondTension."
    assert template["spec"]["owner"] == "group:cognition-platform"
    assert template["spec"]["type"] == "service"
    info = page(template["spec"]["parameters"], "Service information")
    assert info["properties"]["owner"]["ui:field"] == "OwnerPicker"
    assert info["properties"]["owner"]["ui:options"]["allowedKinds"] == ["Group"]
    assert info["properties"]["system"]["ui:field"] == "EntityPicker"
    assert info["properties"]["system"]["ui:options"]["catalogFilter"] == {"kind": "System"}
    assert re.fullmatch(info["properties"]["name"]["pattern"], "bond-tension")
    assert not re.fullmatch(info["properties"]["name"]["pattern"], "Bond Tension")
    actions = [step["action"] for step in template["spec"]["steps"]]
    assert actions == ["fetch:template", "publish:github", "catalog:register"]
    fetch, publish, register = template["spec"]["steps"]
    assert fetch["input"]["url"] == "./skeleton"
    assert fetch["input"]["values"]["owner"] == "${{ parameters.owner }}"
    assert publish["input"]["repoUrl"] == "github.com?owner=familiar&repo=${{ parameters.name }}"
    assert register["input"]["catalogInfoPath"] == "/catalog-info.yaml"
    assert "publish" in register["input"]["repoContentsUrl"]
    links = template["spec"]["output"]["links"]
    assert [link.get("url") or link.get("entityRef") for link in links] == [
        "${{ steps['publish'].output.remoteUrl }}",
        "${{ steps['register'].output.entityRef }}",
    ]
    parameters_file = only(files["backstage/familiar-rest-api/bond-tension/parameters.yaml"])
    assert strict_equal(parameters_file, {"parameters": template["spec"]["parameters"]})


def test_form_is_typed_from_the_x_infrastructure_schema(bond_corpus: Corpus) -> None:
    files = by_path(generate_backstage(bond_corpus))
    parameters = only(files["backstage/familiar-rest-api/bond-tension/parameters.yaml"])[
        "parameters"
    ]
    runtime = page(parameters, "API and runtime")["properties"]
    assert runtime["api"]["properties"]["type"]["enum"] == [
        "openapi",
        "graphql",
        "grpc",
        "asyncapi",
    ]
    assert runtime["compute"]["enum"] == ["cpu", "gpu", "quantum-simulator"]
    assert runtime["scaling"]["properties"]["target_cpu_percent"]["maximum"] == 100
    data = page(parameters, "Data and events")
    assert data["properties"]["use_database"]["type"] == "boolean"
    branches = data["dependencies"]["use_database"]["oneOf"]
    assert [b["properties"]["use_database"]["enum"] for b in branches] == [[True], [False]]
    assert "database" in branches[0]["properties"] and "database" not in branches[1]["properties"]
    database = branches[0]["properties"]["database"]
    assert database["properties"]["module"]["enum"] == [
        "timescaledb",
        "postgresql",
        "redis",
        "qdrant",
        "neo4j",
    ]
    streaming = data["dependencies"]["use_streaming"]["oneOf"][0]["properties"]["streaming"]
    assert streaming["properties"]["topics"]["type"] == "array"
    # The form is itself a JSON Schema, and the defaults it holds are valid against it.
    assert bad_defaults(parameters) == []


@pytest.mark.parametrize("infra", [BOND_INFRA, MINIMAL_INFRA], ids=["full", "minimal"])
def test_every_default_equals_the_x_infrastructure_value(
    tmp_path: Path, infra: dict[str, Any]
) -> None:
    corpus = make_corpus(tmp_path, {"entities/Bond.schema.json": entity_schema("Bond", infra)})
    result = generate_backstage(corpus)
    assert result.diagnostics == ()
    (template_file,) = [f for f in result.files if f.kind == "backstage-template"]
    parameters = only(template_file)["spec"]["parameters"]
    actual = actual_defaults(parameters)
    expected = expected_defaults(infra, "bond", "A Bond.")
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        assert strict_equal(actual[key], value), key


def test_catalog_entities(bond_corpus: Corpus) -> None:
    files = by_path(generate_backstage(bond_corpus))
    component, api, database, topic = documents(
        files["backstage/familiar-rest-api/bond-tension/catalog-info.yaml"]
    )
    assert component["kind"] == "Component" and component["metadata"]["name"] == "bond-tension"
    spec = component["spec"]
    assert spec == {
        "type": "service",
        "lifecycle": "production",
        "owner": "group:cognition-platform",
        "system": "familiar-cognition",
        "providesApis": [f"api:default/{api['metadata']['name']}"],
        "dependsOn": [
            f"resource:default/{database['metadata']['name']}",
            f"resource:default/{topic['metadata']['name']}",
        ],
    }
    annotations = component["metadata"]["annotations"]
    assert annotations["schemagen.dev/source-schema"] == "entities/BondTension.schema.json"
    assert annotations["grafana/dashboard-selector"] == "tags @> 'bond-tension'"
    assert annotations["github.com/project-slug"] == "familiar/bond-tension"
    assert api["kind"] == "API" and api["spec"]["type"] == "openapi"
    definition = json.loads(api["spec"]["definition"])
    assert "/v3/bonds" in definition["paths"]
    assert definition["components"]["schemas"]["BondTension"]["$ref"] == (
        BASE + "entities/BondTension.schema.json"
    )
    assert (database["kind"], database["spec"]["type"]) == ("Resource", "database")
    assert database["metadata"]["annotations"]["schemagen.dev/database-table"] == "bonds"
    assert (topic["kind"], topic["spec"]["type"]) == ("Resource", "topic")
    assert topic["metadata"]["name"] == "entity.bond.lifecycle.events"
    workflow = documents(files["backstage/familiar-workflow-service/workflow/catalog-info.yaml"])
    assert [d["kind"] for d in workflow] == ["Component"]
    assert "providesApis" not in workflow[0]["spec"] and "dependsOn" not in workflow[0]["spec"]
    assert "grafana/dashboard-selector" not in workflow[0]["metadata"]["annotations"]


@pytest.mark.parametrize("api_type", ["graphql", "grpc", "asyncapi"])
def test_other_api_types(tmp_path: Path, api_type: str, check_backstage: Any) -> None:
    infra = {**BOND_INFRA, "api": {"type": api_type}}
    corpus = make_corpus(tmp_path, {"entities/Bond.schema.json": entity_schema("Bond", infra)})
    result = generate_backstage(corpus)
    assert result.diagnostics == ()
    (catalog,) = [f for f in result.files if f.kind == "backstage-catalog"]
    api = documents(catalog)[1]
    check_backstage(api)
    assert api["spec"]["type"] == api_type
    assert "Bond" in api["spec"]["definition"]


def test_location_lists_every_template(bond_corpus: Corpus) -> None:
    files = by_path(generate_backstage(bond_corpus))
    location = only(files["backstage/all-templates.yaml"])
    targets = location["spec"]["targets"]
    assert targets == sorted(targets)
    resolved = {f"backstage/{t.removeprefix('./')}" for t in targets}
    assert resolved == {p for p, f in files.items() if f.kind == "backstage-template"}


def test_sources_drive_impact(tmp_path: Path) -> None:
    """Impact of a schema lists exactly the Backstage files generated from it (and the Location)."""
    stack = {
        "$schema": DIALECT,
        "$id": BASE + "infrastructure/RestStack.schema.json",
        "title": "RestStack",
        "description": "Shared settings of REST services.",
        "x-stack": {
            "observability": {"dashboard": "grafana", "alerts": True},
            "lifecycle": "production",
        },
    }
    bond_infra = {
        **MINIMAL_INFRA,
        "service_template": "familiar-poem-rest-service",
        "$ref": "../infrastructure/RestStack.schema.json#/x-stack",
    }
    corpus = make_corpus(
        tmp_path,
        {
            "entities/Bond.schema.json": entity_schema("Bond", bond_infra),
            "entities/Thread.schema.json": entity_schema("Thread", MINIMAL_INFRA),
            "infrastructure/RestStack.schema.json": stack,
        },
    )
    result = generate_backstage(corpus)
    assert result.diagnostics == ()
    manifest = build_manifest(result.files, {})
    bond_files = {
        "backstage/familiar-rest-api/bond/" + n
        for n in ("template.yaml", "parameters.yaml", "catalog-info.yaml")
    }
    location = "backstage/all-templates.yaml"
    assert set(manifest.outputs_of(["entities/Bond.schema.json"])) == bond_files | {location}
    assert set(manifest.outputs_of(["infrastructure/RestStack.schema.json"])) == (
        bond_files | {location}
    )
    thread = set(manifest.outputs_of(["entities/Thread.schema.json"]))
    assert thread == {
        p.replace("familiar-rest-api/bond", "familiar-workflow-service/thread") for p in bond_files
    } | {location}
    assert manifest.outputs_of(["entities/Nothing.schema.json"]) == ()
    # The stack's values were flattened in: the form defaults to them.
    (template_file,) = [f for f in result.files if f.path.endswith("bond/template.yaml")]
    defaults = actual_defaults(only(template_file)["spec"]["parameters"])
    assert defaults["Observability/observability/dashboard"] == "grafana"
    assert defaults["Service information/lifecycle"] == "production"


def stack_files(tmp_path: Path, backstage: Mapping[str, Any] | None = None) -> StageResult:
    endpoint = {
        "$schema": DIALECT,
        "$id": BASE + "infrastructure/Endpoint.schema.json",
        "title": "Endpoint",
        "description": "One endpoint.",
        "type": "object",
        "required": ["port"],
        "properties": {
            "port": {"type": "integer", "minimum": 1024, "default": 8080, "x-constant": {}},
            "name": {"$ref": "#/$defs/Slug", "description": "Endpoint name."},
        },
        "$defs": {"Slug": {"title": "Slug", "type": "string", "pattern": "^[a-z-]+$"}},
    }
    stack = {
        "$schema": DIALECT,
        "$id": BASE + "infrastructure/RestStack.schema.json",
        "title": "RestStack",
        "description": "Configuration of REST services.",
        "type": "object",
        "required": ["api_style", "owner"],
        "properties": {
            "owner": {"type": "string"},
            "api_style": {"enum": ["rest", "graphql"], "default": "rest", "type": "string"},
            "endpoints": {"type": "array", "items": {"$ref": "./Endpoint.schema.json"}},
            "request_timeout_ms": {"type": "integer", "maximum": 120000, "default": 30000},
        },
        "x-infrastructure": {**MINIMAL_INFRA, "service_template": "familiar-poem-rest-service"},
    }
    rest = {**MINIMAL_INFRA, "service_template": "familiar-poem-rest-service"}
    files = {
        "entities/Bond.schema.json": entity_schema("Bond", rest),
        "entities/Thread.schema.json": entity_schema("Thread", MINIMAL_INFRA),
        "stacks/RestStack.schema.json" if backstage else "infrastructure/RestStack.schema.json": {
            **stack,
            "$id": BASE + "stacks/RestStack.schema.json" if backstage else stack["$id"],
        },
        "stacks/Endpoint.schema.json" if backstage else "infrastructure/Endpoint.schema.json": {
            **endpoint,
            "$id": BASE + "stacks/Endpoint.schema.json" if backstage else endpoint["$id"],
        },
    }
    return generate_backstage(make_corpus(tmp_path, files, backstage))


def test_stack_page(tmp_path: Path, check_backstage: Any) -> None:
    result = stack_files(tmp_path)
    assert result.diagnostics == ()
    files = by_path(result)
    template_file = files["backstage/familiar-rest-api/bond/template.yaml"]
    template = only(template_file)
    check_backstage(template)
    stack = page(template["spec"]["parameters"], "Stack configuration")["properties"]["stack"]
    assert stack["title"] == "RestStack"
    assert stack["required"] == ["api_style"]
    fields = stack["properties"]
    assert list(fields) == ["api_style", "endpoints", "request_timeout_ms"]  # owner: covered
    assert fields["api_style"]["enum"] == ["rest", "graphql"]
    assert fields["api_style"]["default"] == "rest"
    assert fields["request_timeout_ms"]["default"] == 30000
    endpoint = fields["endpoints"]["items"]
    assert endpoint["properties"]["port"] == {
        "title": "Port",
        "type": "integer",
        "minimum": 1024,
        "default": 8080,
    }
    assert endpoint["properties"]["name"]["pattern"] == "^[a-z-]+$"
    assert endpoint["properties"]["name"]["description"] == "Endpoint name."
    assert endpoint["properties"]["name"]["title"] == "Name"
    assert not [p for p, v in walk(template) if isinstance(v, Mapping) and "$ref" in v]
    assert template["spec"]["steps"][0]["input"]["values"]["stack"] == "${{ parameters.stack }}"
    form_sources = (
        "entities/Bond.schema.json",
        "infrastructure/Endpoint.schema.json",
        "infrastructure/RestStack.schema.json",
    )
    assert template_file.sources == form_sources
    assert files["backstage/familiar-rest-api/bond/parameters.yaml"].sources == form_sources
    assert files["backstage/familiar-rest-api/bond/catalog-info.yaml"].sources == (
        "entities/Bond.schema.json",
    )
    # Other templates have no stack page; the stack, having x-infrastructure, gets its own.
    thread = only(files["backstage/familiar-workflow-service/thread/template.yaml"])
    assert "Stack configuration" not in [p["title"] for p in thread["spec"]["parameters"]]
    assert "backstage/familiar-rest-api/rest-stack/template.yaml" in files


def test_configured_stack(tmp_path: Path) -> None:
    configured = stack_files(
        tmp_path / "a", {"stacks": {"familiar-poem-rest-service": "stacks/RestStack.schema.json"}}
    )
    assert configured.diagnostics == ()
    template = by_path(configured)["backstage/familiar-rest-api/bond/template.yaml"]
    assert "stacks/Endpoint.schema.json" in template.sources
    with pytest.raises(ConfigError, match="Nope"):
        stack_files(
            tmp_path / "b", {"stacks": {"familiar-poem-rest-service": "stacks/Nope.schema.json"}}
        )


def test_unknown_template_is_a_located_diagnostic(tmp_path: Path) -> None:
    infra = {**MINIMAL_INFRA, "service_template": "familiar-poem-soap-service"}
    corpus = make_corpus(tmp_path, {"entities/Bond.schema.json": entity_schema("Bond", infra)})
    result = generate_backstage(corpus)
    assert result.files == ()
    (diagnostic,) = result.diagnostics
    assert diagnostic.rule == "backstage/unknown-template"
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.location.pointer == "/x-infrastructure/service_template"
    text = (tmp_path / "schemas/entities/Bond.schema.json").read_text().splitlines()
    assert diagnostic.location.line is not None
    assert "familiar-poem-soap-service" in text[diagnostic.location.line - 1]
    assert "familiar-poem-soap-service" in diagnostic.message
    for known in (
        "familiar-poem-rest-service",
        "familiar-poem-graphql-service",
        "familiar-quantum-compute-service",
        "familiar-workflow-orchestrator",
        "familiar-tenant-management-service",
    ):
        assert known in diagnostic.message


def test_config_extends_and_overrides_the_mapping(tmp_path: Path) -> None:
    infra = {**MINIMAL_INFRA, "service_template": "familiar-poem-soap-service"}
    corpus = make_corpus(
        tmp_path,
        {
            "entities/Bond.schema.json": entity_schema("Bond", infra),
            "entities/Rest.schema.json": entity_schema(
                "Rest", {**MINIMAL_INFRA, "service_template": "familiar-poem-rest-service"}
            ),
        },
        backstage={
            "templates": {
                "familiar-poem-soap-service": "familiar-soap-api",
                "familiar-poem-rest-service": "familiar-http-api",
            },
            "repo_url_base": "github.example.com?owner=poems",
            "default_owner": "group:platform",
            "skeleton_url": "https://example.com/skeletons/rest",
        },
    )
    result = generate_backstage(corpus)
    assert result.diagnostics == ()
    files = by_path(result)
    template = only(files["backstage/familiar-soap-api/bond/template.yaml"])
    assert "backstage/familiar-http-api/rest/template.yaml" in files
    assert template["spec"]["owner"] == "group:platform"
    fetch, publish, _ = template["spec"]["steps"]
    assert fetch["input"]["url"] == "https://example.com/skeletons/rest"
    assert publish["input"]["repoUrl"].startswith("github.example.com?owner=poems&repo=")
    component = documents(files["backstage/familiar-soap-api/bond/catalog-info.yaml"])[0]
    assert component["spec"]["owner"] == "group:flow"
    assert "github.com/project-slug" not in component["metadata"]["annotations"]


@pytest.mark.parametrize(
    "section",
    [
        {"templates": {"x": "Not A Name"}},
        {"templates": ["not", "a", "table"]},
        {"repo_url_base": "github.com/familiar"},
        {"repo_url_base": "github.com?owner=${{ parameters.x }}"},
        {"default_owner": "Platform Team"},
        {"skeleton_url": "skeleton dir"},
        {"colour": "blue"},
    ],
)
def test_bad_settings_are_config_errors(tmp_path: Path, section: dict[str, Any]) -> None:
    config = Config(project_root=tmp_path, sections={"backstage": section})
    with pytest.raises(ConfigError):
        BackstageSettings.from_config(config)


def test_defaults_without_a_section(tmp_path: Path) -> None:
    settings = BackstageSettings.from_config(Config(project_root=tmp_path))
    assert settings.templates["familiar-quantum-compute-service"] == "familiar-quantum-service"
    assert settings.templates["familiar-tenant-management-service"] == "familiar-tenant-service"
    assert settings.repo_url_base == "github.com?owner=familiar"


@pytest.mark.parametrize(
    ("infra", "rule", "pointer"),
    [
        (
            {**MINIMAL_INFRA, "lifecycle": "forever"},
            "backstage/invalid-infrastructure",
            "/x-infrastructure/lifecycle",
        ),
        (
            {"owner": "group:x", "system": "s"},
            "backstage/invalid-infrastructure",
            "/x-infrastructure",
        ),
        (
            {**MINIMAL_INFRA, "database": {"module": "oracle"}},
            "backstage/invalid-infrastructure",
            "/x-infrastructure/database/module",
        ),
        ("not an object", "backstage/invalid-infrastructure", "/x-infrastructure"),
        (
            {**MINIMAL_INFRA, "$ref": "../nowhere/Missing.schema.json"},
            "backstage/unresolvable-ref",
            "/x-infrastructure/$ref",
        ),
    ],
)
def test_invalid_infrastructure_is_a_diagnostic(
    tmp_path: Path, infra: Any, rule: str, pointer: str
) -> None:
    corpus = make_corpus(tmp_path, {"entities/Bond.schema.json": entity_schema("Bond", infra)})
    result = generate_backstage(corpus)
    assert result.files == ()
    assert result.diagnostics
    assert {d.rule for d in result.diagnostics} == {rule}
    assert pointer in {d.location.pointer for d in result.diagnostics}
    assert all(d.severity is Severity.ERROR for d in result.diagnostics)


def test_ref_cycle_in_x_infrastructure(tmp_path: Path) -> None:
    infra = {**MINIMAL_INFRA, "scaling": {"$ref": "#/x-infrastructure/scaling"}}
    corpus = make_corpus(tmp_path, {"entities/Bond.schema.json": entity_schema("Bond", infra)})
    result = generate_backstage(corpus)
    assert [d.rule for d in result.diagnostics] == ["backstage/unresolvable-ref"]


def test_two_schemas_one_service_conflict(tmp_path: Path) -> None:
    named = {**MINIMAL_INFRA, "service_name": "shared-service"}
    corpus = make_corpus(
        tmp_path,
        {
            "entities/Bond.schema.json": entity_schema("Bond", named),
            "entities/Thread.schema.json": entity_schema("Thread", named),
        },
    )
    result = generate_backstage(corpus)
    (diagnostic,) = result.diagnostics
    assert diagnostic.rule == "backstage/duplicate-entity"
    assert diagnostic.location.file is not None and "Thread" in diagnostic.location.file


def test_a_shared_topic_is_declared_once(tmp_path: Path, check_backstage: Any) -> None:
    shared = {"topics": ["entity.bond.lifecycle.events"]}
    corpus = make_corpus(
        tmp_path,
        {
            "entities/Bond.schema.json": entity_schema(
                "Bond", {**MINIMAL_INFRA, "streaming": shared}
            ),
            "entities/Thread.schema.json": entity_schema(
                "Thread",
                {
                    **MINIMAL_INFRA,
                    "streaming": {
                        "topics": ["entity.bond.lifecycle.events", "entity.thread.lifecycle.events"]
                    },
                },
            ),
        },
    )
    result = generate_backstage(corpus)
    assert result.diagnostics == ()
    files = by_path(result)
    bond_file = files["backstage/familiar-workflow-service/bond/catalog-info.yaml"]
    thread_file = files["backstage/familiar-workflow-service/thread/catalog-info.yaml"]
    bond, thread = documents(bond_file), documents(thread_file)
    declared = [(d["kind"], d["metadata"]["name"]) for d in bond + thread]
    assert len(declared) == len(set(declared))
    assert declared.count(("Resource", "entity.bond.lifecycle.events")) == 1
    assert thread[0]["spec"]["dependsOn"] == [
        "resource:default/entity.bond.lifecycle.events",
        "resource:default/entity.thread.lifecycle.events",
    ]
    for document in bond + thread:
        check_backstage(document)
    # Which file declares the shared topic depends on both schemas.
    both = ("entities/Bond.schema.json", "entities/Thread.schema.json")
    assert bond_file.sources == both and thread_file.sources == both
    template = files["backstage/familiar-workflow-service/thread/template.yaml"]
    assert template.sources == ("entities/Thread.schema.json",)


def test_two_schemas_one_directory(tmp_path: Path) -> None:
    corpus = make_corpus(
        tmp_path,
        {
            "entities/cognitive/Bond.schema.json": entity_schema(
                "Bond", MINIMAL_INFRA, relpath="entities/cognitive/Bond.schema.json"
            ),
            "entities/system/Bond.schema.json": entity_schema(
                "Bond", MINIMAL_INFRA, relpath="entities/system/Bond.schema.json"
            ),
        },
    )
    result = generate_backstage(corpus)
    assert [d.rule for d in result.diagnostics] == ["backstage/duplicate-name"]


def test_output_is_deterministic(tmp_path: Path) -> None:
    files = {
        "entities/BondTension.schema.json": entity_schema("BondTension", BOND_INFRA),
        "entities/Workflow.schema.json": entity_schema("Workflow", MINIMAL_INFRA),
    }
    first = generate_backstage(make_corpus(tmp_path / "a", files))
    shuffled = dict(reversed(list(files.items())))
    shuffled["entities/BondTension.schema.json"] = copy.deepcopy(
        shuffled["entities/BondTension.schema.json"]
    )
    shuffled["entities/BondTension.schema.json"]["x-infrastructure"] = dict(
        reversed(list(BOND_INFRA.items()))
    )
    second = generate_backstage(make_corpus(tmp_path / "b", shuffled))
    assert [(f.path, f.content, f.sources, f.kind) for f in first.files] == [
        (f.path, f.content, f.sources, f.kind) for f in second.files
    ]
    for file in first.files:
        text = file.content.decode("utf-8")
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text), file.path
        assert all(line == line.rstrip() for line in text.splitlines()), file.path


def test_no_x_infrastructure_no_files(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, {"entities/Plain.schema.json": entity_schema("Plain", None)})
    assert generate_backstage(corpus) == StageResult()


# -- the repository's own corpus ----------------------------------------------------------------


def test_real_corpus(schemas_dir: Path, check_backstage: Any) -> None:
    config = Config(project_root=schemas_dir.resolve().parent, schemas=schemas_dir.resolve())
    corpus = compile_corpus(config)
    bearing = [d for d in corpus.documents if "x-infrastructure" in d.contents]
    if not bearing:
        pytest.skip("the repository corpus has no schema with x-infrastructure yet")
    result = generate_backstage(corpus)
    assert [str(d) for d in result.diagnostics] == []
    files = by_path(result)
    templates = [f for f in result.files if f.kind == "backstage-template"]
    assert len(templates) == len(bearing)
    for file in result.files:
        if file.kind != "backstage-parameters":
            for entity in documents(file):
                check_backstage(entity)
    parsed_templates = {f.path: only(f) for f in templates}
    for document in bearing:
        ((own, template),) = [
            (path.rsplit("/", 1)[0], parsed)
            for path, parsed in parsed_templates.items()
            if parsed["metadata"]["annotations"]["schemagen.dev/source-schema"] == document.relpath
        ]
        for name in ("template.yaml", "parameters.yaml", "catalog-info.yaml"):
            assert document.relpath in files[f"{own}/{name}"].sources, (own, name)
        assert document.relpath in files["backstage/all-templates.yaml"].sources
        infra = document.contents["x-infrastructure"]
        if "$ref" in json.dumps(infra):
            continue  # flattened from elsewhere: compared by the fixture tests
        service = (
            infra.get("service_name")
            or template["spec"]["parameters"][0]["properties"]["name"]["default"]
        )
        description = template["metadata"]["description"]
        expected = expected_defaults(infra, service, description)
        actual = actual_defaults(template["spec"]["parameters"])
        for key, value in expected.items():
            assert strict_equal(actual[key], value), (document.relpath, key)
    assert "backstage/all-templates.yaml" in files
    for path, parsed in parsed_templates.items():  # react-jsonschema-form cannot follow $refs
        assert not [p for p, v in walk(parsed) if isinstance(v, Mapping) and "$ref" in v], path
        assert bad_defaults(parsed["spec"]["parameters"]) == [], path


def bad_defaults(parameters: list[dict[str, Any]]) -> list[str]:
    """Form fields whose default is invalid against the field itself (and pages that are not
    JSON Schemas at all)."""
    found = []
    for form_page in parameters:
        jsonschema.Draft7Validator.check_schema(form_page)
        for pointer, value in walk(form_page):
            if isinstance(value, Mapping) and "default" in value and "type" in value:
                field = {k: v for k, v in value.items() if k != "default"}
                if not jsonschema.Draft7Validator(field).is_valid(value["default"]):
                    found.append(pointer)
    return found


# -- the rendering environment ------------------------------------------------------------------


def test_templates_render_only_through_the_yaml_filters() -> None:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    from schemagen.backstage.yamlout import environment

    env = environment()
    assert isinstance(env, SandboxedEnvironment)
    assert env.from_string("k: {{ x | yaml }}").render(x="a: b") == 'k: "a: b"'
    with pytest.raises(jinja2.TemplateError):  # a raw interpolation is refused
        env.from_string("k: {{ x }}").render(x="a: b")
    with pytest.raises(jinja2.UndefinedError):  # StrictUndefined
        env.from_string("k: {{ missing | yaml }}").render()
    with pytest.raises(jinja2.exceptions.SecurityError):  # the sandbox
        env.from_string("{{ x.__class__.__subclasses__() | yaml }}").render(x="")
    assert set(env.list_templates()) >= {
        "template.yaml.j2",
        "parameters.yaml.j2",
        "catalog-info.yaml.j2",
        "location.yaml.j2",
    }
