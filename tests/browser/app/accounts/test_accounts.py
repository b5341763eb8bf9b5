"""Citizen accounts in a real browser: register, verify by e-mail, log in, reset, profile."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import (
    CITIZEN,
    LiveServer,
    axe,
    login,
    no_horizontal_scroll,
    open_menu,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "una-clave-larga-2026"


def _submit(page: Any) -> Any:
    with page.expect_navigation() as nav:
        page.locator("main form button[type=submit]").last.click()
    return nav.value


def _check(page: Any, label: str) -> None:
    axe(page, label)
    no_horizontal_scroll(page)


def _error_summary(page: Any) -> str:
    summary = page.locator("main [role=alert]")
    assert summary.count() >= 1, f"no error summary on {page.url}"
    text = summary.first.inner_text()
    assert "Hay un problema" in text, text
    return str(text)


def _register(page: Any, name: str, email: str) -> None:
    page.fill("main [name=name]", name)
    page.fill("main [name=email]", email)
    page.fill("main [name=password]", PASSWORD)
    page.fill("main [name=password_confirm]", PASSWORD)
    _submit(page)


def test_register_verify_and_log_in(new_context: Any, live_server: LiveServer) -> None:
    page = new_context(mobile=True).new_page()
    email = f"nueva.{uuid.uuid4().hex[:8]}@correo.mx"

    response = page.goto("/registro")
    assert response is not None and response.status == 200
    _check(page, "/registro")

    # Error state: everything empty, then passwords that differ.
    _submit(page)
    _error_summary(page)
    _check(page, "/registro with errors")
    page.fill("main [name=name]", "Lucía Ramírez Ortega")
    page.fill("main [name=email]", email)
    page.fill("main [name=password]", PASSWORD)
    page.fill("main [name=password_confirm]", PASSWORD + "x")
    _submit(page)
    _error_summary(page)
    assert page.input_value("main [name=email]") == email, "the e-mail typed must be kept"
    _check(page, "/registro with differing passwords")

    _register(page, "Lucía Ramírez Ortega", email)
    _check(page, f"after registering ({page.url})")

    mail = live_server.mail.wait_for(email, containing="/verificar-correo/")
    link = mail.link("/verificar-correo/")
    assert link.startswith(live_server.url + "/"), f"the link must use BASE_URL: {link}"
    response = page.goto(link)
    assert response is not None and response.status == 200, response and response.status
    _check(page, "after opening the verification link")

    fresh = new_context(mobile=True).new_page()
    login(fresh, email, PASSWORD)
    open_menu(fresh)
    assert "Lucía Ramírez Ortega" in fresh.inner_text("header")

    # The same link twice says it is done; a forged one is refused politely.
    again = fresh.goto(link)
    assert again is not None and again.status == 200, again and again.status
    bad = fresh.goto("/verificar-correo/no-es-un-token")
    assert bad is not None and bad.status == 404, bad and bad.status
    _check(fresh, "verification link that is not valid")


def test_registering_an_existing_email_is_refused(
    new_context: Any, live_server: LiveServer
) -> None:
    """The same neutral page as for a new address (nobody learns who has an account); the
    owner is told by e-mail, and the account and its password stay as they were."""
    page = new_context().new_page()
    page.goto("/registro")
    _register(page, "Otra Persona", CITIZEN)
    assert page.locator("main [role=alert]").count() == 0, page.inner_text("main")
    _check(page, "/registro with an address already used")
    fresh = new_context().new_page()
    fresh.goto("/registro")
    _register(fresh, "Persona Nueva", f"nueva.{uuid.uuid4().hex[:8]}@correo.mx")
    assert page.inner_text("main h1") == fresh.inner_text("main h1") == "Revise su correo"

    mail = live_server.mail.wait_for(CITIZEN, containing="/recuperar")
    assert "ya tiene una" in mail.text(), mail.text()
    login(new_context().new_page(), CITIZEN)  # the password did not change


def test_password_reset(new_context: Any, live_server: LiveServer) -> None:
    email = f"olvido.{uuid.uuid4().hex[:8]}@correo.mx"
    live_server.ensure_citizen(email, "Pedro Olvidadizo")
    page = new_context(mobile=True).new_page()
    page.goto("/recuperar")
    _check(page, "/recuperar")
    page.fill("main [name=email]", email)
    _submit(page)
    _check(page, "after asking for a reset link")
    mail = live_server.mail.wait_for(email, containing="/restablecer/")
    page.goto(mail.link("/restablecer/"))
    _check(page, "/restablecer/<token>")
    page.fill("main [name=password]", "corta")
    page.fill("main [name=password_confirm]", "corta")
    _submit(page)
    _error_summary(page)
    _check(page, "/restablecer/<token> with a short password")
    new_password = "otra-clave-segura-99"
    page.fill("main [name=password]", new_password)
    page.fill("main [name=password_confirm]", new_password)
    _submit(page)
    fresh = new_context().new_page()
    login(fresh, email, new_password)


def test_profile(new_context: Any, live_server: LiveServer) -> None:
    email = f"perfil.{uuid.uuid4().hex[:8]}@correo.mx"
    live_server.ensure_citizen(email, "Rosa Perfil Medina")
    page = new_context(mobile=True).new_page()
    login(page, email, "demo12345")
    page.goto("/perfil")
    _check(page, "/perfil")
    page.fill("main [name=curp]", "NO-ES-CURP")
    _submit(page)
    _error_summary(page)
    _check(page, "/perfil with an invalid CURP")
    page.fill("main [name=curp]", "PEGA950130MDFRMN02")
    page.fill("main [name=phone]", "222 590 1123")
    page.fill('main [name="address.street"]', "Av. Reforma")
    page.fill('main [name="address.postcode"]', "72960")
    _submit(page)
    assert page.locator("main [role=alert]").count() == 0, page.inner_text("main")
    page.goto("/perfil")
    assert page.input_value("main [name=curp]") == "PEGA950130MDFRMN02"
