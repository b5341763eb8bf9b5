"""The fees a case would be charged, computed before it is submitted (an estimate).

The computation is the payment step's own (``step_types.payment.fee_lines``) on the answers
given so far; a payment step whose rules read something the applicant does not give (a
connector's answer not yet received) or that cannot be evaluated yet gives no estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from workflow_engine.engine.definition import ProcedureDefinition
from workflow_engine.engine.errors import EngineError
from workflow_engine.engine.state import CaseState
from workflow_engine.rules import RuleError, evaluate, referenced_vars, to_cents
from workflow_engine.templates.step_types.payment import fee_lines


@dataclass(frozen=True)
class FeeEstimate:
    """The lines and total of one payment step, in centavos of ``currency``."""

    step_id: str
    currency: str
    lines: tuple[dict[str, Any], ...]
    total_cents: int


def _computable(step: dict[str, Any] | Any, data: dict[str, Any], fields: set[str]) -> bool:
    """Whether every name the step's fee rules read is an answer, a field of the template
    (not answered: an optional or hidden one) or a constant of the template."""
    for line in step.get("fee_lines", ()):
        for expr in (line.get("when"), line.get("amount")):
            for name in referenced_vars(expr):
                root = name.split(".")[0]
                if root in data or root in fields or root in ("$const", "$case"):
                    continue
                return False
    return True


def estimate_fees(
    definition: ProcedureDefinition, state: CaseState, today: date
) -> list[FeeEstimate]:
    """The fees of every payment step of the template that can be computed from ``state``'s
    answers (the engine's own computation); empty when none can."""
    data = definition.case_rule_data(state, today.year)
    fields = {f.id for f in definition.model.fields()}

    def value(expr: Any) -> Any:
        return evaluate(expr, data, tables=definition.fee_tables, today=today)

    def cents(expr: Any) -> int:
        return to_cents(value(expr))

    out: list[FeeEstimate] = []
    for step in definition.model.steps:
        if step.type != "payment" or not _computable(step.raw, data, fields):
            continue
        try:
            lines, total = fee_lines(step.raw, value, cents)
        except (RuleError, EngineError):
            continue
        currency = str(step.raw.get("currency", "MXN"))
        out.append(FeeEstimate(step.id, currency, tuple(lines), max(total, 0)))
    return out
