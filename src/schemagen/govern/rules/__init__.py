"""The built-in governance rules, one module per family."""

from __future__ import annotations

from schemagen.govern.model import Rule
from schemagen.govern.rules import hygiene, magic_numbers, physics_state, schema_first, suppression

BUILTIN_RULES: tuple[Rule, ...] = (
    *schema_first.RULES,
    *magic_numbers.RULES,
    *physics_state.RULES,
    *hygiene.RULES,
    *suppression.RULES,
)
