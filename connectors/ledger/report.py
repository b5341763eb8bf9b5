"""The omisos report as CSV, for the treasury page's download and the CLI alike: the same
query (`connectors.ledger.book.omisos`), filters and order as the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from sqlalchemy import Engine

from connectors.ledger.book import omisos

HEADER = [
    "tipo",
    "clave",
    "descripcion",
    "contribuyente",
    "rfc_curp",
    "adeudos_vencidos",
    "importe_vencido",
    "moneda",
    "vencimiento_mas_antiguo",
    "dias_vencido",
    "antiguedad",
]
CHUNK = 1000


def _cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def omisos_csv(
    engine: Engine,
    today: date,
    kind: str | None = None,
    *,
    bucket: str | None = None,
    sort: str = "id",
) -> Iterator[str]:
    """The report in pieces of a thousand objects (streamed: it can be large)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    after = offset = 0
    while True:
        with engine.connect() as conn:
            rows = omisos(
                conn,
                today,
                kind=kind,
                bucket=bucket,
                sort=sort,
                limit=CHUNK,
                after=after,
                offset=offset,
            )
        for r in rows:
            writer.writerow(
                [
                    r.kind,
                    _cell(r.key),
                    _cell(r.description),
                    _cell(r.taxpayer_name),
                    _cell(r.tax_id),
                    r.overdue_count,
                    f"{r.overdue_cents / 100:.2f}",
                    r.currency,
                    r.oldest_due.isoformat(),
                    r.days_overdue,
                    r.bucket,
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < CHUNK:
            return
        after = rows[-1].object_id
        offset += len(rows)
