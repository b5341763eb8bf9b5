"""Reading a bank's payments file: CSV with a configurable column mapping, or the fixed-width
layout below. Parsing only: every line becomes a `BankLine` or a `BadLine` with its number and
what is wrong, so one bad line never hides the others.

Fixed-width layout `tramita-fijo-1` (positions are 1-based and inclusive; 87 characters;
lines starting with `H` (header) or `T` (trailer) and blank lines are skipped, except that a
trailer's count and total are checked when present)::

    1      1   record type: D (detail)
    2-9    8   payment date, AAAAMMDD
    10-29  20  the bank's id of the line (left-aligned, space-padded; blank = none)
    30-69  40  payment reference (línea de captura), left-aligned, space-padded
    70-84  15  amount in centavos, zero-padded digits, no decimal point
    85-87  3   currency, ISO 4217 (MXN)

    trailer: 1 `T`, 2-10 number of detail lines (9 digits), 11-28 total centavos (18 digits)
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

FORMATS = ("csv", "fixed")
ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1"}
FIELDS = ("reference", "amount", "currency", "date", "line_id")
DEFAULT_COLUMNS = {
    "reference": "referencia",
    "amount": "importe",
    "currency": "moneda",
    "date": "fecha",
    "line_id": "id",
}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d-%m-%Y", "%Y-%m-%dT%H:%M:%S")
FIXED_WIDTH = 87
MAX_REFERENCE = 40


class BankFileError(ValueError):
    """The whole file cannot be read (wrong encoding, missing columns, bad mapping)."""

    def __init__(self, message_es: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en

    def message(self, lang: str = "es") -> str:
        return self.message_en if lang == "en" else self.message_es


@dataclass(frozen=True)
class BankLine:
    line: int
    reference: str
    amount_cents: int
    currency: str
    paid_at: datetime  # aware UTC
    external_id: str


@dataclass(frozen=True)
class BadLine:
    line: int
    reason_es: str
    reason_en: str


@dataclass(frozen=True)
class FileMapping:
    """How to read a CSV file (and the encoding of either format)."""

    columns: Mapping[str, str | int] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    delimiter: str = ","
    decimal: str = "."
    encoding: str = "utf-8"
    date_format: str = ""
    currency: str = "MXN"  # when the file has no currency column
    header: bool = True

    @classmethod
    def parse(cls, doc: Mapping[str, Any] | None) -> FileMapping:
        doc = dict(doc or {})
        columns: dict[str, str | int] = dict(DEFAULT_COLUMNS)
        raw_columns = doc.get("columns") or {}
        if not isinstance(raw_columns, Mapping):
            raise BankFileError("«columns» debe ser un objeto.", "«columns» must be an object.")
        for key, value in raw_columns.items():
            if key not in FIELDS:
                raise BankFileError(
                    f"Columna desconocida «{key}»; use {', '.join(FIELDS)}.",
                    f"Unknown column «{key}»; use {', '.join(FIELDS)}.",
                )
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise BankFileError(
                    f"La columna «{key}» debe ser un nombre o un número.",
                    f"Column «{key}» must be a name or a number.",
                )
            columns[key] = value.strip() if isinstance(value, str) else value
        delimiter = str(doc.get("delimiter", ","))
        if delimiter in ("tab", "\\t"):
            delimiter = "\t"
        decimal = str(doc.get("decimal", "."))
        encoding = str(doc.get("encoding", "utf-8")).lower().replace("_", "-")
        encoding = {"utf8": "utf-8", "latin1": "latin-1", "iso-8859-1": "latin-1"}.get(
            encoding, encoding
        )
        if len(delimiter) != 1:
            raise BankFileError(
                "El separador debe ser un solo carácter.", "The delimiter must be one character."
            )
        if decimal not in (".", ","):
            raise BankFileError(
                "El separador decimal debe ser «.» o «,».", "The decimal separator is . or ,."
            )
        if encoding not in ENCODINGS:
            raise BankFileError(
                "La codificación debe ser utf-8 o latin-1.", "The encoding is utf-8 or latin-1."
            )
        currency = str(doc.get("currency") or "MXN").upper()
        return cls(
            columns=columns,
            delimiter=delimiter,
            decimal=decimal,
            encoding=encoding,
            date_format=str(doc.get("date_format") or ""),
            currency=currency,
            header=bool(doc.get("header", True)),
        )


def decode(data: bytes, encoding: str) -> str:
    if b"\x00" in data[:4096]:
        raise BankFileError(
            "El archivo no es de texto (¿es un PDF o una hoja de cálculo?).",
            "The file is not text (is it a PDF or a spreadsheet?).",
        )
    try:
        return data.decode(ENCODINGS[encoding])
    except UnicodeDecodeError as exc:
        raise BankFileError(
            f"El archivo no está en {encoding} (byte {exc.start}); pruebe con latin-1.",
            f"The file is not {encoding} (byte {exc.start}); try latin-1.",
        ) from None


def line_hash(raw: str) -> str:
    """A stable id for a line without one: the same line always gives the same id."""
    return "h:" + hashlib.sha256(raw.strip().encode("utf-8")).hexdigest()[:40]


def parse_amount(text: str, decimal: str = ".") -> int:
    """'1,234.50' (or '1.234,50' with decimal=',') -> 123450 centavos; no floats."""
    cleaned = text.strip().replace(" ", "").replace("$", "")
    if decimal == ",":
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("amount") from None
    exponent = value.as_tuple().exponent  # a str only for NaN and infinity
    if not value.is_finite() or value <= 0 or not isinstance(exponent, int) or exponent < -2:
        raise ValueError("amount")
    return int(value * 100)


def parse_date(text: str, fmt: str, timezone: str) -> datetime:
    """A local date (or date and time) as an aware UTC moment; a bare date means local noon,
    so the local day never shifts when converted."""
    text = text.strip()
    formats = (fmt,) if fmt else DATE_FORMATS
    for candidate in formats:
        try:
            parsed = datetime.strptime(text, candidate)
        except ValueError:
            continue
        tz = ZoneInfo(timezone)
        if "%H" not in candidate:
            parsed = datetime.combine(parsed.date(), time(12, 0))
        return parsed.replace(tzinfo=tz).astimezone(UTC)
    raise ValueError("date")


def _clean_reference(text: str) -> str:
    return text.replace(" ", "").replace("-", "").upper()


def read_csv(text: str, mapping: FileMapping, timezone: str) -> Iterator[BankLine | BadLine]:
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    index: dict[str, int] = {}
    line_no = 0
    raw_lines = text.splitlines()
    header_seen = not mapping.header
    if not mapping.header:
        for key, value in mapping.columns.items():
            if isinstance(value, int):
                index[key] = value
        if not all(k in index for k in ("reference", "amount", "date")):
            raise BankFileError(
                "Sin encabezado, las columnas reference, amount y date deben ser números "
                "(0 = la primera).",
                "Without a header, the reference, amount and date columns must be numbers "
                "(0 = first).",
            )
    for row in rows:
        line_no = rows.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if not header_seen:
            names = [cell.strip().lower() for cell in row]
            for key, wanted in mapping.columns.items():
                if isinstance(wanted, int):
                    index[key] = wanted
                elif wanted.lower() in names:
                    index[key] = names.index(wanted.lower())
            missing = [
                f"{k} ({mapping.columns[k]})"
                for k in ("reference", "amount", "date")
                if k not in index
            ]
            if missing:
                raise BankFileError(
                    "Faltan columnas en el encabezado: " + ", ".join(missing) + ".",
                    "Columns missing from the header: " + ", ".join(missing) + ".",
                )
            header_seen = True
            continue
        yield _csv_line(row, line_no, index, mapping, timezone, raw_lines)


def _csv_line(
    row: list[str],
    line_no: int,
    index: Mapping[str, int],
    mapping: FileMapping,
    timezone: str,
    raw_lines: list[str],
) -> BankLine | BadLine:
    def cell(key: str) -> str:
        position = index.get(key)
        if position is None or position >= len(row):
            return ""
        return row[position].strip()

    reference = _clean_reference(cell("reference"))
    if not reference or not reference.isalnum() or len(reference) > MAX_REFERENCE:
        return BadLine(line_no, "referencia vacía o inválida", "empty or invalid reference")
    try:
        amount = parse_amount(cell("amount"), mapping.decimal)
    except ValueError:
        return BadLine(line_no, f"importe inválido «{cell('amount')}»", "invalid amount")
    try:
        paid_at = parse_date(cell("date"), mapping.date_format, timezone)
    except ValueError:
        return BadLine(line_no, f"fecha inválida «{cell('date')}»", "invalid date")
    currency = (cell("currency") if "currency" in index else "") or mapping.currency
    if len(currency) != 3 or not currency.isalpha():
        return BadLine(line_no, f"moneda inválida «{currency}»", "invalid currency")
    line_id = cell("line_id") if "line_id" in index else ""
    raw = raw_lines[line_no - 1] if 0 < line_no <= len(raw_lines) else ",".join(row)
    return BankLine(
        line_no,
        reference,
        amount,
        currency.upper(),
        paid_at,
        line_id[:120] if line_id else line_hash(raw),
    )


def read_fixed(text: str, timezone: str) -> Iterator[BankLine | BadLine]:
    count = 0
    total = 0
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        kind = line[0]
        if kind == "H":
            continue
        if kind == "T":
            try:
                expected_count, expected_total = int(line[1:10]), int(line[10:28])
            except ValueError:
                yield BadLine(line_no, "pie de archivo ilegible", "unreadable trailer")
                continue
            if (expected_count, expected_total) != (count, total):
                yield BadLine(
                    line_no,
                    f"el pie dice {expected_count} líneas y {expected_total} centavos; "
                    f"se leyeron {count} y {total}",
                    f"the trailer says {expected_count} lines and {expected_total} cents; "
                    f"read {count} and {total}",
                )
            continue
        if kind != "D":
            yield BadLine(line_no, f"tipo de registro desconocido «{kind}»", "unknown record type")
            continue
        if len(line.rstrip()) < 85 or len(line) > FIXED_WIDTH:
            yield BadLine(
                line_no,
                f"la línea mide {len(line)} caracteres; se esperaban {FIXED_WIDTH}",
                f"the line is {len(line)} characters long; expected {FIXED_WIDTH}",
            )
            continue
        line = line.ljust(FIXED_WIDTH)
        try:
            day = date(int(line[1:5]), int(line[5:7]), int(line[7:9]))
        except ValueError:
            yield BadLine(line_no, f"fecha inválida «{line[1:9]}»", "invalid date")
            continue
        digits = line[69:84]
        if not digits.isdigit() or int(digits) <= 0:
            yield BadLine(line_no, f"importe inválido «{digits}»", "invalid amount")
            continue
        reference = _clean_reference(line[29:69].strip())
        if not reference or not reference.isalnum():
            yield BadLine(line_no, "referencia vacía o inválida", "empty or invalid reference")
            continue
        currency = line[84:87].strip().upper() or "MXN"
        if len(currency) != 3 or not currency.isalpha():
            yield BadLine(line_no, f"moneda inválida «{currency}»", "invalid currency")
            continue
        count += 1
        total += int(digits)
        line_id = line[9:29].strip()
        paid_at = (
            datetime.combine(day, time(12, 0)).replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
        )
        yield BankLine(
            line_no, reference, int(digits), currency, paid_at, line_id or line_hash(line)
        )


def fixed_line(
    paid_on: date, line_id: str, reference: str, amount_cents: int, currency: str = "MXN"
) -> str:
    """One detail line of the fixed-width layout (for tests, benchmarks and bank simulators)."""
    return f"D{paid_on:%Y%m%d}{line_id:<20.20}{reference:<40.40}{amount_cents:015d}{currency:<3.3}"


def fixed_trailer(count: int, total_cents: int) -> str:
    return f"T{count:09d}{total_cents:018d}"


def read(
    data: bytes, fmt: str, mapping: FileMapping, timezone: str
) -> Iterator[BankLine | BadLine]:
    if fmt not in FORMATS:
        raise BankFileError(
            f"Formato desconocido «{fmt}»; use csv o fixed.",
            f"Unknown format «{fmt}»; use csv or fixed.",
        )
    text = decode(data, mapping.encoding)
    if fmt == "csv":
        return read_csv(text, mapping, timezone)
    return read_fixed(text, timezone)
