"""The account statement and the treasury pages in a real browser: axe at 360 px, no
horizontal scroll, and the figures a citizen and a cashier rely on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, LiveServer, axe, login, no_horizontal_scroll

pytestmark = pytest.mark.browser


def _seed_account(server: LiveServer) -> None:
    """One business with an overdue yearly charge for the demo citizen."""
    from datetime import date

    from connectors import ledger

    engine = server.app.extensions["tramita"].engine
    user = server.accounts().by_email(CITIZEN)
    with engine.begin() as conn:
        taxpayer = ledger.taxpayer_for_user(conn, user.id)
        business = ledger.register_object(
            conn,
            taxpayer_id=taxpayer,
            kind="business",
            key="LIC-2020-0001",
            description="Cocina La Esperanza",
            recurring={"concept": "Refrendo", "amount_cents": 150000, "currency": "MXN"},
        )
        ledger.charge(
            conn,
            idempotency_key="browser-test:refrendo",
            taxpayer_id=taxpayer,
            concept="Refrendo 2020",
            amount_cents=150000,
            currency="MXN",
            due_on=date(2020, 3, 31),
            kind="recurring",
            object_id=business,
            period="2020",
        )


def test_statement_and_treasury_pages_are_accessible(
    live_server: LiveServer, new_context: Any
) -> None:
    _seed_account(live_server)
    citizen = new_context(mobile=True).new_page()
    login(citizen, CITIZEN)
    citizen.goto("/mis-tramites")
    with citizen.expect_navigation():
        citizen.get_by_role("link", name="Mi estado de cuenta: adeudos y pagos").click()
    text = citizen.inner_text("main")
    assert "Refrendo 2020" in text and "$1,500.00" in text and "Vencido" in text
    axe(citizen, "estado de cuenta (360 px)")
    no_horizontal_scroll(citizen)

    cashier = new_context(mobile=True).new_page()
    login(cashier, "tesoreria@demo.gob.mx")
    cashier.goto("/tesoreria/contribuyentes?q=María")
    axe(cashier, "taxpayer search (360 px)")
    with cashier.expect_navigation():
        cashier.get_by_role("link", name="María López Hernández").first.click()
    assert "Cocina La Esperanza" in cashier.inner_text("main")
    axe(cashier, "taxpayer statement, treasury (360 px)")
    cashier.goto("/tesoreria/omisos")
    assert "LIC-2020-0001" in cashier.inner_text("main")
    axe(cashier, "omisos (360 px)")
    no_horizontal_scroll(cashier)


def test_connector_settings_page_is_accessible(live_server: LiveServer, new_context: Any) -> None:
    admin = new_context(mobile=True).new_page()
    login(admin, "admin@demo.gob.mx")
    admin.goto("/admin/conectores")
    assert "Configuración del servidor" in admin.inner_text("main")
    axe(admin, "connectors and municipal settings (360 px)")
    no_horizontal_scroll(admin)
    admin.fill("#payments\\.order_expiry_days", "0")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Guardar").click()
    assert "entre 1 y 90" in admin.inner_text("main")
    axe(admin, "connectors settings with an error (360 px)")


def test_the_consolidated_account_and_omisos_ageing_at_desktop_width(
    live_server: LiveServer, new_context: Any
) -> None:
    _seed_account(live_server)
    cashier = new_context().new_page()
    login(cashier, "tesoreria@demo.gob.mx")
    cashier.goto("/tesoreria/omisos")
    ageing = cashier.get_by_role("region", name="Antigüedad de los adeudos")
    assert "Más de 365 días" in ageing.inner_text()
    with cashier.expect_navigation():
        cashier.get_by_role("link", name="Importe vencido").click()  # sort: largest first
    axe(cashier, "omisos with ageing (desktop)")
    with cashier.expect_navigation():
        cashier.get_by_role("link", name="María López Hernández").first.click()
    main = cashier.locator("main")
    assert "Cuenta fiscal consolidada" in main.inner_text()
    cashier.locator("details.account-history summary").first.click()  # no script needed
    assert "Cargo registrado" in main.inner_text()
    assert "Refrendo 2020" in cashier.get_by_role("region", name="Adeudos vencidos").inner_text()
    axe(cashier, "consolidated fiscal account, history open (desktop)")
