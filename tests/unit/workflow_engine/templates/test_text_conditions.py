"""Conditions built with rows, as the `{% if %}` test of a document text: what the builder
writes is translated and reads the same answers; anything else is refused (None)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.documents.body import render_body
from workflow_engine.templates.condition_rows import Condition, Row, to_logic
from workflow_engine.templates.text_conditions import jinja_test


@pytest.mark.parametrize(
    ("logic", "expected"),
    [
        ({"==": [{"var": "giro"}, "restaurante"]}, 'data.giro == "restaurante"'),
        ({"in": [{"var": "giro"}, ["a", "b"]]}, 'data.giro in ["a", "b"]'),
        ({"!": {"var": "vende_alcohol"}}, "not (data.vende_alcohol)"),
        (
            {"or": [{">": [{"var": "n"}, 5]}, {"==": [{"var": "ok"}, True]}]},
            "(data.n > 5) or (data.ok == true)",
        ),
    ],
)
def test_builder_rules_become_jinja_tests(logic: Any, expected: str) -> None:
    assert jinja_test(logic) == expected


@pytest.mark.parametrize(
    "logic",
    [{"var": "x"}, {"+": [1, 2]}, {"==": [{"var": "a.__class__"}, 1]}, {"==": [{"x": 1}, 2]}, 5],
)
def test_other_rules_are_refused(logic: Any) -> None:
    assert jinja_test(logic) is None


def test_a_built_paragraph_prints_only_when_its_rows_hold() -> None:
    condition = Condition("all", [Row("empleados", "gt", "5")])
    test = jinja_test(to_logic(condition, {"empleados": "number"}))
    text = f"Inicio.\n\n{{% if {test} %}}Muchos empleados.{{% endif %}}"
    assert "Muchos empleados." in " ".join(render_body(text, {"data": {"empleados": 9}}))
    assert "Muchos empleados." not in " ".join(render_body(text, {"data": {"empleados": 2}}))
