"""A payment of the procedure's fees; waived (and passed through) when nothing is due."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_engine.templates.step_types.base import TRANSITIONS, Run, StepType


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
    )
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        if run.request_payment(step):
            return None
        return cls.leave(run, step)
