"""Issue 14: a document's validity from the case data, example answers cleaned by their
field types, and number fields without bounds that feed a fee or a date."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from form_schemas import examples_dir
from workflow_engine.templates import validate_template
from workflow_engine.templates.editing import rename_field
from workflow_engine.templates.step_types.document import DocumentStep

EVENT = "permiso-evento-via-publica"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((examples_dir() / f"{name}.json").read_text("utf-8"))
    return copy.deepcopy(data)


def document_of(doc: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = next(s for s in doc["steps"] if s["type"] == "document")["document"]
    return spec


def field_of(doc: dict[str, Any], fid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        f for s in doc["steps"] for f in s.get("fields", ()) if f["id"] == fid
    )
    return found


def problems(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (p.code, p.severity, p.path)
        for p in validate_template(doc, with_warnings=True)
        if p.code != "step_without_description"
    ]


# -- validity from data -------------------------------------------------------------------


def test_the_event_permit_is_valid_until_the_event_ends() -> None:
    doc = load(EVENT)
    assert document_of(doc)["valid_until"] == {"var": "fin_evento"}
    assert problems(doc) == []


@pytest.mark.parametrize(
    ("spec", "data", "expected"),
    [
        (
            {"valid_until": {"var": "fin_evento"}},
            {"fin_evento": "2026-09-29T23:00"},
            date(2026, 9, 29),
        ),
        ({"valid_until": {"var": "hasta"}}, {"hasta": "2027-01-31"}, date(2027, 1, 31)),
        # the end of the fiscal year of issue
        (
            {"valid_until": {"cat": [{"substr": [{"today": []}, 0, 4]}, "-12-31"]}},
            {},
            date(2026, 12, 31),
        ),
        ({"validity_days": 30}, {}, date(2026, 4, 4)),
        ({"validity_days": None}, {}, None),
        ({}, {}, None),
    ],
)
def test_a_document_expires_on_the_date_its_template_says(
    spec: dict[str, Any], data: dict[str, Any], expected: date | None
) -> None:
    assert DocumentStep.expires_on(spec, date(2026, 3, 5), data) == expected


@pytest.mark.parametrize("value", ["", "29/09/2026", 20260929, None])
def test_a_validity_that_gives_no_date_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="not a date"):
        DocumentStep.expires_on({"valid_until": {"var": "x"}}, date(2026, 3, 5), {"x": value})


def test_validity_days_and_valid_until_together_are_an_error() -> None:
    doc = load(EVENT)
    document_of(doc)["validity_days"] = 30
    assert problems(doc) == [("validity_twice", "error", "$.steps[4].document.valid_until")]


@pytest.mark.parametrize(
    ("valid_until", "code"),
    [
        ({"var": "aforo"}, "valid_until_not_a_date"),  # a number field
        ("mañana", "valid_until_not_a_date"),
        ({"var": "fin_eventoo"}, "unknown_field_reference"),
        ({"var": "$const.no_hay"}, "unknown_constant"),
        ({"nope": [1]}, "invalid_rule"),
    ],
)
def test_valid_until_is_checked_like_any_rule_and_must_give_a_date(
    valid_until: Any, code: str
) -> None:
    doc = load(EVENT)
    document_of(doc)["valid_until"] = valid_until
    found = problems(doc)
    assert [c for c, _s, _p in found] == [code], found
    assert found[0][2].startswith("$.steps[4].document.valid_until")


def test_a_literal_date_and_a_date_field_are_accepted() -> None:
    doc = load(EVENT)
    document_of(doc)["valid_until"] = "2026-12-31"
    assert problems(doc) == []
    document_of(doc)["valid_until"] = {"var": "inicio_evento"}
    assert problems(doc) == []


def test_renaming_the_field_rewrites_valid_until() -> None:
    result = rename_field(load(EVENT), "fin_evento", "termino_evento")
    assert document_of(result.doc)["valid_until"] == {"var": "termino_evento"}
    assert not result.problems


# -- example values --------------------------------------------------------------------------


def test_an_example_value_with_a_wrong_check_digit_names_its_field() -> None:
    doc = load("licencia-funcionamiento")
    curp = doc["example_data"]["solicitante"]["curp"]
    doc["example_data"]["solicitante"]["curp"] = curp[:-1] + ("1" if curp[-1] == "0" else "0")
    ((code, severity, path),) = problems(doc)
    assert (code, severity, path) == (
        "invalid_example_value",
        "error",
        "$.example_data.solicitante.curp",
    )
    (problem,) = validate_template(doc)
    assert "«curp»" in problem.message_es and "dígito verificador" in problem.message_es


@pytest.mark.parametrize(
    ("step_id", "fid", "value"),
    [
        ("negocio", "superficie_m2", "-3"),  # below min
        ("solicitante", "correo", "no es correo"),
    ],
)
def test_example_values_are_cleaned_by_their_field_types(
    step_id: str, fid: str, value: Any
) -> None:
    doc = load("licencia-funcionamiento")
    assert fid in doc["example_data"][step_id]
    doc["example_data"][step_id][fid] = value
    assert problems(doc) == [("invalid_example_value", "error", f"$.example_data.{step_id}.{fid}")]


def test_bounds_relative_to_today_do_not_make_an_example_expire() -> None:
    doc = load("registro-vehicular")
    assert field_of(doc, "fecha_revisado")["max"] == "today"
    doc["example_data"]["vehiculo"]["fecha_revisado"] = "2999-01-01"
    assert problems(doc) == []


# -- numbers that feed money or dates without bounds ------------------------------------------


def test_an_unbounded_number_feeding_a_fee_is_a_warning_naming_both() -> None:
    doc = load("licencia-funcionamiento")
    del field_of(doc, "superficie_m2")["max"]
    (problem,) = [
        p for p in validate_template(doc, with_warnings=True) if p.code == "unbounded_number"
    ]
    assert problem.severity == "warning"
    assert problem.path == "$.steps[1].fields[2]"
    assert "«superficie_m2»" in problem.message_es and "«max»" in problem.message_es
    assert "fee_lines[1].amount" in problem.message_es
    assert validate_template(doc) == []  # a warning: publication goes ahead


def test_a_bounded_number_or_one_feeding_nothing_is_fine() -> None:
    doc = load("licencia-funcionamiento")
    del field_of(doc, "empleados")["max"]  # read by no fee
    assert [p for p in problems(doc) if p[0] == "unbounded_number"] == []
