"""Backstage stage: software templates and catalog entities for every service-bearing schema.

A schema with a top-level `x-infrastructure` block (see
`src/schemagen/schemas/x-infrastructure.schema.json`) gets one software template, grouped by the
Backstage template its `service_template` maps to (`[tool.schemagen.backstage.templates]`, over
the defaults in `settings.DEFAULT_TEMPLATES`):

    backstage/
      all-templates.yaml                      Location whose targets are every template.yaml
      <backstage template>/<kebab entity>/
        template.yaml                         scaffolder.backstage.io/v1beta3 Template
        parameters.yaml                       its parameter block (spec.parameters), on its own
        catalog-info.yaml                     Component, its API, a Resource per database/topic

`<kebab entity>` is the schema title in kebab case (`BondTension` -> `bond-tension`); the
Component is named by `x-infrastructure.service_name`, defaulting to the same. The template's
`fetch:template` step fetches `skeleton_url` (default `./skeleton`, relative to template.yaml):
the skeleton is the service template's own source and is not generated here.

The form (parameters): a "Service information" page (name, description, owner via OwnerPicker,
system via EntityPicker, lifecycle), then the x-infrastructure configuration, each field typed from
the x-infrastructure schema and defaulting to the schema's value (`form`), then, when the service
template has a stack schema, a "Stack configuration" page inlined from it (`stack`).

Sources: template.yaml and parameters.yaml come from the schema, every schema its x-infrastructure
reaches through `$ref`, and the stack schemas the form inlines; catalog-info.yaml from the schema,
its x-infrastructure references and every schema that shares one of its topics (a shared topic's
Resource is declared once, by the first such schema in path order, and referred to by the others);
all-templates.yaml from the sources of every template it lists.

Writing: each file is rendered from a Jinja2 template under `schemagen/templates/backstage/` in a
sandboxed environment with StrictUndefined, and every interpolation must pass through a YAML
filter (`yamlout`), which emits strings as plain words only when no resolver could misread them
and otherwise double-quoted with escapes (or as literal blocks). Each file is parsed back and
compared with the data it was meant to hold; a difference is a `backstage/round-trip` error and the
file is not emitted. A `${{ ... }}` in a schema is data: it appears only in places the scaffolder
does not evaluate (metadata, form titles/descriptions/defaults, catalog entities) and is kept
verbatim; the evaluated places (step inputs, output) hold only expressions over `parameters`.

Settings (`[tool.schemagen.backstage]`, see `settings`): `templates`, `stacks`, `repo_url_base`,
`default_owner` (the Template's spec.owner; default: the schema's owner), `skeleton_url`. Bad
settings, and a configured stack that is not in the corpus, raise ConfigError.

Diagnostics: `backstage/unknown-template` (a service_template with no mapping),
`backstage/invalid-infrastructure`, `backstage/unresolvable-ref` (x-infrastructure),
`backstage/duplicate-name` (two schemas, one directory), `backstage/duplicate-entity` (two files
declare one catalog entity), `backstage/round-trip` (a self-check failed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schemagen.backstage.documents import (
    catalog_documents,
    location_document,
    resources,
    template_document,
    templating_problems,
)
from schemagen.backstage.form import parameter_pages
from schemagen.backstage.infra import KEYWORD, POINTER, flatten_infrastructure
from schemagen.backstage.model import ServiceEntity, display_title, entity_slug
from schemagen.backstage.render import render
from schemagen.backstage.settings import DEFAULT_TEMPLATES, BackstageSettings
from schemagen.backstage.stack import StackForm, find_stacks, stack_form
from schemagen.cache import PreviousRun
from schemagen.diagnostics import Diagnostic, Severity
from schemagen.load import SchemaDocument
from schemagen.outputs import GeneratedFile, StageResult
from schemagen.resolve import Corpus
from schemagen.sourcemap import resolve_pointer

__all__ = [
    "DEFAULT_TEMPLATES",
    "BackstageSettings",
    "ServiceEntity",
    "generate_backstage",
]

LOCATION_PATH = "backstage/all-templates.yaml"
KIND_TEMPLATE = "backstage-template"
KIND_CATALOG = "backstage-catalog"
KIND_PARAMETERS = "backstage-parameters"
KIND_LOCATION = "backstage-location"
ENTITY_FILES = {
    "template.yaml": KIND_TEMPLATE,
    "parameters.yaml": KIND_PARAMETERS,
    "catalog-info.yaml": KIND_CATALOG,
}


@dataclass(frozen=True)
class _Found:
    entity: ServiceEntity
    document: SchemaDocument


def generate_backstage(corpus: Corpus, previous: PreviousRun | None = None) -> StageResult:
    """Templates, parameter blocks and catalog entities for every schema with x-infrastructure.

    With `previous`, an entity whose files' sources are all unchanged keeps its files as they are.
    """
    settings = BackstageSettings.from_config(corpus.config)
    stacks = find_stacks(corpus, settings)
    forms = {template: stack_form(corpus, document) for template, document in stacks.items()}
    found, diagnostics = collect_entities(corpus, settings, forms)
    sharing = resource_sharing(found)
    files: list[GeneratedFile] = []
    emitted: list[_Found] = []
    for item in found:
        kept = _kept_files(item.entity, sharing[item.entity.relpath], previous)
        if kept is not None:  # emitted last time, so it had no problems then either
            files.extend(kept)
            emitted.append(item)
            continue
        made, problems = entity_files(item.entity, settings, sharing[item.entity.relpath])
        diagnostics.extend(item.document.diagnostic(*p) for p in problems)
        if not problems:
            files.extend(made)
            emitted.append(item)
    diagnostics.extend(duplicate_entities(emitted, settings, sharing))
    if emitted:
        location, problem = location_file([f.entity for f in emitted])
        if problem is None:
            files.append(location)
        else:
            diagnostics.append(Diagnostic("backstage/round-trip", Severity.ERROR, problem))
    return StageResult(tuple(sorted(files, key=lambda f: f.path)), tuple(diagnostics))


def collect_entities(
    corpus: Corpus, settings: BackstageSettings, stacks: Mapping[str, StackForm | None]
) -> tuple[list[_Found], list[Diagnostic]]:
    """Every usable service-bearing schema, in path order, and the problems of the others."""
    found: list[_Found] = []
    diagnostics: list[Diagnostic] = []
    directories: dict[str, str] = {}
    for document in corpus.documents:
        if KEYWORD not in document.contents:
            continue
        flat = flatten_infrastructure(corpus, document)
        diagnostics.extend(flat.diagnostics)
        if flat.value is None:
            continue
        entity = service_entity(corpus, document, flat.value, flat.dependencies, settings, stacks)
        if entity is None:
            diagnostics.append(unknown_template(document, flat.value, settings))
            continue
        first = directories.setdefault(entity.directory, document.relpath)
        if first != document.relpath:
            diagnostics.append(
                document.diagnostic(
                    "backstage/duplicate-name",
                    Severity.ERROR,
                    f"{entity.directory}/ is already generated from {first}",
                    POINTER,
                    "give the schemas distinct titles",
                )
            )
            continue
        found.append(_Found(entity, document))
    return found, diagnostics


def service_entity(
    corpus: Corpus,
    document: SchemaDocument,
    infra: Mapping[str, Any],
    dependencies: tuple[str, ...],
    settings: BackstageSettings,
    stacks: Mapping[str, StackForm | None],
) -> ServiceEntity | None:
    """The entity's view for the outputs; None when its service_template has no mapping."""
    service_template = str(infra["service_template"])
    template = settings.templates.get(service_template)
    if template is None:
        return None
    title = display_title(document.title, document.relpath)
    description = document.contents.get("description")
    return ServiceEntity(
        relpath=document.relpath,
        sources=tuple(sorted({document.relpath, *dependencies})),
        title=title,
        description=(
            description
            if isinstance(description, str) and description.strip()
            else f"The service that owns {title}."
        ),
        schema_id=corpus.uri_of(document),
        slug=entity_slug(document.title, document.relpath),
        template=template,
        infra=infra,
        stack=stacks.get(service_template),
    )


