"""What an official writes when deciding (decision fields), conditional reviews (`when`) and
approve outcomes that branch: the engine, the event catalog and the validator."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from tests.helpers.engine import CITIZEN, MINI, REVIEWER, T0, Driver
from tests.helpers.paths import REPO_ROOT
from workflow_engine.engine import (
    Decide,
    ProcedureDefinition,
    StepValidationError,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.engine.events import Words, staff_line
from workflow_engine.templates.validation import validate_template

EXAMPLE = REPO_ROOT / "form_schemas" / "examples" / "solicitud-acceso-informacion.json"
DATA = {"nombre": "María López", "edad": 34, "giro": "tienda", "superficie": 80}

ANSWER = {
    "id": "respuesta",
    "type": "textarea",
    "label": {"es": "Respuesta"},
    "required": True,
    "show_if": {"==": [{"var": "$decision"}, "approve"]},
}
REASONS = {
    "id": "fundamentos",
    "type": "textarea",
    "label": {"es": "Fundamentos"},
    "required": True,
    "show_if": {"==": [{"var": "$decision"}, "reject"]},
}
DUE = {"id": "fecha", "type": "date", "label": {"es": "Fecha"}}
EXTRA = {
    "id": "extra",
    "type": "approval",
    "title": {"es": "Visto bueno de la dirección"},
    "when": {">": [{"var": "superficie"}, 50]},
    "department": "desarrollo-economico",
    "role": "revisor",
    "deadline_days": 5,
    "on_lapse": "escalate",
    "outcomes": {
        "approve": [
            {"when": {"==": [{"var": "giro"}, "fonda"]}, "to": "rechazada"},
            {"to": "pago"},
        ],
        "reject": {"to": "rechazada"},
    },
}


def doc(**step_changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(MINI)
    revision = next(s for s in out["steps"] if s["id"] == "revision")
    revision["fields"] = [ANSWER, REASONS, DUE]
    revision["outcomes"]["approve"] = {"to": "extra"}
    revision.update(step_changes)
    out["steps"].insert(2, copy.deepcopy(EXTRA))
    return out


def filed(document: dict[str, Any], **data: Any) -> Driver:
    drv = Driver(ProcedureDefinition(document))
    values = {**DATA, **data}
    drv.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values))
    drv.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    return drv


def decide(drv: Driver, decision: str, fields: dict[str, Any], comment: str = "") -> None:
    task = drv.state.open_tasks()[0]
    official = replace(REVIEWER, position="Jefa de Licencias")
    drv.apply(
        lambda at: Decide(
            at=at,
            actor=official,
            task_id=task.id,
            decision=decision,  # type: ignore[arg-type]
            comment=comment,
            fields=fields,
        )
    )


def test_decision_fields_are_cleaned_and_stored_in_the_event_and_the_task() -> None:
    drv = filed(doc(), superficie=40)  # 40 m²: the extra approval does not apply
    decide(drv, "approve", {"respuesta": "  Se otorga.  ", "fecha": "2026-12-01"})
    decided = next(e for e in drv.events if e.type == "task.decided")
    assert decided.data["fields"] == {"respuesta": "Se otorga.", "fecha": "2026-12-01"}
    assert decided.data["by_name"] == "Revisora"
    assert decided.data["by_position"] == "Jefa de Licencias"
    task = next(t for t in drv.state.tasks.values() if t.step_id == "revision")
    assert task.fields == {"respuesta": "Se otorga.", "fecha": "2026-12-01"}
    assert task.decided_by_name == "Revisora" and task.decided_by_position == "Jefa de Licencias"
    # the state survives its JSON form
    again = type(drv.state).from_json(json.loads(json.dumps(drv.state.to_json())))
    assert again.tasks[task.id].fields == task.fields


def test_a_required_decision_field_refuses_the_decision_like_a_citizen_field() -> None:
    drv = filed(doc(), superficie=40)
    before = drv.state
    with pytest.raises(StepValidationError) as caught:
        decide(drv, "reject", {"respuesta": "no aplica"}, comment="No procede.")
    errors = caught.value.details["errors"]
    assert [e.path for e in errors] == ["fundamentos"] and errors[0].code == "required"
    assert drv.state is before
    with pytest.raises(StepValidationError) as wrong:
        decide(drv, "approve", {"respuesta": "Sí", "fecha": "31/02/2026"})
    assert [e.path for e in wrong.value.details["errors"]] == ["fecha"]
    # the reasons asked on a rejection only; the answer is not asked then
    decide(drv, "reject", {"fundamentos": "Uso de suelo incompatible."}, comment="No procede.")
    task = next(t for t in drv.state.tasks.values() if t.step_id == "revision")
    assert task.fields == {"fundamentos": "Uso de suelo incompatible."}
    assert drv.state.outcome == "rejected"


def test_a_return_keeps_no_decision_fields() -> None:
    drv = filed(doc(), superficie=40)
    task = drv.state.open_tasks()[0]
    drv.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=task.id,
            decision="return",
            comment="Falta el croquis.",
            reason="incomplete",
            fields={"respuesta": "x"},
        )
    )
    assert drv.state.tasks[task.id].fields == {}


def test_a_review_whose_condition_is_false_is_skipped_with_an_event() -> None:
    drv = filed(doc(), superficie=40)
    decide(drv, "approve", {"respuesta": "Se otorga."})
    skipped = [e for e in drv.events if e.type == "review.skipped"]
    assert [(e.data["step"], e.data["reason"]) for e in skipped] == [("extra", "condition")]
    assert drv.state.position == "pago"
    assert not [t for t in drv.state.tasks.values() if t.step_id == "extra"]
    line = staff_line("review.skipped", skipped[0].data, Words(steps={"extra": "Visto bueno"}))
    assert line is not None and "Visto bueno" in line.text and "condición" in line.text
    english = staff_line("review.skipped", skipped[0].data, Words(lang="en"))
    assert english is not None and "condition does not hold" in english.text


def test_a_conditional_review_opens_strictly_after_the_previous_one_and_routes_on_approve() -> None:
    drv = filed(doc(), superficie=80)
    assert [t.step_id for t in drv.state.open_tasks()] == ["revision"]
    decide(drv, "approve", {"respuesta": "Se otorga."})
    assert [t.step_id for t in drv.state.open_tasks()] == ["extra"]
    decide(drv, "approve", {})
    assert drv.state.position == "pago"  # giro tienda: the default route

    fonda = filed(doc(), superficie=80, giro="fonda")
    decide(fonda, "approve", {"respuesta": "Se otorga."})
    decide(fonda, "approve", {})
    assert fonda.state.outcome == "rejected"  # the first route whose `when` holds


def test_a_parallel_step_may_have_a_condition_too() -> None:
    document = doc()
    conjunta = next(s for s in document["steps"] if s["id"] == "conjunta")
    conjunta["when"] = {"==": [{"var": "giro"}, "fonda"]}
    drv = filed(document, superficie=120)  # routed to the parallel step, but a tienda
    assert drv.state.position == "pago"
    assert any(e.type == "review.skipped" and e.data["step"] == "conjunta" for e in drv.events)


# -- the validator -------------------------------------------------------------------------


def codes(document: dict[str, Any]) -> dict[str, str]:
    return {p.code: p.path for p in validate_template(document) if p.severity == "error"}


def test_the_example_and_the_test_procedure_are_valid() -> None:
    assert codes(doc()) == {}
    assert codes(json.loads(EXAMPLE.read_text("utf-8"))) == {}


def test_approve_routes_must_end_in_a_default_and_name_steps() -> None:
    document = doc()
    extra = next(s for s in document["steps"] if s["id"] == "extra")
    extra["outcomes"]["approve"][1]["when"] = {"var": "edad"}
    extra["outcomes"]["approve"][0]["to"] = "nowhere"
    found = codes(document)
    assert found["default_route_with_condition"] == "$.steps[2].outcomes.approve[1].when"
    assert found["unknown_target_step"] == "$.steps[2].outcomes.approve[0].to"

    document = doc()
    extra = next(s for s in document["steps"] if s["id"] == "extra")
    extra["outcomes"]["approve"].insert(0, {"to": "pago"})
    assert codes(document)["unreachable_route"] == "$.steps[2].outcomes.approve[0]"


def test_a_review_condition_reads_known_fields() -> None:
    document = doc()
    next(s for s in document["steps"] if s["id"] == "extra")["when"] = {"var": "superfice"}
    problems = [p for p in validate_template(document) if p.path == "$.steps[2].when"]
    assert problems and "superficie" in problems[0].message_es


def test_documents_read_decisions_of_review_steps_and_their_fields() -> None:
    document = doc()
    emision = next(s for s in document["steps"] if s["id"] == "emision")
    emision["document"]["body"] = {
        "es": "{{ decision.revision.fields.respuesta }} {{ decision.revision.official.name }} "
        "{{ decision.revision.comment }} {{ decision.revision.official.position }}"
    }
    emision["document"]["signers"] = [{"role": "revisor", "decided_by": "revision"}]
    assert codes(document) == {}

    emision["document"]["body"] = {
        "es": "{{ decision.revison.comment }} {{ decision.revision.fields.respuestas }}"
    }
    emision["document"]["signers"] = [{"role": "revisor", "decided_by": "pago", "name": "X"}]
    emision["document"]["attachments"] = ["decision.revision.fields.respuesta"]
    found = {p.code for p in validate_template(document) if p.severity == "error"}
    assert {
        "unknown_decision_step",
        "unknown_decision_field",
        "signer_name_and_decided_by",
        "attachment_not_file",
    } <= found
    messages = [p.message_es for p in validate_template(document)]
    assert any("¿Quiso decir «revision»?" in m or "revision" in m for m in messages)


def test_decision_fields_are_checked_by_their_field_types() -> None:
    document = doc()
    revision = next(s for s in document["steps"] if s["id"] == "revision")
    revision["fields"].append(
        {"id": "causal", "type": "select", "label": {"es": "Causa"}, "options": []}
    )
    revision["fields"].append(dict(ANSWER))
    found = {p.code: p.path for p in validate_template(document) if p.severity == "error"}
    assert "duplicate_id" in found
    assert any(path.startswith("$.steps[1].fields[3]") for path in found.values())


def test_a_change_of_approve_routes_is_a_change_in_the_diff() -> None:
    from workflow_engine.templates.diff import diff

    old = doc()
    new = doc()
    extra = next(s for s in new["steps"] if s["id"] == "extra")
    extra["outcomes"]["approve"][0]["to"] = "pago"
    changes = diff(old, new)
    assert any(c.element.endswith("extra/outcomes/approve") for c in changes), changes


def test_the_dry_run_of_the_example_prints_the_answer_or_the_reasons() -> None:
    from workflow_engine.templates.preview import simulate

    example = json.loads(EXAMPLE.read_text("utf-8"))
    approved = simulate(example, None, ["approve"] * 3, at=T0)
    assert approved.outcome == "approved" and "oficio_respuesta" in approved.path
    assert "comite" not in [t.step_id for t in approved.tasks]  # skipped: no third parties
    refused = simulate(example, None, ["reject"], at=T0)
    assert refused.outcome == "rejected" and "resolucion_negativa" in refused.path
