"""The case's message thread in a real browser, keyboard only: the applicant writes with an
attachment, the official answers; both pages pass axe at 360 and 1280 px (screenshots of both
sides in SCREENSHOTS)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    CITIZEN,
    LiveServer,
    axe,
    no_horizontal_scroll,
    screenshot,
)
from tests.helpers.browser import (
    MERCADOS,
    file_market_case,
    keyboard_login,
    press_enter,
    tab_to,
)

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _write(page: Any, text: str, files: list[dict[str, Any]] | None = None) -> None:
    tab_to(page, "#mensaje")
    page.keyboard.type(text)
    if files:
        tab_to(page, "#adjuntos")
        page.locator("#adjuntos:focus").set_input_files(files)  # the chooser itself is the OS's
    tab_to(page, "form.message-form button[type=submit]")
    press_enter(page)


@pytest.mark.parametrize("mobile", [True, False], ids=["360px", "1280px"])
def test_a_message_thread_both_ways_by_keyboard(
    live_server: LiveServer, new_context: Any, mobile: bool
) -> None:
    filed = file_market_case(live_server)
    folio = filed["folio"]
    width = "360" if mobile else "1280"
    citizen = new_context(mobile=mobile).new_page()
    keyboard_login(citizen, CITIZEN)
    citizen.goto(f"/expedientes/{folio}")
    _write(
        citizen,
        "¿Puedo enviar el comprobante después?",
        [{"name": "comprobante.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    assert "Mensaje enviado." in citizen.inner_text("main")
    axe(citizen, f"case page with a message ({width} px)")
    no_horizontal_scroll(citizen)

    official = new_context(mobile=mobile).new_page()
    keyboard_login(official, MERCADOS)
    official.goto(f"/bandeja/expedientes/{folio}")
    thread = official.inner_text("#hilo")
    assert "¿Puedo enviar el comprobante después?" in thread and "comprobante.pdf" in thread
    _write(official, "Sí, tiene diez días.")
    axe(official, f"case review with a message ({width} px)")
    no_horizontal_scroll(official)
    screenshot(official, "messages-official", of="#hilo")

    citizen.reload()
    assert "Sí, tiene diez días." in citizen.inner_text("#hilo")
    screenshot(citizen, "messages-citizen", of="#hilo")
