"""The step-type registry: each step type is one class the meta-schema, the validator and the
engine all ask, so a new type is one module."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pytest

from form_schemas import meta_schema_path
from tests.helpers.engine import CITIZEN, CTX, MINI, Driver, mini
from workflow_engine.engine import (
    InvalidCommandError,
    ProcedureDefinition,
    SubmitCase,
    SubmitStep,
    apply_command,
)
from workflow_engine.templates import step_types, validate_template
from workflow_engine.templates.step_types import STEP_TYPES, Run, StepType, step_schema

EXAMPLES = sorted(meta_schema_path().parent.joinpath("examples").glob("*.json"))


def test_the_meta_schema_step_definition_is_the_registry_s() -> None:
    committed = json.loads(meta_schema_path().read_text(encoding="utf-8"))
    assert step_schema() == committed["$defs"]["step"]


@pytest.mark.parametrize("name", list(STEP_TYPES))
def test_every_step_type_explains_itself_to_the_editor_in_both_languages(name: str) -> None:
    cls = STEP_TYPES[name]
    assert cls.name == name
    for text in (cls.label, cls.description):
        assert text["es"].strip() and text["en"].strip()
    assert set(cls.defaults) <= set(cls.schema()["properties"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_step_leads_only_to_steps_of_its_template(path: Any) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    ids = {s["id"] for s in doc["steps"]}
    for step in doc["steps"]:
        cls = step_types.get(step["type"])
        assert cls is not None
        assert set(cls.targets(step)) <= ids
        assert cls.problems(step, "$") == []


def test_a_review_step_with_both_a_department_and_a_rule_is_reported_once() -> None:
    doc = copy.deepcopy(MINI)
    doc["steps"][1]["department_rule"] = {"if": [True, "obras-publicas", "catastro"]}
    problems = [p for p in validate_template(doc) if "department_rule" in p.message_es]
    assert len(problems) == 1
    assert problems[0].path == "$.steps[1]"


def test_a_registered_step_type_is_entered_by_the_engine_with_no_engine_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class StampStep(StepType):
        """A made-up automatic step: records an event and goes on."""

        name = "stamp"
        label = {"es": "Sello", "en": "Stamp"}
        description = {"es": "Sella.", "en": "Stamps."}
        properties: Mapping[str, Any] = {}
        required = ()
        events = ("stamp.applied",)

        @classmethod
        def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
            run.event("stamp.applied", step=step["id"])
            return cls.leave(run, step)

    monkeypatch.setitem(STEP_TYPES, "stamp", StampStep)
    doc = copy.deepcopy(MINI)
    doc["steps"][0]["transitions"] = [{"id": "t", "to": "sello"}]
    doc["steps"].append(
        {
            "id": "sello",
            "type": "stamp",
            "title": {"es": "Sello"},
            "transitions": [{"id": "t", "to": "aprobada"}],
        }
    )
    case = Driver(ProcedureDefinition(doc))
    values = dict(MINI["example_data"]["datos"])
    case.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values))
    case.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    assert "stamp.applied" in case.types()
    assert case.state.outcome == "approved"


def test_a_step_of_an_unknown_type_refuses_the_command_and_changes_nothing() -> None:
    doc = copy.deepcopy(MINI)
    doc["steps"][0]["transitions"] = [{"id": "t", "to": "raro"}]
    doc["steps"].append({"id": "raro", "type": "teleport", "title": {"es": "Raro"}})
    case = Driver(ProcedureDefinition(doc))
    values = dict(MINI["example_data"]["datos"])
    case.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values))
    before = case.state
    with pytest.raises(InvalidCommandError) as err:
        apply_command(
            case.d, before, SubmitCase(at=case.tick(), actor=CITIZEN, declaration=True), CTX
        )
    assert "teleport" in err.value.message_es
    assert case.state == before


def test_the_engine_leaves_a_review_by_the_outcome_the_officials_chose() -> None:
    d = mini()
    assert step_types.get("approval") is not None
    review = d.step("revision")
    assert STEP_TYPES["approval"].targets(review) == ["pago", "rechazada", "datos", "desechada"]
