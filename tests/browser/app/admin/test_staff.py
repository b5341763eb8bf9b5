"""Staff administration in a real phone-sized browser: the users list, the invitation form
(with its errors), accepting the invitation, departments and the audit log; every page
passes axe-core and fits 360 px."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ADMIN = "admin@demo.gob.mx"
PASSWORD = "una-clave-larga-2026"


def _check(page: Any, label: str) -> None:
    axe(page, label)
    no_horizontal_scroll(page)


def _submit(page: Any) -> Any:
    with page.expect_navigation() as nav:
        page.locator("main form.admin-form button[type=submit], main form.form button").last.click()
    return nav.value


def test_admin_invites_an_official_who_accepts(new_context: Any, live_server: LiveServer) -> None:
    page = new_context(mobile=True).new_page()
    login(page, ADMIN)

    response = page.goto("/admin/usuarios")
    assert response is not None and response.status == 200
    assert "funcionario@demo.gob.mx" in page.inner_text("main")
    _check(page, "/admin/usuarios")

    page.click("text=Invitar a una persona")
    page.wait_for_url("**/admin/usuarios/invitar")
    _check(page, "/admin/usuarios/invitar")

    # Error state: an official without department or roles.
    page.fill("main [name=email]", "no es correo")
    _submit(page)
    summary = page.locator("main [role=alert]")
    assert summary.count() == 1 and "Hay un problema" in summary.inner_text()
    assert "Elija la dependencia" in summary.inner_text()
    _check(page, "/admin/usuarios/invitar with errors")

    email = f"inspectora.{uuid.uuid4().hex[:8]}@chocotlan.gob.mx"
    page.fill("main [name=email]", email)
    page.fill("main [name=name]", "Irma Inspectora")
    page.check("#role-official")
    page.select_option("#department", "proteccion-civil")
    page.check("#tag-inspector")
    _submit(page)
    assert "/admin/usuarios/" in page.url
    assert f"Enviamos la invitación a {email}" in page.inner_text("main")
    _check(page, "the invited user's page")

    mail = live_server.mail.wait_for(email, containing="/invitacion/")
    link = mail.link("/invitacion/")
    invitee = new_context(mobile=True).new_page()
    invitee.goto(link)
    _check(invitee, "/invitacion/<token>")
    invitee.fill("main [name=password]", PASSWORD)
    invitee.fill("main [name=password_confirm]", PASSWORD)
    _submit(invitee)
    open_menu(invitee)
    assert "Irma Inspectora" in invitee.inner_text("header")

    page.goto("/admin/auditoria")
    text = page.inner_text("main")
    assert "Invitó a una persona" in text and "Aceptó su invitación" in text
    _check(page, "/admin/auditoria")

    page.goto("/admin/dependencias")
    _check(page, "/admin/dependencias")


def test_the_pages_in_english(new_context: Any) -> None:
    page = new_context(mobile=True).new_page()
    login(page, ADMIN)
    page.goto("/admin/usuarios?lang=en")
    assert "Invite a person" in page.inner_text("main")
    _check(page, "/admin/usuarios in English")
    page.goto("/admin/usuarios/invitar")
    _check(page, "/admin/usuarios/invitar in English")
