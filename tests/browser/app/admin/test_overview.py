"""The administrators' overview pages (every case, one case read-only, procedures and their
versions, connectors) pass axe-core and fit a phone's screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll
from tests.helpers.reconciliation import KEY, awaiting_payment

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_admin_overview_pages_are_accessible(new_context: Any, live_server: LiveServer) -> None:
    case_id, _order = awaiting_payment(live_server.app)
    folio = live_server.app.extensions["tramita"].cases.load(case_id)[0].folio
    page = new_context(mobile=True).new_page()
    login(page, "admin@demo.gob.mx")
    for path in (
        "/admin/expedientes",
        f"/admin/expedientes?q={folio}",
        f"/admin/expedientes/{folio}",
        "/admin/tramites",
        f"/admin/tramites/{KEY}",
        "/admin/conectores",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        axe(page, path)
        no_horizontal_scroll(page)
