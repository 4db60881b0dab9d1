"""Python types from the corpus: one pydantic v2 module per schema, via datamodel-code-generator.

`generate_python` is the stage; `PythonSettings` is its `[tool.schemagen.python]` table. The stage
is three steps, so that the pipeline can run datamodel-codegen in a worker: `plan_python` (layout,
reuse, prepared inputs), `PythonPlan.regenerate` (datamodel-codegen, imported only when some
module must be regenerated; its first run can happen elsewhere, see `codegen_job`) and
`python_files`.
"""

from __future__ import annotations

from schemagen.pygen.settings import PythonSettings
from schemagen.pygen.stage import (
    PythonPlan,
    Regenerated,
    generate_python,
    plan_python,
    python_files,
)

__all__ = [
    "PythonPlan",
    "PythonSettings",
    "Regenerated",
    "generate_python",
    "plan_python",
    "python_files",
]
