"""Officials, round 2 (issue 15): staff land on the inbox, a corrected case goes back to the
official who returned it, and its page shows what changed; system events say «Sistema»."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.helpers.web import DEMO_PASSWORD, account, csrf_from, post_login
from tests.integration.test_files import AT, PHOTO_FIELD, PNG, file_market_case
from tests.integration.test_inbox_pages import CITIZEN, MERCADOS, as_user, state, task_key
from workflow_engine.engine import SubmitCase, SubmitStep


@pytest.fixture
def filed(api_app: Flask) -> dict[str, Any]:
    return file_market_case(api_app, account(api_app, CITIZEN))


def test_officials_land_on_the_inbox_and_citizens_on_the_catalog(api_app: Flask) -> None:
    official = post_login(api_app.test_client(), MERCADOS)
    assert official.status_code == 302 and official.headers["Location"].endswith("/bandeja")
    citizen = post_login(api_app.test_client(), CITIZEN)
    assert citizen.status_code == 302 and not citizen.headers["Location"].endswith("/bandeja")
    asked = api_app.test_client()
    page = asked.get("/entrar?next=/perfil").get_data(as_text=True)
    data = {"email": MERCADOS, "password": DEMO_PASSWORD, "csrf_token": csrf_from(page)}
    out = asked.post("/entrar?next=/perfil", data=data)
    assert out.status_code == 302 and out.headers["Location"].endswith("/perfil")


def _return_photo(api_app: Flask, filed: dict[str, Any]) -> None:
    client = as_user(api_app, MERCADOS)
    folio = filed["folio"]
    html = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    key = task_key(api_app, filed["case_id"])
    ine, photo = filed["ine"]["id"], filed["photo"]["id"]
    done = client.post(
        f"/bandeja/expedientes/{folio}/tareas/{key}/decidir",
        data={
            "csrf_token": csrf_from(html),
            f"req-{ine}": "accept",
            f"req-{photo}": "reject",
            f"req-{photo}-motivo": "La foto está borrosa.",
            "decision": "return",
            "reason": "incorrect",
            "comment": "Corrija la fotografía.",
        },
    )
    assert done.status_code == 302


def _correct(api_app: Flask, filed: dict[str, Any]) -> None:
    services = api_app.extensions["tramita"]
    citizen = account(api_app, CITIZEN)
    new_photo = services.uploads.save(
        owner_id=str(citizen.id),
        case_id=filed["case_id"],
        step_id="solicitante",
        field_id="doc_fotografia",
        filename="foto-nitida.png",
        data=PNG,
        field=PHOTO_FIELD,
    )
    current = state(api_app, filed["case_id"])
    values = {
        k: v for k, v in current.data.items() if k in _step_fields(api_app, filed, "solicitante")
    }
    values["doc_fotografia"] = [new_photo]
    actor = citizen.actor()
    services.cases.execute(
        filed["case_id"], SubmitStep(at=AT, actor=actor, step_id="solicitante", values=values)
    )
    services.cases.execute(filed["case_id"], SubmitCase(at=AT, actor=actor, declaration=True))


def _step_fields(api_app: Flask, filed: dict[str, Any], step: str) -> set[str]:
    _state, definition, _ = api_app.extensions["tramita"].cases.load(filed["case_id"])
    return {f.id for f in definition.model.fields_of(step)}


def test_the_corrected_case_goes_back_to_whoever_returned_it_and_shows_what_changed(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    _return_photo(api_app, filed)
    _correct(api_app, filed)
    (task,) = state(api_app, filed["case_id"]).open_tasks()
    assert task.assignee == str(account(api_app, MERCADOS).id)
    client = as_user(api_app, MERCADOS)
    assert filed["folio"] in client.get("/bandeja?vista=mine").get_data(as_text=True)
    html = client.get(f"/bandeja/expedientes/{filed['folio']}").get_data(as_text=True)
    assert "Lo que cambió desde la devolución" in html
    changes = html.split('id="changes-title"')[1].split("</section>")[0]
    assert "<del>foto.png</del>" in changes and "foto-nitida.png" in changes
    assert "credencial.pdf" not in changes  # unchanged files are not listed
    assert "vuelve a" in html  # the history says where the task went and why


def test_it_goes_to_the_queue_when_that_official_was_deactivated(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    from sqlalchemy import update

    from workflow_engine.persistence.models import User, table

    _return_photo(api_app, filed)
    engine = api_app.extensions["tramita"].engine
    officer = account(api_app, MERCADOS)
    with engine.begin() as conn:
        conn.execute(update(table(User)).where(table(User).c.id == officer.id).values(is_active=False))
    try:
        _correct(api_app, filed)
    finally:
        with engine.begin() as conn:
            conn.execute(
                update(table(User)).where(table(User).c.id == officer.id).values(is_active=True)
            )
    (task,) = state(api_app, filed["case_id"]).open_tasks()
    assert task.assignee is None


def test_system_events_are_the_systems_not_the_applicants(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    client = as_user(api_app, MERCADOS)
    html = client.get(f"/bandeja/expedientes/{filed['folio']}").get_data(as_text=True)
    history = html.split("Tarea abierta para")[1].split("</li>")[0]
    assert "(Sistema)" in history and "María" not in history
