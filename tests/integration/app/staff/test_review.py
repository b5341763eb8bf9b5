"""Officials, round 2 (issue 15): staff land on the inbox, a corrected case goes back to the
official who returned it, and its page shows what changed; system events say «Sistema»."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.helpers.inbox import CITIZEN, MERCADOS, as_user, state, task_key
from tests.helpers.market import AT, PHOTO_FIELD, PNG, file_market_case
from tests.helpers.web import DEMO_PASSWORD, account, csrf_from, post_login
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
        conn.execute(
            update(table(User)).where(table(User).c.id == officer.id).values(is_active=False)
        )
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


def test_the_inbox_is_a_table_with_sortable_columns_and_bulk_claim(api_app: Flask) -> None:
    cases = [file_market_case(api_app, account(api_app, CITIZEN)) for _ in range(2)]
    client = as_user(api_app, MERCADOS)
    html = client.get("/bandeja?vista=unclaimed").get_data(as_text=True)
    assert '<table class="usa-table usa-table--borderless usa-table--compact inbox-table">' in html
    for heading in ("Folio", "Trámite", "Solicitante", "Recibida", "Fecha límite", "Asignada a"):
        assert f">{heading}" in html, heading
    assert 'aria-sort="ascending"' in html  # the default order: deadline
    assert "orden=age" in html
    by_age = client.get("/bandeja?vista=unclaimed&orden=age").get_data(as_text=True)
    assert by_age.count('aria-sort="ascending"') == 1 and "orden=newest" in by_age
    chosen = [f"{c['folio']}:{task_key(api_app, c['case_id'])}" for c in cases]
    out = client.post(
        "/bandeja/lote",
        data={
            "csrf_token": csrf_from(html),
            "accion": "tomar",
            "tareas": chosen,
            "volver": "?vista=unclaimed",
        },
    )
    assert out.status_code == 302 and out.headers["Location"].endswith("/bandeja?vista=unclaimed")
    me = str(account(api_app, MERCADOS).id)
    assert all(state(api_app, c["case_id"]).open_tasks()[0].assignee == me for c in cases)
    mine = client.get("/bandeja?vista=mine").get_data(as_text=True)
    assert "2 tareas" in mine or "Se actualizaron 2 tareas." in mine
    out = client.post(
        "/bandeja/lote",
        data={"csrf_token": csrf_from(mine), "accion": "liberar", "tareas": chosen[:1]},
    )
    assert state(api_app, cases[0]["case_id"]).open_tasks()[0].assignee is None
    # another department's official cannot touch them
    other = as_user(api_app, "movilidad@demo.gob.mx")
    page = other.get("/bandeja").get_data(as_text=True)
    other.post(
        "/bandeja/lote",
        data={"csrf_token": csrf_from(page), "accion": "tomar", "tareas": chosen[:1]},
    )
    assert state(api_app, cases[0]["case_id"]).open_tasks()[0].assignee is None


def test_a_director_assigns_in_bulk_and_the_holder_is_named(api_app: Flask) -> None:
    from workflow_engine.persistence.cases import casework

    case = file_market_case(api_app, account(api_app, CITIZEN))
    client = as_user(api_app, MERCADOS)  # revisor + director of Mercados
    html = client.get("/bandeja?vista=unclaimed").get_data(as_text=True)
    assert 'name="asignar_a"' in html
    with api_app.extensions["tramita"].engine.connect() as conn:
        team = casework.colleagues(conn, state(api_app, case["case_id"]).open_tasks()[0].department)
    me = str(account(api_app, MERCADOS).id)
    person = next((p for p in team if p.id != me), team[0])
    key = task_key(api_app, case["case_id"])
    client.post(
        "/bandeja/lote",
        data={
            "csrf_token": csrf_from(html),
            "accion": "asignar",
            "asignar_a": person.id,
            "tareas": [f"{case['folio']}:{key}"],
        },
    )
    assert state(api_app, case["case_id"]).tasks[key].assignee == person.id
    listing = client.get("/bandeja?vista=department").get_data(as_text=True)
    row = next(r for r in listing.split("<tr>") if case["folio"] in r)
    assert (person.name if person.id != me else "usted") in row
