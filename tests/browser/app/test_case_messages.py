"""The case's message thread in a real browser, keyboard only: the applicant writes with an
attachment, the official answers; both pages pass axe at 360 px."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, LiveServer, axe, login, no_horizontal_scroll
from tests.helpers.browser import MERCADOS, file_market_case

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _tab_to(page: Any, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching `selector` has the focus (no mouse)."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"could not reach {selector} with the keyboard")


def _write(page: Any, text: str, files: list[dict[str, Any]] | None = None) -> None:
    _tab_to(page, "#mensaje")
    page.keyboard.type(text)
    if files:
        page.set_input_files("#adjuntos", files)  # the file chooser itself is the OS's
    _tab_to(page, "form.message-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_message_thread_both_ways_by_keyboard(live_server: LiveServer, new_context: Any) -> None:
    filed = file_market_case(live_server)
    folio = filed["folio"]
    citizen = new_context(mobile=True).new_page()
    login(citizen, CITIZEN)
    citizen.goto(f"/expedientes/{folio}")
    _write(
        citizen,
        "¿Puedo enviar el comprobante después?",
        [{"name": "comprobante.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    assert "Mensaje enviado." in citizen.inner_text("main")
    axe(citizen, "case page with a message (360 px)")
    no_horizontal_scroll(citizen)

    official = new_context(mobile=True).new_page()
    login(official, MERCADOS)
    official.goto(f"/bandeja/expedientes/{folio}")
    thread = official.inner_text("#hilo")
    assert "¿Puedo enviar el comprobante después?" in thread and "comprobante.pdf" in thread
    _write(official, "Sí, tiene diez días.")
    axe(official, "case review with a message (360 px)")
    no_horizontal_scroll(official)

    citizen.reload()
    assert "Sí, tiene diez días." in citizen.inner_text("#hilo")
