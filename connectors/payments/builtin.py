"""The built-in collection system: payment orders kept in our own `payment_orders` table."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError
from stdnum.iso7064 import mod_97_10

from connectors.common import local_today
from connectors.payments.base import (
    CANCELLED,
    EXPIRED,
    PAID,
    PENDING,
    CollectionSystem,
    PaymentOrderError,
    PaymentOrderInfo,
    PaymentOrderRequest,
)
from workflow_engine.persistence.models import Case, PaymentOrder, table
from workflow_engine.persistence.types import utcnow

if TYPE_CHECKING:
    from connectors.settings import ConnectorSettings

orders_t = table(PaymentOrder)
cases_t = table(Case)

_DERIVED_DIGITS = 4
_RANDOM_DIGITS = 6
_MAX_TRIES = 8


def new_reference(prefix: str, seed: str) -> str:
    """A payment reference: prefix + 4 digits derived from the seed + 6 random digits +
    2 ISO 7064 mod 97-10 check digits, e.g. CHO4821039157 + 62.

    The derived digits let a cashier tell orders of different cases apart at a glance;
    the random ones make references unguessable; the check digits catch typing mistakes.
    """
    derived = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    body = (
        f"{prefix.upper()}"
        f"{derived % 10**_DERIVED_DIGITS:0{_DERIVED_DIGITS}d}"
        f"{secrets.randbelow(10**_RANDOM_DIGITS):0{_RANDOM_DIGITS}d}"
    )
    return body + mod_97_10.calc_check_digits(body)


def is_valid_reference(reference: str) -> bool:
    """True when the reference's check digits match (spaces and dashes ignored)."""
    cleaned = reference.replace(" ", "").replace("-", "").upper()
    if len(cleaned) < 3 or not cleaned.isalnum():
        return False
    return bool(mod_97_10.is_valid(cleaned))


def order_info(row: Any) -> PaymentOrderInfo:
    """A `payment_orders` row as the collection-system interface returns it."""
    return PaymentOrderInfo(
        reference=row.reference,
        case_id=int(row.case_id),
        step_id=row.step_id,
        attempt=int(row.attempt),
        amount_cents=int(row.amount_cents),
        currency=row.currency,
        status=row.status,
        expires_on=row.expires_on,
        connector=row.connector,
        lines=list(row.lines or ()),
        created_at=row.created_at,
        paid_at=row.paid_at,
    )


