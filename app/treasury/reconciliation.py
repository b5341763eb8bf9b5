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
from connectors.payments.bankfile import ENCODINGS, BankFileError
from connectors.payments.reconciliation import reconcile_file

blueprint = Blueprint("treasury", __name__, url_prefix="/tesoreria")
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
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
            lang=reader_language(),
        ),
        status,
    )


@blueprint.get("/conciliacion")
def reconciliation() -> ResponseReturnValue:
    return _render(dict(DEFAULTS), {})


@blueprint.post("/conciliacion")
def reconcile() -> ResponseReturnValue:
    values = {key: request.form.get(key, default).strip() for key, default in DEFAULTS.items()}
    errors = _choice_errors(values)
    data = _read_upload(errors)
    errors.update(_column_errors(values))
    if errors:
        return _render(values, errors)
    services = current_app.extensions["tramita"]
    try:
        report = reconcile_file(
            services.engine,
            services.cases,
            data,
            values["format"],
            _mapping(values),
            bank=values["bank"],
            timezone=services.settings.timezone,
        )
    except BankFileError as exc:
        return _render(values, {"archivo": exc.message(reader_language())})
    return _render(values, {}, report)


def _choice_errors(values: dict[str, str]) -> dict[str, str]:
    """What is wrong with the form's choices, by field name."""
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
    return errors


def _column_errors(values: dict[str, str]) -> dict[str, str]:
    """A CSV file needs the names of its reference, amount and date columns."""
    if values["format"] != "csv":
        return {}
    return {
        f"col_{name}": _("Escriba el nombre de esta columna en el archivo.")
        for name in ("reference", "amount", "date")
        if not values[f"col_{name}"]
    }


def _read_upload(errors: dict[str, str]) -> bytes:
    """The bank's file (at most MAX_FILE_BYTES are read); what is wrong with it goes to
    `errors["archivo"]`."""
    upload = request.files.get("archivo")
    if upload is None or not upload.filename:
        errors["archivo"] = _("Elija el archivo del banco.")
        return b""
    if not upload.filename.lower().endswith(EXTENSIONS):
        errors["archivo"] = _("El archivo debe ser de texto: .csv, .txt, .dat o .prn.")
        return b""
    data = upload.stream.read(MAX_FILE_BYTES + 1)
    upload.close()
    if len(data) > MAX_FILE_BYTES:
        errors["archivo"] = _(
            "El archivo pesa más de %(mb)s MB; divídalo en partes.",
            mb=MAX_FILE_BYTES // (1024 * 1024),
        )
    elif not data.strip():
        errors["archivo"] = _("El archivo está vacío.")
    return data


def _mapping(values: dict[str, str]) -> dict[str, Any]:
    """How to read the file's columns, from the form."""
    mapping: dict[str, Any] = {
        "encoding": values["encoding"],
        "decimal": values["decimal"],
        "delimiter": DELIMITERS[values["delimiter"]],
        "date_format": DATE_FORMATS[values["date_format"]],
        "columns": {name: values[f"col_{name}"] for name in COLUMN_FIELDS if values[f"col_{name}"]},
    }
    if "currency" not in mapping["columns"]:
        mapping["currency"] = "MXN"
    return mapping
