"""The payment and document step pages in a real browser: they pass axe-core at 1280 and
360 px without horizontal scroll, and «Insertar» puts the placeholder at the cursor."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LIAISON = "enlace@demo.gob.mx"
BASE = "/configurador/licencia-funcionamiento"


@pytest.mark.parametrize("mobile", [False, True], ids=["1280", "360"])
def test_payment_line_table_and_document_pages_are_accessible(
    new_context: Any, live_server: LiveServer, mobile: bool
) -> None:
    page = new_context(mobile=mobile).new_page()
    login(page, LIAISON)
    for path in (
        f"{BASE}/pasos/pago",
        f"{BASE}/pasos/pago/cobros/venta_alcohol",
        f"{BASE}/tarifas/tarifa_giro?step=pago",
        f"{BASE}/constantes?step=pago",
        f"{BASE}/pasos/emision",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200
        axe(page, path)
        no_horizontal_scroll(page)


def test_insert_puts_the_placeholder_at_the_cursor(
    new_context: Any, live_server: LiveServer
) -> None:
    page = new_context().new_page()
    login(page, LIAISON)
    page.goto(f"{BASE}/pasos/emision")
    page.fill("#body_es", "Hola  mundo")
    page.evaluate("() => document.getElementById('body_es').setSelectionRange(5, 5)")
    page.select_option("#placeholder_es", "{{ case.folio }}")
    page.click("[data-placeholder-insert='body_es']")
    assert page.input_value("#body_es") == "Hola {{ case.folio }} mundo"
