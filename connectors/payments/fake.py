"""An in-memory collection system for tests: same behaviour as the interface promises."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

from connectors.payments.base import (
    CANCELLED,
    PAID,
    PENDING,
    CollectionSystem,
    PaymentOrderError,
    PaymentOrderInfo,
    PaymentOrderRequest,
)


class InMemoryCollectionSystem(CollectionSystem):
    """Keeps orders in a dict; references are sequential (`FAKE000001`...)."""

    name = "fake"

    def __init__(self, today: date | None = None) -> None:
        self.today = today or date(2026, 1, 15)
        self.orders: dict[str, PaymentOrderInfo] = {}
        self.by_key: dict[str, str] = {}
        self._seq = itertools.count(1)

    def create_order(self, request: PaymentOrderRequest) -> PaymentOrderInfo:
        if request.idempotency_key in self.by_key:
            return self.orders[self.by_key[request.idempotency_key]]
        reference = f"FAKE{next(self._seq):06d}"
        order = PaymentOrderInfo(
            reference=reference,
            case_id=request.case_id,
            step_id=request.step_id,
            attempt=request.attempt,
            amount_cents=request.amount_cents,
            currency=request.currency,
            status=PENDING,
            expires_on=self.today + timedelta(days=request.expires_days),
            connector=self.name,
            lines=list(request.lines),
        )
        self.orders[reference] = order
        self.by_key[request.idempotency_key] = reference
        return order

    def query_status(self, reference: str) -> str | None:
        order = self.orders.get(reference)
        return order.status if order is not None else None

    def cancel(self, reference: str) -> None:
        order = self.orders.get(reference)
        if order is None:
            raise PaymentOrderError(f"unknown payment reference {reference!r}")
        if order.status == PAID:
            raise PaymentOrderError(f"order {reference!r} is already paid")
        if order.status == PENDING:
            self.orders[reference] = replace(order, status=CANCELLED)

    def pay(self, reference: str) -> None:
        """Test helper: the citizen paid."""
        self.orders[reference] = replace(self.orders[reference], status=PAID)
