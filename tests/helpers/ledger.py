"""The ledger in tests: a case awaiting payment, a payment for its order, the recorder,
an approved licence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from connectors.payments.handler import confirm_payment_command
from connectors.payments.recording import PaymentReceived, PaymentRecorder
from tests.helpers import cases
from tests.helpers.web import account
from workflow_engine.persistence.cases.walkthrough import run_walkthrough
from workflow_engine.persistence.models import (
    PaymentOrder,
    table,
)

CITIZEN = "ciudadano@demo.gob.mx"


def recorder(app: Flask) -> PaymentRecorder:
    services = app.extensions["tramita"]
    return PaymentRecorder(services.engine, services.cases)


def awaiting_payment(app: Flask, key: str = "licencia-funcionamiento") -> tuple[int, Any]:
    """A case of the citizen's, approved and waiting for payment; returns (case id, order).
    The licence's business is 60 m²: one department reviews it."""
    return cases.awaiting_payment(app, key, answers={"negocio": {"superficie_m2": 60}})


def paid(order: Any, external_id: str = "evt-1", **changes: Any) -> PaymentReceived:
    values = {
        "reference": order.reference,
        "amount_cents": int(order.amount_cents),
        "currency": order.currency,
        "source": "gateway:sandbox",
        "external_id": external_id,
        "paid_at": datetime.now(UTC),
    }
    values.update(changes)
    return PaymentReceived(**values)


def approved_licence(app: Flask) -> Any:
    """Walk the licence example to its end, paying through the recorder; the walk's result."""
    return approved(app, "licencia-funcionamiento")


def approved(app: Flask, key: str) -> Any:
    """Walk an example to its end, paying through the recorder; the walk's result."""
    services = app.extensions["tramita"]
    rec = recorder(app)

    def settle(reference: str) -> Any:
        with services.engine.connect() as conn:
            order = conn.execute(
                select(table(PaymentOrder)).where(table(PaymentOrder).c.reference == reference)
            ).one()
        assert rec.record(paid(order, external_id=f"demo-{reference}")).status == "recorded"
        return confirm_payment_command(reference, order.amount_cents, order.currency)

    result = run_walkthrough(
        services.cases, services.outbox, key, account(app, CITIZEN).actor(), settle=settle
    )
    services.outbox.run_due()
    return result
