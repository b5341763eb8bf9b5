"""A payment of the procedure's fees; waived (and passed through) when nothing is due."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from workflow_engine.engine import state as case_state
from workflow_engine.engine.errors import fee_error
from workflow_engine.engine.state import PaymentState
from workflow_engine.rules import RuleError, is_truthy, to_cents
from workflow_engine.templates.step_types.base import (
    APPLICANT_LAPSE,
    TRANSITIONS,
    Edge,
    Run,
    StepType,
    arm_step_deadline,
    lapse_edges,
    transition_edges,
)


class PaymentStep(StepType):
    name = "payment"
    label = {"es": "Pago", "en": "Payment"}
    description = {
        "es": "Calcula los derechos a pagar y genera la orden de pago.",
        "en": "Computes the fees due and creates the payment order.",
    }
    properties = {
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "concept": {"$ref": "#/$defs/localized"},
        "fee_lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/fee_line"}},
        "expires_days": {"type": "integer", "minimum": 1, "maximum": 365},
        "round_total": {
            "description": '"unit": round the total half-up to whole pesos/dollars, shown as '
            "a «Redondeo» line.",
            "enum": ["unit"],
        },
        "transitions": TRANSITIONS,
        **APPLICANT_LAPSE,
    }
    required = ("currency", "concept", "fee_lines", "transitions")
    defaults = {"currency": "MXN", "fee_lines": [], "transitions": []}
    events = (
        "payment.waived",
        "payment.order_requested",
        "payment.order_created",
        "payment.confirmed",
        "payment.refused",
        "payment.failed",
        "payment.expired",
        "step.deadline_set",
        "step.lapsed",
    )
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        if cls.request(run, step):
            return None
        return cls.leave(run, step)

    @classmethod
    def request(cls, run: Run, step: Mapping[str, Any]) -> bool:
        """Compute the fee lines; ask for a payment order. False when nothing is due."""
        lines, total = fee_lines(step, run.eval, run.amount_cents)
        step_id = str(step["id"])
        currency = str(step.get("currency", "MXN"))
        if total <= 0:
            run.event("payment.waived", step=step_id, lines=lines, total_cents=max(total, 0))
            return False
        attempt = run.next_attempt(step_id)
        run.f["payment"] = PaymentState(
            step_id=step_id,
            attempt=attempt,
            currency=currency,
            lines=tuple(lines),
            total_cents=total,
            status="requested",
        )
        run.f["status"] = case_state.AWAITING_PAYMENT
        run.event(
            "payment.order_requested",
            step=step_id,
            attempt=attempt,
            lines=lines,
            total_cents=total,
            currency=currency,
        )
        cls.order(run, step, run.f["payment"])
        arm_step_deadline(run, step)
        return True

    @classmethod
    def edges(cls, step: Mapping[str, Any]) -> list[Edge]:
        return transition_edges(step) + lapse_edges(step)

    @classmethod
    def order(cls, run: Run, step: Mapping[str, Any], payment: PaymentState) -> None:
        """Ask the collection system for a payment order (a new one for every attempt)."""
        run.effect(
            "payment.create_order",
            f"payment:{payment.step_id}:{payment.attempt}",
            step_id=payment.step_id,
            attempt=payment.attempt,
            total_cents=payment.total_cents,
            currency=payment.currency,
            lines=list(payment.lines),
            concept=dict(step.get("concept") or step.get("title") or {}),
            # None: the collection system's default (the administrator's setting).
            expires_days=int(step["expires_days"]) if "expires_days" in step else None,
        )


def fee_lines(
    step: Mapping[str, Any],
    evaluate: Callable[[Any], Any],
    amount_cents: Callable[[Any], int],
) -> tuple[list[dict[str, Any]], int]:
    """The fee lines of a payment step and their total in centavos (the one computation:
    the payment order and the citizen's estimate before submitting both use it)."""
    lines: list[dict[str, Any]] = []
    for line in step.get("fee_lines", ()):
        when = line.get("when")
        if when is not None and not is_truthy(evaluate(when)):
            continue
        lines.append(
            {
                "id": line["id"],
                "label": dict(line.get("label", {})),
                "amount_cents": amount_cents(line["amount"]),
            }
        )
    total = sum(int(line["amount_cents"]) for line in lines)
    if step.get("round_total") == "unit" and total % 100:
        rounded = int((Decimal(total) / 100).quantize(Decimal(1), ROUND_HALF_UP)) * 100
        lines.append(
            {
                "id": "redondeo",
                "label": {"es": "Redondeo", "en": "Rounding"},
                "amount_cents": rounded - total,
            }
        )
        total = rounded
    try:
        to_cents(Decimal(total).scaleb(-2))
    except RuleError as exc:
        raise fee_error(exc) from exc
    return lines, total