def unknown_template(
    document: SchemaDocument, infra: Mapping[str, Any], settings: BackstageSettings
) -> Diagnostic:
    pointer = f"{POINTER}/service_template"
    try:
        resolve_pointer(document.contents, pointer)
    except (LookupError, ValueError):
        pointer = POINTER  # inherited through a $ref
    known = ", ".join(settings.known_templates)
    return document.diagnostic(
        "backstage/unknown-template",
        Severity.ERROR,
        f"unknown service_template {infra['service_template']!r}; known: {known}",
        pointer,
        "use one of the known templates or map this one in [tool.schemagen.backstage.templates]",
    )


@dataclass(frozen=True)
class Sharing:
    """Resources (topics) that several schemas depend on are declared once, by the first schema
    in path order; the others refer to them. Whether a catalog file declares a shared Resource
    depends on every schema that shares it, so all of them are among its sources."""

    declared_elsewhere: frozenset[str]
    catalog_sources: tuple[str, ...]


def resource_sharing(found: Sequence[_Found]) -> dict[str, Sharing]:
    owners: dict[str, str] = {}
    sharers: dict[str, set[str]] = {}
    names: dict[str, list[str]] = {}
    for item in found:
        names[item.entity.relpath] = [r["metadata"]["name"] for r in resources(item.entity)]
        for name in names[item.entity.relpath]:
            owners.setdefault(name, item.entity.relpath)
            sharers.setdefault(name, set()).update(item.entity.sources)
    sharing = {}
    for item in found:
        relpath = item.entity.relpath
        sources = set(item.entity.sources).union(*(sharers[n] for n in names[relpath]))
        sharing[relpath] = Sharing(
            frozenset(n for n in names[relpath] if owners[n] != relpath), tuple(sorted(sources))
        )
    return sharing


