"""Python types from the corpus: one pydantic v2 module per schema, via datamodel-code-generator.

`generate_python` is the pipeline's stage; `PythonSettings` is its `[tool.schemagen.python]` table.
datamodel-code-generator is imported only when some module must be regenerated.
"""

from __future__ import annotations

from schemagen.pygen.settings import PythonSettings
from schemagen.pygen.stage import generate_python

__all__ = ["PythonSettings", "generate_python"]
