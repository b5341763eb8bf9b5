"""Case exports in Chromium: from the inbox to the export page, a version and a format
chosen, the file ready (the build runs in the request without a broker); an export still
being prepared shows its progress and the poll (export_progress.js) reveals the download
link when it is ready; without JavaScript an «Actualizar» link does the same. Every page
passes axe-core and fits 360 px."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, update

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll
from workflow_engine.persistence.models import CaseExport, User, table
from workflow_engine.persistence.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]
KEY = "licencia-funcionamiento"
DIRECTOR = "funcionario@demo.gob.mx"
exports_t = table(CaseExport)


def test_export_from_the_inbox(page: Any) -> None:
    login(page, DIRECTOR)
    page.goto("/bandeja")
    page.get_by_role("link", name="Exportar expedientes").click()
    page.wait_for_url("**/exportaciones")
    axe(page, "/exportaciones")
    page.get_by_role("link", name="Licencia de funcionamiento de negocio").click()
    page.wait_for_url(f"**/exportaciones/{KEY}")
    axe(page, "choose")
    page.get_by_label("Excel (XLSX)").check()
    page.get_by_role("button", name="Exportar").click()
    page.wait_for_url(f"**/exportaciones/{KEY}/*")
    assert page.locator("#export-status").inner_text() == "Listo para descargar"
    link = page.get_by_role("link", name="Descargar el archivo")
    assert link.is_visible()
    axe(page, "ready")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")


def _running(live_server: LiveServer) -> int:
    engine = live_server.app.extensions["tramita"].engine
    with engine.begin() as conn:
        user_id = conn.execute(table(User).select().where(table(User).c.email == DIRECTOR)).one().id
        return int(
            conn.execute(
                insert(exports_t)
                .values(
                    procedure_key=KEY,
                    version_number=1,
                    format="csv",
                    lang="es",
                    departments=["desarrollo-economico"],
                    spec={},
                    requested_by_id=str(user_id),
                    requested_by_name="Funcionario",
                    requested_at=utcnow(),
                    status="running",
                    rows_total=40,
                    rows_done=10,
                    storage_name="",
                    size=0,
                    error="",
                )
                .returning(exports_t.c.id)
            ).scalar_one()
        )


def _ready(live_server: LiveServer, export_id: int) -> None:
    exports = live_server.app.extensions["tramita"].exports
    with live_server.app.extensions["tramita"].engine.begin() as conn:
        conn.execute(update(exports_t).where(exports_t.c.id == export_id).values(status="queued"))
    exports.build(export_id)


def test_progress_is_polled_until_the_file_is_ready(
    live_server: LiveServer, new_context: Any
) -> None:
    export_id = _running(live_server)
    page = new_context(mobile=True).new_page()
    login(page, DIRECTOR)
    page.goto(f"/exportaciones/{KEY}/{export_id}")
    assert page.locator("#export-status").inner_text() == "Preparándose"
    assert page.locator("#export-count").inner_text() == "10 de 40 expedientes"
    assert not page.get_by_role("link", name="Descargar el archivo").is_visible()
    axe(page, "running")
    no_horizontal_scroll(page)
    _ready(live_server, export_id)
    page.get_by_role("link", name="Descargar el archivo").wait_for(state="visible")
    assert page.locator("#export-status").inner_text() == "Listo para descargar"
    axe(page, "ready after the poll")


def test_without_javascript_the_refresh_link(live_server: LiveServer, new_context: Any) -> None:
    export_id = _running(live_server)
    page = new_context(js=False).new_page()
    login(page, DIRECTOR)
    page.goto(f"/exportaciones/{KEY}/{export_id}")
    _ready(live_server, export_id)
    page.get_by_role("link", name="Actualizar").click()
    assert page.get_by_role("link", name="Descargar el archivo").is_visible()
    assert not page.get_by_role("link", name="Actualizar").is_visible()  # finished
