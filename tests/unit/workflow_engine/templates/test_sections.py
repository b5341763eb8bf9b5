"""The configurator's view of a template in sections: each validator problem is placed where the
liaison fixes it (a section, a step, a field, an input of the information page), and each
section's status (not started, in progress, has problems, done) follows from the draft."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.helpers.paths import EXAMPLES
from workflow_engine.templates import creation, sections
from workflow_engine.templates.sections import Location, information_anchor, locate
from workflow_engine.templates.validation import Problem, parse_path, validate_template

LICENCE = json.loads((EXAMPLES / "licencia-funcionamiento.json").read_text(encoding="utf-8"))


def problem(path: str, code: str = "invalid_value", severity: str = "error") -> Problem:
    return Problem(code, severity, "", path, "es", "en")


def statuses(doc: dict[str, Any]) -> dict[str, str]:
    found = validate_template(doc, with_warnings=True)
    return {s.section: s.status for s in sections.section_statuses(doc, found)}


@pytest.mark.parametrize(
    ("path", "anchor"),
    [
        ("$.title.es", "title-es"),
        ("$.title", "title-es"),
        ("$.summary.en", "summary-en"),
        ("$.keywords[3]", "keywords"),
        ("$.catalog.homoclave", "homoclave"),
        ("$.catalog", "homoclave"),
        ("$.catalog.modality", "modality-es"),
        ("$.catalog.legal_basis[1]", "legal_basis-1-es"),
        ("$.catalog.legal_basis[1].en", "legal_basis-1-en"),
        ("$.catalog.requirements", "requirements"),
        ("$.catalog.requirements[2]", "requirements-2-name-es"),
        ("$.catalog.requirements[2].name.es", "requirements-2-name-es"),
        ("$.catalog.requirements[0].field", "requirements-0-field"),
        ("$.catalog.offices[0].address", "offices-0-address"),
        ("$.catalog.offices[0].hours", "offices-0-hours-es"),
        ("$.catalog.contact.email", "contact-email"),
        ("$.catalog.max_response_days", "max_response_days"),
        ("$.response_deadline.on_lapse", "response_deadline"),
    ],
)
def test_information_problems_point_at_the_input_of_the_information_page(
    path: str, anchor: str
) -> None:
    assert information_anchor(parse_path(path)) == anchor
    assert locate(LICENCE, problem(path)) == Location("information", anchor=anchor)


def test_step_problems_go_to_the_section_of_the_step_type_and_its_innermost_field() -> None:
    assert locate(LICENCE, problem("$.steps[1].description")) == Location("steps", "negocio")
    assert locate(LICENCE, problem("$.steps[1].fields[0].label")).field is not None
    group = next(i for i, f in enumerate(LICENCE["steps"][1]["fields"]) if f["id"] == "socios")
    inner = locate(LICENCE, problem(f"$.steps[1].fields[{group}].fields[1].label.es"))
    assert inner == Location("steps", "negocio", "socio_curp")
    assert locate(LICENCE, problem("$.steps[3].branches[0]")) == Location(
        "approvals", "revision_conjunta"
    )
    assert locate(LICENCE, problem("$.steps[4].deadline")).section == "approvals"
    assert locate(LICENCE, problem("$.steps[5].fee_lines[0]")) == Location("fees", "pago")
    assert locate(LICENCE, problem("$.steps[6].document.body")) == Location("document", "emision")
    assert locate(LICENCE, problem("$.steps[7].message")) == Location("notifications", "aviso")
    assert locate(LICENCE, problem("$.steps[8].outcome")) == Location("steps", "aprobada")


def test_other_parts_of_the_template_have_their_section() -> None:
    assert locate(LICENCE, problem("$.fee_tables.giro")) == Location("fees")
    assert locate(LICENCE, problem("$.constants.uma")) == Location("fees")
    assert locate(LICENCE, problem("$.declarative.explanation")) == Location("approvals")
    assert locate(LICENCE, problem("$.ledger.register.rfc")) == Location("ledger")
    assert locate(LICENCE, problem("$.start")) == Location("steps")
    assert locate(LICENCE, problem("$.example_data.negocio.giro")) == Location(
        "steps", "negocio", "giro"
    )
    assert locate(LICENCE, problem("$.example_data.nadie")) == Location("steps")
    assert locate(LICENCE, problem("$.steps[99].id")) == Location("steps")
    assert locate({"steps": "?"}, problem("$.steps[0]")) == Location("steps")


def test_every_validator_problem_of_a_broken_draft_has_a_place() -> None:
    doc = copy.deepcopy(LICENCE)
    doc["catalog"]["homoclave"] = "mal"
    doc["steps"][2]["fields"][0]["type"] = "nope"
    doc["steps"][5]["fee_lines"][0]["amount"] = {"var": "no_existe"}
    found = validate_template(doc, with_warnings=True)
    places = {p.path: locate(doc, p) for p in found}
    assert places["$.catalog.homoclave"] == Location("information", anchor="homoclave")
    assert places["$.steps[2].fields[0].type"] == Location(
        "steps", "documentos", "doc_identificacion"
    )
    assert any(p.section == "fees" and p.step == "pago" for p in places.values())


def test_the_example_is_done_in_every_section() -> None:
    assert statuses(LICENCE) == dict.fromkeys(sections.SECTIONS, sections.DONE)
    done = sections.section_statuses(LICENCE, validate_template(LICENCE, with_warnings=True))
    by_section = {s.section: s for s in done}
    assert by_section["approvals"].steps == ("revision_conjunta", "revision")
    assert by_section["fees"].steps == ("pago",)
    assert by_section["steps"].warnings == 1 and by_section["steps"].errors == 0


def test_a_blank_procedure_has_every_section_not_started() -> None:
    blank = creation.blank_template("nuevo-tramite", {"es": "Nuevo"}, "desarrollo-economico")
    assert statuses(blank) == dict.fromkeys(sections.SECTIONS, sections.NOT_STARTED)


def test_missing_values_mean_in_progress_and_wrong_ones_have_problems() -> None:
    doc = copy.deepcopy(LICENCE)
    del doc["catalog"]["ficta"]
    assert statuses(doc)["information"] == sections.IN_PROGRESS
    doc["catalog"]["homoclave"] = "mal"
    assert statuses(doc)["information"] == sections.HAS_PROBLEMS
    doc = copy.deepcopy(LICENCE)
    doc["steps"][5]["fee_lines"][0]["amount"] = {"var": "no_existe"}
    result = statuses(doc)
    assert result["fees"] == sections.HAS_PROBLEMS
    assert result["information"] == sections.DONE


def test_a_procedure_without_some_kinds_of_steps_has_them_not_started() -> None:
    doc = json.loads((EXAMPLES / "solicitud-acceso-informacion.json").read_text("utf-8"))
    result = statuses(doc)
    assert result["fees"] == sections.NOT_STARTED
    assert result["notifications"] == sections.NOT_STARTED
    assert result["document"] == sections.DONE
