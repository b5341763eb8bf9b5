"""Conditions as rows and back: every rule the builder makes reads back as the same rows,
rules rows cannot show are recognised, and pasted option lists and field-type options read
as the template stores them."""

from __future__ import annotations

from typing import Any

import pytest

from workflow_engine.templates.condition_rows import (
    Condition,
    ConditionError,
    Row,
    from_logic,
    kind_of,
    operators_for,
    parse_advanced,
    to_logic,
)
from workflow_engine.templates.field_options import (
    OptionValueError,
    option_inputs,
    palette,
    read_option,
)
from workflow_engine.templates.field_types import REGISTRY
from workflow_engine.templates.option_lists import option_lines, parse_option_lines, slug

KINDS = {
    "superficie": "number",
    "alcohol": "boolean",
    "giro": "choice",
    "servicios": "choices",
    "nombre": "text",
}

REPRESENTABLE: list[Any] = [
    None,
    {">": [{"var": "superficie"}, 100]},
    {"<=": [{"var": "superficie"}, 2.5]},
    {"!=": [{"var": "superficie"}, 0]},
    {"==": [{"var": "alcohol"}, True]},
    {"==": [{"var": "giro"}, "comercio"]},
    {"!=": [{"var": "giro"}, "comercio"]},
    {"in": [{"var": "giro"}, ["comercio", "servicios"]]},
    {"!": {"in": [{"var": "giro"}, ["comercio"]]}},
    {"in": ["agua", {"var": "servicios"}]},
    {"!": {"in": ["agua", {"var": "servicios"}]}},
    {"in": ["S.A.", {"var": "nombre"}]},
    {"==": [{"var": "nombre"}, "Ana"]},
    {"!!": {"var": "nombre"}},
    {"!": {"var": "superficie"}},
    {"and": [{">": [{"var": "superficie"}, 100]}, {"==": [{"var": "alcohol"}, True]}]},
    {"or": [{"==": [{"var": "giro"}, "comercio"]}, {"!!": {"var": "nombre"}}]},
]

UNREPRESENTABLE: list[Any] = [
    {">": [{"*": [{"var": "superficie"}, 2]}, 100]},  # arithmetic
    {"and": [{"or": [{"!!": {"var": "nombre"}}]}]},  # nested and / or
    {">": [100, {"var": "superficie"}]},  # the value first
    {">": [{"var": "nombre"}, "a"]},  # text ordered
    {"==": [{"var": "desconocido"}, 1]},  # not a field the rows may read
    {"==": [{"var": "superficie"}, "100"]},  # a number field compared with text
    {"if": [{"var": "alcohol"}, True, False]},
    {"and": []},
    True,
    "texto",
]


@pytest.mark.parametrize("rule", REPRESENTABLE)
def test_rows_round_trip(rule: Any) -> None:
    condition = from_logic(rule, KINDS)
    assert condition is not None
    assert to_logic(condition, KINDS) == rule


@pytest.mark.parametrize("rule", UNREPRESENTABLE)
def test_rules_rows_cannot_show(rule: Any) -> None:
    assert from_logic(rule, KINDS) is None


def test_rows_from_a_form_become_typed_json_logic() -> None:
    condition = Condition(
        "any",
        [
            Row("superficie", "ge", "1,200.5"),
            Row("alcohol", "eq", "false"),
            Row("giro", "one_of", ["comercio", "servicios"]),
            Row("", "eq", "ignored: no field chosen"),
        ],
    )
    assert to_logic(condition, KINDS) == {
        "or": [
            {">=": [{"var": "superficie"}, 1200.5]},
            {"==": [{"var": "alcohol"}, False]},
            {"in": [{"var": "giro"}, ["comercio", "servicios"]]},
        ]
    }
    assert to_logic(Condition("all", []), KINDS) is None


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (Row("superficie", "gt", "mucho"), "no es un número"),
        (Row("superficie", "gt", ""), "escriba o elija el valor"),
        (Row("giro", "one_of", []), "escriba o elija el valor"),
        (Row("giro", "gt", "a"), "elija qué se compara"),
        (Row("otro", "eq", "a"), "no es un campo"),
        (Row("alcohol", "eq", "quizá"), "Sí"),
    ],
)
def test_rows_that_say_nothing_sensible(row: Row, words: str) -> None:
    with pytest.raises(ConditionError) as caught:
        to_logic(Condition("all", [row]), KINDS)
    assert words in caught.value.message("es") and caught.value.row == 1


def test_operators_fit_the_field_kind() -> None:
    assert kind_of({"id": "a", "type": "money"}) == "number"
    assert kind_of({"id": "a", "type": "yesno"}) == "boolean"
    assert kind_of({"id": "a", "type": "radio"}) == "choice"
    assert kind_of({"id": "a", "type": "checkboxes"}) == "choices"
    assert kind_of({"id": "a", "type": "email"}) == "text"
    numbers = [op.code for op in operators_for("number")]
    assert numbers[:6] == ["eq", "ne", "gt", "ge", "lt", "le"]
    assert "gt" not in [op.code for op in operators_for("text")]
    assert "one_of" in [op.code for op in operators_for("choice")]


def test_advanced_editor_checks_json_and_operators() -> None:
    assert parse_advanced("") == (None, [])
    rule, problems = parse_advanced('{">": [{"var": "x"}, 1]}')
    assert rule == {">": [{"var": "x"}, 1]} and problems == []
    assert parse_advanced("{nope")[1][0][0].startswith("No es JSON válido")
    assert parse_advanced('{"masque": [1, 2]}')[1]


def test_pasted_option_lines() -> None:
    text = "a | Alfa | Alpha\nBeta\n\n  Ñandú grande  \nb|\nBeta\n"
    options = parse_option_lines(text)
    assert options == [
        {"value": "a", "label": {"es": "Alfa", "en": "Alpha"}},
        {"value": "beta", "label": {"es": "Beta"}},
        {"value": "nandu_grande", "label": {"es": "Ñandú grande"}},
        {"value": "b", "label": {"es": "b"}},
        {"value": "beta_2", "label": {"es": "Beta"}},
    ]
    assert parse_option_lines(option_lines(options)) == options
    assert slug("123 Ñu") == "opcion_123_nu" and slug("¡!") == "opcion"


def test_option_inputs_come_from_the_registry() -> None:
    assert palette() == list(REGISTRY)
    assert "group" not in palette(in_group=True)
    number = {o.name: o for o in option_inputs("number")}
    assert (number["min"].widget, number["integer"].widget) == ("decimal", "boolean")
    assert read_option(number["min"], "2.50") == "2.50"
    assert read_option(number["min"], "3") == 3
    assert read_option(number["integer"], "") is None
    assert "options" not in {o.name for o in option_inputs("select")}  # its own editor
    assert "fields" not in {o.name for o in option_inputs("group")}
    files = {o.name: o for o in option_inputs("file")}
    assert read_option(files["accept"], "application/pdf, image/*") == [
        "application/pdf",
        "image/*",
    ]
    with pytest.raises(OptionValueError):
        read_option(files["max_files"], "50")  # above the schema's maximum
    with pytest.raises(OptionValueError):
        read_option(files["max_files"], "1.5")
    bounds = {o.name: o for o in option_inputs("geo_point")}["bounds"]
    assert bounds.widget == "json"
    with pytest.raises(OptionValueError):
        read_option(bounds, "{not json")
