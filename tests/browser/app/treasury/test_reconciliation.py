"""A citizen's case waits for payment; a treasury cashier uploads the bank's file on the
reconciliation page at phone width; the payment is applied and the case moves on. The page and
its report pass axe-core and fit 360 px."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll
from tests.helpers.reconciliation import awaiting_payment, pesos
from workflow_engine.engine import state as case_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CASHIER = "tesoreria@demo.gob.mx"


def test_cashier_uploads_the_bank_file_and_the_case_advances(
    new_context: Any, live_server: LiveServer
) -> None:
    app = live_server.app
    case_id, order = awaiting_payment(app)
    services = app.extensions["tramita"]

    page = new_context(mobile=True).new_page()
    login(page, CASHIER)
    response = page.goto("/tesoreria/conciliacion")
    assert response is not None and response.status == 200
    axe(page, "/tesoreria/conciliacion")
    no_horizontal_scroll(page)

    # Submitting without a file: the error summary, still accessible.
    page.fill("#bank", "Banorte")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Elija el archivo del banco" in page.inner_text("main [role=alert]")
    axe(page, "/tesoreria/conciliacion with errors")

    reference = f"{order.reference[:6]}-{order.reference[6:]}"  # as a bank prints it
    data = (
        "Referencia;Importe;Fecha;Id\n"
        f"{reference};{pesos(order.amount_cents, ',')};{date.today():%d/%m/%Y};MOV-0001\n"
        "CHO000000000011;150,00;15/01/2026;MOV-0002\n"
    ).encode("latin-1")
    page.set_input_files(
        "#archivo", files=[{"name": "banorte.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.fill("#bank", "Banorte")
    page.select_option("#encoding", "latin-1")
    page.select_option("#delimiter", "semicolon")
    page.select_option("#decimal", ",")
    page.select_option("#date_format", "dmy")
    page.fill("#col_reference", "Referencia")
    page.fill("#col_amount", "Importe")
    page.fill("#col_date", "Fecha")
    page.fill("#col_line_id", "Id")
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    assert page.inner_text("#count-recorded") == "1"
    assert page.inner_text("#count-unmatched") == "1"
    assert "CHO000000000011" in page.inner_text("main")
    assert services.cases.load(case_id)[0].status != case_state.AWAITING_PAYMENT
    axe(page, "the reconciliation report")
    no_horizontal_scroll(page)
