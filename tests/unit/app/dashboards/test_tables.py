"""One Table, three outputs: the CSV and the XLSX hold the page's rows (the total too),
numbers as numbers, and text never runs as a formula in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from app.dashboards.tables import Chart, Column, Day, Link, Table
from tests.helpers.xlsx import typed_rows, xlsx_rows

COLUMNS = (Column("name", "Trámite"), Column("n", "Casos", "int"), Column("pct", "%", "pct"))


def _table() -> Table:
    return Table(
        "prueba",
        "Prueba",
        COLUMNS,
        (('=HYPERLINK("http://x")', 3, 33.333), ("Licencia", 2, None)),
        chart=Chart("bar", ("n",)),
        footer=("Total", 5, 20.0),
    )


def test_csv_and_xlsx_hold_the_rows_and_no_formula() -> None:
    table = _table()
    rows = list(csv.reader(io.StringIO(table.csv())))
    assert rows == [
        ["Trámite", "Casos", "%"],
        ['\'=HYPERLINK("http://x")', "3", "33.3"],
        ["Licencia", "2", ""],
        ["Total", "5", "20.0"],
    ]
    assert xlsx_rows(table.xlsx()) == [
        ["Trámite", "Casos", "%"],
        ['=HYPERLINK("http://x")', 3.0, 33.3],  # a string cell, not a formula
        ["Licencia", 2.0],
        ["Total", 5.0, 20.0],
    ]
    assert b"<f>" not in table.xlsx()


def test_the_chart_reads_the_same_rows() -> None:
    data = _table().chart_data()
    assert data == {
        "kind": "bar",
        "labels": ['=HYPERLINK("http://x")', "Licencia"],
        "datasets": [{"label": "Casos", "data": [3, 2]}],
    }
    assert Table("vacia", "Vacía", COLUMNS, (), chart=Chart("bar", ("n",))).chart_data() is None


def test_every_row_has_one_cell_per_column() -> None:
    with pytest.raises(ValueError, match="3 cells"):
        Table("mala", "Mala", COLUMNS, (("x", 1),))
    assert _table().filename("trámites", "csv") == "tramites-prueba.csv"


def test_a_long_table_shows_its_first_rows_and_downloads_them_all() -> None:
    rows = tuple((f"F-{n}", n) for n in range(5))
    table = Table("largo", "Largo", (Column("folio", "Folio"), Column("n", "N", "int")), rows)
    assert table.page_rows() == rows and not table.cut
    cut = Table("largo", "Largo", table.columns, rows, shown=2)
    assert cut.page_rows() == rows[:2] and cut.cut
    assert len(list(csv.reader(io.StringIO(cut.csv())))) == 1 + 5
    assert len(xlsx_rows(cut.xlsx())) == 1 + 5
    assert not Table("largo", "Largo", table.columns, rows, shown=5).cut


def test_money_is_a_number_dates_are_dates_and_links_are_text_in_the_downloads() -> None:
    """What a treasurer sums or sorts in a spreadsheet: amounts are numbers with two decimals,
    a date column real dates; a link on the page is its folio in the downloads."""
    table = Table(
        "mixta",
        "Mixta",
        (
            Column("folio", "Folio"),
            Column("vence", "Vence", "date"),
            Column("importe", "Importe ($)", "money"),
        ),
        (
            (
                Link("F-1", "/bandeja/expedientes/F-1"),
                Day("5 de marzo de 2026", date(2026, 3, 5)),
                1250.5,
            ),
            (Link("F-2"), Day("6 de marzo de 2026", date(2026, 3, 6)), 10),
        ),
        footer=("Total", None, 1260.5),
    )
    assert list(csv.reader(io.StringIO(table.csv()))) == [
        ["Folio", "Vence", "Importe ($)"],
        ["F-1", "5 de marzo de 2026", "1250.50"],
        ["F-2", "6 de marzo de 2026", "10.00"],
        ["Total", "", "1260.50"],
    ]
    rows = typed_rows(table.xlsx())
    assert [[c.value for c in row] for row in rows] == [
        ["Folio", "Vence", "Importe ($)"],
        ["F-1", datetime(2026, 3, 5), 1250.5],
        ["F-2", datetime(2026, 3, 6), 10],
        ["Total", None, 1260.5],
    ]
    assert rows[1][1].is_date and rows[1][1].number_format == "dd/mm/yyyy"
    assert rows[1][2].data_type == "n" and rows[1][2].number_format == "#,##0.00"
    assert sum(row[2].value for row in rows[1:3]) == 1260.5
    assert table.text(0, table.rows[0][0]) == "F-1"
