"""Issue 16: a liaison builds a small procedure entirely through the configurator with
JavaScript disabled (plain forms only): a blank draft, its information, a form step with three
fields, an approval by Desarrollo Económico, two end steps and their routes; a test run, then
publication with a note. The citizen (JavaScript off too) finds it in the catalog and applies;
an official of the department takes the task and approves; the case ends approved. axe needs
JavaScript, so every configurator page visited is checked afterwards in a context with it on,
sharing the liaison's session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, LiveServer, axe, login
from tests.helpers.browser_wizard import press as wizard_press
from tests.helpers.browser_wizard import start_case, submit_case
from workflow_engine.engine import state as case_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIAISON = "enlace@demo.gob.mx"
OFFICIAL = "revisora@demo.gob.mx"  # revisor of Desarrollo Económico
TITLE = "Constancia de prueba sin JavaScript"
KEY = "constancia-sin-js"


def press(page: Any, name: str) -> None:
    """Click the button called `name` (a plain form post) and wait for the next page."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).first.click()


def test_liaison_builds_and_publishes_without_javascript(
    live_server: LiveServer, new_context: Any
) -> None:
    context = new_context(js=False)
    page = context.new_page()
    login(page, LIAISON)
    visited: list[str] = []

    page.goto("/configurador/nuevo")
    visited.append("/configurador/nuevo")
    page.fill("#blank-title-es", TITLE)
    page.fill("#blank-key", KEY)
    press(page, "Crear en blanco")
    assert page.url.endswith(f"/configurador/{KEY}/"), page.inner_text("main")
    visited.append(f"/configurador/{KEY}/")

    # the information: summary, homoclave, one requirement, response time, cost «Gratuito»
    page.goto(f"/configurador/{KEY}/informacion")
    visited.append(f"/configurador/{KEY}/informacion")
    press(page, "Agregar un requisito")
    page.fill("#summary-es", "Constancia sencilla para probar el configurador sin JavaScript.")
    page.fill("#homoclave", "CHO-DE-099")
    page.fill("#modality-es", "Solicitud")
    page.fill("#who_may_apply-es", "Cualquier persona")
    page.fill("#requirements-0-name-es", "Identificación oficial")
    page.fill("#max_response_days", "5")
    page.select_option("#ficta", "none")
    page.fill("#cost-es", "Gratuito")
    page.fill("#cost-en", "Free")
    press(page, "Guardar")
    main = page.inner_text("main")
    assert "Se guardó la información del trámite." in main, main
    assert "Falta completar" not in main, main

    # the form step the blank draft starts with: three fields from the palette
    form_step = f"/configurador/{KEY}/pasos/solicitud"
    for kind, label in (
        ("text", "Nombre del negocio"),
        ("yesno", "¿Tiene local propio?"),
        ("select", "Giro"),
    ):
        page.goto(form_step)
        page.check(f"#agregar-campo-{kind}")
        page.fill("#agregar-campo-label", label)
        press(page, "Agregar campo")
        visited.append(page.url.removeprefix(live_server.url))
        page.check("#required")
        press(page, "Guardar campo")
        assert "Se guardó el campo." in page.inner_text("main"), page.inner_text("main")
    page.fill("#options_text", "comercio | Comercio | Retail\nservicios | Servicios | Services")
    press(page, "Guardar opciones")
    assert "Servicios" in page.input_value("#options_text"), page.inner_text("main")

    # an approval by Desarrollo Económico and an end for rejected applications
    steps_page = f"/configurador/{KEY}/pasos"
    for kind, title in (("approval", "Revisión de la solicitud"), ("end", "Solicitud rechazada")):
        page.goto(steps_page)
        page.check(f"#tipo-{kind}")
        page.fill("#title_es", title)
        press(page, "Agregar paso")
        visited.append(page.url.removeprefix(live_server.url))
    review = visited[-2]
    page.select_option("#outcome", "rejected")
    press(page, "Guardar resultado")
    assert "Se guardó el resultado." in page.inner_text("main"), page.inner_text("main")

    page.goto(review)
    page.select_option("#department", "desarrollo-economico")
    page.fill("#role", "revisor")
    page.fill("#deadline_days", "3")
    press(page, "Guardar área y plazo")
    page.select_option("#approve-new", "fin")
    press(page, "Agregar ruta")
    page.select_option("#reject", "solicitud_rechazada")
    press(page, "Guardar rechazo y prevención")
    assert "Se guardó a dónde llevan el rechazo" in page.inner_text("main")

    # the form leads to the review; the ends reordered with «Subir»
    page.goto(form_step)
    page.select_option("#to-enviar", "revision_de_la_solicitud")
    press(page, "Guardar destino")
    assert "Se guardó el destino de la ruta." in page.inner_text("main")
    page.goto(steps_page)
    titles = "main ol[aria-label='Pasos del trámite'] a:not([href$='/eliminar'])"
    assert page.locator(titles).all_inner_texts()[-1] == "Solicitud rechazada"
    press(page, "Subir «Solicitud rechazada»")
    assert page.locator(titles).all_inner_texts() == [
        "Solicitud",
        "Revisión de la solicitud",
        "Solicitud rechazada",
        "Trámite concluido",
    ]

    # the test run: a GET form with sample answers and one decision
    page.goto(f"/configurador/{KEY}/prueba")
    visited.append(f"/configurador/{KEY}/prueba")
    page.select_option("#d-solicitud-giro", "servicios")
    page.select_option("#decision-1", "approve")
    with page.expect_navigation():
        page.get_by_role("button", name="Correr la prueba").click()
    assert "correr=1" in page.url
    result = page.inner_text("main")
    assert "Resultado de la prueba" in result, result
    path = result.split("Camino recorrido", 1)[1]
    assert path.index("Revisión de la solicitud") < path.index("Trámite concluido"), result
    assert "Concluido: aprobado" in result, result

    # publication: the checklist passes, a note is required
    page.goto(f"/configurador/{KEY}/publicar")
    visited.append(f"/configurador/{KEY}/publicar")
    page.fill("#note", "Primera versión, hecha sin JavaScript")
    press(page, "Publicar nueva versión")
    assert "Publicada la versión 1." in page.inner_text("main"), page.inner_text("main")
    visited.append(page.url.removeprefix(live_server.url))

    # the citizen, JavaScript off too, finds it in the catalog and applies
    citizen = new_context(js=False).new_page()
    login(citizen, CITIZEN)
    citizen.goto("/?q=sin+JavaScript")
    with citizen.expect_navigation():
        citizen.get_by_role("link", name=TITLE).first.click()
    folio, step = start_case(citizen, KEY)
    assert step == "solicitud"
    citizen.fill("main [name=nombre_del_negocio]", "Papelería El Lápiz")
    citizen.locator("main [name=tiene_local_propio]").first.check()
    citizen.select_option("main [name=giro]", "servicios")
    wizard_press(citizen, "continuar")
    assert "Papelería El Lápiz" in citizen.inner_text("main"), citizen.inner_text("main")
    submit_case(citizen, folio)

    # an official of Desarrollo Económico takes the task and approves
    official = new_context(js=False).new_page()
    login(official, OFFICIAL)
    official.goto(f"/bandeja?vista=unclaimed&q={folio}")
    with official.expect_navigation():
        official.locator(f"main a[href$='/bandeja/expedientes/{folio}']").first.click()
    press(official, "Tomar esta tarea")
    official.check("#decision-approve")
    press(official, "Registrar decisión")
    cases = live_server.app.extensions["tramita"].cases
    state, _definition, _version = cases.load(cases.case_id_for_folio(folio))
    assert (state.status, state.outcome) == (case_state.CLOSED, "approved")

    # axe needs JavaScript: the configurator pages visited, again with it on, same session
    checker = new_context(storage_state=context.storage_state()).new_page()
    for path in dict.fromkeys(visited):
        checker.goto(path)
        axe(checker, f"{path} (visited without JavaScript)")
