"""One table of figures, three ways: the accessible HTML table under a chart, its CSV and its
XLSX download, and the chart's data (a JSON island that app/static/dashboards.js reads).

All four come from the same `Table`, so a download always holds exactly the rows on the page:
the cells are already what the page shows (numbers stay numbers, in the spreadsheet too; a
`Day` is the page's text and a real date in the spreadsheet; a `Link` is a link on the page
and its text in the downloads).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import xlsxwriter


@dataclass(frozen=True)
class Day:
    """A date cell: `text` as the page writes it, `day` for the spreadsheet (a real date)."""

    text: str
    day: date

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Link:
    """A text cell that is a link on the page (to `url`, when the viewer may open it)."""

    text: str
    url: str = ""

    def __str__(self) -> str:
        return self.text


Cell = str | int | float | Day | Link | None

NUMERIC = ("int", "decimal", "pct", "money")
DATE_FORMAT = "dd/mm/yyyy"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text | int | decimal (one decimal) | pct (one decimal, "%" in the label) | money (two
    # decimals, the currency in the label) | date (`Day` cells)
    kind: str = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC


@dataclass(frozen=True)
class Chart:
    """How to draw a table: `kind` bar, stacked (bars stacked), line or hbar (horizontal
    bars); the first column gives the labels, `series` the numeric columns drawn."""

    kind: str
    series: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """The figures of one chart: `key` (unique on its page: the download's name), a `title`
    (the caption), the columns and the rows (one cell per column, `None` for «—»)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: Chart | None = None
    note: str = ""  # shown under the caption (how the figures are counted)
    footer: tuple[Cell, ...] | None = None  # a total row (also in the downloads)
    # At most this many rows on the page (a long list: the first ones, in the table's order);
    # the downloads always hold every row. None: every row on the page.
    shown: int | None = None

    def __post_init__(self) -> None:
        width = len(self.columns)
        rows = (*self.rows, self.footer) if self.footer is not None else self.rows
        if any(len(row) != width for row in rows):
            raise ValueError(f"table {self.key}: every row needs {width} cells")

    # -- what the page shows --------------------------------------------------------------
    def text(self, index: int, value: Cell) -> str:
        """A cell as the page, the CSV and the spreadsheet's text show it."""
        if value is None:
            return "—"
        kind = self.columns[index].kind
        if kind in ("decimal", "pct") and isinstance(value, (int, float)):
            return f"{value:.1f}"
        if kind == "money" and isinstance(value, (int, float)):
            return f"{value:.2f}"
        return str(value)

    def page_rows(self) -> tuple[tuple[Cell, ...], ...]:
        """The rows the page shows: the first `shown` ones, or all."""
        return self.rows if self.shown is None else self.rows[: self.shown]

    @property
    def cut(self) -> bool:
        """Whether the page shows fewer rows than the downloads hold."""
        return self.shown is not None and len(self.rows) > self.shown

    def all_rows(self) -> tuple[tuple[Cell, ...], ...]:
        return (*self.rows, self.footer) if self.footer is not None else self.rows

    def chart_data(self) -> dict[str, Any] | None:
        """The JSON island's content: labels (first column) and one dataset per series."""
        if self.chart is None or not self.rows:
            return None
        index = {c.key: i for i, c in enumerate(self.columns)}
        return {
            "kind": self.chart.kind,
            "labels": [self.text(0, row[0]) for row in self.rows],
            "datasets": [
                {
                    "label": self.columns[index[key]].label,
                    "data": [row[index[key]] for row in self.rows],
                }
                for key in self.chart.series
            ],
        }

    # -- downloads ------------------------------------------------------------------------
    def filename(self, stem: str, extension: str) -> str:
        plain = unicodedata.normalize("NFKD", f"{stem}-{self.key}".lower())
        plain = plain.encode("ascii", "ignore").decode()
        safe = re.sub(r"[^a-z0-9-]+", "-", plain).strip("-")
        return f"{safe}.{extension}"

    def csv(self) -> str:
        """The header and every row (the total too), cells as on the page; text a spreadsheet
        would run as a formula is quoted (CSV injection)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([_safe(c.label) for c in self.columns])
        for row in self.all_rows():
            writer.writerow(
                [
                    ""
                    if value is None
                    else self.text(i, value)
                    if self.columns[i].numeric
                    else _safe(self.text(i, value))
                    for i, value in enumerate(row)
                ]
            )
        return buffer.getvalue()

    def xlsx(self) -> bytes:
        """One worksheet: the header in bold, numbers as numbers (one decimal where the page
        shows one, amounts with two), dates as dates, text as text (never a formula), empty
        for «—»."""
        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(
            buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        sheet = book.add_worksheet(self.key[:31])
        bold = book.add_format({"bold": True})
        one_decimal = book.add_format({"num_format": "0.0"})
        two_decimals = book.add_format({"num_format": "#,##0.00"})
        a_date = book.add_format({"num_format": DATE_FORMAT})
        for col, column in enumerate(self.columns):
            sheet.write_string(0, col, column.label, bold)
            sheet.set_column(col, col, max(12, min(40, len(column.label) + 2)))
        for r, row in enumerate(self.all_rows(), start=1):
            for col, value in enumerate(row):
                kind = self.columns[col].kind
                if value is None:
                    continue
                if isinstance(value, Day):
                    sheet.write_datetime(
                        r, col, datetime.combine(value.day, datetime.min.time()), a_date
                    )
                elif kind in NUMERIC and isinstance(value, (int, float)):
                    if kind == "int":
                        sheet.write_number(r, col, value)
                    elif kind == "money":
                        sheet.write_number(r, col, round(float(value), 2), two_decimals)
                    else:
                        sheet.write_number(r, col, round(float(value), 1), one_decimal)
                else:
                    sheet.write_string(r, col, self.text(col, value))
        book.close()
        return buffer.getvalue()


def _safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def table_by_key(tables: Sequence[Table], key: str) -> Table | None:
    return next((t for t in tables if t.key == key), None)
