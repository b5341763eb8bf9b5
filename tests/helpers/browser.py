"""Browser tests' shared steps: the market case filed for the live server, opening a case
from the inbox."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import (
    CITIZEN,
    LiveServer,
)
from tests.helpers.web import account

MERCADOS = "mercados@demo.gob.mx"


def file_market_case(server: LiveServer) -> dict[str, Any]:
    from tests.helpers.market import file_market_case as file_it

    return file_it(server.app, account(server.app, CITIZEN))


def open_case_from_inbox(page: Any, folio: str, view: str) -> None:
    page.goto(f"/bandeja?vista={view}&q={folio}")
    link = page.locator(f"main a[href$='/bandeja/expedientes/{folio}']")
    assert link.count() == 1, page.inner_text("main")
    with page.expect_navigation():
        link.click()
