"""The estimate before submitting is the payment order's own computation on the answers."""

from __future__ import annotations

import copy
from typing import Any

from tests.helpers.engine import CITIZEN, MINI, Driver, payment_of
from workflow_engine.engine import ProcedureDefinition, SubmitStep
from workflow_engine.engine.estimate import estimate_fees
from workflow_engine.plural import counted

GOOD = MINI["example_data"]["datos"]


def answered(doc: dict[str, Any], **values: Any) -> tuple[ProcedureDefinition, Any]:
    definition = ProcedureDefinition(doc)
    d = Driver(definition)
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values={**GOOD, **values}))
    return definition, d


def test_the_estimate_equals_the_payment_order() -> None:
    for superficie in (12, 40, 99):
        definition, d = answered(copy.deepcopy(MINI), superficie=superficie)
        (estimate,) = estimate_fees(definition, d.state, d.now.date())
        order = payment_of(copy.deepcopy(MINI), superficie=superficie).state.payment
        assert estimate.total_cents == order.total_cents
        assert [line["id"] for line in estimate.lines] == [line["id"] for line in order.lines]
        assert estimate.currency == order.currency == "MXN"


def test_no_estimate_when_a_fee_reads_what_the_applicant_does_not_give() -> None:
    doc = copy.deepcopy(MINI)
    pay = next(s for s in doc["steps"] if s["id"] == "pago")
    pay["fee_lines"].append(
        {"id": "avaluo", "label": {"es": "Avalúo"}, "amount": {"var": "$result.catastro.valor"}}
    )
    definition, d = answered(doc)
    assert estimate_fees(definition, d.state, d.now.date()) == []


def test_a_number_with_its_noun() -> None:
    assert counted(1, "fila", "filas") == "1 fila"
    assert counted(3, "fila", "filas") == "3 filas"
    assert counted(0, "row", "rows") == "0 rows"
