"""Checkout sessions opened at the gateway, one row each (table `gateway_checkouts`).

Kept so that a citizen clicking "Pagar en línea" twice gets the same session, the return page
can tell "confirming" from "refused", a replayed failure notifies the citizen once, and the
lost-webhook job knows which orders to ask the gateway about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from connectors.gateway.client import GatewayClient
from connectors.gateway.config import GatewayConfig
from connectors.payments.base import PENDING, PaymentOrderInfo
from workflow_engine.persistence.models import Base, PaymentOrder, table
from workflow_engine.persistence.types import UTCDateTime, utcnow

OPEN = "open"
SUCCEEDED = "succeeded"
FAILED = "failed"
EXPIRED = "expired"
REFUNDED = "refunded"
CLOSED = "closed"  # the order was settled or cancelled some other way
STATUSES = (OPEN, SUCCEEDED, FAILED, EXPIRED, REFUNDED, CLOSED)


class GatewayCheckout(Base):
    """A hosted checkout session for one payment order (migration 0008)."""

    __tablename__ = "gateway_checkouts"
    __table_args__ = (
        UniqueConstraint("gateway", "checkout_id", name="uq_gateway_checkouts_id"),
        Index("ix_gateway_checkouts_reference", "reference", "id"),
        Index("ix_gateway_checkouts_status", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(32))
    checkout_id: Mapped[str] = mapped_column(String(128))
    reference: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


checkouts_t = table(GatewayCheckout)
orders_t = table(PaymentOrder)


@dataclass(frozen=True)
class Checkout:
    id: int
    gateway: str
    checkout_id: str
    reference: str
    case_id: int
    amount_cents: int
    currency: str
    url: str
    status: str
    created_at: datetime
    expires_at: datetime | None


def _checkout(row: Any) -> Checkout:
    return Checkout(
        id=int(row.id),
        gateway=row.gateway,
        checkout_id=row.checkout_id,
        reference=row.reference,
        case_id=int(row.case_id),
        amount_cents=int(row.amount_cents),
        currency=row.currency,
        url=row.url,
        status=row.status,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


def latest(engine: Engine, gateway: str, reference: str) -> Checkout | None:
    """The most recent checkout opened for this payment reference, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(checkouts_t)
            .where(checkouts_t.c.gateway == gateway, checkouts_t.c.reference == reference)
            .order_by(checkouts_t.c.id.desc())
            .limit(1)
        ).first()
    return _checkout(row) if row is not None else None


def latest_for_case(engine: Engine, gateway: str, case_id: int) -> Checkout | None:
    """The most recent checkout opened for any order of this case, or None."""
    with engine.connect() as conn:
        row = conn.execute(
            select(checkouts_t)
            .where(checkouts_t.c.gateway == gateway, checkouts_t.c.case_id == case_id)
            .order_by(checkouts_t.c.id.desc())
            .limit(1)
        ).first()
    return _checkout(row) if row is not None else None


def find(engine: Engine, gateway: str, checkout_id: str) -> Checkout | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(checkouts_t).where(
                checkouts_t.c.gateway == gateway, checkouts_t.c.checkout_id == checkout_id
            )
        ).first()
    return _checkout(row) if row is not None else None


def order_deadline(order: PaymentOrderInfo, timezone: str) -> datetime | None:
    """The end of the order's last payable day, in UTC: a checkout must not outlive it."""
    if order.expires_on is None:
        return None
    end = datetime.combine(order.expires_on + timedelta(days=1), time(0), ZoneInfo(timezone))
    return end.astimezone(UTC)


