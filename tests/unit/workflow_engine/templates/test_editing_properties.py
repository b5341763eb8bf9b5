"""Setting a field's or a step's properties (what the configurator's forms save): the input
is untouched, None removes a property, and the id and type refuse to change this way."""

from __future__ import annotations

import copy
import json

import pytest

from tests.helpers.paths import EXAMPLES
from workflow_engine.templates import editing

LICENCE = json.loads((EXAMPLES / "licencia-funcionamiento.json").read_text(encoding="utf-8"))


def test_set_field_changes_and_removes_properties_of_a_field_or_sub_field() -> None:
    before = copy.deepcopy(LICENCE)
    result = editing.set_field(LICENCE, "superficie_m2", {"min": 1, "help": None})
    assert before == LICENCE
    negocio = next(s for s in result.doc["steps"] if s["id"] == "negocio")
    fld = next(f for f in negocio["fields"] if f["id"] == "superficie_m2")
    assert fld["min"] == 1 and "help" not in fld
    sub = editing.set_field(LICENCE, "socio_nombre", {"required": None}).doc
    socios = next(f for f in sub["steps"][1]["fields"] if f["id"] == "socios")
    assert "required" not in socios["fields"][0]


def test_set_step_sets_title_and_description() -> None:
    result = editing.set_step(LICENCE, "negocio", {"title": {"es": "Local"}, "description": None})
    step = next(s for s in result.doc["steps"] if s["id"] == "negocio")
    assert step["title"] == {"es": "Local"} and "description" not in step


@pytest.mark.parametrize("key", ["id", "type"])
def test_id_and_type_do_not_change_this_way(key: str) -> None:
    with pytest.raises(editing.EditError) as caught:
        editing.set_field(LICENCE, "giro", {key: "otro"})
    assert caught.value.code == "fixed_key"
    with pytest.raises(editing.EditError):
        editing.set_step(LICENCE, "negocio", {key: "otro"})
    with pytest.raises(editing.EditError):
        editing.set_field(LICENCE, "no_existe", {"required": True})
