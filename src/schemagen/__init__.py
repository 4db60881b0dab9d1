"""schemagen: a schema-first pipeline from JSON Schemas to bundles, types, templates and checks.

The stages, each a small typed function over immutable values:

    config  = schemagen.load_config()              # [tool.schemagen] in pyproject.toml
    corpus  = schemagen.compile_corpus(config)     # load + resolve every $ref, offline
    found   = schemagen.validate_corpus(corpus)    # diagnostics with file:line:col
    graph   = schemagen.build_graph(corpus)        # the $ref dependency graph
    outcome = schemagen.generate(config)           # the whole pipeline into generated/

Heavy stages are imported on first use, so `import schemagen` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "load_config": "schemagen.config",
    "Config": "schemagen.config",
    "ConfigError": "schemagen.config",
    "compile_corpus": "schemagen.resolve",
    "Corpus": "schemagen.resolve",
    "Diagnostic": "schemagen.diagnostics",
    "Severity": "schemagen.diagnostics",
    "Location": "schemagen.diagnostics",
    "validate_corpus": "schemagen.validate",
    "assemble_corpus": "schemagen.assemble",
    "build_graph": "schemagen.graph",
    "generate": "schemagen.pipeline",
    "plan": "schemagen.pipeline",
    "run_ci": "schemagen.pipeline",
}

__all__ = [
    "Config",
    "ConfigError",
    "Corpus",
    "Diagnostic",
    "Location",
    "Severity",
    "__version__",
    "assemble_corpus",
    "build_graph",
    "compile_corpus",
    "generate",
    "load_config",
    "plan",
    "run_ci",
    "validate_corpus",
]

if TYPE_CHECKING:
    from schemagen.assemble import assemble_corpus
    from schemagen.config import Config, ConfigError, load_config
    from schemagen.diagnostics import Diagnostic, Location, Severity
    from schemagen.graph import build_graph
    from schemagen.pipeline import generate, plan, run_ci
    from schemagen.resolve import Corpus, compile_corpus
    from schemagen.validate import validate_corpus


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'schemagen' has no attribute {name!r}")
    return getattr(import_module(module), name)
