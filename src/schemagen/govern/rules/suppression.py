"""suppression/*: suppressions are findings too when they explain nothing or hide nothing.

The engine emits these (they need every other rule's results); the rules here are their data.
"""

from __future__ import annotations

from schemagen.diagnostics import Severity
from schemagen.govern.model import Rule, Stage

MISSING_REASON = "suppression/missing-reason"
UNUSED = "suppression/unused"

RULES = (
    Rule(
        MISSING_REASON,
        Severity.ERROR,
        "A suppression gives no reason.",
        """Every suppression says why the finding does not apply, so that a reviewer can judge it
and a later reader can tell whether it still holds. The suppression still applies.

Example (fires):
    "x-schemagen-ignore": {"magic-numbers/unnamed-literal": ""}
    Model.model_json_schema()  # schemagen: ignore[schema-first/reverse-flow]
Fix:
    "x-schemagen-ignore": {"magic-numbers/unnamed-literal": "vendor limit, see ADR-7"}""",
        Stage.CORPUS,
    ),
    Rule(
        UNUSED,
        Severity.WARNING,
        "A suppression suppresses nothing.",
        """A suppression whose rule ran and found nothing where the suppression applies, or that
names no known rule, hides nothing today and would hide a real finding tomorrow. (A suppression
for a rule that did not run, being unselected or without input, is not judged.)

Example (fires): "x-schemagen-ignore": {"hygiene/missing-description": "legacy"} in a schema that
has a description.
Fix: delete the suppression.""",
        Stage.CORPUS,
    ),
)
