"""Named constants (`governance/constants/*.yaml`) that `x-constant` refers to.

Each file is valid against `schemagen/schemas/constants.schema.json`. Problems (a file that does
not parse or validate, a name defined twice) become findings of `magic-numbers/constants-file`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from schemagen.diagnostics import Location
from schemagen.govern.model import Finding
from schemagen.load import display_path
from schemagen.sourcemap import ParseError, join_pointer, parse_document


@dataclass(frozen=True)
class Constant:
    name: str
    value: float
    unit: str | None
    description: str
    location: Location


@dataclass(frozen=True)
class ConstantTable:
    constants: Mapping[str, Constant]
    problems: tuple[Finding, ...]
    files: tuple[str, ...]


def _schema() -> Mapping[str, Any]:
    text = resources.files("schemagen").joinpath("schemas/constants.schema.json").read_text("utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def constants_paths(configured: Sequence[Path], project_root: Path) -> tuple[Path, ...]:
    """The configured constants files, else `governance/constants/*.y*ml` under the project."""
    if configured:
        return tuple(configured)
    directory = project_root / "governance" / "constants"
    if not directory.is_dir():
        return ()
    return tuple(sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".json")))


def load_constants(paths: Sequence[Path]) -> ConstantTable:
    validator = jsonschema.Draft202012Validator(_schema())
    found: dict[str, Constant] = {}
    problems: list[Finding] = []
    for path in paths:
        display = display_path(path)
        try:
            parsed = parse_document(path.read_bytes(), yaml_syntax=path.suffix != ".json")
        except OSError as error:
            problems.append(
                Finding(f"cannot read constants file: {error.strerror}", Location(display))
            )
            continue
        except ParseError as error:
            problems.append(Finding(error.message, Location(display, error.line, error.column)))
            continue

        def where(pointer: str, _map: Any = parsed.source_map, _display: str = display) -> Location:
            line, column = _map.locate(pointer)
            return Location(_display, line, column, pointer)

        errors = sorted(validator.iter_errors(parsed.value), key=lambda e: list(e.absolute_path))
        bad: set[str] = set()
        fatal = False
        for invalid in errors:
            at = list(invalid.absolute_path)
            if "propertyNames" in invalid.schema_path and isinstance(invalid.instance, str):
                name = invalid.instance
                pointer = join_pointer("/constants", name)
                message = f"constant name {name!r} is not UPPER_SNAKE_CASE"
            elif len(at) >= 2 and at[0] == "constants":
                name, pointer = str(at[1]), join_pointer("", *at)
                message = f"constant {name} is invalid: {invalid.message}"
            else:
                name, pointer, fatal = "", join_pointer("", *at), True
                message = f"constants file is invalid: {invalid.message}"
            bad.add(name)
            problems.append(
                Finding(message, where(pointer), "see src/schemagen/schemas/constants.schema.json")
            )
        if fatal:
            continue
        for name, entry in parsed.value["constants"].items():
            if name in bad:
                continue
            location = where(join_pointer("/constants", name))
            if name in found:
                problems.append(
                    Finding(
                        f"constant {name} is already defined at {found[name].location}", location
                    )
                )
                continue
            found[name] = Constant(
                name, entry["value"], entry.get("unit"), entry["description"], location
            )
    return ConstantTable(found, tuple(problems), tuple(display_path(p) for p in paths))
