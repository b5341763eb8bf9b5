"""The cashier's counter (caja): find a payment order by reference or folio, take cash or a
card for it, and the cashier's end-of-day report.

Money goes through the one door (`PaymentRecorder.record`), so a counter payment settles the
order, the ledger and the case exactly like a webhook or a bank line, and the case's history
gets its payment event. Who took it and how are kept in the payment's own columns: the source
is `counter:<method>` and the external id `<cashier id>:<idempotency key>`, the key coming
from the counter's form, so a double submit is a duplicate and records nothing twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, or_, select

from connectors.payments.recording import (
    PaymentReceived,
    PaymentRecorder,
    RecordResult,
    clean_reference,
)
from workflow_engine.folio import normalize_folio
from workflow_engine.persistence.models import Case, LedgerPayment, PaymentOrder, table
from workflow_engine.persistence.types import utcnow

orders_t = table(PaymentOrder)
payments_t = table(LedgerPayment)
cases_t = table(Case)

METHODS = ("cash", "card")
SOURCE_PREFIX = "counter:"
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_FOUND = 20


class CounterError(ValueError):
    """A payment the counter cannot take as asked (unknown method, malformed key, no order)."""


@dataclass(frozen=True)
class CounterOrder:
    reference: str
    folio: str
    procedure_key: str
    applicant_name: str
    amount_cents: int
    currency: str
    status: str
    expires_on: date | None


@dataclass(frozen=True)
class CounterPayment:
    id: int
    reference: str
    folio: str
    method: str
    cashier_id: str
    amount_cents: int
    currency: str
    paid_at: datetime


@dataclass
class DayReport:
    day: date
    cashier_id: str
    payments: list[CounterPayment] = field(default_factory=list)

    @property
    def totals(self) -> list[tuple[str, str, int, int]]:
        """(method, currency, count, cents) for every method and currency taken that day."""
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for p in self.payments:
            entry = sums[(p.method, p.currency)]
            entry[0] += 1
            entry[1] += p.amount_cents
        return [(m, c, n, cents) for (m, c), (n, cents) in sorted(sums.items())]

    @property
    def grand_totals(self) -> list[tuple[str, int]]:
        """(currency, cents) over all methods."""
        sums: dict[str, int] = defaultdict(int)
        for p in self.payments:
            sums[p.currency] += p.amount_cents
        return sorted(sums.items())


def method_of(source: str) -> str:
    return source[len(SOURCE_PREFIX) :] if source.startswith(SOURCE_PREFIX) else ""


class Counter:
    """The counter's reads and its one write (through `PaymentRecorder`)."""

    def __init__(self, engine: Engine, recorder: PaymentRecorder, timezone: str) -> None:
        self.engine = engine
        self.recorder = recorder
        self.timezone = timezone

    def find(self, text: str) -> list[CounterOrder]:
        """The payment orders whose reference is `text` or whose case's folio is `text`,
        newest first (a folio may have had several orders: expired, cancelled, paid)."""
        text = (text or "").strip()[:60]
        if not text:
            return []
        reference = clean_reference(text)
        folio = normalize_folio(text)
        query = (
            select(
                orders_t.c.reference,
                cases_t.c.folio,
                cases_t.c.procedure_key,
                cases_t.c.applicant_name,
                orders_t.c.amount_cents,
                orders_t.c.currency,
                orders_t.c.status,
                orders_t.c.expires_on,
            )
            .join(cases_t, cases_t.c.id == orders_t.c.case_id)
            .where(or_(orders_t.c.reference == reference, cases_t.c.folio == folio))
            .order_by(orders_t.c.id.desc())
            .limit(MAX_FOUND)
        )
        with self.engine.connect() as conn:
            return [CounterOrder(*row) for row in conn.execute(query)]

    def order(self, reference: str) -> CounterOrder | None:
        found = [o for o in self.find(reference) if o.reference == clean_reference(reference)]
        return found[0] if found else None

    def take(
        self, reference: str, method: str, cashier_id: str, key: str, cashier_name: str = ""
    ) -> RecordResult:
        """Record the order's amount as paid at the counter by `method` (cash or card).

        The same `key` from the same cashier is the same payment: a second call is reported
        as a duplicate and records nothing."""
        if method not in METHODS:
            raise CounterError(f"unknown method: {method!r}")
        if not _KEY.match(key or ""):
            raise CounterError("malformed idempotency key")
        order = self.order(reference)
        if order is None:
            raise CounterError("unknown reference")
        return self.recorder.record(
            PaymentReceived(
                reference=order.reference,
                amount_cents=order.amount_cents,
                currency=order.currency,
                source=SOURCE_PREFIX + method,
                external_id=f"{cashier_id}:{key}",
                paid_at=utcnow(),
                received_by=f"caja · {cashier_name}"[:200] if cashier_name else "caja",
            )
        )

    def payment_for(self, cashier_id: str, key: str, method: str) -> CounterPayment | None:
        """The payment recorded by this cashier's form submission, if any."""
        return self._one(
            (payments_t.c.source == SOURCE_PREFIX + method)
            & (payments_t.c.external_id == f"{cashier_id}:{key}"[:128])
        )

    def payment(self, payment_id: int) -> CounterPayment | None:
        """A counter payment by its ledger id (None for payments that came another way)."""
        return self._one(
            (payments_t.c.id == payment_id) & payments_t.c.source.like(SOURCE_PREFIX + "%")
        )

    def day_report(self, cashier_id: str, day: date) -> DayReport:
        """Everything `cashier_id` took at the counter on `day` (the municipality's local day)."""
        zone = ZoneInfo(self.timezone)
        start = datetime.combine(day, time.min, zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
        rows = self._rows(
            payments_t.c.source.in_([SOURCE_PREFIX + m for m in METHODS])
            & payments_t.c.external_id.like(f"{cashier_id}:%")
            & (payments_t.c.paid_at >= start)
            & (payments_t.c.paid_at < end)
        )
        return DayReport(day, cashier_id, rows)

    def _one(self, where: Any) -> CounterPayment | None:
        rows = self._rows(where)
        return rows[0] if rows else None

    def _rows(self, where: Any) -> list[CounterPayment]:
        query = (
            select(
                payments_t.c.id,
                payments_t.c.reference,
                cases_t.c.folio,
                payments_t.c.source,
                payments_t.c.external_id,
                payments_t.c.amount_cents,
                payments_t.c.currency,
                payments_t.c.paid_at,
            )
            .outerjoin(cases_t, cases_t.c.id == payments_t.c.case_id)
            .where(where)
            .order_by(payments_t.c.paid_at, payments_t.c.id)
        )
        with self.engine.connect() as conn:
            return [
                CounterPayment(
                    id=int(r.id),
                    reference=r.reference,
                    folio=r.folio or "",
                    method=method_of(r.source),
                    cashier_id=str(r.external_id).split(":", 1)[0],
                    amount_cents=int(r.amount_cents),
                    currency=r.currency,
                    paid_at=r.paid_at,
                )
                for r in conn.execute(query)
            ]
