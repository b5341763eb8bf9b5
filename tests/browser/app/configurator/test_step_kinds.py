"""The configurator's review, parallel review, notice, end, connector and condition pages in a real
browser: no axe-core violations and no horizontal scroll at 1280 and 360 px, also with
an error beside an input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]
BASE = "/configurador/licencia-funcionamiento/pasos"


@pytest.mark.parametrize("mobile", [False, True], ids=["1280", "360"])
def test_step_kind_pages_are_accessible(
    new_context: Any, live_server: LiveServer, mobile: bool
) -> None:
    page = new_context(mobile=mobile).new_page()
    login(page, "enlace@demo.gob.mx")
    for path in (
        f"{BASE}/revision",
        f"{BASE}/revision_conjunta",
        f"{BASE}/aviso",
        f"{BASE}/aprobada",
        f"{BASE}/revision_conjunta?condicion=branches/proteccion",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200
        axe(page, path)
        no_horizontal_scroll(page)
    page.goto(f"{BASE}/revision")
    page.fill("#deadline_days", "0")
    with page.expect_navigation():
        page.click("button:has-text('Guardar área y plazo')")
    assert "entre 1 y 365" in page.inner_text("#error-summary")
    axe(page, "review step with an error")
    no_horizontal_scroll(page)
    admin = new_context(mobile=mobile).new_page()  # the connector step is another department's
    login(admin, "admin@demo.gob.mx")
    path = "/configurador/permiso-construccion/pasos/consulta_catastro"
    response = admin.goto(path)
    assert response is not None and response.status == 200
    axe(admin, path)
    no_horizontal_scroll(admin)
