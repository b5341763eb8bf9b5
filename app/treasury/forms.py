"""The treasury's forms: the bank file to reconcile and how to read it (format, bank,
encoding, separators, date format, column names). Read what was posted and say what is
wrong, field by field; reading the file itself is `connectors.payments.bankfile`."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict

from connectors.payments.bankfile import ENCODINGS

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


def reconciliation_form(
    form: MultiDict[str, str], files: MultiDict[str, FileStorage]
) -> tuple[dict[str, str], dict[str, str], bytes]:
    """The form's values (as typed, for the page), what is wrong by field name, and the
    bank file's bytes."""
    values = {key: form.get(key, default).strip() for key, default in DEFAULTS.items()}
    errors = _choice_errors(values)
    data = _read_upload(files.get("archivo"), errors)
    errors.update(_column_errors(values))
    return values, errors, data


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


def _read_upload(upload: FileStorage | None, errors: dict[str, str]) -> bytes:
    """The bank's file (at most MAX_FILE_BYTES are read); what is wrong with it goes to
    `errors["archivo"]`."""
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


def column_mapping(values: dict[str, str]) -> dict[str, Any]:
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
