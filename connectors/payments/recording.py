"""Where money arrives: one door for gateway webhooks, status polls, bank reconciliation lines
and cashiers.

`PaymentRecorder.record` checks the payment against its order and, in ONE transaction, marks
the order paid, writes the ledger payment (settling its obligation) and advances the case. A
replay of the same (source, external id) is reported as a duplicate and changes nothing; a
payment that does not match its order is refused. Every call leaves a row in the append-only
`payment_events` log, refused ones included (in a transaction of their own, so the refusal is
kept even though nothing else is written).

Raw driver SQL for payments, measured: on PostgreSQL a webhook's record (`_record_pg`: four
round trips instead of ten) by bench/payments_cpu.py, and a bank file's chunk writes (`unnest`
arrays in one pipeline) by bench/payments.py `reconcile_100k` (docs/performance.md, "Payments",
"Round 2").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from connectors import ledger
from connectors.common import local_today
from connectors.ledger import totals as ledger_totals
from connectors.payments.base import CANCELLED, EXPIRED, PAID, PENDING
from workflow_engine.engine import EngineError
from workflow_engine.engine.commands import (
    Actor,
    PaymentConfirmed,
    PaymentExpired,
    PaymentFailed,
)
from workflow_engine.persistence.cases.hotpath import (
    HOLIDAYS_COLUMNS,
    HOLIDAYS_JOIN,
    LoadedCase,
    dumps,
    holidays_of,
)
from workflow_engine.persistence.cases.outbox import Handler, OutboxItem
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import (
    Case,
    LedgerPayment,
    Obligation,
    OutboxMessage,
    PaymentEvent,
    PaymentOrder,
    table,
)
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
    received_by: str = ""  # who took it, as the case's history names them (a cashier)

    def actor(self) -> Actor:
        """Who the case's history says recorded the payment."""
        return Actor.system(self.received_by or f"pago {self.source}")


@dataclass(frozen=True)
class RecordResult:
    status: str  # recorded | duplicate | refused | noted
    reason: str = ""
    case_id: int | None = None
    folio: str = ""


class _LostRaceError(Exception):
    """The case's optimistic lock refused our write: retry the whole payment."""


