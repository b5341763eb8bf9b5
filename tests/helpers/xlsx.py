"""The cells of an .xlsx file's first worksheet, read with the standard library (zip + XML):
shared strings and inline strings as text, numbers as floats, empty cells as None."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters is not None
    index = 0
    for ch in letters.group(0):
        index = index * 26 + ord(ch) - 64
    return index - 1


def xlsx_rows(data: bytes) -> list[list[str | float | None]]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        names = book.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows: list[list[str | float | None]] = []
    for row in sheet.iter(f"{{{NS['m']}}}row"):
        cells: list[str | float | None] = []
        for cell in row.findall("m:c", NS):
            column = _column(cell.get("r", "A"))
            cells.extend([None] * (column - len(cells)))
            kind = cell.get("t")
            value = cell.find("m:v", NS)
            if kind == "s" and value is not None:
                cells.append(shared[int(value.text or "0")])
            elif kind == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t")))
            elif value is not None:
                cells.append(float(value.text or "0"))
            else:
                cells.append(None)
        rows.append(cells)
    return rows


def typed_rows(data: bytes) -> list[list[Any]]:
    """The first worksheet's cells as a spreadsheet reads them (openpyxl): numbers as
    int/float, dates as datetimes, text as str, empty as None; each with its number format."""
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows()]
