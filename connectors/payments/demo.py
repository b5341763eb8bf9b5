"""Expired payment orders for the demo municipality: a few of the demo cases' unpaid orders
are given a last payable day that has passed and then expired the way the daily job does
(`expiry.expire_overdue_orders`: the obligation cancelled, the case asks for a new order), so
the treasury's revenue page shows expired orders next to the paid and pending ones.

Idempotent: once any of those cases has an expired order, nothing is done."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import Engine, select, update

from connectors.payments.base import EXPIRED, PENDING
from connectors.payments.expiry import expire_overdue_orders
from connectors.payments.recording import PaymentRecorder
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import Case, PaymentOrder, table

orders_t = table(PaymentOrder)
cases_t = table(Case)
DEMO_EXPIRED = 3


def seed_demo_expired_orders(
    engine: Engine,
    cases: CaseService,
    applicant_ids: Collection[str],
    today: date,
    *,
    timezone: str,
    count: int = DEMO_EXPIRED,
) -> int:
    """Expire up to `count` pending built-in orders of these applicants' cases (their last
    payable day becomes yesterday); how many were expired (0 when already done)."""
    of_demo = orders_t.c.case_id.in_(
        select(cases_t.c.id).where(cases_t.c.applicant_id.in_(sorted(applicant_ids)))
    )
    with engine.begin() as conn:
        if conn.execute(select(orders_t.c.id).where(of_demo, orders_t.c.status == EXPIRED)).first():
            return 0
        chosen = list(
            conn.execute(
                select(orders_t.c.id)
                .where(of_demo, orders_t.c.status == PENDING, orders_t.c.connector == "builtin")
                .order_by(orders_t.c.id)
                .limit(count)
            ).scalars()
        )
        if not chosen:
            return 0
        conn.execute(
            update(orders_t)
            .where(orders_t.c.id.in_(chosen))
            .values(expires_on=today - timedelta(days=1))
        )
    recorder = PaymentRecorder(engine, cases, timezone=timezone)
    return expire_overdue_orders(engine, recorder, today)
