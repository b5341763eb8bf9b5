"""Issue 15, citizens, keyboard only in Chromium: a return for correction answered with a
replaced file (the reasons beside it), a refused final submit that puts the keyboard on its
error summary, and group rows whose add/remove moves the keyboard to the row and says so."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, DEMO_PASSWORD, LiveServer, axe, tiny_pdf
from tests.helpers.engine import MINI
from workflow_engine.engine import Actor, Decide, RequirementReview
from workflow_engine.persistence.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OFFICIAL = Actor("99", "official", frozenset({"desarrollo-economico"}), frozenset({"revisor"}), "R")
REASON = "El comprobante tiene más de tres meses."


_PUBLISHED: set[tuple[str, str]] = set()


def publish(live_server: LiveServer, key: str, extra: list[dict[str, Any]]) -> None:
    """MINI with `extra` fields on its form step, published once per live server."""
    if (live_server.url, key) in _PUBLISHED:
        return
    doc = copy.deepcopy(MINI)
    doc["key"] = key
    doc["steps"][0]["fields"] += extra
    catalog = live_server.app.extensions["tramita"].catalog
    catalog.save_draft(doc)
    catalog.publish(key)
    _PUBLISHED.add((live_server.url, key))


def focused(page: Any, selector: str) -> bool:
    return bool(
        page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        )
    )


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has the keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def enter(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_login(page: Any) -> None:
    page.goto("/entrar")
    tab_to(page, 'input[name="email"]')
    page.keyboard.type(CITIZEN)
    tab_to(page, 'input[name="password"]')
    page.keyboard.type(DEMO_PASSWORD)
    enter(page)


def type_into(page: Any, name: str, text: str) -> None:
    tab_to(page, f'main [name="{name}"]')
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def start(page: Any, key: str) -> str:
    page.goto(f"/tramites/{key}/informacion")
    tab_to(page, f'main form[action$="/tramites/{key}"] button')
    enter(page)
    return str(page.url.split("/expedientes/")[1].split("/")[0])


def fill_datos(page: Any) -> None:
    type_into(page, "nombre", "María López")
    type_into(page, "edad", "34")
    tab_to(page, 'main select[name="giro"]')
    page.keyboard.type("Tienda")
    type_into(page, "superficie", "40")


def test_correction_answered_with_a_replaced_file_keyboard_only(
    new_context: Any, live_server: LiveServer
) -> None:
    publish(
        live_server,
        "correccion-teclado",
        [
            {
                "id": "comprobante",
                "type": "file",
                "label": {"es": "Comprobante de domicilio"},
                "required": True,
                "accept": ["application/pdf"],
            }
        ],
    )
    page = new_context().new_page()
    keyboard_login(page)
    folio = start(page, "correccion-teclado")
    fill_datos(page)
    tab_to(page, 'main input[type=file][name="comprobante"]')
    page.locator("main input:focus").set_input_files(
        [{"name": "recibo-viejo.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf("v")}]
    )
    tab_to(page, 'main button[name=accion][value="continuar"]')
    enter(page)
    assert page.url.endswith(f"/expedientes/{folio}/revisar"), page.url

    # a submit without the declaration: redirected back, the keyboard on the error summary
    tab_to(page, 'main form[action$="/enviar"] button[type=submit]')
    enter(page)
    assert page.url.endswith("/revisar")
    page.wait_for_function(
        "document.activeElement && document.activeElement.id === 'error-summary'"
    )
    axe(page, "check answers with an error")
    page.reload()
    assert page.locator("#error-summary").count() == 0  # a reload sends nothing again
    tab_to(page, "#declaracion")
    page.keyboard.press("Space")
    tab_to(page, 'main form[action$="/enviar"] button[type=submit]')
    enter(page)
    assert page.url.endswith("/confirmacion"), page.url

    # the official returns it: the proof of address is not accepted
    cases = live_server.app.extensions["tramita"].cases
    case_id = cases.case_id_for_folio(folio)
    state = cases.load(case_id)[0]
    (task,) = state.open_tasks()
    old = state.data["comprobante"][0]["id"]
    cases.execute(
        case_id,
        Decide(
            at=utcnow(),
            actor=OFFICIAL,
            task_id=task.id,
            decision="return",
            comment="Suba un comprobante reciente.",
            reason="outdated",
            requirement_reviews=(RequirementReview(old, False, REASON),),
        ),
    )

    page.goto(f"/expedientes/{folio}")
    notice = page.locator("#devuelto")
    assert "Suba un comprobante reciente." in notice.inner_text()
    assert REASON in notice.inner_text()
    axe(page, "case page returned")
    tab_to(page, '#devuelto a[href$="#comprobante"]')
    enter(page)
    assert "/pasos/datos" in page.url
    beside = page.locator("main ul.uploaded li").first.inner_text()
    assert "recibo-viejo.pdf" in beside and REASON in beside
    assert "Suba un comprobante reciente." in page.locator("#devuelto").inner_text()
    axe(page, "corrected step")
    tab_to(page, 'main input[type=file][name="comprobante"]')
    page.locator("main input:focus").set_input_files(
        [{"name": "recibo-nuevo.pdf", "mimeType": "application/pdf", "buffer": tiny_pdf("n")}]
    )
    tab_to(page, 'main button[name=accion][value="continuar"]')
    enter(page)
    assert page.url.endswith("/revisar"), page.url
    answers = page.inner_text("main").replace(page.locator("#devuelto").inner_text(), "")
    assert "recibo-nuevo.pdf" in answers and "recibo-viejo.pdf" not in answers
    tab_to(page, "#declaracion")
    page.keyboard.press("Space")
    tab_to(page, 'main form[action$="/enviar"] button[type=submit]')
    enter(page)
    assert page.url.endswith("/confirmacion"), page.url
    refs = cases.load(case_id)[0].data["comprobante"]
    assert [r["name"] for r in refs] == ["recibo-nuevo.pdf"]


GROUP = {
    "id": "socios",
    "type": "group",
    "label": {"es": "Socios"},
    "fields": [{"id": "socio_nombre", "type": "text", "label": {"es": "Nombre del socio"}}],
}


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_adding_and_removing_a_row_moves_the_keyboard_there_and_says_so(
    new_context: Any, live_server: LiveServer, js: bool
) -> None:
    publish(live_server, "filas-teclado", [GROUP])
    page = new_context(js=js).new_page()
    keyboard_login(page)
    start(page, "filas-teclado")
    fill_datos(page)
    tab_to(page, 'main button[name=accion][value="agregar:socios"]')
    enter(page)
    assert page.url.endswith("#socios-0"), page.url
    assert "Se agregó la fila 1." in page.locator("#aviso-filas").inner_text()
    if js:
        page.wait_for_function("document.activeElement && document.activeElement.id === 'socios-0'")
        axe(page, "row added")
    type_into(page, "socios[0].socio_nombre", "Ana")
    tab_to(page, 'main button[name=accion][value="agregar:socios"]')
    enter(page)
    assert page.url.endswith("#socios-1"), page.url
    assert "Se agregó la fila 2." in page.locator("#aviso-filas").inner_text()
    if js:
        page.wait_for_function("document.activeElement && document.activeElement.id === 'socios-1'")
        # the next Tab goes into the new row
        page.keyboard.press("Tab")
        assert focused(page, 'main [name="socios[1].socio_nombre"]')
    tab_to(page, 'main button[name=accion][value="quitar:socios:1"]')
    enter(page)
    assert page.url.endswith("#socios"), page.url
    assert "Se quitó la fila 2." in page.locator("#aviso-filas").inner_text()
    if js:
        page.wait_for_function("document.activeElement && document.activeElement.id === 'socios'")
        axe(page, "row removed")
    assert page.locator('main [name="socios[1].socio_nombre"]').count() == 0
