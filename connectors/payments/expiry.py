"""Orders of the built-in collection system that passed their expiry date unpaid: each one is
expired (its obligation cancelled) and the case asks for a new order with a new reference."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from connectors.payments.base import PENDING
from connectors.payments.recording import PaymentRecorder
from workflow_engine.persistence.models import PaymentOrder, table

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
