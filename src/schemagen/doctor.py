"""`schemagen setup`: can this machine and project run the pipeline? Each check says what is wrong.

`run_checks(config)` returns one `Check` per question. A failed required check makes `setup` exit 1;
an optional one (Graphviz, a config file) is a warning.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from schemagen.config import Config
from schemagen.diagnostics import Severity

MINIMUM_PYTHON = (3, 11)

REQUIRED_PACKAGES = (
    ("jsonschema", "jsonschema"),
    ("referencing", "referencing"),
    ("jsonschema_specifications", "jsonschema-specifications"),
    ("networkx", "networkx"),
    ("jinja2", "jinja2"),
    ("yaml", "pyyaml"),
    ("click", "click"),
    ("datamodel_code_generator", "datamodel-code-generator"),
    ("pydantic", "pydantic"),
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    required: bool
    detail: str


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3])) -> Check:
    text = ".".join(map(str, version))
    wanted = ".".join(map(str, MINIMUM_PYTHON))
    ok = version[:2] >= MINIMUM_PYTHON
    return Check(
        "python",
        ok,
        True,
        f"Python {text}" + ("" if ok else f"; schemagen needs {wanted} or newer"),
    )


def check_packages(packages: tuple[tuple[str, str], ...] = REQUIRED_PACKAGES) -> Check:
    missing = [dist for module, dist in packages if importlib.util.find_spec(module) is None]
    if missing:
        return Check(
            "packages",
            False,
            True,
            f"missing: {', '.join(missing)}; install with `pip install -r requirements.txt`",
        )
    return Check("packages", True, True, f"{len(packages)} required packages importable")


def check_graphviz() -> Check:
    dot = shutil.which("dot")
    if dot is None:
        return Check(
            "graphviz",
            False,
            False,
            "`dot` not found; only `schemagen graph --format svg` needs it (apt install graphviz)",
        )
    try:
        run = subprocess.run([dot, "-V"], capture_output=True, text=True, timeout=10, check=False)
        version = (run.stderr or run.stdout).strip() or dot
    except (OSError, subprocess.SubprocessError) as error:
        return Check("graphviz", False, False, f"{dot} does not run: {error}")
    return Check("graphviz", True, False, version)


def check_config(config: Config) -> Check:
    if config.config_file is None:
        return Check(
            "config",
            False,
            False,
            "no [tool.schemagen] in a pyproject.toml here or above; using defaults",
        )
    return Check("config", True, False, f"{config.display(config.config_file)}")


def check_schemas(config: Config) -> Check:
    where = config.display(config.schemas)
    if not config.schemas.is_dir():
        return Check("schemas", False, True, f"{where}/ does not exist")
    from schemagen.resolve import compile_corpus

    try:
        corpus = compile_corpus(config)
    except Exception as error:  # noqa: BLE001 - setup reports, it does not crash
        return Check(
            "schemas", False, True, f"{where}/ does not load: {type(error).__name__}: {error}"
        )
    errors = [d for d in corpus.diagnostics if d.severity is Severity.ERROR]
    count = len(corpus.documents)
    if errors:
        return Check(
            "schemas",
            False,
            True,
            f"{where}/: {count} schemas, {len(errors)} errors (first: {errors[0]}); "
            "run `schemagen validate`",
        )
    if not count:
        return Check("schemas", False, True, f"{where}/ holds no schema files")
    return Check("schemas", True, True, f"{where}/: {count} schemas load and resolve")


def check_output(config: Config) -> Check:
    out = config.out
    where = config.display(out)
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Check(
            "output", False, True, f"{where}/: {config.display(existing)} is not a directory"
        )
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        return Check("output", False, True, f"{where}/ is not writable: {error.strerror}")
    state = "exists" if out.exists() else f"will be created under {config.display(existing)}"
    return Check("output", True, True, f"{where}/ {state}, writable")


def run_checks(config: Config) -> list[Check]:
    """Every setup check, in the order a person would fix them."""
    return [
        check_python(),
        check_packages(),
        check_graphviz(),
        check_config(config),
        check_schemas(config),
        check_output(config),
    ]