Problem = tuple[str, Severity, str, str | None, str | None]


def entity_files(
    entity: ServiceEntity, settings: BackstageSettings, sharing: Sharing
) -> tuple[list[GeneratedFile], list[Problem]]:
    """template.yaml, parameters.yaml and catalog-info.yaml, each checked by reading it back."""
    parameters = parameter_pages(entity)
    template = template_document(entity, settings, parameters)
    catalog = catalog_documents(entity, settings, sharing.declared_elsewhere)
    renders = {
        "template.yaml": (
            KIND_TEMPLATE,
            render("template.yaml.j2", [template], t=template, source=entity.relpath),
        ),
        "parameters.yaml": (
            KIND_PARAMETERS,
            render(
                "parameters.yaml.j2",
                [{"parameters": parameters}],
                parameters=parameters,
                source=entity.relpath,
            ),
        ),
        "catalog-info.yaml": (
            KIND_CATALOG,
            render("catalog-info.yaml.j2", catalog, documents=catalog, source=entity.relpath),
        ),
    }
    problems: list[Problem] = [
        _round_trip(f"{entity.directory}/{name}: {rendered.problem}")
        for name, (_, rendered) in renders.items()
        if rendered.problem is not None
    ]
    problems.extend(
        _round_trip(f"template.yaml would evaluate schema text in a templated field: {text!r}")
        for text in templating_problems(template)
    )
    files = [
        GeneratedFile(
            f"{entity.directory}/{name}",
            rendered.text.encode("utf-8"),
            sharing.catalog_sources if kind == KIND_CATALOG else entity.form_sources,
            kind,
        )
        for name, (kind, rendered) in renders.items()
    ]
    return (files if not problems else []), problems


def _kept_files(
    entity: ServiceEntity, sharing: Sharing, previous: PreviousRun | None
) -> list[GeneratedFile] | None:
    """The entity's files from the previous run, if every one of them is still what this run
    would make: recorded from the same sources, none of which changed, and intact on disk."""
    if previous is None:
        return None
    kept = []
    for name, kind in ENTITY_FILES.items():
        path = f"{entity.directory}/{name}"
        sources = sharing.catalog_sources if kind == KIND_CATALOG else entity.form_sources
        entry = previous.entries.get(path)
        file = previous.reuse(path) if entry is not None and entry[1] == sources else None
        if file is None:
            return None
        kept.append(file)
    return kept


def _round_trip(message: str) -> Problem:
    return (
        "backstage/round-trip",
        Severity.ERROR,
        message,
        POINTER,
        "a schemagen bug: please report it with the schema that triggers it",
    )


def location_file(entities: Iterable[ServiceEntity]) -> tuple[GeneratedFile, str | None]:
    listed = list(entities)
    prefix = LOCATION_PATH.rsplit("/", 1)[0] + "/"
    targets = [f"./{e.directory[len(prefix) :]}/template.yaml" for e in listed]
    location = location_document(targets)
    rendered = render("location.yaml.j2", [location], location=location)
    sources = tuple(sorted({s for e in listed for s in e.form_sources}))
    file = GeneratedFile(LOCATION_PATH, rendered.text.encode("utf-8"), sources, KIND_LOCATION)
    return file, rendered.problem


def duplicate_entities(
    found: Iterable[_Found], settings: BackstageSettings, sharing: Mapping[str, Sharing]
) -> list[Diagnostic]:
    """Two catalog-info files that declare the same entity would conflict in the catalog."""
    owners: dict[tuple[str, str], str] = {}
    problems = []
    for item in found:
        elsewhere = sharing[item.entity.relpath].declared_elsewhere
        for document in catalog_documents(item.entity, settings, elsewhere):
            key = (document["kind"], document["metadata"]["name"])
            first = owners.setdefault(key, item.entity.relpath)
            if first != item.entity.relpath:
                problems.append(
                    item.document.diagnostic(
                        "backstage/duplicate-entity",
                        Severity.ERROR,
                        f"{key[0]} {key[1]!r} is also declared for {first}",
                        POINTER,
                        "give the services distinct service_name values (the schemas distinct "
                        "titles, for APIs)",
                    )
                )
    return problems
