"""Where money arrives: one door for gateway webhooks, status polls, bank reconciliation lines
and cashiers.

`PaymentRecorder.record` checks the payment against its order and, in ONE transaction, marks
the order paid, writes the ledger payment (settling its obligation) and advances the case. A
replay of the same (source, external id) is reported as a duplicate and changes nothing; a
payment that does not match its order is refused. Every call leaves a row in the append-only
`payment_events` log, refused ones included (in a transaction of their own, so the refusal is
kept even though nothing else is written).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from connectors import ledger
from connectors._common import local_today
from connectors.payments.base import CANCELLED, EXPIRED, PAID, PENDING
from workflow_engine.engine import EngineError
from workflow_engine.engine.commands import (
    Actor,
    PaymentConfirmed,
    PaymentExpired,
    PaymentFailed,
)
from workflow_engine.persistence.models import (
    Case,
    LedgerPayment,
    Obligation,
    OutboxMessage,
    PaymentEvent,
    PaymentOrder,
    table,
)
from workflow_engine.persistence.outbox import Handler, OutboxItem
from workflow_engine.persistence.service import CaseService
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)

orders_t = table(PaymentOrder)
events_t = table(PaymentEvent)
payments_t = table(LedgerPayment)
obligations_t = table(Obligation)
outbox_t = table(OutboxMessage)
cases_t = table(Case)
BATCH = 1000
APPLY_KIND = "payment.apply"

RECORDED = "recorded"
DUPLICATE = "duplicate"
REFUSED = "refused"
NOTED = "noted"
FAILURE_KINDS = ("failed", "expired", "refunded")


@dataclass(frozen=True)
class PaymentReceived:
    reference: str
    amount_cents: int
    currency: str
    source: str  # "gateway:<name>", "bank:<name>", "counter", "demo"
    external_id: str  # the source's id of this payment: idempotency is per (source, external_id)
    paid_at: datetime


@dataclass(frozen=True)
class RecordResult:
    status: str  # recorded | duplicate | refused | noted
    reason: str = ""
    case_id: int | None = None
    folio: str = ""


class _Refused(Exception):
    def __init__(self, reason: str, case_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.case_id = case_id


def clean_reference(reference: str) -> str:
    return reference.replace(" ", "").replace("-", "").upper()[:40]


class PaymentRecorder:
    """Records money against payment orders of the built-in collection system."""

    def __init__(
        self, engine: Engine, cases: CaseService, *, timezone: str = "America/Mexico_City"
    ) -> None:
        self.engine = engine
        self.cases = cases
        self.timezone = timezone

    # -- money in --------------------------------------------------------------------------
    def record(self, payment: PaymentReceived) -> RecordResult:
        reference = clean_reference(payment.reference)
        try:
            with self.engine.begin() as conn:
                result, outbox_ids = self._record_in(conn, payment, reference)
        except _Refused as refused:
            self._log(payment, reference, "succeeded", REFUSED, refused.reason)
            log.warning(
                "payment refused: %s (source %s, reference %s)",
                refused.reason,
                payment.source,
                reference,
            )
            return RecordResult(REFUSED, refused.reason, refused.case_id)
        except IntegrityError:
            # The same (source, external id) committed by a concurrent delivery first.
            self._log(payment, reference, "succeeded", DUPLICATE, "")
            return RecordResult(DUPLICATE)
        if result.status == RECORDED:
            self.cases.dispatch(outbox_ids)
        return result

    def _record_in(
        self, conn: Connection, payment: PaymentReceived, reference: str
    ) -> tuple[RecordResult, tuple[int, ...]]:
        # Few round trips: a webhook per payment must be cheap (issue 5 asks for 300/s).
        order = self._order_for_update(conn, reference)
        if order is None:
            raise _Refused("unknown_reference")
        case_id = int(order.case_id)
        if order.status == PAID:
            seen = conn.execute(
                select(payments_t.c.id).where(
                    payments_t.c.source == payment.source[:64],
                    payments_t.c.external_id == payment.external_id[:128],
                )
            ).first()
            if seen is not None:  # this very payment, delivered again
                self._event(conn, payment, reference, "succeeded", DUPLICATE, "")
                return RecordResult(DUPLICATE, case_id=case_id, folio=order.folio), ()
        reason = self._mismatch(order, payment, paid_in_batch=False)
        if reason:
            raise _Refused(reason, case_id)
        taxpayer_id = (
            int(order.taxpayer_id)
            if order.taxpayer_id is not None
            else ledger.taxpayer_for_case(conn, case_id)
        )
        conn.execute(
            insert(payments_t).values(
                taxpayer_id=taxpayer_id,
                obligation_id=order.obligation_id,
                case_id=case_id,
                reference=reference,
                amount_cents=int(payment.amount_cents),
                currency=payment.currency.upper(),
                source=payment.source[:64],
                external_id=payment.external_id[:128],
                paid_at=payment.paid_at,
                created_at=utcnow(),
            )
        )  # a concurrent twin fails here on the unique key: reported as a duplicate
        conn.execute(
            update(orders_t)
            .where(orders_t.c.id == order.id)
            .values(status=PAID, paid_at=payment.paid_at)
        )
        if order.obligation_id is not None:
            conn.execute(
                update(obligations_t)
                .where(obligations_t.c.id == order.obligation_id)
                .values(status="paid", paid_at=payment.paid_at)
            )
        command = PaymentConfirmed(
            at=utcnow(),
            actor=Actor.system(f"pago {payment.source}"),
            reference=reference,
            amount_cents=int(payment.amount_cents),
            currency=payment.currency.upper(),
            provider_id=f"{payment.source}:{payment.external_id}"[:200],
        )
        outbox_ids: tuple[int, ...] = ()
        try:
            outbox_ids = self.cases.execute_in(conn, case_id, command).outbox_ids
        except EngineError as exc:
            # The money is real and stays recorded; the case could not take it (e.g. it was
            # cancelled meanwhile). Treasury sees the reason in the payment log.
            reason = f"case_not_advanced:{exc.code}"[:64]
            log.warning("payment %s recorded but case %s not advanced: %s", reference, case_id, exc)
        self._event(conn, payment, reference, "succeeded", RECORDED, reason)
        return RecordResult(RECORDED, reason, case_id, order.folio), outbox_ids

    def _order_for_update(self, conn: Connection, reference: str) -> Any:
        """The order with its case's folio and its ledger obligation, locked on PostgreSQL."""
        query = (
            select(
                orders_t,
                cases_t.c.folio,
                obligations_t.c.id.label("obligation_id"),
                obligations_t.c.taxpayer_id,
            )
            .join(cases_t, cases_t.c.id == orders_t.c.case_id)
            .outerjoin(obligations_t, obligations_t.c.reference == orders_t.c.reference)
            .where(orders_t.c.reference == reference)
            .order_by(obligations_t.c.id)
            .limit(1)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(of=orders_t)
        return conn.execute(query).first()

    # -- money in, in bulk (bank files) ----------------------------------------------------
    def record_many(self, payments: Sequence[PaymentReceived]) -> list[RecordResult]:
        """Record many payments with the same checks as `record`, a thousand per transaction.

        Money, orders, obligations and the log are written in bulk; each case is advanced by
        a `payment.apply` outbox message written in the same transaction (durable: a worker
        or the sweep applies it, at least once, and the engine ignores a repeat). This is how
        a 100,000-line bank file is settled in seconds, not minutes."""
        results: list[RecordResult] = []
        for start in range(0, len(payments), BATCH):
            chunk = payments[start : start + BATCH]
            with self.engine.begin() as conn:
                chunk_results, outbox_ids = self._record_chunk(conn, chunk)
            results.extend(chunk_results)
            self.cases.dispatch(outbox_ids)
        return results

    def _record_chunk(
        self, conn: Connection, chunk: Sequence[PaymentReceived]
    ) -> tuple[list[RecordResult], list[int]]:
        refs = [clean_reference(p.reference) for p in chunk]
        wanted = sorted(set(refs))
        query = (
            select(orders_t, cases_t.c.folio)
            .join(cases_t, cases_t.c.id == orders_t.c.case_id)
            .where(orders_t.c.reference.in_(wanted))
        )
        if conn.dialect.name == "postgresql":
            query = query.order_by(orders_t.c.id).with_for_update(of=orders_t)
        orders = {row.reference: row for row in conn.execute(query)}
        seen = {
            (row.source, row.external_id)
            for row in conn.execute(
                select(payments_t.c.source, payments_t.c.external_id).where(
                    payments_t.c.external_id.in_(sorted({p.external_id[:128] for p in chunk}))
                )
            )
        }
        obligations = {
            row.reference: row
            for row in conn.execute(
                select(obligations_t.c.id, obligations_t.c.taxpayer_id, obligations_t.c.reference)
                .where(obligations_t.c.reference.in_(wanted))
                .order_by(obligations_t.c.id)
            )
        }
        now = utcnow()
        paid_now: set[str] = set()
        results: list[RecordResult] = []
        events: list[dict[str, Any]] = []
        money: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        for payment, reference in zip(chunk, refs, strict=True):
            key = (payment.source[:64], payment.external_id[:128])
            order = orders.get(reference)
            status, reason = RECORDED, ""
            if key in seen:
                status = DUPLICATE
            elif order is None:
                status, reason = REFUSED, "unknown_reference"
            else:
                reason = self._mismatch(order, payment, reference in paid_now)
                status = REFUSED if reason else RECORDED
            events.append(self._event_row(payment, reference, status, reason, now))
            case_id = int(order.case_id) if order is not None else None
            folio = str(order.folio) if order is not None else ""
            results.append(RecordResult(status, reason, case_id, folio))
            if status != RECORDED or order is None:
                continue
            seen.add(key)
            paid_now.add(reference)
            obligation = obligations.get(reference)
            taxpayer_id = (
                int(obligation.taxpayer_id)
                if obligation is not None
                else ledger.taxpayer_for_case(conn, int(order.case_id))
            )
            money.append(
                {
                    "taxpayer_id": taxpayer_id,
                    "obligation_id": int(obligation.id) if obligation is not None else None,
                    "case_id": int(order.case_id),
                    "reference": reference,
                    "amount_cents": int(payment.amount_cents),
                    "currency": payment.currency.upper(),
                    "source": key[0],
                    "external_id": key[1],
                    "paid_at": payment.paid_at,
                    "created_at": now,
                }
            )
            messages.append(
                {
                    "case_id": int(order.case_id),
                    "kind": APPLY_KIND,
                    "idempotency_key": f"{APPLY_KIND}:{key[0]}:{key[1]}"[:255],
                    "payload": {
                        "reference": reference,
                        "amount_cents": int(payment.amount_cents),
                        "currency": payment.currency.upper(),
                        "provider_id": f"{key[0]}:{key[1]}"[:200],
                    },
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            )
        if money:
            conn.execute(
                update(orders_t)
                .where(orders_t.c.reference == bindparam("ref"))
                .values(status=PAID, paid_at=bindparam("at")),
                [{"ref": m["reference"], "at": m["paid_at"]} for m in money],
            )
            conn.execute(insert(payments_t), money)
            settled = [m for m in money if m["obligation_id"] is not None]
            if settled:
                conn.execute(
                    update(obligations_t)
                    .where(obligations_t.c.id == bindparam("oid"))
                    .values(status="paid", paid_at=bindparam("at")),
                    [{"oid": m["obligation_id"], "at": m["paid_at"]} for m in settled],
                )
        if events:
            conn.execute(insert(events_t), events)
        outbox_ids: list[int] = []
        if messages:
            outbox_ids = list(
                conn.execute(insert(outbox_t).returning(outbox_t.c.id), messages).scalars()
            )
        return results, outbox_ids

    def _mismatch(self, order: Any, payment: PaymentReceived, paid_in_batch: bool) -> str:
        """Why this payment cannot settle this order ("" when it can)."""
        if order.status == CANCELLED:
            return "order_cancelled"
        if order.status == PAID or paid_in_batch:
            return "already_paid"
        if order.status == EXPIRED or (
            order.expires_on is not None
            and order.expires_on < local_today(self.timezone, payment.paid_at)
        ):
            return "order_expired"
        if payment.currency.upper() != order.currency:
            return "currency_mismatch"
        if int(payment.amount_cents) != int(order.amount_cents):
            return "amount_mismatch"
        return ""

    # -- what else a payment source can say ------------------------------------------------
    def record_failure(
        self, reference: str, source: str, external_id: str, kind: str, reason: str = ""
    ) -> RecordResult:
        """failed / expired: the case is told (the citizen learns what to do next);
        refunded: logged for treasury, no automatic change to the case."""
        reference = clean_reference(reference)
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown payment event kind {kind!r}")
        probe = PaymentReceived(reference, 0, "", source, external_id, utcnow())
        with self.engine.begin() as conn:
            order = self._order_for_update(conn, reference)
            if order is None:
                self._event(conn, probe, reference, kind, REFUSED, "unknown_reference")
                return RecordResult(REFUSED, "unknown_reference")
            case_id = int(order.case_id)
            if order.status != PENDING or kind == "refunded":
                self._event(conn, probe, reference, kind, NOTED, reason[:64])
                return RecordResult(NOTED, reason, case_id)
            if kind == "expired":
                conn.execute(
                    update(orders_t).where(orders_t.c.reference == reference).values(status=EXPIRED)
                )
                ledger.cancel_obligation(conn, reference)
                command: Any = PaymentExpired(
                    at=utcnow(), actor=Actor.system(source), reference=reference
                )
            else:
                command = PaymentFailed(
                    at=utcnow(), actor=Actor.system(source), reference=reference, reason=reason
                )
            outbox_ids: tuple[int, ...] = ()
            try:
                outbox_ids = self.cases.execute_in(conn, case_id, command).outbox_ids
            except EngineError as exc:
                reason = f"case_not_changed:{exc.code}"
            self._event(conn, probe, reference, kind, RECORDED, reason[:64])
        self.cases.dispatch(outbox_ids)
        return RecordResult(RECORDED, reason, case_id)

    # -- the log ---------------------------------------------------------------------------
    @staticmethod
    def _event_row(
        payment: PaymentReceived, reference: str, status: str, reason: str, at: datetime
    ) -> dict[str, Any]:
        return {
            "source": payment.source[:64],
            "external_id": payment.external_id[:128],
            "kind": "succeeded",
            "status": status,
            "reason": reason[:64],
            "reference": reference,
            "amount_cents": int(payment.amount_cents),
            "currency": payment.currency.upper()[:3],
            "created_at": at,
        }

    def _event(
        self,
        conn: Connection,
        payment: PaymentReceived,
        reference: str,
        kind: str,
        status: str,
        reason: str,
    ) -> None:
        conn.execute(
            insert(events_t).values(
                source=payment.source[:64],
                external_id=payment.external_id[:128],
                kind=kind,
                status=status,
                reason=reason[:64],
                reference=reference,
                amount_cents=int(payment.amount_cents) if payment.currency else None,
                currency=payment.currency.upper()[:3] if payment.currency else None,
                created_at=utcnow(),
            )
        )

    def _log(
        self, payment: PaymentReceived, reference: str, kind: str, status: str, reason: str
    ) -> None:
        with self.engine.begin() as conn:
            self._event(conn, payment, reference, kind, status, reason)


def make_apply_handler() -> Handler:
    """`payment.apply`: a payment recorded in bulk, told to its case (idempotent)."""

    def handle(item: OutboxItem) -> Sequence[Any]:
        payload = item.payload
        return [
            PaymentConfirmed(
                at=utcnow(),
                actor=Actor.system("conciliación bancaria"),
                reference=str(payload["reference"]),
                amount_cents=int(payload["amount_cents"]),
                currency=str(payload["currency"]),
                provider_id=str(payload.get("provider_id", "")),
            )
        ]

    return handle
