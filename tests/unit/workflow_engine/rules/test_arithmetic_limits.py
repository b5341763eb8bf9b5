"""Numbers a citizen types never crash money or rule arithmetic: forms refuse what fee formulas
cannot hold, every JSON Logic operator answers a value or a RuleError on any number, and a fee
that comes to more than can be charged refuses the command and leaves the case as it was."""

from __future__ import annotations

import copy
import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.engine import CITIZEN, MINI, REVIEWER, Driver
from tests.helpers.paths import EXAMPLES
from workflow_engine.engine import (
    Decide,
    InvalidCommandError,
    ProcedureDefinition,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.engine import state as case_state
from workflow_engine.rules import (
    MAX_AMOUNT_CENTS,
    OPERATORS,
    RuleError,
    evaluate,
    to_cents,
)
from workflow_engine.rules.spec import ARITY
from workflow_engine.templates.fields import validate_step_data

TODAY = datetime.date(2026, 11, 23)

# Extreme numbers in every form a value reaches the engine: JSON ints and floats, decimal text
# with many places, exponents, negative and tiny values.
EXTREME_NUMBERS = st.one_of(
    st.integers(min_value=-(10**60), max_value=10**60),
    st.sampled_from([10**24, -(10**24), 10**400, 10**15, 10**15 - 1, -(10**15) + 1, 0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.sampled_from(
        [
            "1e-30",
            "1E+30",
            "-1e999",
            "1e999999",
            "0.000000000000000000000000000001",
            "999999999999999.99",
            "999999999999999.999",
            "1000000000000000",
            "123456789012345678901234567890123456789",
            "0.1234567",
            "-0.00",
            "1,250.50",
            "1e1000",
        ]
    ),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-(10**6), 10**6), st.integers(-2000, 2000)),
)

NUMBER_FIELD = {"id": "n", "type": "number", "label": {"es": "Número"}}
MONEY_FIELD = {"id": "m", "type": "money", "label": {"es": "Importe"}}
STEP = {"id": "datos", "type": "form", "fields": [NUMBER_FIELD, MONEY_FIELD]}


def _clean(field_id: str, value: Any) -> tuple[dict[str, Any], list[Any]]:
    return validate_step_data(STEP, {field_id: value}, {}, today=TODAY)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(value=EXTREME_NUMBERS, field_id=st.sampled_from(["n", "m"]))
def test_number_and_money_fields_refuse_what_fee_arithmetic_cannot_hold(
    value: Any, field_id: str
) -> None:
    cleaned, errors = _clean(field_id, value)
    if errors:
        (error,) = errors
        assert error.code in {"too_large", "too_many_decimals", "not_a_number", "too_small"}
        assert error.message_es and error.message_en and error.message_es != error.message_en
        return
    number = Decimal(str(cleaned[field_id]))
    assert abs(number) < Decimal(10) ** 15
    assert number == number.quantize(Decimal("0.000001" if field_id == "n" else "0.01"))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (10**24, "too_large"),
        ("1000000000000000", "too_large"),
        (-(10**15), "too_large"),
        (1e300, "too_large"),
        ("1e-30", "not_a_number"),  # text with an exponent is not how a person writes a number
        (1e-30, "too_many_decimals"),
        ("0.1234567", "too_many_decimals"),
    ],
)
def test_a_number_field_without_max_still_has_a_clear_bound(value: Any, code: str) -> None:
    _cleaned, errors = _clean("n", value)
    assert [e.code for e in errors] == [code]
    assert "n" in errors[0].path


def test_the_largest_accepted_values_are_kept_exactly() -> None:
    assert _clean("n", "999999999999999.123456")[0] == {"n": "999999999999999.123456"}
    assert _clean("m", "999999999999999.99")[0] == {"m": "999999999999999.99"}
    assert _clean("n", -999999999999999)[0] == {"n": -999999999999999}


# -- every operator on extreme numbers --------------------------------------------------------

_LOGIC = {"if", "?:", "and", "or", "!", "!!", "==", "===", "!=", "!==", "in", "cat", "var"}
_ARGS = st.lists(EXTREME_NUMBERS, min_size=1, max_size=4)


def _expression(op: str, n: int) -> Any:
    low, high = ARITY[op]
    count = max(low, min(n, high if high is not None else n))
    return {op: [{"var": f"x{i}"} for i in range(count)]}


def _check_result(result: Any) -> None:
    if isinstance(result, Decimal):
        assert result.is_finite()
        assert result.is_zero() or abs(result.adjusted()) <= 1000
    if isinstance(result, list):
        for item in result:
            _check_result(item)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(values=_ARGS)
