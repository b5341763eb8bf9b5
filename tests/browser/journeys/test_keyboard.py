"""Issue 15's journeys with the keyboard only (Tab, Enter, Space, arrows; never the mouse), at
360 and 1280 px: an official claims several cases at once from the inbox (Enter on a selected
row claims the selection, not the first row); an official looks at a photo beside the list,
returns the case asking for a new one, the citizen follows the notice's link to the refused
file, replaces it and sends the case again, and the same official finds it in «Mis tareas» with
what changed (old → new) and approves it. Every page visited passes axe-core and, at 360 px,
does not scroll sideways; the key pages are written to SCREENSHOTS for a person to look at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    CITIZEN,
    LiveServer,
    axe,
    no_horizontal_scroll,
    screenshot,
    tiny_png,
)
from tests.helpers.browser import (
    MERCADOS,
    choose_radio,
    file_market_case,
    keyboard_login,
    press_enter,
    tab_to,
)
from tests.helpers.web import account
from workflow_engine.engine import state as case_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = pytest.mark.parametrize("mobile", [True, False], ids=["360px", "1280px"])


def checked_page(page: Any, label: str, shot: str = "") -> None:
    """axe on the page, no sideways scroll, and a screenshot when `shot` names one."""
    axe(page, f"{label} ({page.viewport_size['width']} px)")
    no_horizontal_scroll(page)
    if shot:
        screenshot(page, shot)


def open_from_inbox(page: Any, folio: str, view: str) -> None:
    """The inbox searched for the folio, then its link followed with Enter."""
    page.goto(f"/bandeja?vista={view}&q={folio}")
    tab_to(page, f"main a[href$='/bandeja/expedientes/{folio}']")
    press_enter(page)
    assert folio in page.inner_text("h1")


def assignees(live_server: LiveServer, folio: str) -> list[str | None]:
    cases = live_server.app.extensions["tramita"].cases
    return [t.assignee for t in cases.load(cases.case_id_for_folio(folio))[0].open_tasks()]


@WIDTHS
def test_bulk_claim_from_the_inbox_with_the_keyboard(
    live_server: LiveServer, new_context: Any, mobile: bool
) -> None:
    filed = {file_market_case(live_server)["folio"] for _ in range(3)}
    me = str(account(live_server.app, MERCADOS).id)
    page = new_context(mobile=mobile).new_page()
    keyboard_login(page, MERCADOS)
    assert "/bandeja" in page.url  # staff land on their inbox
    page.goto("/bandeja?vista=unclaimed&tramite=permiso-mercado&orden=age")
    checked_page(page, "inbox, unclaimed")
    rows = page.eval_on_selector_all("main input[name=tareas]", "es => es.map(e => e.value)")
    first, *others = [r.partition(":")[0] for r in rows if r.partition(":")[0] in filed]
    for folio in others:
        box = f"main input[name=tareas][value^='{folio}:']"
        tab_to(page, box)
        page.keyboard.press("Space")
        assert page.is_checked(box), folio
    screenshot(page, "inbox-selected")
    # Enter on a checkbox claims what is selected, not the first row's own «Tomar»
    press_enter(page)
    main = page.inner_text("main")
    assert "Se actualizaron 2 tareas." in main, main
    assert assignees(live_server, first) == [None]
    assert all(assignees(live_server, folio) == [me] for folio in others)

    tab_to(page, f"main input[name=tareas][value^='{first}:']")
    page.keyboard.press("Space")
    tab_to(page, "main button[name=accion][value=tomar]:not([aria-hidden])")
    press_enter(page)
    assert "Se actualizó 1 tarea." in page.inner_text("main")
    assert assignees(live_server, first) == [me]

    page.goto("/bandeja?vista=mine&tramite=permiso-mercado")
    mine = page.inner_text("main")
    assert all(folio in mine for folio in filed), mine
    checked_page(page, "inbox, mine after a bulk claim", "inbox-mine")


def review_and_return(page: Any, folio: str, ine: str, photo: str) -> None:
    """The official takes the task, looks at the photo beside the list, accepts the ID,
    refuses the photo with a reason and returns the case."""
    open_from_inbox(page, folio, "unclaimed")
    tab_to(page, "main form[action$='/tomar'] button")
    press_enter(page)
    assert page.locator("#decision-form").count() == 1
    checked_page(page, "case review, task taken")
    tab_to(page, f"#req-{ine}-ok")
    page.keyboard.press("Space")

    tab_to(page, f"#req-{photo} a[href='#ver-{photo}']")
    page.keyboard.press("Enter")
    page.wait_for_function("h => location.hash === h", arg=f"#ver-{photo}")
    page.locator(f"#ver-{photo} img").wait_for(state="visible")
    checked_page(page, "case review, photo in the viewer")
    screenshot(page, "review-viewer", full_page=False)  # what the screen shows, side by side
    tab_to(page, f"#ver-{photo} a[href='#req-{photo}']")
    page.keyboard.press("Enter")
    # the keyboard goes on from the requirement, not from the top of the page
    choose_radio(page, f"#req-{photo}-ok", f"#req-{photo}-no", limit=5)
    tab_to(page, f"#req-{photo}-motivo")
    page.keyboard.type("La fotografía no es reciente.")
    choose_radio(page, "#decision-approve", "#decision-return")
    tab_to(page, "#reason")
    for _ in range(4):
        if page.eval_on_selector("#reason", "e => e.value") == "outdated":
            break
        page.keyboard.press("ArrowDown")
    assert page.eval_on_selector("#reason", "e => e.value") == "outdated"
    tab_to(page, "#comment")
    page.keyboard.type("Suba una fotografía reciente, por favor.")
    screenshot(page, "review-return-filled")
    tab_to(page, "#decision-form button[type=submit]")
    press_enter(page)
    assert "Devolvió el expediente" in page.inner_text("main")


def correct_and_resend(page: Any, folio: str) -> None:
    """The citizen reads why, follows the link to the refused photo, replaces it and sends."""
    page.goto(f"/expedientes/{folio}")
    notice = page.locator("#devuelto").inner_text()
    assert "La fotografía no es reciente." in notice and "Suba una fotografía reciente" in notice
    checked_page(page, "citizen's returned case", "citizen-returned")
    tab_to(page, "#devuelto a[href$='#doc_fotografia']")
    press_enter(page)
    assert "/pasos/solicitante" in page.url
    beside = page.locator("#campo-doc_fotografia").inner_text()
    assert "foto.png" in beside and "La fotografía no es reciente." in beside
    checked_page(page, "corrected step", "citizen-correct-step")
    # the link put the keyboard on the refused file's input, which says why it was refused
    page.wait_for_function("() => document.activeElement?.id === 'doc_fotografia'")
    told = page.evaluate(
        """() => document.activeElement.getAttribute('aria-describedby').split(' ')
            .map(id => document.getElementById(id).textContent).join(' ')"""
    )
    assert "La fotografía no es reciente." in told, told
    # the file chooser is the operating system's: the file is handed to the focused input
    page.locator("main input:focus").set_input_files(
        [{"name": "foto-nueva.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    tab_to(page, "main button[name=accion][value=continuar]")
    press_enter(page)
    while "/revisar" not in page.url:  # the next steps keep their answers
        tab_to(page, "main button[name=accion][value=continuar]")
        press_enter(page)
    tab_to(page, "#declaracion")
    page.keyboard.press("Space")
    tab_to(page, "main form[action$='/enviar'] button[type=submit]")
    press_enter(page)
    assert page.url.endswith("/confirmacion"), page.url


@WIDTHS
def test_return_replace_and_what_changed_with_the_keyboard(
    live_server: LiveServer, new_context: Any, mobile: bool
) -> None:
    filed = file_market_case(live_server)
    folio, ine, photo = filed["folio"], filed["ine"]["id"], filed["photo"]["id"]
    cases = live_server.app.extensions["tramita"].cases
    official = new_context(mobile=mobile).new_page()
    keyboard_login(official, MERCADOS)
    review_and_return(official, folio, ine, photo)
    assert cases.load(filed["case_id"])[0].status == case_state.AWAITING_CORRECTION

    citizen = new_context(mobile=mobile).new_page()
    keyboard_login(citizen, CITIZEN)
    correct_and_resend(citizen, folio)
    state = cases.load(filed["case_id"])[0]
    assert state.status == case_state.IN_REVIEW
    (new_photo,) = state.data["doc_fotografia"]
    assert new_photo["name"] == "foto-nueva.png"

    # back to the official who returned it, in «Mis tareas», with what changed
    open_from_inbox(official, folio, "mine")
    changes = official.locator("section.changes").inner_text()
    assert "foto.png" in changes and "foto-nueva.png" in changes, changes
    assert official.locator("section.changes del", has_text="foto.png").count() == 1
    assert official.locator("section.changes ins", has_text="foto-nueva.png").count() == 1
    checked_page(official, "case review with what changed", "review-what-changed")
    tab_to(official, f"#req-{new_photo['id']}-ok")
    official.keyboard.press("Space")
    tab_to(official, "#decision-approve")
    official.keyboard.press("Space")
    tab_to(official, "#decision-form button[type=submit]")
    press_enter(official)
    assert "Aprobó" in official.inner_text("main")
    assert cases.load(filed["case_id"])[0].status != case_state.IN_REVIEW
