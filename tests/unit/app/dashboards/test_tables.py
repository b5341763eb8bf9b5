"""One Table, three outputs: the CSV and the XLSX hold the page's rows (the total too),
numbers as numbers, and text never runs as a formula in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from app.dashboards.tables import Chart, Column, Table
from tests.helpers.xlsx import xlsx_rows

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
