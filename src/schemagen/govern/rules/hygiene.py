"""hygiene/*: names, identity, dialect, descriptions, vocabulary and dead schemas."""

from __future__ import annotations

from collections.abc import Iterator

from schemagen.diagnostics import Severity
from schemagen.govern.context import RuleContext, file_stem
from schemagen.govern.model import Finding, Note, Rule, Stage
from schemagen.govern.naming import derive, valid_class_name
from schemagen.govern.rules.vocabulary import vocabulary
from schemagen.govern.settings import matches_any
from schemagen.sourcemap import join_pointer

Found = Iterator[Finding | Note]


def check_invalid_class_name(context: RuleContext) -> Found:
    for document in context.corpus.documents:
        title = document.title
        if title is None:
            continue
        chosen = derive(title, file_stem(document))
        if chosen.problem is None:
            continue
        yield Finding(
            f"title {title!r} makes no Python class name ({chosen.problem}); "
            f"the generator falls back to {chosen.name}",
            document.locate("/title"),
            "make the title a PascalCase name that starts with a letter, e.g. the file stem",
        )


def check_duplicate_class_name(context: RuleContext) -> Found:
    for name, documents in sorted(context.facts.title_classes.items()):
        if len(documents) < 2 or not valid_class_name(name):
            continue
        for document in documents:
            others = ", ".join(d.display for d in documents if d.path != document.path)
            yield Finding(
                f"title {document.title!r} makes the class name {name!r}, as {others} does too",
                document.locate("/title"),
                "every title must make a unique class name; make the title equal the file stem",
            )


def check_id_convention(context: RuleContext) -> Found:
    base = context.config.base_uri
    if not base:
        yield Note("hygiene/id-convention: no base_uri in [tool.schemagen]; $ids not checked")
        return
    base = base if base.endswith("/") else base + "/"
    for document in context.corpus.documents:
        expected = base + document.relpath
        declared = document.declared_id
        if declared is None:
            yield Finding(
                f"no $id; expected {expected!r}",
                document.locate(""),
                f'add "$id": "{expected}"',
            )
        elif declared != expected:
            id_key = "id" if "draft-04" in document.dialect else "$id"
            yield Finding(
                f"$id {declared!r} is not the base URI plus the file's path ({expected!r})",
                document.locate(f"/{id_key}"),
                "with $id = base URI + path, a relative $ref resolves the same by $id and by path",
            )


def check_missing_dialect(context: RuleContext) -> Found:
    for document in context.corpus.documents:
        if document.declared_dialect is None:
            yield Finding(
                "no $schema: the dialect is whatever the reader assumes",
                document.locate(""),
                f'declare it: "$schema": "{context.config.default_dialect}"',
            )


def check_missing_description(context: RuleContext) -> Found:
    for document in context.corpus.documents:
        description = document.contents.get("description")
        if isinstance(description, str) and description.strip():
            continue
        pointer = "/description" if "description" in document.contents else ""
        yield Finding(
            "schema has no description",
            document.locate(pointer),
            "say what the schema is (not what type it is); generated docs and models show it",
        )


_LIKELY = {
    "fields": "properties",
    "example": "examples",
    "definition": "$defs",
    "defs": "$defs",
    "require": "required",
    "nullable": 'a type list with "null"',
    "extends": "allOf",
    "id": "$id",
    "ref": "$ref",
}


def check_unknown_keyword(context: RuleContext) -> Found:
    for document in context.corpus.documents:
        known = vocabulary(document.dialect)
        for node in context.facts.nodes(document):
            for key in node.schema:
                if key in known or key.startswith("x-"):
                    continue
                likely = _LIKELY.get(key)
                yield Finding(
                    f"{key!r} is not a keyword of {document.dialect or 'the dialect'}; "
                    "validators ignore it",
                    document.locate(join_pointer(node.pointer, key)),
                    f"did you mean {likely}?" if likely else f"an extension? name it x-{key}",
                )


def check_unused(context: RuleContext) -> Found:
    facts = context.facts
    entity_paths: set[object] = set()
    for name in (context.settings.cognitive_base, context.settings.system_base):
        base = facts.identify(name)
        if base is not None:
            entity_paths.add(base.path)
            entity_paths.update(facts.descendants(base))
    for document in context.corpus.documents:
        if facts.referenced_by.get(document.path):
            continue
        if document.path in entity_paths or "x-infrastructure" in document.contents:
            continue
        if matches_any(document.relpath, context.settings.unused_roots):
            continue
        yield Finding(
            "nothing references this schema and it is not a root (entity, event, API, ...)",
            document.locate(""),
            "delete it, reference it, or list its folder in unused_roots",
        )


