"""The ledger in tests: a case awaiting payment, a payment for its order, the recorder,
an approved licence."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import Engine, insert, select, update

from connectors import ledger
from connectors.ledger.book import objects_t, obligations_t, taxpayers_t
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


# The omisos of the ageing tests: (taxpayer, [(due date, centavos, status)]) per business;
# on OMISOS_TODAY, O1 and O2 are 1 and 30 days overdue, O3's oldest debt 31, O4's 365, O5's
# 366; O6 owes only what falls due today (and a paid debt).
OMISOS_TODAY = date(2026, 3, 10)
OMISOS = {
    "O1": ("Beatriz", [(date(2026, 3, 9), 60000, "open")]),
    "O2": ("Adela", [(date(2026, 2, 8), 20000, "open")]),
    "O3": ("Carmen", [(date(2026, 2, 7), 30000, "open"), (date(2026, 3, 1), 5000, "open")]),
    "O4": ("Elena", [(date(2025, 3, 10), 40000, "open")]),
    "O5": ("Dora", [(date(2025, 3, 9), 50000, "open")]),
    "O6": ("Fina", [(date(2026, 3, 10), 70000, "open"), (date(2024, 1, 1), 1000, "paid")]),
}


def seed_omisos(engine: Engine) -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for key, (name, debts) in OMISOS.items():
            owner = conn.execute(
                insert(taxpayers_t)
                .values(kind="fisica", name=name, created_at=at)
                .returning(taxpayers_t.c.id)
            ).scalar_one()
            object_id = ledger.register_object(
                conn, taxpayer_id=owner, kind="business", key=key, description=f"Local {key}"
            )
            conn.execute(
                update(objects_t).where(objects_t.c.id == object_id).values(registered_at=at)
            )
            for n, (due, cents, status) in enumerate(debts):
                owed = ledger.charge(
                    conn,
                    idempotency_key=f"{key}-{n}",
                    taxpayer_id=owner,
                    concept="Cargo",
                    amount_cents=cents,
                    currency="MXN",
                    due_on=due,
                    object_id=object_id,
                )
                conn.execute(
                    update(obligations_t).where(obligations_t.c.id == owed).values(status=status)
                )
