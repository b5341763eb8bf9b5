"""Publishing from the configurator in a real browser, on a phone: the checklist and the
changes, the versions and their comparison, a four-eyes request approved by the director;
every page passes axe-core and fits the screen."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, logout, no_horizontal_scroll
from tests.helpers.web import account
from workflow_engine.persistence.platform.catalog import Editor
from workflow_engine.persistence.platform.municipal_settings import FOUR_EYES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "licencia-funcionamiento"


def retitle(server: LiveServer, text: str) -> None:
    catalog = server.app.extensions["tramita"].catalog
    doc = copy.deepcopy(catalog.draft(KEY))
    doc["title"] = {"es": text, "en": ""}
    liaison = Editor(account(server.app, "enlace@demo.gob.mx").id)
    catalog.save_revision(doc, by=liaison, base=catalog.info(KEY).draft_revision)


def visit(page: Any, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    axe(page, path)
    no_horizontal_scroll(page)


def test_publish_versions_and_four_eyes_approval(new_context: Any, live_server: LiveServer) -> None:
    services = live_server.app.extensions["tramita"]
    retitle(live_server, "Licencia de negocio, versión 2")
    services.catalog.publish(KEY, Editor.operator(), "Segunda versión")
    retitle(live_server, "Licencia de negocio, versión 3")
    admin = account(live_server.app, "admin@demo.gob.mx")
    services.settings_store.update({FOUR_EYES: True}, actor_id=str(admin.id), actor_name="x")

    page = new_context(mobile=True).new_page()
    login(page, "enlace@demo.gob.mx")
    visit(page, f"/configurador/{KEY}/versiones")
    visit(page, f"/configurador/{KEY}/versiones/comparar?de=1&a=2")
    assert "versión 2" in page.inner_text("main")
    visit(page, f"/configurador/{KEY}/publicar")
    assert "1 texto sin traducción al inglés" in page.inner_text("main")
    page.fill("#note", "Nombre más claro")
    with page.expect_navigation():
        page.click("text=Solicitar aprobación para publicar")
    axe(page, "request sent")
    assert "Solicitud de publicación pendiente" in page.inner_text("main")
    logout(page)

    login(page, "funcionario@demo.gob.mx")
    page.goto("/bandeja")
    with page.expect_navigation():
        page.click("text=1 publicación de un trámite espera su aprobación")
    axe(page, "approvals")
    with page.expect_navigation():
        page.click("main a:has-text('Licencia de negocio, versión 3')")
    axe(page, "approval")
    no_horizontal_scroll(page)
    assert "Licencia de negocio, versión 3" in page.inner_text("main")
    with page.expect_navigation():
        page.click("text=Aprobar y publicar")
    assert "se publicó la versión 3" in page.inner_text("main")
    assert services.catalog.version(KEY).number == 3
