"""Dry run of a template without a case (issue 12 §6): path, fees, tasks, notices and
preview documents from the engine's own transition function, in memory."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from connectors.documents.preview import render_preview
from connectors.settings import ConnectorSettings
from tests.helpers.preview import assert_unsigned, demo_lookup
from workflow_engine.engine import ProcedureDefinition
from workflow_engine.persistence.platform.demo import examples_dir
from workflow_engine.templates.fields import validate_step_data
from workflow_engine.templates.preview import (
    SimulationError,
    parse_decisions,
    sample_data,
    sample_value,
    simulate,
)

AT = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # a Tuesday, no holiday near
EXAMPLES = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(examples_dir().glob("*.json"))}
SETTINGS = ConnectorSettings(documents_dir="/nonexistent")


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_every_example_simulates_to_its_approved_end(key: str) -> None:
    doc = EXAMPLES[key]
    sim = simulate(doc, None, ["approve"] * 10, at=AT, lookup=demo_lookup)
    steps = {s["id"]: s for s in doc["steps"]}
    assert sim.outcome == "approved" and sim.status == "closed"
    assert sim.path[0] == doc["start"] and steps[sim.path[-1]]["type"] == "end"
    if any(s["type"] == "payment" for s in doc["steps"]):  # not a free procedure
        assert sim.fees and all(
            f.total_cents == sum(x["amount_cents"] for x in f.lines) for f in sim.fees
        )
        assert sim.total_cents > 0
    assert all(t.decision == "approve" for t in sim.tasks)
    assert all(t.department and t.role for t in sim.tasks)
    assert sim.documents, "every example issues a document"
    assert {"case_submitted", "case_approved"} <= {n.template for n in sim.notifications}
    for lookup in sim.lookups.values():
        assert lookup["answered"], "the demo doubles answer every example's lookup"
    for document in sim.documents:
        pdf = render_preview(SETTINGS, doc, document, at=AT, department="Desarrollo")
        assert_unsigned(pdf)
        pages = pdf_pages(pdf)
        assert pages and all("VISTA PREVIA" in text for text in pages)
        assert all("VISTAPREVIA" in text for text in pages)  # no real verification code
        assert "Código de verificación" not in "".join(pages)


def test_a_rejected_path_ends_rejected_without_fees_or_documents() -> None:
    doc = EXAMPLES["licencia-funcionamiento"]
    sim = simulate(doc, None, parse_decisions("approve,reject"), at=AT, lookup=demo_lookup)
    assert sim.outcome == "rejected"
    assert sim.path[-1] == "rechazada"
    assert [t.decision for t in sim.tasks] == ["approve", "reject"]
    assert sim.fees == [] and sim.documents == []
    assert "case_rejected" in {n.template for n in sim.notifications}


def test_a_return_is_answered_with_the_same_data_and_then_decided_again() -> None:
    doc = EXAMPLES["permiso-mercado"]
    sim = simulate(doc, None, ["return", "approve"], at=AT)
    assert sim.outcome == "approved"
    assert [t.decision for t in sim.tasks] == ["return", "approve"]
    assert "case_returned" in {n.template for n in sim.notifications}


def test_tasks_carry_department_role_and_business_day_deadline() -> None:
    doc = EXAMPLES["permiso-mercado"]
    sim = simulate(doc, None, ["approve"], at=AT)
    (task,) = sim.tasks
    step = next(s for s in doc["steps"] if s["id"] == task.step_id)
    assert task.department == step.get("department", doc["department"])
    assert task.role == step.get("role", "revisor")
    assert task.due_on is not None and date.fromisoformat(task.due_on) > AT.date()


def test_without_enough_decisions_it_stops_at_the_task_and_says_so() -> None:
    sim = simulate(EXAMPLES["permiso-mercado"], None, [], at=AT)
    assert sim.status == "in_review" and sim.outcome is None
    assert sim.tasks[0].decision is None
    assert any("Falta una decisión" in es for es, _en in sim.notes)


def test_a_lookup_nobody_answers_is_skipped_with_a_note() -> None:
    sim = simulate(EXAMPLES["registro-vehicular"], None, ["approve"], at=AT, lookup=None)
    assert sim.lookups["consulta_padron"]["answered"] is False
    assert any("se omitió" in es for es, _en in sim.notes)


def test_data_given_replaces_the_example_and_changes_the_fees() -> None:
    doc = EXAMPLES["permiso-mercado"]
    base = simulate(doc, None, ["approve"], at=AT)
    data = copy.deepcopy(doc["example_data"])
    fld = next(
        f
        for s in doc["steps"]
        if s["type"] == "form"
        for f in s["fields"]
        if f["type"] == "number" and f["id"] in data.get(s["id"], {})
    )
    step_id = next(s["id"] for s in doc["steps"] if fld in s.get("fields", []))
    data[step_id][fld["id"]] = int(data[step_id][fld["id"]]) * 2
    changed = simulate(doc, data, ["approve"], at=AT)
    assert changed.outcome == "approved"
    assert changed.total_cents != base.total_cents


def test_bad_data_stops_with_the_engines_message() -> None:
    doc = EXAMPLES["permiso-mercado"]
    data = {doc["start"]: {}}
    with pytest.raises(SimulationError) as caught:
        simulate(doc, data, ["approve"], at=AT)
    assert caught.value.message_es and caught.value.simulation.path == [doc["start"]]


def test_parse_decisions_names_the_word_it_does_not_know() -> None:
    assert parse_decisions(" approve, RETURN ,reject") == ["approve", "return", "reject"]
    with pytest.raises(ValueError, match="aprobar"):
        parse_decisions("approve,aprobar")


def test_every_sample_value_is_accepted_by_the_engine() -> None:
    """Without example data each form step is filled with per-type samples the engine accepts."""
    for key, doc in EXAMPLES.items():
        definition = ProcedureDefinition({k: v for k, v in doc.items() if k != "example_data"})
        samples = sample_data(definition)
        for step_id, values in samples.items():
            step = definition.steps[step_id]
            _cleaned, errors = validate_step_data(
                step, values, {}, today=AT.date(), tables=definition.fee_tables, constants={}
            )
            typed = [e for e in errors if e.code not in ("eligibility", "required")]
            assert typed == [], (key, step_id, typed)
        for step in definition.steps.values():
            for fld in step.get("fields") or ():
                assert sample_value(fld) is not None


def test_a_long_document_has_the_mark_on_every_page() -> None:
    doc = copy.deepcopy(EXAMPLES["constancia-residencia"])
    emision = next(s for s in doc["steps"] if s["type"] == "document")
    emision["document"]["body"] = {"es": "\n\n".join(["Párrafo de relleno largo. " * 30] * 25)}
    sim = simulate(doc, None, [], at=AT)
    pdf = render_preview(SETTINGS, doc, sim.documents[0], at=AT)
    pages = pdf_pages(pdf)
    assert len(pages) >= 3
    assert all("VISTA PREVIA" in text for text in pages)
    assert_unsigned(pdf)


# -- drafts with errors -------------------------------------------------------------------------


def broken(key: str) -> dict[str, Any]:
    """A draft that saves but cannot be published: no title, and a review whose approval
    leads to a step that does not exist."""
    doc = copy.deepcopy(EXAMPLES[key])
    del doc["title"]
    review = next(s for s in doc["steps"] if s["type"] == "approval")
    review["outcomes"]["approve"]["to"] = "no_existe"
    return doc


def test_a_draft_with_errors_simulates_until_the_error_that_stops_it() -> None:
    doc = broken("permiso-mercado")
    with pytest.raises(SimulationError) as caught:
        simulate(doc, None, ["approve"], at=AT)
    stop = caught.value
    assert stop.simulation.path == ["solicitante", "puesto", "revision"]
    assert stop.message_es.startswith("La simulación se detiene en el paso «revision»")
    assert "steps/revision/outcomes/approve" in stop.message_es
    assert "«no_existe»" in stop.message_es and "“no_existe”" in stop.message_en
    # rejecting takes another way, which the missing title does not block
    sim = simulate(doc, None, ["reject"], at=AT)
    assert sim.outcome == "rejected"
    assert any("revision" in es and "errores" in es for es, _en in sim.notes)


def test_a_draft_without_key_start_or_sound_steps_never_crashes() -> None:
    doc = broken("permiso-mercado")
    del doc["key"]
    doc["steps"].append({"type": "form"})  # a step without id
    doc["constants"] = {"uma": "mucho"}
    doc["start"] = "no_existe"
    with pytest.raises(SimulationError) as caught:
        simulate(doc, None, ["approve"], at=AT)
    assert "«no_existe»" in caught.value.message_es and caught.value.simulation.path == []
    doc["start"] = "solicitante"
    pago = next(s for s in doc["steps"] if s["id"] == "pago")
    pago["fee_lines"][0]["amount"] = {"bogus": 1}
    review = next(s for s in doc["steps"] if s["type"] == "approval")
    review["outcomes"]["approve"]["to"] = "pago"
    with pytest.raises(SimulationError) as fee:
        simulate(doc, None, ["approve"], at=AT)
    assert "steps/pago/fee_lines" in fee.value.message_es and "bogus" in fee.value.message_en


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(EXAMPLES)), st.data())
def test_randomly_damaged_drafts_simulate_or_stop_with_a_message(
    key: str, data: st.DataObject
) -> None:
    doc = copy.deepcopy(EXAMPLES[key])
    for _ in range(data.draw(st.integers(1, 4))):
        holder: Any = doc
        while True:
            keys = list(holder) if isinstance(holder, dict) else list(range(len(holder)))
            if not keys:
                break
            part = data.draw(st.sampled_from(keys))
            child = holder[part]
            if isinstance(child, dict | list) and child and data.draw(st.booleans()):
                holder = child
                continue
            holder[part] = data.draw(st.sampled_from([None, "x", 0, [], {}, "no_existe"]))
            break
    try:
        simulate(doc, None, ["approve"] * 6, at=AT, lookup=demo_lookup)
    except SimulationError as exc:
        assert exc.message_es and exc.message_en