@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_every_operator_answers_a_value_or_a_rule_error_on_extreme_numbers(
    op: str, values: list[Any]
) -> None:
    data = {f"x{i}": v for i, v in enumerate(values)}
    data.update({f"x{i}": values[0] for i in range(len(values), 4)})
    tables = {"t": {"1": "10.5"}}
    expressions = [_expression(op, len(values))]
    if op not in _LOGIC:  # also nested, as a fee formula would combine them
        expressions.append({"*": [_expression(op, len(values)), {"var": "x0"}, "117.31"]})
        expressions.append({"round": [{"/": [_expression(op, len(values)), {"var": "x0"}]}, 2]})
    for expr in expressions:
        try:
            result = evaluate(expr, data, tables=tables, today=TODAY)
        except RuleError as error:
            assert error.message_es and error.message_en
            continue
        _check_result(result)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value=EXTREME_NUMBERS)
def test_to_cents_answers_whole_centavos_within_the_limit_or_a_rule_error(value: Any) -> None:
    try:
        cents = to_cents(value)
    except RuleError as error:
        assert error.message_es and error.message_en
        return
    assert isinstance(cents, int) and abs(cents) <= MAX_AMOUNT_CENTS


# -- fee formulas of the example procedures ----------------------------------------------------


def _examples() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(EXAMPLES.glob("*.json"))]


def _number_fields(doc: dict[str, Any]) -> list[str]:
    return [
        f["id"]
        for step in doc["steps"]
        for f in step.get("fields") or ()
        if f["type"] in ("number", "money")
    ]


def _fee_lines(doc: dict[str, Any]) -> list[Any]:
    lines = [line for step in doc["steps"] for line in step.get("fee_lines") or ()]
    recurring = ((doc.get("ledger") or {}).get("register") or {}).get("recurring")
    return lines + ([recurring] if recurring else [])


@pytest.mark.parametrize(
    "doc",
    # a free procedure (a request for public information) has no fee formulas
    [d for d in _examples() if _fee_lines(d)],
    ids=lambda d: d["key"],
)
def test_fee_formulas_of_the_examples_never_crash_on_extreme_numbers(doc: dict[str, Any]) -> None:
    definition = ProcedureDefinition(doc)
    base: dict[str, Any] = {}
    for values in doc["example_data"].values():
        base.update(values)
    base["$const"] = definition.constants_for(TODAY.year)
    names = _number_fields(doc)
    lines = _fee_lines(doc)
    assert lines, doc["key"]

    @settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(values=st.lists(EXTREME_NUMBERS, min_size=len(names), max_size=len(names)))
    def run(values: list[Any]) -> None:
        data = {**base, **dict(zip(names, values, strict=True))}
        for line in lines:
            try:
                to_cents(evaluate(line["amount"], data, tables=definition.fee_tables, today=TODAY))
            except RuleError as error:
                assert error.message_es and error.message_en

    run()


# -- the engine: a fee beyond what can be charged refuses the approval -------------------------


def _fee_from_age(factor: str) -> dict[str, Any]:
    doc = copy.deepcopy(MINI)
    pay = next(s for s in doc["steps"] if s["id"] == "pago")
    pay["fee_lines"] = [
        {"id": "edad", "label": {"es": "Por edad"}, "amount": {"*": [{"var": "edad"}, factor]}}
    ]
    return doc


def _filed(doc: dict[str, Any], edad: Any) -> Driver:
    d = Driver(ProcedureDefinition(doc))
    values = {**MINI["example_data"]["datos"], "edad": edad}
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    return d


@pytest.mark.parametrize(
    ("edad", "factor"),
    [
        (999_999_999_999_999, "117.31"),  # the largest number a form accepts
        (10**14, "1e20"),  # a constant or table value makes it huge
        (30, "1e999"),
        (30, "715827.89"),  # 21,474,836.70 pesos: just over MAX_AMOUNT_CENTS
    ],
)
def test_a_fee_beyond_what_can_be_charged_refuses_the_approval_and_the_case_stays_workable(
    edad: Any, factor: str
) -> None:
    d = _filed(_fee_from_age(factor), edad)
    (task,) = d.state.open_tasks()
    before = d.state
    with pytest.raises(InvalidCommandError) as refused:
        d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    assert "no dio un importe que se pueda cobrar" in refused.value.message_es
    assert "can be charged" in refused.value.message_en
    assert d.state is before  # nothing changed
    d.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=task.id,
            decision="return",
            comment="Revise la edad capturada.",
            reason="incorrect",
            return_steps=("datos",),
        )
    )
    assert d.state.status == case_state.AWAITING_CORRECTION


def test_the_largest_fee_that_can_be_charged_is_charged() -> None:
    d = _filed(_fee_from_age("715827.88"), 30)
    (task,) = d.state.open_tasks()
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    assert d.state.payment is not None
    assert d.state.payment.total_cents == 2_147_483_640  # 30 x 715,827.88 pesos
