# ruff: noqa: E501
"""Documentation of the rule ids the other stages emit (load, ref, id, schema, ...).

They are not governance rules (nothing to select or configure), but reports describe them the
same way: SARIF rule descriptors and `schemagen govern --explain` read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from schemagen.diagnostics import Severity
from schemagen.reports import RuleDoc

E, W = Severity.ERROR, Severity.WARNING

_DOCS: tuple[tuple[str, Severity, str, str], ...] = (
    (
        "load/syntax",
        E,
        "The file is not valid JSON or YAML.",
        "The parser stopped at the reported line and column.\n\nExample (fires):\n"
        '    {"type": "object",}\nFix: remove the trailing comma.',
    ),
    (
        "load/bom",
        W,
        "The file starts with a UTF-8 byte order mark.",
        "JSON text must not begin with a BOM (RFC 8259, 8.1); some parsers reject it.\n\n"
        "Example (fires): a file saved as 'UTF-8 with BOM'.\nFix: save it as plain UTF-8.",
    ),
    (
        "load/encoding",
        E,
        "The file is not valid UTF-8.",
        "Schemas are UTF-8 text; the byte at the reported offset is not.\n\n"
        "Example (fires): a description typed in Latin-1 (caf\\xe9).\nFix: re-encode the file as UTF-8.",
    ),
    (
        "load/duplicate-key",
        E,
        "An object has the same key twice.",
        "JSON parsers disagree on which duplicate wins, so the schema means different things to "
        'different tools.\n\nExample (fires):\n    {"type": "string", "type": "number"}\nFix: keep one.',
    ),
    (
        "load/empty",
        E,
        "The file is empty.",
        "An empty file holds no schema.\n\nExample (fires): a 0-byte Bond.schema.json.\n"
        "Fix: write the schema or delete the file.",
    ),
    (
        "load/not-an-object",
        E,
        "The file holds something other than a JSON object.",
        "A schema file holds an object; boolean schemas are meaningful only inline.\n\n"
        "Example (fires): a file containing `true` or `[...]`.\nFix: wrap the schema in {...}.",
    ),
    (
        "load/too-deep",
        E,
        "The document nests deeper than schemagen accepts.",
        "Every later stage walks schemas recursively; no real schema nests hundreds of levels.\n\n"
        "Example (fires): a machine-generated file 10,000 arrays deep.\nFix: regenerate it sanely.",
    ),
    (
        "load/yaml-bomb",
        E,
        "YAML aliases expand to an enormous document.",
        "Alias expansion is bounded (a 'billion laughs' document is rejected, not expanded).\n\n"
        "Example (fires): a: &a [x,x,...]; b: &b [*a,*a,...]; ...\nFix: do not use aliases in schemas.",
    ),
    (
        "load/yaml-recursive",
        E,
        "A YAML alias refers to itself.",
        "A recursive alias makes an infinite document, which no JSON value can be.\n\n"
        "Example (fires): a: &a {child: *a}\nFix: use $ref for recursive schemas.",
    ),
    (
        "load/multiple-documents",
        E,
        "A YAML file holds more than one document.",
        "One file holds one schema.\n\nExample (fires): two documents separated by ---.\n"
        "Fix: split them into two files.",
    ),
    (
        "load/missing-dialect",
        W,
        "No $schema; the file is read in the default dialect.",
        'Example (fires): {"type": "string"}\nFix: add '
        '"$schema": "https://json-schema.org/draft/2020-12/schema".',
    ),
    (
        "load/unknown-dialect",
        E,
        "$schema names no known JSON Schema dialect.",
        'Example (fires): "$schema": "https://json-schema.org/draft/2021-01/schema"\n'
        "Fix: use a published dialect URI (draft-04 to 2020-12).",
    ),
    (
        "load/outside-root",
        E,
        "A symbolic link points outside the schemas root.",
        "schemagen reads only files under the schemas root.\n\nExample (fires): schemas/ext -> /etc.\n"
        "Fix: copy the schema in, or serve it with --map.",
    ),
    (
        "load/unreadable",
        E,
        "The file cannot be read.",
        "Example (fires): a file without read permission, or a symbolic link that loops or dangles.\nFix: fix its permissions or the link.",
    ),
    (
        "load/bad-filename",
        E,
        "The file name is not valid UTF-8.",
        "Schema file names become $ids, module names and report entries, all of which are text.\n\nExample (fires): a file named with Latin-1 bytes.\nFix: rename it in UTF-8.",
    ),
    (
        "load/no-schemas",
        W,
        "The schemas directory holds no schema files.",
        "Usually a wrong --schemas path.\n\nExample (fires): --schemas docs/\nFix: point --schemas at the corpus.",
    ),
    (
        "ref/unresolvable",
        E,
        "A $ref resolves to nothing.",
        "Neither the $id chain nor the file's path names the target, or the target has no such "
        'pointer or anchor.\n\nExample (fires): {"$ref": "./Missing.schema.json"}\n'
        "Fix: correct the relative path or the fragment.",
    ),
    (
        "ref/resolved-by-path",
        W,
        "A $ref resolves only by file path, not by $id.",
        "Relative refs resolve against the $id; when the $ids do not mirror the files, schemagen "
        "falls back to the file path and says so.\n\nExample (fires): $id .../base/Entity.v1.json in "
        "schemas/base/Entity.schema.json.\nFix: make every $id the base URI plus the file's path.",
    ),
    (
        "ref/remote-unmapped",
        E,
        "A $ref names a remote URI that no --map serves.",
        'schemagen never fetches.\n\nExample (fires): {"$ref": "https://json.schemastore.org/x.json"}\n'
        "Fix: --map https://json.schemastore.org/=DIR (or [tool.schemagen.map]).",
    ),
    (
        "ref/outside-root",
        E,
        "A $ref leaves the schemas root.",
        'Example (fires): {"$ref": "../../other/X.schema.json"} out of schemas/.\n'
        "Fix: move the schema in, or use --map.",
    ),
    (
        "id/duplicate",
        E,
        "Two files declare the same $id.",
        "Refs to that $id resolve to the first file only.\n\nExample (fires): Bond.schema.json and "
        "BondV2.schema.json both with $id .../Bond.schema.json.\nFix: give each file its own $id.",
    ),
    (
        "schema/malformed",
        E,
        "A keyword that holds subschemas holds something else.",
        'Example (fires): {"properties": ["a", "b"]}\nFix: "properties": {"a": {...}, "b": {...}}.',
    ),
    (
        "schema/metaschema",
        E,
        "The schema is invalid against its dialect's metaschema.",
        'Example (fires): {"type": "text"}\nFix: {"type": "string"}.',
    ),
    (
        "schema/invalid-example",
        E,
        "An entry of examples is invalid against its schema.",
        'Example (fires): {"type": "integer", "examples": ["3"]}\nFix: "examples": [3].',
    ),
    (
        "schema/invalid-default",
        E,
        "A default is invalid against its schema.",
        'Example (fires): {"type": "number", "maximum": 1, "default": 2}\nFix: a default within bounds.',
    ),
    (
        "schema/invalid-pattern",
        E,
        "A pattern is not a valid ECMA-262 regular expression.",
        'Example (fires): {"pattern": "^[a-z"}\nFix: {"pattern": "^[a-z]+$"}.',
    ),
    (
        "infrastructure/invalid",
        E,
        "x-infrastructure is invalid against its schema.",
        "x-infrastructure is checked against src/schemagen/schemas/x-infrastructure.schema.json.\n\n"
        'Example (fires): "x-infrastructure": {"service_template": "unknown", ...}\n'
        "Fix: use a known template and the documented fields.",
    ),
    (
        "assemble/cycle",
        E,
        "Bundling met a $ref cycle it cannot inline.",
        "Example (fires): A allOf $ref B, B allOf $ref A.\nFix: break the cycle (move shared parts "
        "into a third schema).",
    ),
    (
        "assemble/conflict",
        E,
        "Two bundled definitions would take the same name.",
        "Example (fires): two different schemas both titled Name end up in one bundle's $defs.\n"
        "Fix: give the schemas distinct titles.",
    ),
    (
        "generate/python-failed",
        E,
        "The Python model generator failed on a schema.",
        "Example (fires): a schema construct the generator cannot express.\nFix: simplify the schema, "
        "or report the generator error (shown in the message).",
    ),
    (
        "backstage/unknown-template",
        E,
        "x-infrastructure names a service template with no mapping.",
        'Example (fires): "service_template": "familiar-cobol-service"\nFix: use a known template or '
        "map it to a Backstage template in [tool.schemagen.backstage].",
    ),
    (
        "assemble/too-large",
        W,
        "A $ref is left in place in the flattened view: inlining it would be too large or deep.",
        "The flattened view inlines every $ref, up to a depth and size limit; beyond it the $ref "
        "stays (the bundle is still complete).\n\nExample (fires): a deeply recursive tree schema "
        "whose inlining would explode.\nFix: nothing needed; use the bundle, not the flattened view.",
    ),
    (
        "assemble/uri-conflict",
        W,
        "Two schemas would take the same URI inside one bundle.",
        "A bundle embeds each referenced schema under its URI; two different files resolving to "
        "one URI cannot both be embedded.\n\nExample (fires): a ref resolved by path to a file "
        "whose $id another file also claims.\nFix: give every file its own, path-based $id.",
    ),
    (
        "backstage/duplicate-name",
        E,
        "Two schemas would generate the same Backstage template directory.",
        "Template directories are named after the schema title.\n\nExample (fires): two "
        "service-bearing schemas both titled Bond.\nFix: give the schemas distinct titles.",
    ),
    (
        "backstage/duplicate-entity",
        E,
        "Two services declare the same Backstage Component (the same service name).",
        "Catalog entities are unique by kind and name, so two x-infrastructure blocks that name "
        "the same service would register one Component twice. (A topic that several services "
        "share is declared once and referenced by the others.)\n\nExample (fires): two "
        'x-infrastructure blocks with "service_name": "bond-service".\nFix: give the services '
        "distinct service_name values.",
    ),
    (
        "backstage/invalid-infrastructure",
        E,
        "x-infrastructure is invalid against its schema.",
        "x-infrastructure is checked against src/schemagen/schemas/x-infrastructure.schema.json "
        'before templates are generated.\n\nExample (fires): "scaling": {"min_replicas": 0}\n'
        "Fix: follow the documented fields (see docs/conventions.md).",
    ),
    (
        "backstage/unresolvable-ref",
        E,
        "A $ref inside x-infrastructure resolves to nothing.",
        "A $ref inside x-infrastructure is relative to its schema, like any other $ref.\n\n"
        'Example (fires): "x-infrastructure": {"$ref": "./Missing.json"}\nFix: correct the path.',
    ),
    (
        "backstage/round-trip",
        E,
        "A generated Backstage file does not read back as what was meant.",
        "Templates are rendered, then parsed again; a file that does not parse back to the data "
        "it was rendered from (or would evaluate schema text as a template) is not written.\n\n"
        "Example (fires): a description containing ${{ values.x }}.\nFix: remove template syntax "
        "from schema text, or report the renderer bug.",
    ),
    (
        "governance/rule-failed",
        E,
        "A governance rule from a plugin raised an exception.",
        "A rule registered through the schemagen.rules entry-point group failed; its findings are "
        "missing from this run.\n\nExample (fires): a plugin check that raises KeyError.\n"
        "Fix: report it to the plugin's authors; ignore the rule meanwhile.",
    ),
)

STAGE_DOCS: Mapping[str, RuleDoc] = {
    rule_id: RuleDoc(rule_id, summary, explanation, severity)
    for rule_id, severity, summary, explanation in _DOCS
}
