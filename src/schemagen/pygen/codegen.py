"""The one place that drives datamodel-code-generator, imported only when something must be
generated.

Input: prepared documents (refs rewritten to relative file paths, no `$id`s) keyed by module path.
They are written to a private temporary directory as `<module path>.json` and generated in one
in-process run, so datamodel-codegen's directory mode lays out one module per schema and imports a
class wherever another module uses it. Remote refs are switched off; the prepared documents hold
none, so nothing is ever fetched.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ModulePath = tuple[str, ...]

REQUIRED_DEFAULT_KEY = "x-schemagen-default"
"""Where a required property's `default` travels (a default would make pydantic not require it)."""


class CodegenError(Exception):
    """datamodel-codegen rejected the input; the message is its own."""


def _write_inputs(root: Path, documents: Mapping[ModulePath, Mapping[str, Any]]) -> Path:
    (root / "pyproject.toml").write_text(
        "", encoding="utf-8"
    )  # formatter settings: ours, not a parent's
    inputs = root / "schemas"
    for parts, contents in sorted(documents.items()):
        path = inputs.joinpath(*parts[:-1], f"{parts[-1]}.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(contents, sort_keys=False, ensure_ascii=False), encoding="utf-8")
    return inputs


def _options(line_length: int, settings_path: Path) -> dict[str, Any]:
    from datamodel_code_generator import DataModelType, InputFileType, PythonVersion
    from datamodel_code_generator.format import Formatter

    return {
        "input_file_type": InputFileType.JsonSchema,
        "output_model_type": DataModelType.PydanticV2BaseModel,
        "target_python_version": PythonVersion.PY_311,
        "formatters": [Formatter.BUILTIN],
        "builtin_format_line_length": line_length,
        "wrap_string_literal": True,
        "settings_path": settings_path,
        "disable_timestamp": True,
        "allow_remote_refs": False,
        "use_schema_description": True,
        "use_exact_imports": True,
        "set_default_enum_member": True,
        "field_extra_keys": {REQUIRED_DEFAULT_KEY},
        # The pattern or the schema's own rules carry an address's shape; EmailStr would make the
        # generated package need email-validator just to import.
        "type_mappings": ["email=string", "idn-email=string", "duration=string"],
    }


def run_codegen(
    documents: Mapping[ModulePath, Mapping[str, Any]], line_length: int
) -> dict[ModulePath, str]:
    """Module path -> generated source, for every module datamodel-codegen made of `documents`."""
    from datamodel_code_generator import generate

    with tempfile.TemporaryDirectory(prefix="schemagen-pygen-") as temporary:
        root = Path(temporary)
        inputs = _write_inputs(root, documents)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                result = generate(inputs, output=None, **_options(line_length, root))
            except Exception as error:  # noqa: BLE001 - reported per schema
                raise CodegenError(f"{type(error).__name__}: {error}".strip()) from error
    if isinstance(result, str):  # a single module: datamodel-codegen returns its text alone
        (only,) = documents
        return {only: result}
    if not isinstance(result, dict):
        raise CodegenError("datamodel-codegen returned no modules")
    return {
        (*key[:-1], key[-1].removesuffix(".py")): text
        for key, text in result.items()
        if key and key[-1] != "__init__.py"
    }


CodegenOutcome = dict[ModulePath, str] | CodegenError
"""What one run gave: the modules, or why it failed (a value, so that it can cross processes)."""


def try_codegen(
    documents: Mapping[ModulePath, Mapping[str, Any]], line_length: int
) -> CodegenOutcome:
    try:
        return run_codegen(documents, line_length)
    except CodegenError as error:
        return error


def codegen_job(job: tuple[Mapping[ModulePath, Mapping[str, Any]], int]) -> CodegenOutcome:
    """`try_codegen` over one argument: the worker's job."""
    return try_codegen(*job)


def warm_up() -> None:
    """Import datamodel-codegen and build its models by generating one trivial schema, so that a
    worker forked early is ready when its real input arrives (the first run costs ~0.4 s)."""
    run_codegen({("warm_up",): {"title": "WarmUp", "type": "object"}}, 100)
