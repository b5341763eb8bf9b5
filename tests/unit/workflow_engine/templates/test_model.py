"""The typed template model: every example parses into steps and fields whose ids, order and
types are the document's, and whose classes are the registries'."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from form_schemas import meta_schema_path
from tests.helpers.engine import MINI
from workflow_engine.engine import ProcedureDefinition
from workflow_engine.templates import model as template_model
from workflow_engine.templates import step_types
from workflow_engine.templates.field_types import REGISTRY

EXAMPLES = sorted(meta_schema_path().parent.joinpath("examples").glob("*.json"))


def _load(path: Any) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_parses_into_the_steps_and_fields_of_its_document(path: Any) -> None:
    doc = _load(path)
    procedure = template_model.parse(doc)
    assert procedure.key == doc["key"]
    assert procedure.start == doc["start"]
    assert procedure.title == doc["title"]
    assert [s.id for s in procedure.steps] == [s["id"] for s in doc["steps"]]
    for step, raw in zip(procedure.steps, doc["steps"], strict=True):
        assert procedure.step(step.id) is step
        assert step.type == raw["type"]
        assert step.kind is step_types.STEP_TYPES[raw["type"]]
        assert step.raw is raw
        assert step.title == raw["title"]
        assert [t.to for t in step.transitions] == [t["to"] for t in raw.get("transitions", ())]
        assert [f.id for f in step.fields] == [f["id"] for f in raw.get("fields", ())]
        assert procedure.fields_of(step) == step.fields == procedure.fields_of(step.id)
        for fld, raw_fld in zip(step.fields, raw.get("fields", ()), strict=True):
            _same_field(fld, raw_fld)
            if step.is_form:  # case data; an approval's fields are what the official writes
                assert procedure.field(fld.id) is fld
                assert procedure.step_of(fld.id) == step.id
            else:
                assert procedure.get_field(fld.id) is not fld


def _same_field(fld: template_model.Field, raw: dict[str, Any]) -> None:
    assert fld.id == raw["id"]
    assert fld.type == raw["type"]
    assert fld.kind is REGISTRY[raw["type"]]
    assert fld.raw is raw
    assert fld.required is bool(raw.get("required"))
    assert fld.readonly is bool(raw.get("readonly"))
    assert fld.show_if == raw.get("show_if")
    assert [o.value for o in fld.options] == [o["value"] for o in raw.get("options", ())]
    if fld.is_group:
        assert [s.id for s in fld.fields] == [s["id"] for s in raw["fields"]]
        for sub, raw_sub in zip(fld.fields, raw["fields"], strict=True):
            _same_field(sub, raw_sub)
    else:
        assert fld.fields == ()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_form_steps_are_the_forms_reached_from_the_start_in_document_order(path: Any) -> None:
    procedure = template_model.parse(_load(path))
    forms = procedure.form_steps()
    assert forms and forms[0].id == procedure.start
    assert all(s.is_form for s in forms)
    order = [s.id for s in procedure.steps]
    assert [s.id for s in forms] == sorted((s.id for s in forms), key=order.index)


def test_a_form_reached_only_after_filing_is_not_a_form_step_of_the_wizard() -> None:
    doc = copy.deepcopy(MINI)
    procedure = template_model.parse(doc)
    assert [s.id for s in procedure.form_steps()] == ["datos"]
    aviso = next(s for s in doc["steps"] if s["id"] == "aviso")
    aviso["transitions"] = [{"id": "t", "to": "aclaracion"}]
    later = {
        "id": "aclaracion",
        "type": "form",
        "title": {"es": "Aclaración"},
        "fields": [{"id": "nota", "type": "text", "label": {"es": "Nota"}}],
        "transitions": [{"id": "t", "to": "aprobada"}],
    }
    doc["steps"].append(later)
    assert [s.id for s in template_model.parse(doc).form_steps()] == ["datos"]


def test_the_model_is_immutable() -> None:
    procedure = template_model.parse(copy.deepcopy(MINI))
    with pytest.raises(dataclasses.FrozenInstanceError):
        procedure.key = "otro"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        procedure.steps[0].fields[0].required = False  # type: ignore[misc]
    assert not hasattr(procedure.steps[0], "__dict__")  # slots


def test_a_definition_holds_the_model_once_and_answers_from_it() -> None:
    definition = ProcedureDefinition(copy.deepcopy(MINI))
    assert isinstance(definition.model, template_model.Procedure)
    assert definition.form_steps() == [s.id for s in definition.model.form_steps()]
    assert definition.step("datos") is definition.model.step("datos").raw
    assert definition.step_model("datos") is definition.model.step("datos")
    assert definition.is_form("datos") and not definition.is_form("revision")
    assert definition.title("en") == definition.model.name("en")


def test_show_if_holds_is_the_one_rule_for_showing_a_field() -> None:
    fld = template_model.parse(
        {
            "key": "k",
            "start": "a",
            "steps": [
                {
                    "id": "a",
                    "type": "form",
                    "fields": [
                        {"id": "x", "type": "yesno"},
                        {"id": "y", "type": "text", "show_if": {"==": [{"var": "x"}, True]}},
                        {"id": "z", "type": "text", "show_if": {"bogus_op": [1]}},
                        {"id": "w", "type": "text"},
                    ],
                }
            ],
        }
    ).step("a")
    x, y, z, w = fld.fields
    today = datetime.date(2026, 1, 1)
    assert y.shown({"x": True}, today=today)
    assert not y.shown({"x": False}, today=today)
    assert z.shown({}, today=today)  # a rule that cannot be evaluated shows the field
    assert w.shown({}, today=today) and x.show_if is None


def test_parsing_does_not_validate_and_tolerates_what_it_does_not_need() -> None:
    procedure = template_model.parse(
        {"key": "k", "start": "a", "steps": [{"id": "a", "type": "teleport"}]}
    )
    step = procedure.step("a")
    assert step.kind is None and step.fields == () and step.title == {}
    assert step.name("en") == "a"
    assert procedure.get_step("nope") is None and procedure.get_field("nope") is None


def test_of_returns_a_model_as_is_and_parses_a_document() -> None:
    procedure = template_model.parse(copy.deepcopy(MINI))
    assert template_model.of(procedure) is procedure
    assert template_model.of(procedure.raw).key == procedure.key


def test_constants_in_force_by_year_come_from_the_model() -> None:
    procedure = template_model.parse(
        {
            "key": "k",
            "start": "a",
            "steps": [],
            "constants": {"tope": "5", "uma": {"by_year": {"2027": "117.31", "2026": "113.14"}}},
        }
    )
    assert procedure.constants_for(2025) == {"tope": Decimal("5"), "uma": Decimal("113.14")}
    assert procedure.constants_for(2026)["uma"] == Decimal("113.14")
    assert procedure.constants_for(2030)["uma"] == Decimal("117.31")
    definition = ProcedureDefinition(procedure.raw)
    assert definition.constants_for(2027) == definition.model.constants_for(2027)
