"""Pages people reach when something is refused, and one admin page, in a real browser: a
department's page (and its errors), 400 (a bad filter, a form without its CSRF token), 409
(a decision someone already made) and 429 (too many login attempts). Each passes axe-core
and fits 360 px. The 429 test runs last: it spends this module's server's login budget."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll
from tests.helpers.browser import MERCADOS, file_market_case, open_case_from_inbox

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ADMIN = "admin@demo.gob.mx"


def _check(page: Any, label: str) -> None:
    axe(page, label)
    no_horizontal_scroll(page)


def _submit(page: Any, selector: str) -> Any:
    with page.expect_navigation() as nav:
        page.locator(selector).last.click()
    return nav.value


def test_a_departments_page_and_its_errors(new_context: Any) -> None:
    page = new_context(mobile=True).new_page()
    login(page, ADMIN)
    response = page.goto("/admin/dependencias/proteccion-civil")
    assert response is not None and response.status == 200
    assert page.input_value("main [name=name_es]") == "Protección Civil"
    _check(page, "/admin/dependencias/<key>")
    page.fill("main [name=name_es]", "")
    response = _submit(page, "main form button[type=submit]")
    assert response.status == 400
    assert page.locator("main [role=alert]").count() >= 1, page.inner_text("main")
    _check(page, "/admin/dependencias/<key> with an error")


def test_400_pages(new_context: Any) -> None:
    official = new_context(mobile=True).new_page()
    login(official, MERCADOS)
    response = official.goto("/bandeja?vista=unclaimed&desde=2026-02-30")
    assert response is not None and response.status == 400
    assert "La fecha «2026-02-30» no es válida (use DD/MM/AAAA)." in official.inner_text("main")
    _check(official, "/bandeja with a bad date (400)")

    # A form sent without its CSRF token (an expired page, a forged request).
    page = new_context(mobile=True).new_page()
    page.goto("/entrar")
    page.evaluate(
        "() => document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())"
    )
    page.fill("input[name=email]", "alguien@correo.mx")
    page.fill("input[name=password]", "una-clave-cualquiera")
    response = _submit(page, "main form button[type=submit]")
    assert response.status == 400
    assert "Código 400" in page.inner_text("main")
    _check(page, "error page 400")


def test_409_page_when_someone_already_decided(live_server: LiveServer, new_context: Any) -> None:
    folio = file_market_case(live_server)["folio"]
    first = new_context(mobile=True).new_page()
    login(first, MERCADOS)
    open_case_from_inbox(first, folio, "unclaimed")
    with first.expect_navigation():
        first.get_by_role("button", name="Tomar esta tarea").click()
    second = new_context(mobile=True).new_page()  # the same official, in another tab
    login(second, MERCADOS)
    second.goto(first.url)
    first.check("#decision-approve")
    with first.expect_navigation():
        first.get_by_role("button", name="Registrar decisión").click()
    second.check("#decision-reject")
    second.fill("#comment", "No cumple el reglamento de mercados.")
    response = _submit(second, "main button:has-text('Registrar decisión')")
    assert response.status == 409
    _check(second, "409: a decision already made")


def test_zz_429_page_after_too_many_login_attempts(new_context: Any) -> None:
    page = new_context(mobile=True).new_page()
    email = f"intentos.{uuid.uuid4().hex[:8]}@correo.mx"
    statuses = []
    for attempt in range(6):
        page.goto("/entrar")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", f"equivocada-{attempt}")
        statuses.append(_submit(page, "main form button[type=submit]").status)
    assert statuses[-1] == 429, statuses
    assert page.locator("main [role=alert]").count() >= 1, page.inner_text("main")
    _check(page, "/entrar locked (429)")
