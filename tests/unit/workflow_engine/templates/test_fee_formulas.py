"""Fee line amounts as factors: every product amount of the example templates reads back
into factors and is rebuilt unchanged; a typed amount is checked; other amounts are left to
the JSON Logic editor."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.helpers.paths import EXAMPLES
from workflow_engine.rules import evaluate, to_cents
from workflow_engine.templates.fee_formulas import (
    Factor,
    FormulaError,
    factors_of,
    parse_number,
    to_amount,
)


def _amounts() -> list[object]:
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        for step in json.loads(path.read_text())["steps"]:
            out.extend(line["amount"] for line in step.get("fee_lines") or ())
    return out


def test_example_amounts_round_trip_or_are_left_as_json_logic() -> None:
    shown = 0
    for amount in _amounts():
        factors = factors_of(amount)
        if factors is None:
            assert "date_diff_days" in json.dumps(amount)  # a sum of dates: JSON Logic
            continue
        shown += 1
        assert factors_of(to_amount(factors)) == factors
    assert shown >= 10


def test_factors_build_the_engines_amount() -> None:
    amount = to_amount([Factor("number", "12.50"), Factor("field", "m2")])
    assert amount == {"*": ["12.50", {"var": "m2"}]}
    assert to_cents(evaluate(amount, {"m2": 3})) == 3750
    assert to_amount([Factor("number", "-0.5"), Factor("table", "t", "zona")]) == {
        "*": ["-0.5", {"table": ["t", {"var": "zona"}]}]
    }
    assert to_amount([Factor("const", "uma")]) == {"var": "$const.uma"}
    assert factors_of({"var": "$case.folio"}) is None
    assert factors_of({"+": [1, 2]}) is None


@pytest.mark.parametrize("typed", ["mucho", "", "1e20", "NaN", "Infinity"])
def test_a_typed_amount_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(FormulaError) as error:
        parse_number(typed)
    assert "no es una cantidad" in error.value.message_es


def test_typed_amounts_are_read_as_people_write_them() -> None:
    assert parse_number("$ 1,250.50") == "1250.50"
    assert Decimal(parse_number("-0.5")) == Decimal("-0.5")
    with pytest.raises(FormulaError):
        to_amount([])
