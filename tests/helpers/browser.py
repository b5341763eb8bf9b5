"""Browser tests' shared steps: the market case filed for the live server, opening a case
from the inbox, and moving through pages with the keyboard only."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import (
    CITIZEN,
    DEMO_PASSWORD,
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


# -- keyboard only ----------------------------------------------------------------------------


def focused(page: Any, selector: str) -> bool:
    """Whether the element with the keyboard focus matches `selector`."""
    script = "s => !!document.activeElement && document.activeElement.matches(s)"
    return bool(page.evaluate(script, selector))


def tab_to(page: Any, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching `selector` has the keyboard (never the mouse)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def press_enter(page: Any) -> None:
    """Enter on the focused link or button, waiting for the page it loads."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def choose_radio(page: Any, first: str, wanted: str, limit: int = 200) -> None:
    """Tab into a radio group (on its first radio, none being checked) and move to `wanted`
    with the arrow keys, which also checks it."""
    tab_to(page, first, limit)
    for _ in range(10):
        if focused(page, wanted):
            break
        page.keyboard.press("ArrowDown")
    assert focused(page, wanted) and page.is_checked(wanted), wanted


def keyboard_login(page: Any, email: str) -> None:
    page.goto("/entrar")
    tab_to(page, "main input[name=email]")
    page.keyboard.type(email)
    tab_to(page, "main input[name=password]")
    page.keyboard.type(DEMO_PASSWORD)
    press_enter(page)
    assert "/entrar" not in page.url, f"login as {email} failed: {page.inner_text('main')}"
