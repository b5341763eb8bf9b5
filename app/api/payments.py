"""A case's payment over the API: its status, and a hosted checkout at the payment gateway.
Through the same door as «Pagar en línea» (app/citizen/payments.py): no rule of money is
written here."""

from __future__ import annotations

import logging
from typing import Any

from flask.typing import ResponseReturnValue
from sqlalchemy import Row, select

from app.api.cases import visible_case
from app.api.common import ApiError, require_actor, services
from app.api.files import own_case
from app.api.serializers import iso
from app.citizen import payments as web_payments
from connectors.gateway import GatewayRejectedError, GatewayUnavailableError
from connectors.gateway import checkouts as gateway_checkouts
from connectors.payments.builtin import find_order
from workflow_engine.engine import CaseState
from workflow_engine.persistence.models import Case, table

log = logging.getLogger(__name__)
cases_t = table(Case)


def _case(case_id: int) -> Row[*tuple[Any, ...]]:
    with services().engine.connect() as conn:
        return conn.execute(select(cases_t).where(cases_t.c.id == case_id)).one()


def _checkout(checkout: gateway_checkouts.Checkout | None) -> dict[str, Any] | None:
    if checkout is None:
        return None
    order = find_order(services().engine, checkout.reference)
    status = gateway_checkouts.effective_status(checkout, order.status if order else None)
    return {
        "id": checkout.checkout_id,
        "gateway": checkout.gateway,
        "reference": checkout.reference,
        "status": status,
        "url": checkout.url,
        "amount_cents": checkout.amount_cents,
        "currency": checkout.currency,
        "created_at": iso(checkout.created_at),
        "expires_at": iso(checkout.expires_at),
    }


def payment_status(row: Any) -> dict[str, Any]:
    """The case's payment: the order to pay (or the last one paid) and its online checkout."""
    state = CaseState.from_json(row.state)
    gateway = web_payments.current_gateway()
    available = web_payments.online_payment_available()
    current = state.payment
    paid = [
        {
            "reference": p.get("reference"),
            "amount_cents": p.get("total_cents"),
            "currency": p.get("currency"),
            "paid_at": p.get("paid_at"),
        }
        for p in state.payments
    ]
    body: dict[str, Any] = {
        "folio": row.folio,
        "status": "none",
        "reference": None,
        "amount_cents": None,
        "currency": None,
        "expires_on": None,
        "lines": [],
        "order_status": None,
        "paid": paid,
        "online": {
            "available": False,
            "status": web_payments.NONE,
            "checkout": None,
        },
    }
    if current is not None:
        body.update(
            status=current.status,
            reference=current.reference,
            amount_cents=current.total_cents,
            currency=current.currency,
            expires_on=current.expires_on,
            lines=[dict(line) for line in current.lines],
        )
    elif state.payments:
        last = state.payments[-1]
        body.update(
            status="paid",
            reference=last.get("reference"),
            amount_cents=last.get("total_cents"),
            currency=last.get("currency"),
            lines=list(last.get("lines") or []),
        )
    if body["reference"]:
        order = find_order(services().engine, str(body["reference"]))
        if order is not None:
            body["order_status"] = order.status
            body["expires_on"] = iso(order.expires_on) or body["expires_on"]
    if gateway is not None:
        latest = gateway_checkouts.latest_for_case(gateway.engine, gateway.config.name, row.id)
        body["online"] = {
            "available": available and web_payments.pending_order(row, gateway) is not None,
            "status": web_payments.online_status(row, gateway),
            "checkout": _checkout(latest),
        }
    return body


def get_payment(folio: str) -> ResponseReturnValue:
    """GET /cases/<folio>/payment: the applicant or the officials handling the case."""
    actor = require_actor()
    row = visible_case(folio, actor)
    return payment_status(_case(row.id)), 200, {"Cache-Control": "no-store"}


def open_payment_checkout(folio: str) -> ResponseReturnValue:
    """POST /cases/<folio>/payment/checkout: the gateway's checkout URL for the pending order."""
    actor = require_actor()
    row = _case(own_case(folio, actor).id)
    gateway = web_payments.current_gateway()
    if gateway is None or not web_payments.online_payment_available():
        raise ApiError(
            409,
            "online_payment_unavailable",
            "El pago en línea no está disponible; pague con la referencia en el banco o en "
            "la caja municipal.",
            "Online payment is not available; pay with the reference at the bank or at the "
            "municipal cashier.",
            folio=folio,
        )
    order = web_payments.pending_order(row, gateway)
    if order is None:
        raise ApiError(
            409,
            "no_pending_payment",
            "Este trámite no tiene un pago pendiente.",
            "This case has no payment pending.",
            folio=folio,
            case_status=CaseState.from_json(row.state).status,
        )
    try:
        checkout = web_payments.open_checkout(row, order, gateway)
    except (GatewayUnavailableError, GatewayRejectedError) as exc:
        log.warning("checkout for case %s not opened: %s", row.id, exc)
        raise ApiError(
            503,
            "gateway_unavailable",
            "La pasarela de pago no responde; intente más tarde o pague en el banco con la "
            "referencia.",
            "The payment gateway is not answering; try again later or pay at the bank with "
            "the reference.",
            reference=order.reference,
            amount_cents=order.amount_cents,
            currency=order.currency,
        ) from None
    body = {
        "checkout_url": checkout.url,
        "checkout": _checkout(checkout),
        "reference": order.reference,
        "amount_cents": order.amount_cents,
        "currency": order.currency,
        "expires_on": iso(order.expires_on),
    }
    return body, 200, {"Cache-Control": "no-store"}
