"""The checklist before publishing: what blocks going live, what is only worth a look."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from workflow_engine.persistence.platform.demo import examples_dir
from workflow_engine.templates.readiness import BLOCKER, OK, WARNING, readiness
from workflow_engine.templates.validation import Problem, validate_template

EXAMPLES: dict[str, dict[str, Any]] = {
    p.stem: json.loads(p.read_text("utf-8")) for p in sorted(examples_dir().glob("*.json"))
}


def example(key: str = "licencia-funcionamiento") -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[key])


def statuses(doc: dict[str, Any], problems: list[Problem] | None = None) -> dict[str, str]:
    found = validate_template(doc, with_warnings=True) if problems is None else problems
    return {c.code: c.status for c in readiness(doc, found).checks}


def step(doc: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in doc["steps"] if s["id"] == step_id)
    return found


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_every_example_is_ready(key: str) -> None:
    doc = example(key)
    result = readiness(doc, validate_template(doc, with_warnings=True))
    assert result.ready, [c.message_en for c in result.blockers]
    assert [c.code for c in result.checks] == [
        "requirements",
        "fees",
        "document",
        "deadlines",
        "english",
        "errors",
    ]


def test_validator_errors_block_and_warnings_do_not() -> None:
    doc = example()
    error = Problem("x", "error", "", "$.steps[0]", "Mal", "Wrong")
    warning = Problem("y", "warning", "", "$.steps[0]", "Ojo", "Look")
    blocked = readiness(doc, [error, warning])
    assert not blocked.ready
    assert "1 error" in blocked.blockers[0].message_en
    assert statuses(doc, [warning])["errors"] == WARNING
    assert statuses(doc, [])["errors"] == OK


def test_requirements_missing_block_an_empty_list_only_warns() -> None:
    doc = example()
    doc["catalog"]["requirements"] = []
    assert statuses(doc, [])["requirements"] == WARNING
    del doc["catalog"]["requirements"]
    assert statuses(doc, [])["requirements"] == BLOCKER


def test_fees_are_a_payment_step_or_an_explicit_cost_text() -> None:
    doc = example()
    step(doc, "pago")["fee_lines"] = []
    result = readiness(doc, [])
    assert result.blockers[0].code == "fees" and result.blockers[0].elements == ("pago",)
    free = example("solicitud-acceso-informacion")  # no payment step, «Gratuito»
    assert statuses(free, [])["fees"] == OK
    del free["catalog"]["cost"]
    assert statuses(free, [])["fees"] == BLOCKER


def test_a_document_step_needs_its_text() -> None:
    doc = example()
    step(doc, "emision")["document"]["body"] = {"es": " ", "en": ""}
    result = readiness(doc, [])
    assert [(c.code, c.elements) for c in result.blockers] == [("document", ("emision",))]
    assert "document text is missing in 1 step" in result.blockers[0].message_en


def test_every_review_needs_a_deadline() -> None:
    doc = example()
    del step(doc, "revision")["deadline_days"]
    del step(doc, "revision_conjunta")["deadline_days"]
    result = readiness(doc, validate_template(doc, with_warnings=True))
    blockers = [c for c in result.blockers if c.code == "deadlines"]
    assert blockers[0].elements == ("revision_conjunta", "revision")
    assert "2 reviews" in blockers[0].message_en


def test_missing_english_is_only_a_warning() -> None:
    doc = example()
    doc["title"] = {"es": "Licencia"}
    step(doc, "pago")["concept"]["en"] = ""
    result = readiness(doc, [])
    english = next(c for c in result.checks if c.code == "english")
    assert english.status == WARNING and result.ready
    assert english.message_en.startswith("2 texts without an English translation")
    assert english.message("es").startswith("2 textos sin traducción")


def test_a_broken_draft_gets_a_checklist_too() -> None:
    result = readiness({"key": "x"}, [])
    assert not result.ready
    assert {c.code for c in result.blockers} == {"requirements", "fees"}
    assert readiness(None, []).checks
