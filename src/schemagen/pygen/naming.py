"""Python names for schemas: module paths mirroring the schemas tree, and class names from titles.

Both are pure functions of the corpus's relpaths and titles, so they are the same on every run and
in every order. A title that makes no class name (`3D Physics Vector`) gets a safe one
(`PhysicsVector3D`) and a `hygiene/invalid-class-name` warning at the title.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemagen.diagnostics import Diagnostic, Severity
from schemagen.load import SchemaDocument

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+[A-Za-z]?(?![a-z])|[A-Za-z0-9]")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_SUFFIXES = (".schema.json", ".schema.yaml", ".schema.yml", ".json", ".yaml", ".yml")
EXTERNAL_PACKAGE = "external"


@dataclass(frozen=True)
class ClassName:
    name: str
    problem: str | None  # why the title made no class name, if it did not


def _rotate_leading_digits(tokens: list[str]) -> list[str]:
    """`["3D", "Physics", "Vector"]` -> `["Physics", "Vector", "3D"]`: letters first."""
    lead = 0
    while lead < len(tokens) and tokens[lead][0].isdigit():
        lead += 1
    return tokens[lead:] + tokens[:lead]


def _words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return [word for token in _TOKEN.findall(ascii_text) for word in _WORD.findall(token)]


def _pascal(words: Iterable[str]) -> str:
    return "".join(w[0].upper() + w[1:] for w in words)


def _safe(words: list[str]) -> str:
    name = _pascal(_rotate_leading_digits(words))
    if keyword.iskeyword(name):
        return f"{name}Model"
    return name if name[:1].isalpha() else f"Model{name}"


def class_name(title: str | None, fallback: str) -> ClassName:
    """The class a schema's title names; from `fallback` (the file stem) when there is no title."""
    text = title.strip() if title else ""
    if text.isidentifier() and text.isascii() and not keyword.iskeyword(text):
        return ClassName(text, None)
    words = _words(text)
    joined = _pascal(words)
    if joined.isidentifier() and not keyword.iskeyword(joined):
        return ClassName(joined, None)  # "Bond Entity" -> BondEntity: the obvious name
    if not words:
        problem = "it has no letters or digits" if text else None
        return ClassName(_safe(_words(fallback)), problem)
    reason = "is a Python keyword" if keyword.iskeyword(joined) else "starts with a digit"
    return ClassName(_safe(words), f"{joined!r} {reason}")


def snake(text: str) -> str:
    """A valid, lower-case Python identifier: `BaseCognitiveEntity` -> `base_cognitive_entity`."""
    words = [w.lower() for w in _words(text)]
    words = _rotate_leading_digits(words) if words else ["schema"]
    name = "_".join(words)
    if name[0].isdigit():
        name = f"m{name}"
    return f"{name}_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def stem(relpath: str) -> str:
    name = relpath.rsplit("/", 1)[-1]
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _raw_parts(relpath: str) -> tuple[str, ...]:
    if relpath.startswith("../"):
        return (
            EXTERNAL_PACKAGE,
            snake(stem(relpath)),
        )  # a mapped remote document, outside the root
    *directories, _ = relpath.split("/")
    return (*(snake(d) for d in directories), snake(stem(relpath)))


def module_paths(relpaths: Iterable[str]) -> Mapping[str, tuple[str, ...]]:
    """relpath -> module path parts, unique, with packages and modules never sharing a name.

    Collisions are settled in relpath order with a numeric suffix, so the result does not depend
    on the order the files were found in.
    """
    ordered = sorted(set(relpaths))
    wanted = {relpath: _raw_parts(relpath) for relpath in ordered}
    packages = {parts[:i] for parts in wanted.values() for i in range(1, len(parts))}
    taken: set[tuple[str, ...]] = set(packages)
    result: dict[str, tuple[str, ...]] = {}
    for relpath in ordered:
        parts = wanted[relpath]
        candidate, counter = parts, 1
        while candidate in taken or candidate[-1] == "__init__":
            counter += 1
            candidate = (*parts[:-1], f"{parts[-1]}_{counter}")
        taken.add(candidate)
        result[relpath] = candidate
    return result


def invalid_class_name(document: SchemaDocument, chosen: ClassName) -> Diagnostic:
    return document.diagnostic(
        "hygiene/invalid-class-name",
        Severity.WARNING,
        f"title {document.title!r} makes no Python class name ({chosen.problem}); "
        f"the generated class is {chosen.name}",
        "/title",
        "make the title a PascalCase name that starts with a letter",
    )
