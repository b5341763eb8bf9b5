"""Online payment: "Pagar en línea" on the case page, the return page and the gateway's
webhook. HTTP only; connectors/gateway verifies and records, PaymentRecorder moves money.

| method | route | what |
| --- | --- | --- |
| POST | `/expedientes/<folio>/pago-en-linea` | open (or reuse) a checkout, 303 to the gateway |
| GET | `/expedientes/<folio>/pago/regreso` | return URL: "confirming" until the webhook lands |
| GET | `/expedientes/<folio>/pago/estado` | the same, as JSON, for the return page's script |
| POST | `/pagos/webhook/<gateway>` | the gateway's signed webhook (no CSRF, 64 KiB at most) |
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import Row, select

from app.formatting import money
from app.guards import login_required
from app.observability.metrics import webhook_received
from app.sessions import current_account
from connectors.gateway import (
    MAX_BODY,
    Checkout,
    Gateway,
    GatewayConfig,
    GatewayRejectedError,
    GatewayUnavailableError,
    build_gateway,
    start_checkout,
)
from connectors.gateway import checkouts as gateway_checkouts
from connectors.payments.base import PAID, PENDING, PaymentOrderInfo
from connectors.payments.builtin import find_order
from workflow_engine.engine.state import CaseState
from workflow_engine.persistence.models import Case, table

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)
blueprint = Blueprint("payments", __name__)
cases_t = table(Case)
EXTENSION = "tramita_gateway"

CONFIRMING = "confirming"
PAID_STATUS = "paid"
FAILED = "failed"
EXPIRED = "expired"
NONE = "none"


# -- wiring -------------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """Wire the gateway: it comes from `settings.extra["gateway"]` (tests) or
    the GATEWAY_* environment variables. Without GATEWAY_URL no online payment is offered."""
    services: Services = app.extensions["tramita"]
    given = services.settings.extra.get("gateway")
    config = given if isinstance(given, GatewayConfig) else GatewayConfig.from_env()
    configure(app, config)
    app.extensions["csrf"].exempt(webhook)


def configure(app: Flask, config: GatewayConfig | None) -> Gateway | None:
    """(Re)wire the app's gateway; None switches online payment off."""
    services: Services = app.extensions["tramita"]
    gateway = (
        build_gateway(config, services.engine, services.cases, timezone=services.settings.timezone)
        if config is not None
        else None
    )
    app.extensions[EXTENSION] = gateway
    return gateway


def current_gateway() -> Gateway | None:
    gateway: Gateway | None = current_app.extensions.get(EXTENSION)
    return gateway


def online_payment_available() -> bool:
    """A gateway is configured and the administrator has not switched online payment off."""
    if current_gateway() is None:
        return False
    return bool(_services().settings_store.get("payments.online_enabled"))


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _own_case(folio: str) -> Row[*tuple[Any, ...]]:
    """The logged-in applicant's case row; 404 for anyone else's (no hint it exists)."""
    account = current_account()
    assert account is not None
    with _services().engine.connect() as conn:
        row = conn.execute(select(cases_t).where(cases_t.c.folio == folio)).one_or_none()
    if row is None or str(row.applicant_id) != str(account.id):
        abort(404)
    return row


def _case_url(folio: str) -> str:
    return url_for("cases.case_page", folio=folio) + "#pago"


def _absolute(path: str) -> str:
    return str(_services().settings.base_url).rstrip("/") + path


# -- the citizen ---------------------------------------------------------------------------
@blueprint.post("/expedientes/<folio>/pago-en-linea")
@login_required
def start_online_payment(folio: str) -> ResponseReturnValue:
    row = _own_case(folio)
    gateway = current_gateway()
    if gateway is None or not online_payment_available():
        abort(404)
    order = pending_order(row, gateway)
    if order is None:
        flash(_("Este trámite no tiene un pago pendiente."))
        return redirect(_case_url(folio), code=303)
    try:
        checkout = open_checkout(row, order, gateway)
    except (GatewayUnavailableError, GatewayRejectedError) as exc:
        log.warning("checkout for case %s not opened: %s", row.id, exc)
        return render_template(
            "payments/unavailable.html",
            folio=folio,
            reference=order.reference,
            amount=money(order.amount_cents, order.currency),
        ), 503
    return redirect(checkout.url, code=303)


