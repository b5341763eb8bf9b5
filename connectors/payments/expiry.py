"""Orders of the built-in collection system that passed their expiry date unpaid: each one is
expired (its obligation cancelled) and the case asks for a new order with a new reference."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from connectors.common import local_today
from connectors.payments.base import PENDING
from connectors.payments.recording import PaymentRecorder
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import PaymentOrder, table
from workflow_engine.persistence.types import utcnow

orders_t = table(PaymentOrder)


def expire_overdue_orders(
    engine: Engine, recorder: PaymentRecorder, today: date, limit: int = 500
) -> int:
    """Expire up to `limit` pending orders whose last payable day is before `today`."""
    with engine.connect() as conn:
        references = list(
            conn.execute(
                select(orders_t.c.reference)
                .where(
                    orders_t.c.status == PENDING,
                    orders_t.c.connector == "builtin",
                    orders_t.c.expires_on < today,
                )
                .order_by(orders_t.c.id)
                .limit(limit)
            ).scalars()
        )
    done = 0
    for reference in references:
        result = recorder.record_failure(
            reference, "builtin:expiry", f"expiry:{reference}", "expired", "vencida"
        )
        done += result.status == "recorded"
    return done


def expire_orders(
    engine: Engine, cases: CaseService, *, timezone: str, today: date | None = None
) -> int:
    """Expire unpaid orders past their date (each case gets a new order): the daily job and
    `flask ledger expire-orders`. `today` defaults to the municipality's local date."""
    recorder = PaymentRecorder(engine, cases, timezone=timezone)
    return expire_overdue_orders(engine, recorder, today or local_today(timezone, utcnow()))
