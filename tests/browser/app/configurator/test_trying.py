"""The configurator's flow diagram, preview and test run in Chromium (issue 16): the diagram
is drawn as SVG by the vendored layout library with every step a keyboard-reachable link, and
every page passes axe-core and fits a phone's screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "licencia-funcionamiento"


@pytest.mark.parametrize("mobile", [False, True], ids=["1280", "360"])
def test_trying_a_procedure_is_accessible(
    new_context: Any, live_server: LiveServer, mobile: bool
) -> None:
    page = new_context(mobile=mobile).new_page()
    login(page, "enlace@demo.gob.mx")
    for path in (
        f"/configurador/{KEY}/diagrama",
        f"/configurador/{KEY}/vista-previa",
        f"/configurador/{KEY}/vista-previa/negocio",
        f"/configurador/{KEY}/prueba?correr=1&decision=approve&decision=approve",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        axe(page, path)
        no_horizontal_scroll(page)


def test_the_diagram_is_drawn_and_its_steps_are_links_reached_by_keyboard(
    new_context: Any, live_server: LiveServer
) -> None:
    page = new_context().new_page()
    login(page, "enlace@demo.gob.mx")
    page.goto(f"/configurador/{KEY}/diagrama")
    svg = page.locator("svg.flow-svg")
    svg.wait_for()
    assert page.locator("svg.flow-svg a.flow-node").count() == 12
    assert "Pago de derechos" in (svg.text_content() or "")
    page.locator("svg.flow-svg a.flow-node").first.focus()
    visited = []
    for _ in range(12):  # Tab from step to step until the payment step has the focus
        visited.append(page.evaluate("document.activeElement.textContent"))
        if "Pago de derechos" in visited[-1]:
            break
        page.keyboard.press("Tab")
    assert "Pago de derechos" in visited[-1], visited
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/configurador/{KEY}/pasos/pago")
