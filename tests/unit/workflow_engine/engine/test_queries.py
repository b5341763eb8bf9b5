"""What the web layer asks the engine instead of re-deriving it: the data rules see, the order
of the form steps and the last day to correct a returned case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from form_schemas import meta_schema_path
from tests.helpers.engine import CITIZEN, CTX, MINI, REVIEWER, Driver, mini
from workflow_engine.engine import Decide, ProcedureDefinition, SubmitCase, SubmitStep
from workflow_engine.engine.transition import _Run

EXAMPLES = sorted(meta_schema_path().parent.joinpath("examples").glob("*.json"))


def _filed() -> Driver:
    d = Driver(mini())
    values = MINI["example_data"]["datos"]
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    return d


def test_the_rules_see_the_same_data_in_the_engine_and_from_a_stored_case() -> None:
    d = _filed()
    at = d.tick()
    run = _Run(d.d, d.state, SubmitCase(at=at, actor=CITIZEN, declaration=True), CTX)
    stored = d.d.case_rule_data(d.state, CTX.local_date(at).year)
    assert stored == run.eval_data()
    assert stored["$case"]["folio"] == d.state.folio
    assert stored["$const"]["uma"] == d.d.constants_for(2026)["uma"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_form_steps_before_filing_are_the_forms_the_start_reaches(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    definition = ProcedureDefinition(doc)
    forms = definition.form_steps()
    assert forms[0] == doc["start"]
    assert all(definition.is_form(s) for s in forms)
    assert forms == [s["id"] for s in doc["steps"] if s["id"] in set(forms)]  # template order


def test_the_last_day_to_correct_is_the_one_the_applicant_was_told() -> None:
    d = _filed()
    (task,) = d.state.open_tasks()
    d.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=task.id,
            decision="return",
            comment="Falta el nombre.",
            reason="incomplete",
        )
    )
    (returned,) = [e for e in d.events if e.type == "case.returned"]
    assert d.state.correction_due(CTX.tz).isoformat() == returned.data["respond_by"]
    assert _filed().state.correction_due(CTX.tz) is None
