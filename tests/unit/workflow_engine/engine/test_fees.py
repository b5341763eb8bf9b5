"""Fees the treasury recognises: values indexed by year (UMA), discounts, rounding, and the
ledger registration of an approved case."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.helpers.engine import MINI, SYSTEM, payment_of
from workflow_engine.engine import (
    DocumentIssued,
    PaymentConfirmed,
    PaymentOrderCreated,
)
from workflow_engine.templates.validation import validate_template

GOOD = MINI["example_data"]["datos"]


def doc(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(MINI)
    d.update(changes)
    return d


def with_uma_line(d: dict[str, Any]) -> dict[str, Any]:
    pay = next(s for s in d["steps"] if s["id"] == "pago")
    pay["fee_lines"] = [
        {"id": "uma", "label": {"es": "10 UMA"}, "amount": {"*": [{"var": "$const.uma"}, 10]}}
    ]
    return d


def test_a_constant_by_year_takes_the_value_of_the_case_year() -> None:
    d = with_uma_line(doc(constants={"uma": {"by_year": {"2025": "113.14", "2026": "117.31"}}}))
    assert validate_template(d) == []
    in_2026 = payment_of(d, datetime(2026, 11, 23, 15, tzinfo=UTC))
    assert in_2026.state.payment.total_cents == 117310
    in_2025 = payment_of(d, datetime(2025, 6, 2, 15, tzinfo=UTC))
    assert in_2025.state.payment.total_cents == 113140
    before_table = payment_of(d, datetime(2024, 6, 3, 15, tzinfo=UTC))
    assert before_table.state.payment.total_cents == 113140  # the earliest value applies
    later = payment_of(d, datetime(2030, 6, 3, 15, tzinfo=UTC))
    assert later.state.payment.total_cents == 117310  # until the next value is published


def test_a_bad_yearly_constant_is_a_template_error() -> None:
    d = with_uma_line(doc(constants={"uma": {"by_year": {"dos mil": "1"}}}))
    assert validate_template(d) != []


def test_a_discount_line_lowers_the_total_and_rounding_is_shown_as_a_line() -> None:
    d = doc()
    pay = next(s for s in d["steps"] if s["id"] == "pago")
    pay["round_total"] = "unit"
    pay["fee_lines"].append(
        {
            "id": "descuento",
            "label": {"es": "Descuento adulto mayor"},
            "amount": {"*": [-0.5, {"table": ["giro", {"var": "giro"}]}]},
            "when": {">=": [{"var": "edad"}, 60]},
        }
    )
    assert validate_template(d) == []
    young = payment_of(d, superficie=81)  # 500.00 + 81 x 1.15 = 593.15 -> 593.00
    lines = {line["id"]: line["amount_cents"] for line in young.state.payment.lines}
    assert lines == {"base": 50000, "m2": 9315, "redondeo": -15}
    assert young.state.payment.total_cents == 59300
    senior = payment_of(d, edad=67, superficie=81)  # 593.15 - 250.00 = 343.15 -> 343.00
    assert senior.state.payment.total_cents == 34300
    assert {line["id"] for line in senior.state.payment.lines} == {
        "base",
        "m2",
        "descuento",
        "redondeo",
    }
    exact = payment_of(d, superficie=80)  # 592.00: nothing to round
    assert "redondeo" not in {line["id"] for line in exact.state.payment.lines}


def test_an_approved_case_asks_the_ledger_to_register_its_object() -> None:
    d = doc(
        ledger={
            "register": {
                "kind": "business",
                "key": {"var": "$case.folio"},
                "description": {"var": "nombre"},
                "attributes": {"giro": {"var": "giro"}},
                "recurring": {
                    "concept": "Refrendo",
                    "amount": {"table": ["giro", {"var": "giro"}]},
                    "due_month": 3,
                    "due_day": 31,
                },
            }
        }
    )
    assert validate_template(d) == []
    run = payment_of(d)
    payment = run.state.payment
    run.apply(
        lambda at: PaymentOrderCreated(
            at=at, actor=SYSTEM, step_id="pago", attempt=payment.attempt, reference="R1"
        )
    )
    run.apply(
        lambda at: PaymentConfirmed(
            at=at, actor=SYSTEM, reference="R1", amount_cents=payment.total_cents, currency="MXN"
        )
    )
    run.apply(
        lambda at: DocumentIssued(
            at=at, actor=SYSTEM, step_id="emision", attempt=1, document_id="1"
        )
    )
    assert run.state.outcome == "approved"
    (effect,) = [e for e in run.effects if e.kind == "ledger.register"]
    assert effect.payload["kind"] == "business"
    assert effect.payload["key"] == "CHO-2026-TEST0X"
    assert effect.payload["description"] == "María López"
    assert effect.payload["attributes"] == {"giro": "tienda"}
    assert effect.payload["recurring"]["amount_cents"] == 50000


def test_ledger_rules_are_checked_like_any_other_rule() -> None:
    d = doc(ledger={"register": {"kind": "business", "key": {"var": "no_existe"}}})
    problems = validate_template(d)
    assert any(p.path == "$.ledger.register.key" for p in problems)


def _approved(d: dict[str, Any], at: datetime | None = None) -> Any:
    """Pay and issue: the case ends approved (its ledger effect queued)."""
    run = payment_of(d, at=at)
    payment = run.state.payment
    run.apply(
        lambda at: PaymentOrderCreated(
            at=at, actor=SYSTEM, step_id="pago", attempt=payment.attempt, reference="R1"
        )
    )
    run.apply(
        lambda at: PaymentConfirmed(
            at=at, actor=SYSTEM, reference="R1", amount_cents=payment.total_cents, currency="MXN"
        )
    )
    run.apply(
        lambda at: DocumentIssued(
            at=at, actor=SYSTEM, step_id="emision", attempt=1, document_id="1"
        )
    )
    assert run.state.outcome == "approved"
    return run


def test_the_ledger_description_prints_option_labels_not_values() -> None:
    def registered(description: Any) -> str:
        d = doc(
            ledger={
                "register": {
                    "kind": "business",
                    "key": {"var": "$case.folio"},
                    "description": description,
                    "attributes": {"giro": {"var": "giro"}},
                }
            }
        )
        assert validate_template(d) == []
        (effect,) = [e for e in _approved(d).effects if e.kind == "ledger.register"]
        assert effect.payload["attributes"] == {"giro": "tienda"}  # data keeps the value
        return str(effect.payload["description"])

    assert (
        registered({"cat": [{"var": "giro"}, " · ", {"var": "nombre"}]}) == "Tienda · María López"
    )
    assert registered({"var": "giro"}) == "Tienda"
    assert (
        registered({"cat": ["Giro ", {"var": ["giro"]}, ", ", {"var": "edad"}]})
        == "Giro Tienda, 34"
    )
    # a rule that compares still sees the stored value
    assert registered({"if": [{"==": [{"var": "giro"}, "tienda"]}, "sí", "no"]}) == "sí"


def _registered_in(at: datetime, **recurring: Any) -> dict[str, Any]:
    """The `recurring` part of the ledger registration of a case approved at `at`."""
    spec = {"concept": "Refrendo", "amount": "1200", "due_month": 3, "due_day": 31, **recurring}
    d = doc(
        ledger={"register": {"kind": "business", "key": {"var": "$case.folio"}, "recurring": spec}}
    )
    assert validate_template(d) == []
    run = _approved(d, at)
    (effect,) = [e for e in run.effects if e.kind == "ledger.register"]
    return dict(effect.payload["recurring"])


DECEMBER = datetime(2026, 12, 10, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    ("recurring", "from_year", "first_charge"),
    [
        # the default: this year's charge, but never due before 30 days after registering
        ({}, 2026, {"year": 2026, "amount_cents": 120000, "due_on": "2027-01-09"}),
        (
            {"starts": "this_year"},
            2026,
            {"year": 2026, "amount_cents": 120000, "due_on": "2027-01-09"},
        ),
        ({"starts": "next_year"}, 2027, None),
        # December is 1 month of 12
        (
            {"starts": "prorated"},
            2026,
            {"year": 2026, "amount_cents": 10000, "due_on": "2027-01-09"},
        ),
        ({"starts": "this_year", "case_covers_first_period": True}, 2027, None),
        ({"starts": "next_year", "case_covers_first_period": True}, 2028, None),
    ],
)
def test_the_yearly_charge_starts_when_the_template_says(
    recurring: dict[str, Any], from_year: int, first_charge: dict[str, Any] | None
) -> None:
    spec = _registered_in(DECEMBER, **recurring)
    assert spec["from_year"] == from_year
    assert spec.get("first_charge") == first_charge


def test_a_charge_for_the_year_of_registration_keeps_its_usual_date_when_far_enough() -> None:
    spec = _registered_in(datetime(2026, 1, 15, 18, tzinfo=UTC), starts="prorated")
    # January to December: the whole year, due on 31 March as every year
    assert spec["first_charge"] == {"year": 2026, "amount_cents": 120000, "due_on": "2026-03-31"}
