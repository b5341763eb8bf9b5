"""The dashboards in a real browser: the mayor's office on a phone (360 px) and a desktop
(1280 px) with «reduce motion»: charts drawn by Chart.js under the page's CSP, the tables
beside them, axe-core finds nothing, no horizontal scroll; without JavaScript the filters
still work and the tables carry the figures."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll, screenshot
from tests.helpers.dashboards import seed_month

pytestmark = pytest.mark.browser
MARCH = "desde=01/03/2026&hasta=31/03/2026"


def test_the_mayors_dashboards_are_accessible(live_server: LiveServer, new_context: Any) -> None:
    seed_month(live_server.app)
    for mobile in (True, False):
        page = new_context(mobile=mobile, reduced_motion="reduce").new_page()
        login(page, "alcaldia@demo.gob.mx")
        page.goto("/tableros/")
        assert "Embudo de un trámite" in page.inner_text("main")
        axe(page, f"dashboards index ({'360' if mobile else '1280'} px)")
        page.goto(f"/tableros/tramites?{MARCH}&dias=10")
        page.wait_for_selector(".dashboard-chart--drawn canvas")
        assert page.locator(".dashboard-chart--drawn").count() == 4  # the ficta list: no chart
        assert "Licencia de funcionamiento" in page.inner_text("#tabla-resolucion")
        axe(page, f"procedures dashboard ({'360' if mobile else '1280'} px)")
        no_horizontal_scroll(page)
        screenshot(page, "dashboards-procedures")
        page.goto(f"/tableros/embudo?{MARCH}&tramite=licencia-funcionamiento")
        page.wait_for_selector(".dashboard-chart--drawn canvas")
        assert "Documento emitido" in page.inner_text("#tabla-embudo")
        axe(page, f"funnel dashboard ({'360' if mobile else '1280'} px)")
        no_horizontal_scroll(page)
        screenshot(page, "dashboards-funnel")
        page.goto("/tableros/embudo?desde=31/02/2026")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        axe(page, f"funnel dashboard, a wrong date ({'360' if mobile else '1280'} px)")


def test_filters_work_without_javascript(live_server: LiveServer, new_context: Any) -> None:
    seed_month(live_server.app)
    page = new_context(mobile=True, js=False).new_page()
    login(page, "secretaria@demo.gob.mx")
    page.goto("/tableros/tramites")
    page.fill("#desde", "01/03/2026")
    page.fill("#hasta", "31/02/2026")
    with page.expect_navigation():
        page.click("text=Aplicar filtros")
    assert "no es válida" in page.inner_text("#error-summary")
    page.fill("#hasta", "31/03/2026")
    with page.expect_navigation():
        page.click("text=Aplicar filtros")
    rows = page.locator("#tabla-resolucion tbody tr")
    assert rows.count() == 1 and "Constancia de residencia" in rows.first.inner_text()
    assert not page.locator(".dashboard-chart").first.is_visible()  # no script: the table
    no_horizontal_scroll(page)
