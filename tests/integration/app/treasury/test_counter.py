"""The cashier's counter (caja) over HTTP: find an order by reference or folio, take cash or a
card through the one door for money, the receipt, the end-of-day report; a double submit
records once; only cashiers (and administrators) reach it; CSRF is checked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.helpers import cases
from tests.helpers.web import csrf_from, login
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.models import CaseEvent, LedgerPayment, table

CASHIER = "tesoreria@demo.gob.mx"
KEY = "constancia-residencia"


@pytest.fixture
def app(demo_cases_url: str, app_factory: Any) -> Flask:
    """The demo, its cases included, on each backend (seeded once per session)."""
    app: Flask = app_factory(demo_cases_url)
    return app


def _client(app: Flask, email: str | None) -> Any:
    client = app.test_client()
    return login(client, email) if email else client


def _count(app: Flask, model: Any, **where: Any) -> int:
    t = table(model)
    query = select(func.count()).select_from(t)
    for name, value in where.items():
        query = query.where(t.c[name] == value)
    with app.extensions["tramita"].engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(referencia|clave)" value="([^"]+)"', html))
    return {"csrf_token": csrf_from(html), "metodo": "cash", **fields}


def test_cashier_takes_cash_once_prints_receipt_and_report(app: Flask) -> None:
    case_id, order = cases.awaiting_payment(app, KEY)
    cashier = _client(app, CASHIER)
    folio = app.extensions["tramita"].cases.load(case_id)[0].folio

    by_folio = cashier.get("/tesoreria/caja", query_string={"q": folio.lower()})
    assert by_folio.status_code == 200 and order.reference in by_folio.get_data(True)
    spaced = f"{order.reference[:5]} {order.reference[5:]}".lower()
    page = cashier.get("/tesoreria/caja", query_string={"q": spaced}).get_data(True)
    assert "Cobrar" in page
    form = _form(page)
    assert form["referencia"] == order.reference

    assert (
        cashier.post("/tesoreria/caja/cobrar", data={**form, "csrf_token": ""}).status_code == 400
    )
    events_before = _count(app, CaseEvent, case_id=case_id)
    first = cashier.post("/tesoreria/caja/cobrar", data=form)
    again = cashier.post("/tesoreria/caja/cobrar", data=form)  # double submit
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert _count(app, LedgerPayment, reference=order.reference) == 1
    assert _count(app, CaseEvent, case_id=case_id) > events_before  # in the case history
    history = app.extensions["tramita"].cases.history(case_id)
    paid_events = [e for e in history if e["type"] == "payment.confirmed"]
    assert len(paid_events) == 1 and "Cajero" in str(paid_events[0]["actor_name"])
    assert app.extensions["tramita"].cases.load(case_id)[0].status != case_state.AWAITING_PAYMENT

    receipt = cashier.get(first.headers["Location"])
    text = receipt.get_data(True)
    assert receipt.status_code == 200 and folio in text and "Efectivo" in text
    assert "no-store" in receipt.headers["Cache-Control"]

    report = cashier.get("/tesoreria/caja/corte").get_data(True)
    assert order.reference in report and "Efectivo" in report
    assert "No hay pagos" in cashier.get("/tesoreria/caja/corte?fecha=2020-01-01").get_data(True)
    assert cashier.get("/tesoreria/caja/corte?fecha=ayer").status_code == 400

    # Paid: the counter shows it, offers no second charge; a forged post is refused.
    paid = cashier.get("/tesoreria/caja", query_string={"q": order.reference}).get_data(True)
    assert "Pagada" in paid and "Cobrar" not in paid
    other = {**form, "clave": "otra-clave-123"}
    refused = cashier.post("/tesoreria/caja/cobrar", data=other)
    assert refused.status_code == 303 and "/tesoreria/caja?" in refused.headers["Location"]
    assert _count(app, LedgerPayment, reference=order.reference) == 1

    # Administrators see every cashier's receipts and reports; bad input is a 400.
    admin = _client(app, "admin@demo.gob.mx")
    assert admin.get(first.headers["Location"]).status_code == 200
    bad = {**form, "metodo": "cheque", "csrf_token": csrf_from(page)}
    assert cashier.post("/tesoreria/caja/cobrar", data=bad).status_code == 400


def test_card_payment_and_unknown_order(app: Flask) -> None:
    _case_id, order = cases.awaiting_payment(app, KEY)
    cashier = _client(app, CASHIER)
    page = cashier.get("/tesoreria/caja", query_string={"q": order.reference}).get_data(True)
    done = cashier.post("/tesoreria/caja/cobrar", data={**_form(page), "metodo": "card"})
    assert "Tarjeta" in cashier.get(done.headers["Location"]).get_data(True)
    report = cashier.get("/tesoreria/caja/corte").get_data(True)
    assert "Tarjeta" in report
    empty = cashier.get("/tesoreria/caja", query_string={"q": "CHO000000000099"})
    assert "Ninguna orden de pago" in empty.get_data(True)


def test_counter_is_for_cashiers_only(app: Flask) -> None:
    for path in ("/tesoreria/caja", "/tesoreria/caja/corte", "/tesoreria/caja/recibos/1"):
        assert _client(app, None).get(path).status_code in (302, 401)
        for email in ("ciudadano@demo.gob.mx", "funcionario@demo.gob.mx"):
            assert _client(app, email).get(path).status_code == 404
    _case_id, order = cases.awaiting_payment(app, KEY)
    citizen = _client(app, "ciudadano@demo.gob.mx")
    token = csrf_from(citizen.get("/").get_data(True))
    forged = {"csrf_token": token, "referencia": order.reference, "metodo": "cash"}
    forged["clave"] = "clave-ciudadano-1"
    assert citizen.post("/tesoreria/caja/cobrar", data=forged).status_code == 404
    assert _count(app, LedgerPayment, reference=order.reference) == 0
    # Another cashier's receipt and report are not shown to a cashier.
    cashier = _client(app, CASHIER)
    assert cashier.get("/tesoreria/caja/corte?cajero=1").status_code == 404
