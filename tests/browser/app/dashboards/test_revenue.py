"""The revenue and taxpayer base dashboards in a real browser over the demo taxpayer base:
axe finds nothing (also with a channel chosen in the filter form), the charts are drawn, and a
phone does not scroll sideways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_revenue_and_taxpayer_base_pages_are_accessible(
    live_server: LiveServer, new_context: Any
) -> None:
    from connectors.common import local_today
    from connectors.ledger.demo import seed_demo_ledger
    from workflow_engine.persistence.types import utcnow

    services = live_server.app.extensions["tramita"]
    seed_demo_ledger(services.engine, local_today(services.settings.timezone, utcnow()))
    for mobile, width in ((False, "desktop"), (True, "360 px")):
        page = new_context(mobile=mobile).new_page()
        login(page, "tesoreria@demo.gob.mx")
        page.goto("/tableros/ingresos")
        assert "Recaudación por canal" in page.inner_text("main")
        page.wait_for_selector(".dashboard-chart--drawn")
        axe(page, f"revenue dashboard ({width})")
        page.select_option("#canal", "bank")
        page.click("text=Aplicar filtros")
        assert "canal=bank" in page.url
        assert "Sólo lo pagado por el canal elegido: Banco." in page.inner_text("main")
        axe(page, f"revenue dashboard, one channel ({width})")
        page.goto("/tableros/padron")
        assert "Contribuyentes dados de alta por mes" in page.inner_text("main")
        axe(page, f"taxpayer base dashboard ({width})")
        if mobile:
            no_horizontal_scroll(page)
