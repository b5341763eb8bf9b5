"""The `payment.create_order` effect: ask the collection system for an order, tell the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from connectors.common import case_id_of, load_case
from connectors.payments.base import CollectionSystem, PaymentOrderInfo, PaymentOrderRequest
from connectors.payments.builtin import BuiltinCollectionSystem
from workflow_engine.engine.commands import (
    Actor,
    Command,
    PaymentConfirmed,
    PaymentOrderCreated,
)
from workflow_engine.persistence.cases.outbox import Handler, OutboxItem, PermanentError
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)


def request_from_item(item: OutboxItem, default_expiry_days: int = 5) -> PaymentOrderRequest:
    """Read a `payment.create_order` payload (as the engine writes it) into a request."""
    payload = item.payload
    try:
        amount_cents = int(payload["total_cents"])
        step_id = str(payload["step_id"])
        attempt = int(payload["attempt"])
        currency = str(payload.get("currency") or "MXN")
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentError(f"malformed payment.create_order payload: {exc!r}") from None
    if amount_cents <= 0:
        raise PermanentError("a payment order needs a positive amount")
    expires_days = payload.get("expires_days")
    return PaymentOrderRequest(
        idempotency_key=item.key,
        case_id=case_id_of(item),
        folio=str(payload.get("folio", "")),
        step_id=step_id,
        attempt=attempt,
        amount_cents=amount_cents,
        currency=currency,
        expires_days=int(expires_days) if expires_days is not None else default_expiry_days,
        lines=[dict(line) for line in payload.get("lines") or ()],
        concept=dict(payload.get("concept") or {}),
    )


def _awaits_order(engine: Engine, request: PaymentOrderRequest) -> bool:
    """True while the case still waits for this payment step and attempt."""
    with engine.connect() as conn:
        state = load_case(conn, request.case_id).state
    payment = state.get("payment") or {}
    return (
        state.get("status") != "closed"
        and payment.get("step_id") == request.step_id
        and payment.get("attempt") == request.attempt
        and payment.get("status") in ("requested", "pending")
    )


def make_payment_handler(
    system: CollectionSystem,
    default_expiry_days: int | Callable[[], int] = 5,
    *,
    engine: Engine | None = None,
) -> Handler:
    """The handler; given the database `engine`, it first checks that the case still waits
    for this order, so a cancelled case gets no order that could be paid."""

    def handle(item: OutboxItem) -> Sequence[Command]:
        days = default_expiry_days() if callable(default_expiry_days) else default_expiry_days
        request = request_from_item(item, days)
        if engine is not None and not _awaits_order(engine, request):
            log.info("case %s no longer awaits payment order %s", request.case_id, item.key)
            return []
        order = system.create_order(request)
        return [
            PaymentOrderCreated(
                at=utcnow(),
                actor=Actor.system(),
                step_id=request.step_id,
                attempt=request.attempt,
                reference=order.reference,
                expires_on=order.expires_on.isoformat() if order.expires_on else None,
            )
        ]

    return handle


def confirm_payment_command(
    reference: str, amount_cents: int, currency: str, provider_id: str = ""
) -> PaymentConfirmed:
    """The engine command that records a payment (from a cashier, bank file or webhook)."""
    return PaymentConfirmed(
        at=utcnow(),
        actor=Actor.system(),
        reference=reference,
        amount_cents=int(amount_cents),
        currency=currency,
        provider_id=provider_id,
    )


def settle_payment(
    engine: Engine,
    reference: str,
    provider_id: str = "",
    *,
    source: str | None = None,
    timezone: str = "America/Mexico_City",
) -> tuple[int, PaymentConfirmed]:
    """Record a built-in order as paid in full and return (case id, the engine command).

    For a cashier, a bank file or the demo walkthrough: the caller runs the command on the
    case with `CaseService.execute`. Raises PaymentOrderError for an unknown or cancelled
    reference; settling twice is harmless (the engine ignores a repeated confirmation).
    With `source`, the money is also written to the built-in ledger as a payment through it
    (and its obligation settled), as the demo seed does.
    """
    system = BuiltinCollectionSystem(engine)
    order = system.mark_paid(reference.replace(" ", "").replace("-", "").upper())
    if source is not None:
        _record_in_ledger(engine, order, source, provider_id or order.reference, timezone)
    command = confirm_payment_command(
        order.reference, order.amount_cents, order.currency, provider_id
    )
    return order.case_id, command


def _record_in_ledger(
    engine: Engine, order: PaymentOrderInfo, source: str, external_id: str, timezone: str
) -> None:
    """The money of a settled order in the built-in ledger, as a payment through `source`
    (`gateway:…`, `bank:…`, `counter:…`): the demo's payments then reach the account
    statements and the treasury's figures. Harmless when repeated."""
    from connectors import ledger
    from connectors.ledger.book import obligation_for_reference

    with engine.begin() as conn:
        owed = obligation_for_reference(conn, order.reference)
        ledger.add_payment(
            conn,
            reference=order.reference,
            amount_cents=order.amount_cents,
            currency=order.currency,
            source=source,
            external_id=external_id,
            paid_at=order.paid_at or utcnow(),
            taxpayer_id=int(owed.taxpayer_id)
            if owed is not None
            else ledger.taxpayer_for_case(conn, order.case_id),
            obligation_id=int(owed.id) if owed is not None else None,
            case_id=order.case_id,
            timezone=timezone,
        )
