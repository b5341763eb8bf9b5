"""JSON Logic for conditions, eligibility rules and fee formulas: data, never code.

``evaluate`` runs a rule on case data with Decimal arithmetic and hard limits; ``check``,
``referenced_vars`` and ``referenced_tables`` let the template validator inspect a rule
without data. The operator list is closed (see ``OPERATORS`` and docs/template-format.md).
"""

from workflow_engine.rules.analysis import check, referenced_tables, referenced_vars
from workflow_engine.rules.errors import RuleError, RuleProblem
from workflow_engine.rules.jsonlogic import evaluate
from workflow_engine.rules.spec import MAX_DEPTH, MAX_ITEMS, MAX_NODES, MAX_STRING, OPERATORS
from workflow_engine.rules.values import MAX_AMOUNT_CENTS, is_truthy, to_cents, to_decimal

__all__ = [
    "MAX_AMOUNT_CENTS",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_NODES",
    "MAX_STRING",
    "OPERATORS",
    "RuleError",
    "RuleProblem",
    "check",
    "evaluate",
    "is_truthy",
    "referenced_tables",
    "referenced_vars",
    "to_cents",
    "to_decimal",
]
