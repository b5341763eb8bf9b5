"""Treasury pages: import a bank's payments file (conciliación bancaria).

Only translates HTTP: the file is read and every payment recorded by
`connectors.payments.reconciliation.reconcile_file`. Reached by administrators and by
officials of the treasury department with the `cajero` tag (`app.guards.require_cashier`);
anyone else gets a 404 (nobody learns the page exists), anonymous visitors are sent to log
in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.formatting import money, reader_language
from app.guards import guard_blueprint, require_cashier
from app.treasury import forms
from connectors.payments.bankfile import BankFileError
from connectors.payments.reconciliation import reconcile_file

blueprint = Blueprint("treasury", __name__, url_prefix="/tesoreria")
SHOWN_PER_KIND = 500  # lines listed per kind in the report; the counts are always complete


guard_blueprint(blueprint, require_cashier)


@blueprint.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def reason_label(reason: str) -> str:
    return {
        "unknown_reference": _("Ninguna orden de pago tiene esa referencia"),
        "amount_mismatch": _("El importe no coincide con la orden de pago"),
        "currency_mismatch": _("La moneda no coincide con la orden de pago"),
        "order_cancelled": _("La orden de pago fue cancelada"),
        "order_expired": _("La orden de pago venció antes del pago"),
        "already_paid": _("La orden ya estaba pagada (posible pago doble)"),
        "already_imported": _("Ya importada"),
        "repeated_in_file": _("Repetida en el archivo"),
    }.get(reason, reason)


def _render(
    values: dict[str, str], errors: dict[str, str], report: Any = None
) -> ResponseReturnValue:
    status = 400 if errors else 200
    return (
        render_template(
            "treasury/reconciliation.html",
            values=values,
            errors=errors,
            report=report,
            reason_label=reason_label,
            money=money,
            shown=SHOWN_PER_KIND,
            max_mb=forms.MAX_FILE_BYTES // (1024 * 1024),
            lang=reader_language(),
        ),
        status,
    )


@blueprint.get("/conciliacion")
def reconciliation() -> ResponseReturnValue:
    return _render(dict(forms.DEFAULTS), {})


@blueprint.post("/conciliacion")
def reconcile() -> ResponseReturnValue:
    values, errors, data = forms.reconciliation_form(request.form, request.files)
    if errors:
        return _render(values, errors)
    services = current_app.extensions["tramita"]
    try:
        report = reconcile_file(
            services.engine,
            services.cases,
            data,
            values["format"],
            forms.column_mapping(values),
            bank=values["bank"],
            timezone=services.settings.timezone,
        )
    except BankFileError as exc:
        return _render(values, {"archivo": exc.message(reader_language())})
    return _render(values, {}, report)