_ORDER_CASE_SQL = (
    "SELECT o.id, o.case_id, o.status, o.amount_cents, o.currency, o.expires_on, "
    "ob.id, ob.taxpayer_id, c.folio, c.version_id, c.state, c.lock_version, c.event_count, "
    "c.last_event_hash, c.procedure_key, c.applicant_name, c.applicant_ref, "
    "ob.concept, ob.kind, ob.period" + HOLIDAYS_COLUMNS + " "
    "FROM payment_orders o JOIN cases c ON c.id = o.case_id "
    "LEFT OUTER JOIN obligations ob ON ob.reference = o.reference" + HOLIDAYS_JOIN + " "
    "WHERE o.reference = %s ORDER BY ob.id LIMIT 1 FOR UPDATE OF o"
)
_INSERT_PAYMENT_SQL = (
    "INSERT INTO ledger_payments (taxpayer_id, obligation_id, case_id, reference, amount_cents, "
    "currency, source, external_id, paid_at, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
# The payment in the daily totals (connectors.ledger.totals.add, one row).
_DAY_TOTAL_SQL = (
    "INSERT INTO payment_day_totals (day, channel, currency, procedure_key, concept, n, cents) "
    "VALUES (%s, %s, %s, %s, %s, 1, %s) "
    "ON CONFLICT (day, channel, currency, procedure_key, concept) DO UPDATE SET "
    "n = payment_day_totals.n + 1, cents = payment_day_totals.cents + EXCLUDED.cents"
)
_ORDER_PAID_SQL = "UPDATE payment_orders SET status = 'paid', paid_at = %s WHERE id = %s"
_OBLIGATION_PAID_SQL = "UPDATE obligations SET status = 'paid', paid_at = %s WHERE id = %s"
_INSERT_EVENT_SQL = (
    "INSERT INTO payment_events (source, external_id, kind, status, reason, reference, "
    "amount_cents, currency, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


_PAYMENT_COLUMNS = (
    "taxpayer_id",
    "obligation_id",
    "case_id",
    "reference",
    "amount_cents",
    "currency",
    "source",
    "external_id",
    "paid_at",
    "created_at",
)
_EVENT_COLUMNS = (
    "source",
    "external_id",
    "kind",
    "status",
    "reason",
    "reference",
    "amount_cents",
    "currency",
    "created_at",
)
_BULK_ORDERS_PAID_SQL = (
    "UPDATE payment_orders o SET status = 'paid', paid_at = v.at "
    "FROM unnest(%s::text[], %s::timestamptz[]) AS v(ref, at) WHERE o.reference = v.ref"
)
_BULK_OBLIGATIONS_PAID_SQL = (
    "UPDATE obligations ob SET status = 'paid', paid_at = v.at "
    "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE ob.id = v.id"
)
_BULK_PAYMENTS_SQL = (
    f"INSERT INTO ledger_payments ({', '.join(_PAYMENT_COLUMNS)}) SELECT v.*, %s::timestamptz "
    "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::bigint[], "
    "%s::text[], %s::text[], %s::text[], %s::timestamptz[]) AS v"
)
_BULK_EVENTS_SQL = (
    f"INSERT INTO payment_events ({', '.join(_EVENT_COLUMNS)}) SELECT v.*, %s::timestamptz "
    "FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], "
    "%s::bigint[], %s::text[]) AS v"
)
_BULK_OUTBOX_SQL = (
    "INSERT INTO outbox (case_id, kind, idempotency_key, payload, status, attempts, "
    "next_attempt_at, created_at) SELECT v.case_id, %s, v.key, v.payload, 'pending', 0, "
    "%s::timestamptz, %s::timestamptz FROM unnest(%s::bigint[], %s::text[], %s::jsonb[]) "
    "AS v(case_id, key, payload) RETURNING id"
)


class _OrderCase(NamedTuple):
    """A payment order, its obligation and its case's row (PostgreSQL fast path)."""

    id: int
    case_id: int
    status: str
    amount_cents: int
    currency: str
    expires_on: date | None
    obligation_id: int | None
    taxpayer_id: int | None
    folio: str
    version_id: int
    state: Any
    lock_version: int
    event_count: int
    last_event_hash: str
    procedure_key: str
    applicant_name: str | None
    applicant_ref: str | None
    concept: str | None  # the obligation's, for the daily totals
    kind: str | None
    period: str | None
    h_count: int  # the holidays' fingerprint (hotpath.HOLIDAYS_COLUMNS)
    h_first: date | None
    h_last: date | None
    h_sum: Any


def _utc(value: datetime) -> datetime:
    """As the UTCDateTime column type stores it (it refuses naive datetimes too)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


class _RefusedError(Exception):
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
        fast = self.engine.dialect.name == "postgresql"
        duplicate_key: tuple[type[Exception], ...] = (IntegrityError,)
        if fast:
            # The stubs allow a dialect without its DB-API module; a connected one has it.
            duplicate_key += (self.engine.dialect.dbapi.IntegrityError,)  # type: ignore[union-attr]
        try:
            for attempt in range(3):
                try:
                    with self.engine.begin() as conn:
                        if fast:
                            result, outbox_ids = self._record_pg(conn, payment, reference)
                        else:
                            result, outbox_ids = self._record_in(conn, payment, reference)
                    break
                except _LostRaceError:
                    # The case changed between our read and our write (say, a citizen's
                    # command): nothing was written; read it again and retry.
                    if attempt == 2:
                        raise
        except _RefusedError as refused:
            self._log(payment, reference, "succeeded", REFUSED, refused.reason)
            log.warning(
                "payment refused: %s (source %s, reference %s)",
                refused.reason,
                payment.source,
                reference,
            )
            return RecordResult(REFUSED, refused.reason, refused.case_id)
        except duplicate_key:
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
            raise _RefusedError("unknown_reference")
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
            raise _RefusedError(reason, case_id)
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
        key = self._day_key(payment, order.case_procedure, order.ob_concept, order.ob_kind,
                            order.ob_period)  # fmt: skip
        ledger_totals.add(conn, {key: (1, int(payment.amount_cents))})
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
            actor=payment.actor(),
            reference=reference,
            amount_cents=int(payment.amount_cents),
            currency=payment.currency.upper(),
            provider_id=f"{payment.source}:{payment.external_id}"[:200],
        )
        outbox_ids: tuple[int, ...] = ()
        try:
            outcome = self.cases.execute_in(conn, case_id, command)
            outbox_ids = outcome.outbox_ids
            if not outcome.events:
                reason = "case_not_waiting"  # closed or past this payment: money kept, flagged
        except EngineError as exc:
            # The money is real and stays recorded; the case could not take it (e.g. it was
            # cancelled meanwhile). Treasury sees the reason in the payment log.
            reason = f"case_not_advanced:{exc.code}"[:64]
            log.warning("payment %s recorded but case %s not advanced: %s", reference, case_id, exc)
        self._event(conn, payment, reference, "succeeded", RECORDED, reason)
        return RecordResult(RECORDED, reason, case_id, order.folio), outbox_ids

    def _record_pg(
        self, conn: Connection, payment: PaymentReceived, reference: str
    ) -> tuple[RecordResult, tuple[int, ...]]:
        """`_record_in` on PostgreSQL in four round trips (BEGIN, the order with its case,
        one pipeline with every write, COMMIT) instead of ten: the order, its obligation and
        the case row come in one locking SELECT, and the ledger rows go out in the case
        service's write pipeline. Same checks, same rows, same transaction."""
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        cursor.execute(_ORDER_CASE_SQL, (reference,))
        found = cursor.fetchone()
        cursor.close()
        if found is None:
            raise _RefusedError("unknown_reference")
        order = _OrderCase(*found)
        case_id = int(order.case_id)
        if order.status == PAID:
            return self._record_in(conn, payment, reference)  # a replay, most likely: rare
        reason = self._mismatch(order, payment, paid_in_batch=False)
        if reason:
            raise _RefusedError(reason, case_id)
        taxpayer_id = (
            int(order.taxpayer_id)
            if order.taxpayer_id is not None
            else ledger.taxpayer_for_case(conn, case_id)
        )
        paid_at = _utc(payment.paid_at)
        now = utcnow()
        source, external_id = payment.source[:64], payment.external_id[:128]
        currency, amount = payment.currency.upper(), int(payment.amount_cents)
        money: list[tuple[str, Any]] = [
            (
                _INSERT_PAYMENT_SQL,
                (
                    taxpayer_id,
                    order.obligation_id,
                    case_id,
                    reference,
                    amount,
                    currency,
                    source,
                    external_id,
                    paid_at,
                    now,
                ),
            ),
            (_ORDER_PAID_SQL, (paid_at, order.id)),
            (
                _DAY_TOTAL_SQL,
                (
                    *self._day_key(
                        payment, order.procedure_key, order.concept, order.kind, order.period
                    ),
                    amount,
                ),
            ),
        ]
        if order.obligation_id is not None:
            money.append((_OBLIGATION_PAID_SQL, (paid_at, order.obligation_id)))

        def logged(reason: str) -> tuple[str, Any]:
            return (
                _INSERT_EVENT_SQL,
                (source, external_id, "succeeded", RECORDED, reason[:64], reference, amount,
                 currency[:3], now),
            )  # fmt: skip

        command = PaymentConfirmed(
            at=now,
            actor=payment.actor(),
            reference=reference,
            amount_cents=amount,
            currency=currency,
            provider_id=f"{payment.source}:{payment.external_id}"[:200],
        )
        state = order.state if isinstance(order.state, dict) else json.loads(order.state)
        waiting = _waits_for(state, reference)
        loaded = LoadedCase(
            order.folio,
            order.version_id,
            state,
            order.lock_version,
            order.event_count,
            order.last_event_hash,
            order.procedure_key,
            order.applicant_name or "",
            order.applicant_ref,
            holidays_of(order),
        )
        try:
            outcome = self.cases.execute_in(
                conn, case_id, command, loaded=loaded, also=[*money, logged(waiting)]
            )
        except EngineError as exc:
            if dbapi.info.transaction_status == TransactionStatus.INERROR:
                raise _LostRaceError() from exc  # the write failed: the transaction is void
            # Refused by the engine before any write (e.g. the case was cancelled): the money
            # is real and stays recorded; treasury sees the reason in the payment log.
            reason = f"case_not_advanced:{exc.code}"[:64]
            log.warning("payment %s recorded but case %s not advanced: %s", reference, case_id, exc)
            self.cases.run_statements(conn, [*money, logged(reason)])
            return RecordResult(RECORDED, reason, case_id, order.folio), ()
        return RecordResult(RECORDED, waiting, case_id, order.folio), outcome.outbox_ids

    def _order_for_update(self, conn: Connection, reference: str) -> Any:
        """The order with its case's folio and its ledger obligation, locked on PostgreSQL."""
        query = (
            select(
                orders_t,
                cases_t.c.folio,
                cases_t.c.procedure_key.label("case_procedure"),
                obligations_t.c.id.label("obligation_id"),
                obligations_t.c.taxpayer_id,
                obligations_t.c.concept.label("ob_concept"),
                obligations_t.c.kind.label("ob_kind"),
                obligations_t.c.period.label("ob_period"),
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
            select(
                orders_t,
                cases_t.c.folio,
                cases_t.c.procedure_key.label("case_procedure"),
                cases_t.c.applicant_id.label("applicant_id"),
                cases_t.c.applicant_name.label("applicant_name"),
            )
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
                select(
                    obligations_t.c.id,
                    obligations_t.c.taxpayer_id,
                    obligations_t.c.reference,
                    obligations_t.c.concept,
                    obligations_t.c.kind,
                    obligations_t.c.period,
                )
                .where(obligations_t.c.reference.in_(wanted))
                .order_by(obligations_t.c.id)
            )
        }
        taxpayers = self._taxpayers_for_cases(
            conn,
            [
                orders[r]
                for r in wanted
                if r in orders and r not in obligations and orders[r].status == PENDING
            ],
        )
        now = utcnow()
        paid_now: set[str] = set()
        results: list[RecordResult] = []
        events: list[dict[str, Any]] = []
        money: list[dict[str, Any]] = []
        messages: list[dict[str, Any]] = []
        day_keys: list[tuple[ledger_totals.DayKey, int]] = []
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
                else taxpayers.get(int(order.case_id))
                or ledger.taxpayer_for_case(conn, int(order.case_id))
            )
            day_keys.append(
                (
                    self._day_key(
                        payment,
                        order.case_procedure,
                        obligation.concept if obligation is not None else None,
                        obligation.kind if obligation is not None else None,
                        obligation.period if obligation is not None else None,
                    ),
                    int(payment.amount_cents),
                )
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
        if conn.dialect.name == "postgresql":
            ids = self._write_chunk_pg(conn, money, events, messages)
            ledger_totals.add(conn, ledger_totals.sums(day_keys))
            return results, ids
        ledger_totals.add(conn, ledger_totals.sums(day_keys))
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

    @staticmethod
    def _write_chunk_pg(
        conn: Connection,
        money: list[dict[str, Any]],
        events: list[dict[str, Any]],
        messages: list[dict[str, Any]],
    ) -> list[int]:
        """The chunk's rows as one statement per table with array parameters (`unnest`),
        in one pipeline: SQLAlchemy's multi-row INSERT … RETURNING of a thousand outbox rows
        alone took 40 % of a bank file's import (a 100 kB statement built, then parsed again
        by the driver, per chunk)."""
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None

        def column(rows: list[dict[str, Any]], key: str) -> list[Any]:
            return [row[key] for row in rows]

        # Columns with one value for the whole chunk (created_at, the outbox's kind and
        # status...) go as one parameter, not an array: the driver dumps arrays in Python.
        rows = money or events or messages
        now = _utc(rows[0]["created_at"]) if rows else utcnow()
        cursor = dbapi.cursor()
        outbox = dbapi.cursor()
        with dbapi.pipeline():
            if money:
                at = [_utc(m["paid_at"]) for m in money]
                cursor.execute(_BULK_ORDERS_PAID_SQL, (column(money, "reference"), at))
                cursor.execute(
                    _BULK_PAYMENTS_SQL,
                    (now, *(column(money, key) for key in _PAYMENT_COLUMNS[:8]), at),
                )
                settled = [(m["obligation_id"], t) for m, t in zip(money, at, strict=True)]
                settled = [pair for pair in settled if pair[0] is not None]
                if settled:
                    cursor.execute(
                        _BULK_OBLIGATIONS_PAID_SQL,
                        ([p[0] for p in settled], [p[1] for p in settled]),
                    )
            if events:
                cursor.execute(
                    _BULK_EVENTS_SQL,
                    (now, *(column(events, key) for key in _EVENT_COLUMNS[:8])),
                )
            if messages:
                outbox.execute(
                    _BULK_OUTBOX_SQL,
                    (
                        APPLY_KIND,
                        now,
                        now,
                        column(messages, "case_id"),
                        column(messages, "idempotency_key"),
                        [dumps(m["payload"]) for m in messages],
                    ),
                )
        ids = [int(row[0]) for row in outbox.fetchall()] if messages else []
        cursor.close()
        outbox.close()
        return sorted(ids)

    @staticmethod
    def _taxpayers_for_cases(conn: Connection, orders: Sequence[Any]) -> dict[int, int]:
        """`ledger.taxpayer_for_case` for the cases of many orders without a ledger
        obligation, asked once per applicant instead of once per line: its answer depends
        only on the case's applicant id and name (three or four statements each, the bulk of
        a bank file's time when its orders have no obligation). `orders` carry the case's
        `applicant_id` and `applicant_name` (read with them)."""
        by_applicant: dict[tuple[Any, Any], int] = {}
        out: dict[int, int] = {}
        for order in orders:
            key = (order.applicant_id, order.applicant_name)
            if key not in by_applicant:
                by_applicant[key] = ledger.taxpayer_for_case(conn, int(order.case_id))
            out[int(order.case_id)] = by_applicant[key]
        return out

    def _day_key(
        self,
        payment: PaymentReceived,
        procedure_key: str | None,
        concept: str | None,
        kind: str | None,
        period: str | None,
    ) -> ledger_totals.DayKey:
        """Where the payment counts in the daily totals (its order's case, its obligation)."""
        return ledger_totals.day_key(
            paid_at=payment.paid_at,
            source=payment.source[:64],
            currency=payment.currency,
            procedure_key=procedure_key,
            concept=concept,
            kind=kind,
            period=period,
            timezone=self.timezone,
        )

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


def _waits_for(state: dict[str, Any], reference: str) -> str:
    """ "" when the case is waiting for this payment; else why the money will not move it."""
    payment = state.get("payment") or {}
    if state.get("status") == "awaiting_payment" and payment.get("reference") == reference:
        return ""
    return "case_not_waiting"


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