class BuiltinCollectionSystem(CollectionSystem):
    """Payment orders in the municipality's own database; confirmed by the cashier, a bank
    file or a payment-gateway webhook through `mark_paid`."""

    name = "builtin"

    def __init__(
        self,
        engine: Engine,
        *,
        prefix: str = "CHO",
        timezone: str = "America/Mexico_City",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.prefix = prefix
        self.timezone = timezone
        self.clock = clock

    @classmethod
    def from_settings(cls, engine: Engine, settings: ConnectorSettings) -> BuiltinCollectionSystem:
        return cls(engine, prefix=settings.municipality_code, timezone=settings.timezone)

    def create_order(self, request: PaymentOrderRequest) -> PaymentOrderInfo:
        existing = self.find_by_key(request.idempotency_key)
        if existing is not None:
            return existing
        now = self.clock()
        expires_on = local_today(self.timezone, now) + timedelta(days=request.expires_days)
        seed = f"{request.case_id}:{request.step_id}:{request.attempt}"
        for _ in range(_MAX_TRIES):
            reference = new_reference(self.prefix, seed)
            try:
                with self.engine.begin() as conn:
                    insert_order(conn, request, reference, self.name, PENDING, expires_on, now)
                    _charge_in_ledger(conn, request, reference, expires_on)
            except IntegrityError:
                # Either another worker created this order first (same key), or the random
                # part collided with another order's reference: look, then try again.
                existing = self.find_by_key(request.idempotency_key)
                if existing is not None:
                    return existing
                continue
            found = self.find(reference)
            assert found is not None
            return found
        raise PaymentOrderError("could not allocate a unique payment reference")

    def query_status(self, reference: str) -> str | None:
        order = self.find(reference)
        if order is None:
            return None
        if (
            order.status == PENDING
            and order.expires_on is not None
            and order.expires_on < local_today(self.timezone, self.clock())
        ):
            return EXPIRED
        return order.status

    def cancel(self, reference: str) -> None:
        with self.engine.begin() as conn:
            status = conn.execute(
                select(orders_t.c.status).where(orders_t.c.reference == reference)
            ).scalar_one_or_none()
            if status is None:
                raise PaymentOrderError(f"unknown payment reference {reference!r}")
            if status == PAID:
                raise PaymentOrderError(f"order {reference!r} is already paid")
            if status == PENDING:
                conn.execute(
                    update(orders_t)
                    .where(orders_t.c.reference == reference)
                    .values(status=CANCELLED)
                )

    # -- beyond the interface ----------------------------------------------------------
    def mark_paid(self, reference: str, at: datetime | None = None) -> PaymentOrderInfo:
        """Record that the order was paid (harmless when repeated). Raises PaymentOrderError
        when the reference is unknown or the order was cancelled."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(orders_t.c.status).where(orders_t.c.reference == reference)
            ).one_or_none()
            if row is None:
                raise PaymentOrderError(f"unknown payment reference {reference!r}")
            if row.status == CANCELLED:
                raise PaymentOrderError(f"order {reference!r} was cancelled")
            if row.status != PAID:
                conn.execute(
                    update(orders_t)
                    .where(orders_t.c.reference == reference)
                    .values(status=PAID, paid_at=at or self.clock())
                )
        found = self.find(reference)
        assert found is not None
        return found

    def find(self, reference: str) -> PaymentOrderInfo | None:
        """The order with this reference, or None."""
        return find_order(self.engine, reference)

    def find_by_key(self, idempotency_key: str) -> PaymentOrderInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(orders_t).where(orders_t.c.idempotency_key == idempotency_key)
            ).one_or_none()
        return order_info(row) if row is not None else None


def insert_order(
    conn: Connection,
    request: PaymentOrderRequest,
    reference: str,
    connector: str,
    status: str,
    expires_on: date | None,
    at: datetime,
) -> None:
    """The `payment_orders` row of a request: the built-in system's own order, or the mirror
    of an order another collection system issued (so bank files and webhooks find it)."""
    conn.execute(
        insert(orders_t).values(
            case_id=request.case_id,
            # the case's procedure, copied for the revenue dashboard (no join to the cases)
            procedure_key=select(cases_t.c.procedure_key)
            .where(cases_t.c.id == request.case_id)
            .scalar_subquery(),
            step_id=request.step_id,
            attempt=request.attempt,
            idempotency_key=request.idempotency_key,
            reference=reference,
            connector=connector,
            amount_cents=request.amount_cents,
            currency=request.currency,
            lines=[dict(line) for line in request.lines],
            status=status,
            expires_on=expires_on,
            created_at=at,
        )
    )


def _charge_in_ledger(
    conn: Connection, request: PaymentOrderRequest, reference: str, due_on: date
) -> None:
    """The order is also an obligation of the applicant in the built-in ledger, written in
    the same transaction; an earlier attempt's order for the same step stops being owed."""
    from connectors import ledger

    earlier = conn.execute(
        select(orders_t.c.reference).where(
            orders_t.c.case_id == request.case_id,
            orders_t.c.step_id == request.step_id,
            orders_t.c.attempt < request.attempt,
            orders_t.c.status == PENDING,
        )
    ).scalars()
    for old in list(earlier):
        conn.execute(update(orders_t).where(orders_t.c.reference == old).values(status=EXPIRED))
        ledger.cancel_obligation(conn, old)
    concept = request.concept.get("es") or "Derechos"
    ledger.charge(
        conn,
        idempotency_key=f"order:{request.idempotency_key}"[:255],
        taxpayer_id=ledger.taxpayer_for_case(conn, request.case_id),
        concept=f"{concept} · {request.folio}" if request.folio else concept,
        amount_cents=request.amount_cents,
        currency=request.currency,
        due_on=due_on,
        case_id=request.case_id,
        reference=reference,
    )


def find_order(engine: Engine, reference: str) -> PaymentOrderInfo | None:
    """The payment order with this reference (spaces, dashes and case ignored), or None."""
    cleaned = reference.replace(" ", "").replace("-", "").upper()
    with engine.connect() as conn:
        row = conn.execute(select(orders_t).where(orders_t.c.reference == cleaned)).one_or_none()
    return order_info(row) if row is not None else None
