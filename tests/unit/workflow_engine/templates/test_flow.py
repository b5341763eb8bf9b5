"""The flow of a template as the diagram draws it (workflow_engine/templates/flow.py): every
way out of each step as its step type says, problems per step, broken and unreachable parts
of a draft kept visible instead of failing."""

from __future__ import annotations

import copy
import json

from tests.helpers.paths import EXAMPLES
from workflow_engine.templates.flow import flow
from workflow_engine.templates.validation import validate_template

EXAMPLE = EXAMPLES / "licencia-funcionamiento.json"


def _licence() -> dict:  # type: ignore[type-arg]
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_every_step_with_its_ways_out_start_first() -> None:
    steps = flow(_licence())
    assert steps[0].id == "solicitante" and steps[0].is_start
    ways = {s.id: [(e.kind, e.to, e.conditional) for e in s.edges] for s in steps}
    assert ways["documentos"] == [
        ("next", "revision_conjunta", True),  # a `when` decides it
        ("next", "revision", False),  # the default
    ]
    assert ways["revision_conjunta"] == [
        ("approve", "pago", False),
        ("reject", "rechazada", False),
        ("return", "documentos", False),
        ("lapse", "desechada", False),
    ]
    assert ways["pago"] == [("next", "emision", False), ("lapse", "sin_pago", False)]
    assert ways["aprobada"] == []
    assert all(s.reachable for s in steps)


def test_problems_are_counted_on_the_step_at_fault() -> None:
    doc = _licence()
    doc["steps"][1]["fields"][0]["label"] = {}
    steps = {s.id: s for s in flow(doc, validate_template(doc, with_warnings=True))}
    assert steps[doc["steps"][1]["id"]].errors >= 1
    assert steps["solicitante"].errors == 0


def test_a_broken_draft_still_has_a_flow() -> None:
    doc = _licence()
    review = next(s for s in doc["steps"] if s.get("type") == "parallel")
    review["outcomes"]["approve"] = {"to": "no_existe"}
    doc["steps"].append({"id": "suelto", "type": "end", "outcome": "approved"})
    doc["steps"].append({"id": "roto", "type": "approval", "outcomes": "?"})
    damaged = copy.deepcopy(doc)
    steps = {s.id: s for s in flow(damaged, validate_template(damaged))}
    assert "no_existe" in [e.to for e in steps[review["id"]].edges]
    assert steps[review["id"]].errors >= 1
    assert not steps["suelto"].reachable
    assert steps["roto"].edges == ()
    assert flow({}) == [] and flow({"steps": "x"}) == []
