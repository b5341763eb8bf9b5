"""A case export's typed cells (`FieldType.export_cell`): the CSV's text unchanged, and for
the spreadsheet numbers, amounts (two decimals), days and moments as what they are; anything
a type cannot read stays text."""

from __future__ import annotations

import datetime

import pytest

from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.field_types.base import ExportCell


def _cell(kind: str, value: object, lang: str = "es") -> ExportCell:
    field = {"id": "x", "type": kind, "label": {"es": "X"}}
    return field_type(field).export_cell(field, value, lang, lambda public_id: public_id)


@pytest.mark.parametrize(
    ("kind", "value", "typed", "pattern"),
    [
        ("number", 12, 12, ""),
        ("number", "12.5", 12.5, ""),
        ("money", "1250.50", 1250.5, "#,##0.00"),
        ("money", "15000.00", 15000, "#,##0.00"),
        ("date", "2026-03-05", datetime.date(2026, 3, 5), "dd/mm/yyyy"),
        ("datetime", "2026-03-05T09:30", datetime.datetime(2026, 3, 5, 9, 30), "dd/mm/yyyy hh:mm"),
    ],
)
def test_numbers_amounts_days_and_moments_are_typed(
    kind: str, value: object, typed: object, pattern: str
) -> None:
    field = {"id": "x", "type": kind, "label": {"es": "X"}}
    cell = _cell(kind, value)
    assert cell.value == typed and type(cell.value) is type(typed)
    assert cell.pattern == pattern
    assert cell.text == field_type(field).export_text(field, value, "es", str)


def test_yes_no_is_a_word_in_the_readers_language_and_junk_stays_text() -> None:
    assert _cell("yesno", True) == ExportCell("Sí")
    assert _cell("yesno", False, "en") == ExportCell("No")
    assert _cell("yesno", True, "en") == ExportCell("Yes")
    assert _cell("date", "5 de marzo").kind == "text"
    assert _cell("number", "doce") == ExportCell("doce")
    assert _cell("datetime", "2026-03-05T09:30", "en").pattern == "yyyy-mm-dd hh:mm"
