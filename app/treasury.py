"""Treasury pages: import a bank's payments file (conciliación bancaria).

Only translates HTTP: the file is read and every payment recorded by
`connectors.payments.reconciliation.reconcile_file`. Reached by administrators and by
officials of the treasury department with the `cajero` tag; anyone else gets a 404 (nobody
learns the page exists), anonymous visitors are sent to log in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from app.auth import current_account, login_manager
from connectors.common import money
from connectors.payments.bankfile import ENCODINGS, BankFileError
from connectors.payments.reconciliation import reconcile_file
from workflow_engine.persistence.platform.accounts import Account

blueprint = Blueprint("treasury", __name__, url_prefix="/tesoreria")
TREASURY_DEPARTMENT = "tesoreria"
CASHIER_TAG = "cajero"
MAX_FILE_BYTES = 20 * 1024 * 1024
EXTENSIONS = (".csv", ".txt", ".dat", ".prn", ".tsv")
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
DATE_FORMATS = {"auto": "", "iso": "%Y-%m-%d", "dmy": "%d/%m/%Y", "compact": "%Y%m%d"}
COLUMN_FIELDS = ("reference", "amount", "currency", "date", "line_id")
DEFAULTS: dict[str, str] = {
    "format": "csv",
    "bank": "",
    "encoding": "utf-8",
    "decimal": ".",
    "delimiter": "comma",
    "date_format": "auto",
    "col_reference": "referencia",
    "col_amount": "importe",
    "col_currency": "moneda",
    "col_date": "fecha",
    "col_line_id": "id",
}
SHOWN_PER_KIND = 500  # lines listed per kind in the report; the counts are always complete


def may_reconcile(account: Account) -> bool:
    if not account.is_active:
        return False
    if account.role == "admin":
        return True
    return (
        account.role == "official"
        and account.department_key == TREASURY_DEPARTMENT
        and CASHIER_TAG in account.role_tags
    )


@blueprint.before_request
def _only_treasury() -> None:
    account = current_account()
    if account is None:
        abort(login_manager.unauthorized())
    if not may_reconcile(account):
        abort(404)


@blueprint.after_request
def _private(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


def _lang() -> str:
    return "en" if str(get_locale() or "es") == "en" else "es"


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


def _render(values: dict[str, str], errors: dict[str, str], report: Any = None) -> Any:
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
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
            lang=_lang(),
        ),
        status,
    )


@blueprint.get("/conciliacion")
def reconciliation() -> Any:
    return _render(dict(DEFAULTS), {})


@blueprint.post("/conciliacion")
def reconcile() -> Any:
    values = {key: request.form.get(key, default).strip() for key, default in DEFAULTS.items()}
    errors: dict[str, str] = {}
    if values["format"] not in ("csv", "fixed"):
        errors["format"] = _("Elija el formato del archivo.")
    if not values["bank"]:
        errors["bank"] = _("Escriba el nombre del banco que envió el archivo.")
    elif len(values["bank"]) > 40:
        errors["bank"] = _("El nombre del banco puede tener hasta 40 caracteres.")
    if values["encoding"] not in ENCODINGS:
        errors["encoding"] = _("Elija la codificación del archivo.")
    if values["decimal"] not in (".", ","):
        errors["decimal"] = _("Elija el separador decimal.")
    if values["delimiter"] not in DELIMITERS:
        errors["delimiter"] = _("Elija el separador de columnas.")
    if values["date_format"] not in DATE_FORMATS:
        errors["date_format"] = _("Elija el formato de las fechas.")
    upload = request.files.get("archivo")
    data = b""
    if upload is None or not upload.filename:
        errors["archivo"] = _("Elija el archivo del banco.")
    elif not upload.filename.lower().endswith(EXTENSIONS):
        errors["archivo"] = _("El archivo debe ser de texto: .csv, .txt, .dat o .prn.")
    else:
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        upload.close()
        if len(data) > MAX_FILE_BYTES:
            errors["archivo"] = _(
                "El archivo pesa más de %(mb)s MB; divídalo en partes.",
                mb=MAX_FILE_BYTES // (1024 * 1024),
            )
        elif not data.strip():
            errors["archivo"] = _("El archivo está vacío.")
    if values["format"] == "csv":
        for name in ("reference", "amount", "date"):
            if not values[f"col_{name}"]:
                errors[f"col_{name}"] = _("Escriba el nombre de esta columna en el archivo.")
    if errors:
        return _render(values, errors)
    mapping = {
        "encoding": values["encoding"],
        "decimal": values["decimal"],
        "delimiter": DELIMITERS[values["delimiter"]],
        "date_format": DATE_FORMATS[values["date_format"]],
        "columns": {name: values[f"col_{name}"] for name in COLUMN_FIELDS if values[f"col_{name}"]},
    }
    if "currency" not in mapping["columns"]:
        mapping["currency"] = "MXN"
    services = current_app.extensions["tramita"]
    try:
        report = reconcile_file(
            services.engine,
            services.cases,
            data,
            values["format"],
            mapping,
            bank=values["bank"],
            timezone=services.settings.timezone,
        )
    except BankFileError as exc:
        return _render(values, {"archivo": exc.message(_lang())})
    return _render(values, {}, report)
