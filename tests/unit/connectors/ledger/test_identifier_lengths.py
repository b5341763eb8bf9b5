"""Every identifier a form accepts fits the ledger's identity columns, so a registration never
fails on PostgreSQL with "value too long" (SQLite does not check lengths)."""

from __future__ import annotations

import datetime
import json

import pytest

from connectors.ledger.book import LedgerError, clean_identifier, taxpayer_kind
from form_schemas import field_types_path
from workflow_engine.persistence.models import Taxpayer
from workflow_engine.templates.fields import validate_step_data

# The longest value each identity field type accepts (one per shape).
LONGEST = {
    "curp": ["HELG850312MPLRPD05"],
    "rfc": ["GODE561231GR8", "CEC150610K90"],
    "cedula_pa": ["13AV-9999-999999", "PE-9999-999999"],
    "ruc_pa": ["9999999999-9999-9999999 DV 99", "13PI-9999-999999 DV 99"],
}


@pytest.mark.parametrize("field_type", sorted(LONGEST))
def test_the_longest_accepted_identifier_fits_the_taxpayer_columns(field_type: str) -> None:
    assert field_type in json.loads(field_types_path().read_text("utf-8"))["types"]
    step = {"id": "s", "type": "form", "fields": [{"id": "x", "type": field_type}]}
    for raw in LONGEST[field_type]:
        values, errors = validate_step_data(step, {"x": raw}, {}, today=datetime.date(2026, 1, 1))
        assert errors == [], (raw, errors)
        stored = clean_identifier(values["x"])
        assert stored is not None
        for column in (Taxpayer.__table__.c.tax_id, Taxpayer.__table__.c.curp):
            assert len(stored) <= column.type.length, (stored, column)


def test_an_identifier_too_long_for_the_columns_is_a_ledger_error_not_a_database_one() -> None:
    with pytest.raises(LedgerError):
        clean_identifier("9" * 65)
    assert clean_identifier("  ") is None


def test_companies_are_told_apart_from_people_in_both_countries() -> None:
    assert taxpayer_kind("CEC150610K90") == "moral"
    assert taxpayer_kind("155634567-2-2016 DV 45") == "moral"
    assert taxpayer_kind("GODE561231GR8") == "fisica"
    assert taxpayer_kind("8-745-1290 DV 12") == "fisica"
