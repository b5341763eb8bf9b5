"""The cashier's counter (caja): find an order, take cash or a card, print the receipt, and
the end-of-day report. Only translates HTTP: `connectors.payments.counter.Counter` does the
work through `PaymentRecorder`. Reached by cashiers (`app.guards.require_cashier`); anyone
else gets a 404.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.formatting import format_date, format_moment, money, reader_language
from app.guards import guard_blueprint, require_cashier
from app.treasury.reconciliation import reason_label
from connectors.common import local_today
from connectors.payments.counter import METHODS, Counter, CounterError, CounterPayment
from connectors.payments.recording import DUPLICATE, RECORDED, PaymentRecorder
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.field_types.date import typed_date

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("counter", __name__, url_prefix="/tesoreria/caja")
guard_blueprint(blueprint, require_cashier)


@blueprint.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _counter() -> Counter:
    services = _services()
    timezone = services.settings.timezone
    recorder = PaymentRecorder(services.engine, services.cases, timezone=timezone)
    return Counter(services.engine, recorder, timezone)


def method_label(method: str) -> str:
    return {"cash": _("Efectivo"), "card": _("Tarjeta")}.get(method, method)


def status_label(status: str) -> str:
    return {
        "pending": _("Pendiente de pago"),
        "paid": _("Pagada"),
        "expired": _("Vencida"),
        "cancelled": _("Cancelada"),
    }.get(status, status)


@blueprint.route("")
def counter_page() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()[:60]
    lang = reader_language()
    orders = _counter().find(q) if q else []
    return render_template(
        "treasury/counter.html",
        q=q,
        orders=[
            {
                "reference": o.reference,
                "folio": o.folio,
                "applicant": o.applicant_name,
                "amount": money(o.amount_cents, o.currency),
                "status": o.status,
                "status_label": status_label(o.status),
                "expires_on": format_date(o.expires_on, lang) if o.expires_on else "",
            }
            for o in orders
        ],
        methods=[(m, method_label(m)) for m in METHODS],
        key=secrets.token_urlsafe(16),
    )


@blueprint.route("/cobrar", methods=["POST"])
def take_payment() -> ResponseReturnValue:
    account = require_cashier()
    reference = request.form.get("referencia", "")[:60]
    method = request.form.get("metodo", "")
    key = request.form.get("clave", "")
    cashier_id = str(account.id)
    counter = _counter()
    try:
        result = counter.take(
            reference, method, cashier_id, key, cashier_name=account.name or account.email
        )
    except CounterError:
        abort(400)
    if result.status in (RECORDED, DUPLICATE):
        payment = counter.payment_for(cashier_id, key, method)
        if payment is not None:
            if result.status == RECORDED:
                flash(_("Pago registrado."))
            else:
                flash(_("Este pago ya estaba registrado; no se cobró dos veces."))
            return redirect(url_for("counter.receipt", payment_id=payment.id), 303)
    flash(_("No se registró el pago: %(reason)s.", reason=reason_label(result.reason)))
    return redirect(url_for("counter.counter_page", q=reference), 303)


def _visible(payment: CounterPayment | None) -> CounterPayment:
    """Cashiers see their own payments; administrators everybody's."""
    account = require_cashier()
    if payment is None or (account.role != "admin" and payment.cashier_id != str(account.id)):
        abort(404)
    return payment


def _payment_view(p: CounterPayment) -> dict[str, Any]:
    lang = reader_language()
    return {
        "id": p.id,
        "reference": p.reference,
        "folio": p.folio,
        "method": method_label(p.method),
        "amount": money(p.amount_cents, p.currency),
        "paid_at": format_moment(p.paid_at, lang),
    }


@blueprint.route("/recibos/<int(max=2147483647):payment_id>")
def receipt(payment_id: int) -> ResponseReturnValue:
    account = require_cashier()
    payment = _visible(_counter().payment(payment_id))
    return render_template(
        "treasury/counter_receipt.html",
        payment=_payment_view(payment),
        cashier=account.name or account.email
        if payment.cashier_id == str(account.id)
        else f"#{payment.cashier_id}",
    )


@blueprint.route("/corte")
def day_report() -> ResponseReturnValue:
    account = require_cashier()
    lang = reader_language()
    today = local_today(_services().settings.timezone, utcnow())
    raw_day = request.args.get("fecha", "")
    try:
        day = typed_date(raw_day) if raw_day.strip() else today
    except ValueError:
        abort(400)
    cashier_id = str(account.id)
    raw_cashier = request.args.get("cajero", "")
    if raw_cashier and raw_cashier != cashier_id:
        if account.role != "admin" or not raw_cashier.isdigit() or len(raw_cashier) > 10:
            abort(404)
        cashier_id = raw_cashier
    report = _counter().day_report(cashier_id, day)
    return render_template(
        "treasury/counter_report.html",
        day=format_date(day, lang),
        day_iso=day.isoformat(),
        cashier=account.name or account.email
        if cashier_id == str(account.id)
        else f"#{cashier_id}",
        cashier_id=cashier_id,
        totals=[(method_label(m), n, money(c, cur)) for m, cur, n, c in report.totals],
        grand=[money(c, cur) for cur, c in report.grand_totals],
        payments=[_payment_view(p) for p in report.payments],
    )
