"""Issue 16's build journey with the keyboard only (Tab, Shift+Tab, typing, arrows, Space,
Enter; never the mouse): a liaison creates a blank procedure, moves to its steps through the
editor's side navigation, adds a form step (linked from the application on its own) and a
field to it, adds a field from the palette to the application and edits it (English label,
required), fills the information the law asks for and publishes it with a note. The steps
and field pages pass axe-core. Kept lean: one width, the pages the building needs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe
from tests.helpers.browser import choose_radio, keyboard_login, press_enter, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "licencia-teclado"
LIAISON = "enlace@demo.gob.mx"


def type_into(page: Any, selector: str, text: str) -> None:
    """Tab to the input and type `text` (replacing what it held)."""
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def press(page: Any, button: str) -> None:
    """Tab to the button and press Enter, waiting for the page it loads."""
    tab_to(page, button)
    press_enter(page)


def add_field(page: Any, label: str) -> None:
    """On a form step's page: a short-text field from the palette (its first type)."""
    choose_radio(page, "#agregar-campo-text", "#agregar-campo-text")
    type_into(page, "#agregar-campo-label", label)
    press(page, "form:has(#agregar-campo-label) button[type=submit]")


def said(page: Any) -> str:
    return str(page.inner_text("main"))


def test_a_liaison_builds_and_publishes_a_procedure_with_the_keyboard_only(
    live_server: LiveServer, new_context: Any
) -> None:
    page = new_context().new_page()
    keyboard_login(page, LIAISON)

    page.goto("/configurador/nuevo")
    type_into(page, "#blank-title-es", "Licencia por teclado")
    type_into(page, "#blank-key", KEY)
    press(page, "form[action$='/configurador/nuevo'] button[type=submit]")
    assert page.url.endswith(f"/configurador/{KEY}/"), said(page)

    press(page, f".usa-sidenav a[href$='/configurador/{KEY}/pasos']")
    axe(page, "steps page")
    choose_radio(page, "#tipo-form", "#tipo-form")
    type_into(page, "#title_es", "Datos del local")
    press(page, "form:has(#title_es) button[type=submit]")
    assert "«Solicitud» lleva ahora al paso nuevo" in said(page), said(page)
    assert page.url.endswith(f"/configurador/{KEY}/pasos/datos_del_local")
    add_field(page, "Domicilio del local")
    assert page.url.endswith("/pasos/datos_del_local/campos/domicilio_del_local"), said(page)

    page.goto(f"/configurador/{KEY}/pasos/solicitud")
    add_field(page, "Razón social")
    assert page.url.endswith("/pasos/solicitud/campos/razon_social"), said(page)
    axe(page, "field page")
    type_into(page, "#label_en", "Business name")
    tab_to(page, "#required")
    page.keyboard.press("Space")
    assert page.is_checked("#required")
    press(page, "form:has(#label_en) button[type=submit]")
    assert "Se guardó el campo" in said(page), said(page)

    page.goto(f"/configurador/{KEY}/informacion")
    type_into(page, "#summary-es", "Permite abrir un negocio.")
    type_into(page, "#homoclave", "CHO-DE-902")
    type_into(page, "#modality-es", "Expedición")
    type_into(page, "#who_may_apply-es", "Personas físicas o morales.")
    type_into(page, "#requirements-0-name-es", "Identificación oficial")
    type_into(page, "#max_response_days", "10")
    type_into(page, "#cost-es", "Gratuito.")
    tab_to(page, "#ficta")
    page.keyboard.press("ArrowDown")  # the first choice: afirmativa ficta
    assert page.input_value("#ficta") == "afirmativa"
    press(page, "main form > button[type=submit]:not([name])")  # Guardar, after the form
    assert "Falta este dato" not in said(page), said(page)

    page.goto(f"/configurador/{KEY}/publicar")
    type_into(page, "#note", "Primera versión, hecha con el teclado")
    press(page, "form:has(#note) button[type=submit]")
    assert "Primera versión, hecha con el teclado" in said(page), said(page)
    draft = live_server.app.extensions["tramita"].catalog.draft(KEY)
    solicitud = draft["steps"][0]
    assert solicitud["fields"][0]["label"] == {"es": "Razón social", "en": "Business name"}
    assert solicitud["fields"][0]["required"] is True
    assert solicitud["transitions"][0]["to"] == "datos_del_local"
