"""A citizen's huge number never turns an official's approval into a 500: the form refuses what
fee arithmetic cannot hold, and a fee beyond what can be charged is refused with a clear
message while the case stays workable (the official returns it for correction). Both
databases, real HTTP."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask

from tests.helpers.engine import MINI, T0
from tests.helpers.web import csrf_from, login
from workflow_engine.engine import StartCase, StepValidationError, SubmitCase, SubmitStep
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo

CITIZEN = "ciudadano@demo.gob.mx"
OFFICIAL = "funcionario@demo.gob.mx"  # revisor of Desarrollo Económico


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    flask_app: Flask = app_factory(db_url)
    services = flask_app.extensions["tramita"]
    seed_demo(services.engine, demo_mode=True)
    doc = copy.deepcopy(MINI)
    doc["key"] = "tarifa-por-edad"
    pay = next(s for s in doc["steps"] if s["id"] == "pago")
    # a number field without `max` feeding a fee, as a liaison may write it
    pay["fee_lines"] = [
        {"id": "edad", "label": {"es": "Por año"}, "amount": {"*": [{"var": "edad"}, "117.31"]}}
    ]
    services.catalog.save_draft(doc)
    services.catalog.publish(doc["key"])
    flask_app.config["TESTING"] = True
    return flask_app


def file_case(app: Flask, edad: Any) -> tuple[int, str]:
    services = app.extensions["tramita"]
    who = Accounts(services.engine, demo_mode=True).by_email(CITIZEN)
    assert who is not None
    actor = who.actor()
    started = services.cases.start("tarifa-por-edad", StartCase(at=T0, actor=actor))
    values = {**MINI["example_data"]["datos"], "edad": edad}
    services.cases.execute(
        started.case_id, SubmitStep(at=T0, actor=actor, step_id="datos", values=values)
    )
    services.cases.execute(started.case_id, SubmitCase(at=T0, actor=actor, declaration=True))
    state, _definition, _version = services.cases.load(started.case_id)
    return started.case_id, state.folio


def test_the_form_refuses_a_number_fee_arithmetic_cannot_hold(app: Flask) -> None:
    with pytest.raises(StepValidationError) as refused:
        file_case(app, 10**24)
    (error,) = refused.value.details["errors"]
    assert error.code == "too_large"


def test_approving_a_fee_beyond_what_can_be_charged_is_a_clear_message_not_a_500(
    app: Flask,
) -> None:
    case_id, folio = file_case(app, 999_999_999_999_999)  # accepted: below 10^15
    services = app.extensions["tramita"]
    (task,) = services.cases.load(case_id)[0].open_tasks()
    official = login(app.test_client(), OFFICIAL)
    page = official.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    url = f"/bandeja/expedientes/{folio}/tareas/{task.id}/decidir"
    csrf = csrf_from(page)
    approve = official.post(url, data={"csrf_token": csrf, "decision": "approve"})
    assert approve.status_code == 422
    body = approve.get_data(as_text=True)
    assert "no dio un importe que se pueda cobrar" in body
    assert "$21,474,836.47" in body
    state = services.cases.load(case_id)[0]
    assert state.status == "in_review" and state.payment is None
    assert [t.id for t in state.open_tasks()] == [task.id]
    # still workable: the official returns it for correction
    back = official.post(
        url,
        data={
            "csrf_token": csrf,
            "decision": "return",
            "reason": "incorrect",
            "comment": "La edad capturada no es correcta.",
        },
    )
    assert back.status_code == 302, back.get_data(as_text=True)[:400]
    assert services.cases.load(case_id)[0].status == "awaiting_correction"