RULES = (
    Rule(
        "hygiene/invalid-class-name",
        Severity.ERROR,
        "A title makes no valid Python class name.",
        """The Python generator names each model after its schema's title. A title is kept as it is
when it is an identifier; otherwise its words are capitalised and joined ("Base Agent Output"
becomes BaseAgentOutput). When the result starts with a digit, is empty or is a keyword, the
generator falls back to a made-up name (3DPhysicsVector becomes PhysicsVector3D) that nobody
would guess when importing the model.

Example (fires):
    {"title": "3D Physics Vector", ...}      -> 3DPhysicsVector starts with a digit
Fix:
    {"title": "PhysicsVector3", ...}""",
        Stage.CORPUS,
        check_invalid_class_name,
    ),
    Rule(
        "hygiene/duplicate-class-name",
        Severity.ERROR,
        "Two titles make the same Python class name.",
        """Generated models share one namespace; two schemas whose titles make the same class name
would overwrite each other. Every file in the clash is reported.

Example (fires):
    stacks/Api.schema.json      {"title": "Standard API Service Stack"}
    legacy/Api.schema.json      {"title": "StandardAPIServiceStack"}
    -> both make StandardAPIServiceStack
Fix: make each title equal its file stem.""",
        Stage.CORPUS,
        check_duplicate_class_name,
    ),
    Rule(
        "hygiene/id-convention",
        Severity.ERROR,
        "$id is not the configured base URI plus the file's path.",
        """With `base_uri` set in [tool.schemagen], every schema's $id must be that base URI plus
the file's path under the schemas root, so that a relative $ref resolves to the same file by $id as
by path. Skipped when base_uri is not set.

Example (base_uri = "https://schemas.familiar.dev/v3/"), in schemas/fields/Name.schema.json:
    "$id": "https://schemas.familiar.dev/v3/Name.schema.json"          (fires)
    "$id": "https://schemas.familiar.dev/v3/fields/Name.schema.json"   (passes)""",
        Stage.CORPUS,
        check_id_convention,
    ),
    Rule(
        "hygiene/missing-dialect",
        Severity.WARNING,
        "The schema declares no $schema.",
        """Without $schema, each tool reads the file in whatever dialect it defaults to, and
keywords such as items or $defs change meaning between drafts.

Example (fires):
    {"title": "Name", "type": "string"}
Fix:
    {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "Name", ...}""",
        Stage.CORPUS,
        check_missing_dialect,
    ),
    Rule(
        "hygiene/missing-description",
        Severity.WARNING,
        "The schema has no description.",
        """Every schema file says what it is in a top-level description; generated models, docs and
Backstage templates show it.

Example (fires):
    {"title": "Bond", "type": "object", ...}
Fix:
    {"title": "Bond", "description": "A persistent relationship between two threads.", ...}""",
        Stage.CORPUS,
        check_missing_description,
    ),
    Rule(
        "hygiene/unknown-keyword",
        Severity.WARNING,
        "A keyword is neither in the document's dialect nor an x- extension.",
        """Validators silently ignore keywords they do not know, so a misspelt or invented keyword
constrains nothing. Extensions must start with x-. Schemas nested under an unknown keyword are
checked too.

Example (fires): properties declared under a home-grown keyword
    {"type": "object", "fields": {"name": {"type": "string"}}}
Fix:
    {"type": "object", "properties": {"name": {"type": "string"}}}""",
        Stage.CORPUS,
        check_unknown_keyword,
    ),
    Rule(
        "hygiene/unused",
        Severity.INFO,
        "Nothing references the schema and it is not a root.",
        """A schema that no other schema references is dead weight unless it is a root: an entity
(anything extending the cognitive or system base), an event, payload, API body, law, table,
taxonomy, workflow or infrastructure schema (`unused_roots`), or a schema with x-infrastructure.

Example (fires): fields/OldName.schema.json, which no schema $refs any more.
Fix: delete it, reference it, or add its folder to unused_roots.""",
        Stage.GRAPH,
        check_unused,
    ),
)
