"""The «Fecha y hora» field type (``datetime``) in the validator, wizard, check answers,
inbox and documents."""

from __future__ import annotations

import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.field_types import (
    document_text,
    inbox_lines,
    problems_of,
    review_html,
    stored,
    submit,
)
from workflow_engine.templates import validate_step_data

CITA = {"id": "cita", "type": "datetime", "label": {"es": "Cita", "en": "Appointment"}}
TODAY = datetime.date(2026, 3, 5)


def clean(value: object, **options: object) -> tuple[dict[str, object], list[str]]:
    step = {"id": "datos", "type": "form", "fields": [{**CITA, **options}]}
    cleaned, errors = validate_step_data(step, {"cita": value}, {}, today=TODAY)
    return cleaned, [e.code for e in errors]


@pytest.mark.parametrize(
    "typed", ["2026-03-05T10:30", "2026-03-05 10:30", "05/03/2026 10:30", "5/3/2026, 10:30"]
)
def test_every_usual_way_of_writing_it_is_kept_as_iso(typed: str) -> None:
    assert clean(typed) == ({"cita": "2026-03-05T10:30"}, [])


@pytest.mark.parametrize(
    "typed", ["2026-03-05", "2026-02-30T10:00", "2026-03-05T24:00", "mañana", "10:30", 5]
)
def test_what_is_no_date_and_time_is_refused(typed: object) -> None:
    assert clean(typed) == ({}, ["invalid_datetime"])


def test_bounds_fixed_and_today() -> None:
    assert clean("2026-03-05T08:00", min="today")[1] == []
    assert clean("2026-03-04T23:59", min="today")[1] == ["too_small"]
    assert clean("2026-03-05T23:59", max="today")[1] == []
    assert clean("2026-03-06T00:00", max="today")[1] == ["too_large"]
    assert clean("2026-03-05T10:31", max="2026-03-05T10:30")[1] == ["too_large"]


def test_the_validator_checks_its_options() -> None:
    assert problems_of(CITA) == []
    bad = problems_of({**CITA, "min": "2026-02-30T10:00"})
    assert [p for p, _ in bad] == ["$.steps[0].fields[4].min"]
    crossed = problems_of({**CITA, "min": "2026-03-06T00:00", "max": "2026-03-05T00:00"})
    assert [p for p, _ in crossed] == ["$.steps[0].fields[4].min"]
    assert [p for p, _ in problems_of({**CITA, "min": "mañana"})] == ["$.steps[0].fields[4].min"]


def test_through_the_wizard_check_answers_inbox_and_documents(
    app: Flask,
    client: FlaskClient,
) -> None:
    html, folio, page = submit(
        app, client, {**CITA, "required": True}, {"cita": "2026-03-05T10:30"}
    )
    assert 'type="datetime-local"' in html and 'name="cita"' in html
    assert page.status_code == 302, page.get_data(as_text=True)
    assert stored(app, folio, "cita") == "2026-03-05T10:30"
    assert "05/03/2026 10:30" in review_html(client, folio)
    assert inbox_lines(app, folio, "cita") == ["05/03/2026 10:30"]
    assert inbox_lines(app, folio, "cita", "en") == ["2026-03-05 10:30"]
    assert document_text(app, folio, "cita") == "5 de marzo de 2026, 10:30 h"


def test_a_wrong_value_is_explained_and_kept_in_the_form(
    app: Flask,
    client: FlaskClient,
) -> None:
    _html, _folio, page = submit(app, client, CITA, {"cita": "2026-02-30T10:00"})
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "escriba una fecha y hora válidas" in body
    assert 'value="2026-02-30T10:00"' in body
