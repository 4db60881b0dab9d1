"""Governance: rules as data over the compiled corpus, the graph, generated output and code.

    result = run_governance(plan)                # the configured rules
    result = run_governance(plan, ["hygiene"])   # one family (or rule ids)
    result.diagnostics, result.notes

Rules register as data (`Rule`): built-in families schema-first, magic-numbers, physics-state,
hygiene and suppression, plus plugins from the `schemagen.rules` entry-point group.
"""

from __future__ import annotations

from schemagen.govern.context import CorpusFacts, RuleContext
from schemagen.govern.engine import (
    ENTRY_POINT_GROUP,
    GovernanceError,
    GovernanceResult,
    all_rules,
    clear_rule_cache,
    explain_rule,
    list_rule_docs,
    rule_docs,
    run_governance,
)
from schemagen.govern.model import Finding, Note, Rule, Stage
from schemagen.govern.naming import class_name, valid_class_name

__all__ = [
    "ENTRY_POINT_GROUP",
    "CorpusFacts",
    "Finding",
    "GovernanceError",
    "GovernanceResult",
    "Note",
    "Rule",
    "RuleContext",
    "Stage",
    "all_rules",
    "class_name",
    "clear_rule_cache",
    "explain_rule",
    "list_rule_docs",
    "rule_docs",
    "run_governance",
    "valid_class_name",
]
