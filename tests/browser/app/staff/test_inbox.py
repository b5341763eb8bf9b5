"""Officials in a real browser: claim, review requirements, return for correction, the citizen
corrects, approve; a parallel two-department approval; a director reassigns. Every inbox and
review page is checked with axe at 360 px."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import (
    CITIZEN,
    LiveServer,
    axe,
    login,
    logout,
    no_horizontal_scroll,
    tiny_png,
)
from tests.helpers.browser import MERCADOS, file_market_case, open_case_from_inbox
from tests.helpers.cases import file_with_examples
from tests.helpers.web import account
from workflow_engine.engine import state as case_state

pytestmark = pytest.mark.browser


def file_with_example(server: LiveServer, key: str) -> tuple[int, str]:
    """File a case as the demo citizen with the procedure's example data (no uploads)."""
    citizen = account(server.app, CITIZEN).actor()
    started = file_with_examples(server.app.extensions["tramita"], key, citizen)
    return started.case_id, started.folio


def case_status(server: LiveServer, case_id: int) -> str:
    state, _definition, _version = server.app.extensions["tramita"].cases.load(case_id)
    return str(state.status)


def test_claim_review_return_correct_and_approve(live_server: LiveServer, new_context: Any) -> None:
    filed = file_market_case(live_server)
    folio = filed["folio"]
    official = new_context(mobile=True).new_page()
    login(official, MERCADOS)
    official.goto("/bandeja?vista=unclaimed")
    axe(official, "inbox (unclaimed, 360 px)")
    no_horizontal_scroll(official)
    card = official.locator("tr", has_text=folio)
    with official.expect_navigation():
        card.get_by_role("button", name=re.compile("Tomar")).click()
    assert "Tomó la tarea" in official.inner_text("main")
    assert folio in official.inner_text("main")  # now in "Mis tareas"

    open_case_from_inbox(official, folio, "mine")
    axe(official, "case review (360 px)")
    no_horizontal_scroll(official)
    ine, photo = filed["ine"]["id"], filed["photo"]["id"]
    official.check(f"#req-{ine}-ok")
    official.check(f"#req-{photo}-no")
    official.fill(f"#req-{photo}-motivo", "La fotografía no es reciente.")
    official.check("#decision-return")
    official.select_option("#reason", "outdated")
    official.fill("#comment", "Suba una fotografía reciente, por favor.")
    with official.expect_navigation():
        official.get_by_role("button", name="Registrar decisión").click()
    assert "Devolvió el expediente" in official.inner_text("main")
    assert case_status(live_server, filed["case_id"]) == case_state.AWAITING_CORRECTION

    citizen = new_context(mobile=True).new_page()
    login(citizen, CITIZEN)
    citizen.goto(f"/expedientes/{folio}")
    text = citizen.inner_text("main")
    assert "La fotografía no es reciente." in text
    assert "Suba una fotografía reciente" in text
    citizen.goto(f"/expedientes/{folio}/pasos/solicitante")
    citizen.check("#doc_fotografia-quitar-0")
    citizen.set_input_files(
        "#doc_fotografia", {"name": "foto-nueva.png", "mimeType": "image/png", "buffer": tiny_png()}
    )
    with citizen.expect_navigation():
        citizen.locator("main button[type=submit][name=accion][value=continuar]").first.click()
    if "/revisar" not in citizen.url:
        citizen.goto(f"/expedientes/{folio}/revisar")
    citizen.locator("main input[name=declaracion]").check()
    with citizen.expect_navigation():
        citizen.locator('main form[action$="/enviar"] button[type=submit]').click()
    assert case_status(live_server, filed["case_id"]) == case_state.IN_REVIEW

    # the corrected case comes back to whoever returned it, with what changed
    open_case_from_inbox(official, folio, "mine")
    assert "foto-nueva.png" in official.inner_text("main")
    assert "Lo que cambió desde la devolución" in official.inner_text("main")
    official.check("#decision-approve")
    with official.expect_navigation():
        official.get_by_role("button", name="Registrar decisión").click()
    assert "Aprobó" in official.inner_text("main")
    assert case_status(live_server, filed["case_id"]) != case_state.IN_REVIEW
    logout(official)


def test_parallel_approval_needs_both_departments(
    live_server: LiveServer, new_context: Any
) -> None:
    case_id, folio = file_with_example(live_server, "licencia-funcionamiento")
    state, _d, _v = live_server.app.extensions["tramita"].cases.load(case_id)
    departments = sorted(t.department for t in state.open_tasks())
    assert departments == ["desarrollo-economico", "proteccion-civil"]

    economic = new_context().new_page()
    login(economic, "revisora@demo.gob.mx")
    open_case_from_inbox(economic, folio, "unclaimed")
    axe(economic, "case review with another department's task")
    main = economic.inner_text("main")
    assert "Otras áreas" in main and "Protección Civil" in main
    with economic.expect_navigation():  # the decision panel is for whoever holds the task
        economic.get_by_role("button", name="Tomar esta tarea").click()
    economic.check("#decision-approve")
    with economic.expect_navigation():
        economic.get_by_role("button", name="Registrar decisión").click()
    assert (
        case_status(live_server, case_id) == case_state.IN_REVIEW
    )  # still waiting for Protección Civil

    civil = new_context().new_page()
    login(civil, "proteccion@demo.gob.mx")
    civil.goto("/bandeja?vista=unclaimed")
    assert folio in civil.inner_text("main")
    open_case_from_inbox(civil, folio, "unclaimed")
    with civil.expect_navigation():
        civil.get_by_role("button", name="Tomar esta tarea").click()
    civil.check("#decision-approve")
    with civil.expect_navigation():
        civil.get_by_role("button", name="Registrar decisión").click()
    assert case_status(live_server, case_id) != case_state.IN_REVIEW


def test_a_director_reassigns_a_task(live_server: LiveServer, new_context: Any) -> None:
    _case_id, folio = file_with_example(live_server, "licencia-funcionamiento")
    director = new_context().new_page()
    login(director, "funcionario@demo.gob.mx")
    director.goto("/bandeja?vista=department")
    axe(director, "inbox, whole department (director)")
    open_case_from_inbox(director, folio, "department")
    reviewer = account(live_server.app, "revisora@demo.gob.mx")
    director.select_option("select[name=assignee]", str(reviewer.id))
    with director.expect_navigation():
        director.get_by_role("button", name="Reasignar").click()
    assert "Tarea asignada a Revisora" in director.inner_text("main")

    other = new_context().new_page()
    login(other, "revisora@demo.gob.mx")
    other.goto("/bandeja?vista=mine")
    assert folio in other.inner_text("main")
