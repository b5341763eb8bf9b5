"""A cashier collects a payment at the counter with the keyboard only, at phone and desktop
widths: finds the order by its folio, chooses «Tarjeta» with the arrow keys, collects, reads
the receipt and the end-of-day report. Every page passes axe-core and fits the screen; the
counter, the receipt and the report are written to SCREENSHOTS."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, no_horizontal_scroll, screenshot
from tests.helpers.browser import keyboard_login, press_enter, tab_to
from tests.helpers.reconciliation import awaiting_payment
from workflow_engine.engine import state as case_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CASHIER = "tesoreria@demo.gob.mx"


@pytest.mark.parametrize("mobile", [True, False], ids=["360px", "1280px"])
def test_cashier_collects_a_card_payment_with_the_keyboard(
    new_context: Any, live_server: LiveServer, mobile: bool
) -> None:
    app = live_server.app
    case_id, order = awaiting_payment(app)
    services = app.extensions["tramita"]
    folio = services.cases.load(case_id)[0].folio

    page = new_context(mobile=mobile).new_page()
    keyboard_login(page, CASHIER)
    page.goto("/tesoreria/caja")
    axe(page, "the cash desk")
    tab_to(page, "#q")
    page.keyboard.type(folio.lower())
    press_enter(page)
    assert order.reference in page.inner_text("main")
    axe(page, "the cash desk with an order")
    no_horizontal_scroll(page)
    screenshot(page, "cash-desk-order")

    tab_to(page, "input[name=metodo]:checked")
    page.keyboard.press("ArrowDown")  # Efectivo -> Tarjeta
    assert page.eval_on_selector("input[name=metodo]:checked", "e => e.value") == "card"
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert "Cobrar" in focused
    with page.expect_navigation():
        page.keyboard.press("Enter")

    text = page.inner_text("main")
    assert "Pago registrado" in text and folio in text and "Tarjeta" in text
    assert page.is_visible("button[data-print]")
    axe(page, "the receipt")
    no_horizontal_scroll(page)
    screenshot(page, "cash-desk-receipt")
    assert services.cases.load(case_id)[0].status != case_state.AWAITING_PAYMENT

    page.goto("/tesoreria/caja/corte")
    report = page.inner_text("main")
    assert order.reference in report and "Tarjeta" in report
    axe(page, "the end-of-day report")
    no_horizontal_scroll(page)
    screenshot(page, "cash-desk-report")
