"""The one interface every collection system (sistema de recaudación) implements."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

PENDING = "pending"
PAID = "paid"
CANCELLED = "cancelled"
EXPIRED = "expired"
ORDER_STATUSES = (PENDING, PAID, CANCELLED, EXPIRED)


class PaymentOrderError(Exception):
    """The collection system refused an operation on an order (unknown, already paid...)."""


@dataclass(frozen=True)
class PaymentOrderRequest:
    """Everything needed to issue a payment order for one payment step of one case."""

    idempotency_key: str
    case_id: int
    folio: str
    step_id: str
    attempt: int
    amount_cents: int
    currency: str
    expires_days: int
    lines: Sequence[Mapping[str, Any]] = ()
    concept: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentOrderInfo:
    """A payment order as the collection system knows it."""

    reference: str
    case_id: int
    step_id: str
    attempt: int
    amount_cents: int
    currency: str
    status: str
    expires_on: date | None
    connector: str
    lines: Sequence[Mapping[str, Any]] = ()
    created_at: datetime | None = None
    paid_at: datetime | None = None


class CollectionSystem(abc.ABC):
    """Issues payment orders with a unique payment reference (línea de captura) and reports
    what became of them. Implementations must be safe to call again with the same request."""

    name: str = "abstract"

    @abc.abstractmethod
    def create_order(self, request: PaymentOrderRequest) -> PaymentOrderInfo:
        """Issue a payment order for the request and return it.

        Idempotent by `request.idempotency_key`: calling again with the same key returns the
        order created the first time (same reference, same expiry), never a second order.
        The reference is unique across the whole collection system.
        """

    @abc.abstractmethod
    def query_status(self, reference: str) -> str | None:
        """Return the order's status (`pending`, `paid`, `cancelled`, `expired`), or None
        when the collection system does not know the reference."""

    @abc.abstractmethod
    def cancel(self, reference: str) -> None:
        """Cancel a pending order so that it can no longer be paid.

        Cancelling an order that is already cancelled or expired does nothing. Raises
        `PaymentOrderError` when the reference is unknown or the order is already paid.
        """