def start_checkout(
    engine: Engine,
    client: GatewayClient,
    order: PaymentOrderInfo,
    *,
    description: str,
    return_url: str,
    notify_url: str,
    timezone: str = "America/Mexico_City",
    now: datetime | None = None,
) -> Checkout:
    """The open checkout for this pending order, opening one at the gateway if there is
    none (or the last one failed or ran out). Raises GatewayUnavailableError / GatewayRejectedError.

    The idempotency key is the reference plus the number of checkouts opened before, so a
    double click (or a retry after a timeout) gets the same session, and a new attempt after
    a refused card gets a new one.
    """
    if order.status != PENDING:
        raise ValueError("only a pending order can be paid online")
    config: GatewayConfig = client.config
    now = now or utcnow()
    with engine.connect() as conn:
        rows = conn.execute(
            select(checkouts_t)
            .where(checkouts_t.c.gateway == config.name, checkouts_t.c.reference == order.reference)
            .order_by(checkouts_t.c.id.desc())
        ).all()
    for row in rows:
        current = _checkout(row)
        usable = current.expires_at is None or current.expires_at > now + timedelta(minutes=2)
        if (
            current.status == OPEN
            and usable
            and (current.amount_cents, current.currency) == (order.amount_cents, order.currency)
        ):
            return current
    session = client.create_checkout(
        reference=order.reference,
        amount_cents=order.amount_cents,
        currency=order.currency,
        description=description,
        return_url=return_url,
        notify_url=notify_url,
        idempotency_key=f"{order.reference}:{len(rows) + 1}",
        expires_at=order_deadline(order, timezone),
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(checkouts_t).values(
                    gateway=config.name,
                    checkout_id=session.checkout_id,
                    reference=order.reference,
                    case_id=order.case_id,
                    amount_cents=order.amount_cents,
                    currency=order.currency,
                    url=session.url,
                    status=OPEN,
                    created_at=now,
                    updated_at=now,
                    expires_at=session.expires_at,
                )
            )
    except IntegrityError:
        pass  # a concurrent click stored the same session first
    found = find(engine, config.name, session.checkout_id)
    assert found is not None
    return found


def transition(
    engine: Engine, gateway: str, checkout_id: str, from_statuses: tuple[str, ...], to: str
) -> bool:
    """Move a checkout to `to` if it is in one of `from_statuses`; True if this call did it
    (so of two deliveries of the same event, exactly one sees True)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(checkouts_t)
            .where(
                checkouts_t.c.gateway == gateway,
                checkouts_t.c.checkout_id == checkout_id,
                checkouts_t.c.status.in_(from_statuses),
            )
            .values(status=to, updated_at=utcnow())
        )
    return bool(result.rowcount)


def due_for_poll(
    engine: Engine,
    gateway: str,
    now: datetime,
    older_than: timedelta,
    limit: int = 100,
    *,
    after: tuple[datetime, int] | None = None,
) -> list[Checkout]:
    """Open checkouts older than `older_than`, not asked about within `older_than`, whose
    order is still pending, oldest first; `after` = (created_at, id) of the previous page's
    last one."""
    cutoff = now - older_than
    query = (
        select(checkouts_t)
        .join(orders_t, orders_t.c.reference == checkouts_t.c.reference)
        .where(
            checkouts_t.c.gateway == gateway,
            checkouts_t.c.status == OPEN,
            checkouts_t.c.created_at <= cutoff,
            or_(checkouts_t.c.polled_at.is_(None), checkouts_t.c.polled_at <= cutoff),
            orders_t.c.status == PENDING,
        )
        .order_by(checkouts_t.c.created_at, checkouts_t.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(checkouts_t.c.created_at, checkouts_t.c.id) > after)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [_checkout(r) for r in rows]


def effective_status(checkout: Checkout, order_status: str | None) -> str:
    """The checkout's status as `close_settled` will leave it: an open session whose order
    was paid, cancelled or expired some other way (a paid one keeps its row) is closed."""
    if checkout.status == OPEN and order_status is not None and order_status != PENDING:
        return CLOSED
    return checkout.status


def claim_poll(engine: Engine, checkout_id: int, now: datetime, every: timedelta) -> bool:
    """Note that this checkout is being asked about now, unless it was within `every`;
    True if this caller may ask (of two concurrent callers, one)."""
    with engine.begin() as conn:
        result = conn.execute(
            update(checkouts_t)
            .where(
                checkouts_t.c.id == checkout_id,
                or_(checkouts_t.c.polled_at.is_(None), checkouts_t.c.polled_at <= now - every),
            )
            .values(polled_at=now)
        )
    return bool(result.rowcount)


def close_settled(engine: Engine, gateway: str) -> int:
    """Open checkouts whose order was paid, cancelled or expired some other way: closed."""
    settled = select(orders_t.c.reference).where(orders_t.c.status != PENDING)
    with engine.begin() as conn:
        result = conn.execute(
            update(checkouts_t)
            .where(
                checkouts_t.c.gateway == gateway,
                checkouts_t.c.status == OPEN,
                checkouts_t.c.reference.in_(settled),
            )
            .values(status=CLOSED, updated_at=utcnow())
        )
    return int(result.rowcount or 0)


def mark_polled(engine: Engine, checkout_ids: list[int], now: datetime) -> None:
    if not checkout_ids:
        return
    with engine.begin() as conn:
        conn.execute(
            update(checkouts_t).where(checkouts_t.c.id.in_(checkout_ids)).values(polled_at=now)
        )
