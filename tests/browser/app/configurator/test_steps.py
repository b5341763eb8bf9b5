"""The configurator's steps in a real browser: a step moved with the keyboard only (handle,
Space, arrow keys, Space), announced as it moves; the steps, form step and field pages pass
axe-core at 1280 and 360 px without horizontal scroll."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LIAISON = "enlace@demo.gob.mx"
BASE = "/configurador/licencia-funcionamiento"


def _order(server: LiveServer) -> list[str]:
    draft = server.app.extensions["tramita"].catalog.draft("licencia-funcionamiento")
    return [s["id"] for s in draft["steps"]]


def test_liaison_reorders_steps_with_the_keyboard(
    new_context: Any, live_server: LiveServer
) -> None:
    page = new_context().new_page()
    login(page, LIAISON)
    page.goto(f"{BASE}/pasos")
    assert _order(live_server)[1:3] == ["negocio", "documentos"]
    handle = page.locator("#paso-negocio .configurator-step__head button")
    handle.focus()
    page.keyboard.press("Space")
    live = page.locator("#mover-anuncio")
    assert "tomado" in live.inner_text()
    page.keyboard.press("ArrowDown")
    assert "Posición 3 de" in live.inner_text()
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert _order(live_server)[1:3] == ["documentos", "negocio"]
    assert "ahora es el paso 3" in page.inner_text("main")
    page.wait_for_load_state("load")
    focused = page.evaluate("() => document.activeElement.closest('li')?.id")
    assert focused == "paso-negocio"  # the keyboard stays on the step it moved

    page.locator("#paso-documentos .configurator-step__head button").focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")  # cancelled: nothing posted, back in its place
    assert "se quedó en la posición 2" in live.inner_text()
    assert _order(live_server)[1:3] == ["documentos", "negocio"]


@pytest.mark.parametrize("mobile", [False, True], ids=["1280", "360"])
def test_steps_form_and_field_pages_are_accessible(
    new_context: Any, live_server: LiveServer, mobile: bool
) -> None:
    page = new_context(mobile=mobile).new_page()
    login(page, LIAISON)
    for path in (
        f"{BASE}/pasos",
        f"{BASE}/pasos/negocio",
        f"{BASE}/pasos/solicitante/campos/razon_social",
        f"{BASE}/pasos/negocio/campos/socios",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200
        axe(page, path)
        no_horizontal_scroll(page)


def test_condition_builder_redraws_rows_and_checks_advanced_as_typed(
    new_context: Any, live_server: LiveServer
) -> None:
    page = new_context().new_page()
    login(page, LIAISON)
    page.goto(f"{BASE}/pasos/negocio/campos/cuenta_uso_suelo")
    page.select_option("#new_field", "giro")
    with page.expect_navigation():
        page.click("text=Agregar condición")
    assert page.locator("#row-0-op option").first.inner_text() == "es"
    with page.expect_navigation():  # choosing a number field redraws the row's operators
        page.select_option("#row-0-field", "superficie_m2")
    assert "es mayor que (>)" in page.locator("#row-0-op").inner_text()
    page.select_option("#row-0-op", "gt")
    page.fill("#row-0-value", "50")
    with page.expect_navigation():
        page.click("button:has-text('Guardar condición')")
    assert "Se guardó la condición." in page.inner_text("main")

    with page.expect_navigation():
        page.click("text=Editar como JSON Logic")
    page.fill("#advanced", '{"masque": [1, 2]}')
    status = page.locator("#advanced-status")
    status.filter(has_text="tiene errores").wait_for()
    page.fill("#advanced", '{">": [{"var": "superficie_m2"}, 80]}')
    status.filter(has_text="es válida").wait_for()
    axe(page, "advanced condition editor")