def pending_order(row: Any, gateway: Gateway) -> PaymentOrderInfo | None:
    """The case's payment order if it is still waiting to be paid, else None."""
    payment = CaseState.from_json(row.state).payment
    if payment is None or payment.status != "pending" or not payment.reference:
        return None
    order = find_order(gateway.engine, payment.reference)
    return order if order is not None and order.status == PENDING else None


def open_checkout(row: Any, order: PaymentOrderInfo, gateway: Gateway) -> Checkout:
    """The open checkout session for the case's pending order (the same on a second call).
    Raises GatewayUnavailableError / GatewayRejectedError; the web page and the REST API
    share it."""
    with _services().engine.connect() as conn:
        title = _services().cases.definition(conn, int(row.version_id)).doc.get("title")
    name = title.get("es") if isinstance(title, dict) else str(title or row.procedure_key)
    folio = str(row.folio)
    return start_checkout(
        gateway.engine,
        gateway.client,
        order,
        description=f"{name} · {folio}",
        return_url=_absolute(url_for("payments.payment_return", folio=folio)),
        notify_url=_absolute(url_for("payments.webhook", gateway_name=gateway.config.name)),
        timezone=gateway.timezone,
    )


def online_status(row: Any, gateway: Gateway) -> str:
    """confirming | paid | failed | expired | none: what the return page says."""
    state = CaseState.from_json(row.state)
    latest = gateway_checkouts.latest_for_case(gateway.engine, gateway.config.name, int(row.id))
    if latest is None:
        return NONE
    order = find_order(gateway.engine, latest.reference)
    paid = any(str(p.get("reference")) == latest.reference for p in state.payments)
    if paid or (order is not None and order.status == PAID):
        return PAID_STATUS
    if latest.status == gateway_checkouts.FAILED:
        return FAILED
    if latest.status == gateway_checkouts.EXPIRED or (order and order.status != PENDING):
        return EXPIRED
    return CONFIRMING


@blueprint.get("/expedientes/<folio>/pago/regreso")
@login_required
def payment_return(folio: str) -> ResponseReturnValue:
    row = _own_case(folio)
    gateway = current_gateway()
    if gateway is None:
        return redirect(_case_url(folio), code=303)
    status = online_status(row, gateway)
    if status in (PAID_STATUS, NONE):
        if status == PAID_STATUS:
            flash(_("Recibimos su pago. Su trámite continúa."))
        return redirect(_case_url(folio), code=303)
    payment = CaseState.from_json(row.state).payment
    can_retry = payment is not None and payment.status == "pending" and bool(payment.reference)
    return render_template(
        "payments/return.html",
        folio=folio,
        status=status,
        can_retry=can_retry,
        status_url=url_for("payments.payment_status", folio=folio),
    )


@blueprint.get("/expedientes/<folio>/pago/estado")
@login_required
def payment_status(folio: str) -> ResponseReturnValue:
    row = _own_case(folio)
    gateway = current_gateway()
    status = online_status(row, gateway) if gateway is not None else NONE
    if gateway is not None and status == CONFIRMING:
        # The page asks every 2 s: its webhook is late, so ask the gateway ourselves
        # (at most every GATEWAY return_check_s per checkout; recorded like the webhook).
        latest = gateway_checkouts.latest_for_case(gateway.engine, gateway.config.name, row.id)
        if latest is not None and gateway.ask_if_late(latest):
            status = online_status(_own_case(folio), gateway)
    response = jsonify(status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the gateway ---------------------------------------------------------------------------
@blueprint.post("/pagos/webhook/<gateway_name>")
def webhook(gateway_name: str) -> ResponseReturnValue:
    gateway = current_gateway()
    if gateway is None or gateway_name != gateway.config.name:
        webhook_received("unknown", 404, "unknown_gateway")
        return jsonify(status="rejected", reason="unknown_gateway"), 404
    length = request.content_length
    if length is not None and length > MAX_BODY:
        log.warning("gateway %s webhook refused: too_large (%d bytes)", gateway_name, length)
        webhook_received(gateway_name, 413, "too_large")
        return jsonify(status="rejected", reason="too_large"), 413
    body = request.stream.read(MAX_BODY + 1)
    outcome = gateway.processor.handle(body, request.headers)
    webhook_received(gateway_name, outcome.http_status, outcome.reason)
    return jsonify(status=outcome.status, reason=outcome.reason), outcome.http_status
