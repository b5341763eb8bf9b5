"""The configurator's list (and its «new procedure» page), overview, information, problems,
municipal register (and its conditional value's condition), sample answers and test run
pages pass axe-core at a desktop's and a phone's width, without sideways scrolling; the
information page's add-a-row button works in a real browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "licencia-funcionamiento"
PAGES = (
    "/configurador/",
    "/configurador/nuevo",
    f"/configurador/{KEY}/",
    f"/configurador/{KEY}/informacion",
    f"/configurador/{KEY}/problemas",
    f"/configurador/{KEY}/padron",
    f"/configurador/{KEY}/padron?condicion=name",
    f"/configurador/{KEY}/prueba/respuestas-de-ejemplo",
    f"/configurador/{KEY}/prueba",
)


@pytest.mark.parametrize("mobile", [False, True], ids=["1280", "360"])
def test_configurator_pages_are_accessible(
    new_context: Any, live_server: LiveServer, mobile: bool
) -> None:
    page = new_context(mobile=mobile).new_page()
    login(page, "enlace@demo.gob.mx")
    assert page.url.endswith("/configurador/")  # the liaison's home
    for path in PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        axe(page, f"{path} at {'360' if mobile else '1280'} px")
        no_horizontal_scroll(page)


def test_adding_a_requirement_row_in_the_browser(new_context: Any, live_server: LiveServer) -> None:
    page = new_context().new_page()
    login(page, "enlace@demo.gob.mx")
    page.goto(f"/configurador/{KEY}/informacion")
    with page.expect_navigation():
        page.get_by_role("button", name="Agregar un requisito").click()
    new_row = page.locator("#requirements-5-name-es")
    assert new_row.input_value() == ""
    new_row.fill("Croquis de ubicación")
    with page.expect_navigation():
        page.get_by_role("button", name="Guardar").last.click()
    assert page.get_by_text("Se guardó la información del trámite.").is_visible()
    assert page.locator("#requirements-5-name-es").input_value() == "Croquis de ubicación"
    axe(page, "information page after saving")
