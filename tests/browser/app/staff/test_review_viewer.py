"""The official's case review with the keyboard only: each document opens in the viewer
beside the requirement list (a plain anchor, no script needed), one fieldset per
requirement, and a decision registered without a mouse; axe, no horizontal scroll at 360 px
and no CSP violation (the file route may be framed by this site only)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll
from tests.helpers.browser import MERCADOS, file_market_case

pytestmark = pytest.mark.browser


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def panel_fits(page: Any, selector: str) -> None:
    box = page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {left: r.left, right: r.right, width: document.documentElement.clientWidth}; }",
        selector,
    )
    assert box["left"] >= 0 and box["right"] <= box["width"] + 0.5, box


@pytest.mark.parametrize("mobile", [True, False], ids=["360px", "1280px"])
def test_review_documents_side_by_side_with_the_keyboard(
    live_server: LiveServer, new_context: Any, mobile: bool
) -> None:
    filed = file_market_case(live_server)
    folio, ine, photo = filed["folio"], filed["ine"]["id"], filed["photo"]["id"]
    page = new_context(mobile=mobile).new_page()
    login(page, MERCADOS)
    page.goto(f"/bandeja/expedientes/{folio}")
    # not holding the task yet: «Tomar», no decision panel
    assert page.locator("#decision-form").count() == 0
    tab_to(page, "form[action$='/tomar'] button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#decision-form").count() == 1
    axe(page, f"case review with viewer ({'360' if mobile else '1280'} px)")
    no_horizontal_scroll(page)

    # one fieldset per requirement, its name as the legend
    legends = page.locator("#decision-form fieldset.requirement > legend")
    assert legends.count() == 2
    assert page.locator(f"#req-{ine} > legend").inner_text().strip()

    # open the PDF beside the list from the requirement's link
    tab_to(page, f"#req-{ine} a[href='#ver-{ine}']")
    page.keyboard.press("Enter")
    page.wait_for_function("h => location.hash === h", arg=f"#ver-{ine}")
    frame = page.locator(f"#ver-{ine} iframe")
    frame.wait_for(state="visible")
    assert frame.get_attribute("title") == "credencial.pdf"
    assert page.locator(f"#ver-{photo}").is_hidden()
    panel_fits(page, f"#ver-{ine} iframe")
    no_horizontal_scroll(page)
    axe(page, "viewer open on a PDF")

    # back to the requirement, accept it; then the photo
    tab_to(page, f"#ver-{ine} a[href='#req-{ine}']")
    page.keyboard.press("Enter")
    # the fragment navigation moves the focus: wait for it before tabbing on from there
    page.wait_for_function("h => location.hash === h", arg=f"#req-{ine}")
    tab_to(page, f"#req-{ine}-ok")
    page.keyboard.press("Space")
    assert page.is_checked(f"#req-{ine}-ok")
    tab_to(page, f"#req-{photo} a[href='#ver-{photo}']")
    page.keyboard.press("Enter")
    page.wait_for_function("h => location.hash === h", arg=f"#ver-{photo}")
    image = page.locator(f"#ver-{photo} img")
    image.wait_for(state="visible")  # the helper's PNG is only a signature: no pixels
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i.complete; }",
        arg=f"#ver-{photo} img",
    )
    panel_fits(page, f"#ver-{photo} img")
    no_horizontal_scroll(page)

    # approve with the keyboard
    tab_to(page, "#decision-approve")
    page.keyboard.press("Space")
    tab_to(page, "#decision-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Aprobó" in page.inner_text("main")
