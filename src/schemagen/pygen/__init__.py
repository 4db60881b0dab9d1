"""Python types from the corpus: one pydantic v2 module per schema, via datamodel-code-generator.

`generate_python` is the stage; `PythonSettings` is its `[tool.schemagen.python]` table. The stage
is three steps, so that the pipeline can run the long one in a worker: `plan_python` (layout,
reuse, prepared inputs), `regenerate` (datamodel-codegen, imported only when some module must be
regenerated) and `python_files`.
"""

from __future__ import annotations

from schemagen.pygen.settings import PythonSettings
from schemagen.pygen.stage import (
    Codegen,
    PythonPlan,
    Regenerated,
    generate_python,
    plan_python,
    python_files,
    regenerate,
)

__all__ = [
    "Codegen",
    "PythonPlan",
    "PythonSettings",
    "Regenerated",
    "generate_python",
    "plan_python",
    "python_files",
    "regenerate",
]
