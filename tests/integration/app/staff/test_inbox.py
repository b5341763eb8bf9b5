"""The officials' inbox and case review over real HTTP: views, claim, review requirements,
return, notes, reassignment, conflicts, and isolation (404 for what isn't yours)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from tests.helpers.inbox import (
    CITIZEN,
    MERCADOS,
    MOVILIDAD,
    as_user,
    claimed_case_page,
    state,
    task_key,
)
from tests.helpers.market import file_market_case
from tests.helpers.web import account, csrf_from
from workflow_engine.persistence.models import CaseAccess, User, table
from workflow_engine.persistence.platform.accounts import Accounts

users_t = table(User)


@pytest.fixture
def filed(api_app: Flask) -> dict[str, Any]:
    return file_market_case(api_app, account(api_app, CITIZEN))


def test_unclaimed_task_shows_in_the_department_queue_and_claiming_moves_it_to_mine(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    client = as_user(api_app, MERCADOS)
    page = client.get("/bandeja?vista=unclaimed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert filed["folio"] in html
    assert "María López Hernández" in html  # applicant name, searchable
    mine = client.get("/bandeja").get_data(as_text=True)
    assert filed["folio"] not in mine
    key = task_key(api_app, filed["case_id"])
    out = client.post(
        f"/bandeja/expedientes/{filed['folio']}/tareas/{key}/tomar",
        data={"csrf_token": csrf_from(html), "next": "list"},
    )
    assert out.status_code == 302 and out.headers["Location"].endswith("/bandeja")
    assert filed["folio"] in client.get("/bandeja?vista=mine").get_data(as_text=True)
    assert filed["folio"] not in client.get("/bandeja?vista=unclaimed").get_data(as_text=True)
    assert state(api_app, filed["case_id"]).tasks[key].assignee == str(
        account(api_app, MERCADOS).id
    )


def test_search_by_folio_and_name_without_accents(api_app: Flask, filed: dict[str, Any]) -> None:
    client = as_user(api_app, MERCADOS)
    for q in (filed["folio"], filed["folio"].lower(), "maria lopez", "HERNANDEZ"):
        html = client.get("/bandeja", query_string={"vista": "unclaimed", "q": q}).get_data(
            as_text=True
        )
        assert filed["folio"] in html, q
    html = client.get("/bandeja", query_string={"vista": "unclaimed", "q": "zzz"}).get_data(
        as_text=True
    )
    assert filed["folio"] not in html


def test_the_search_box_says_what_it_finds_and_finds_the_applicant_s_curp(
    api_app: Flask,
) -> None:
    curp = "LOHM850101MDFPRR07"
    with api_app.extensions["tramita"].engine.begin() as conn:
        conn.execute(update(users_t).where(users_t.c.email == CITIZEN).values(curp=curp))
    filed = file_market_case(api_app, account(api_app, CITIZEN))
    client = as_user(api_app, MERCADOS)
    html = client.get("/bandeja?vista=unclaimed").get_data(as_text=True)
    assert "Buscar por folio, nombre o CURP del solicitante" in html
    assert "el nombre por palabras, sin importar acentos ni mayúsculas; la CURP completa" in html
    assert "RFC" not in html  # the applicant's RFC is not what it searches
    found = client.get("/bandeja", query_string={"vista": "unclaimed", "q": curp.lower()})
    assert filed["folio"] in found.get_data(as_text=True)
    english = client.get("/bandeja?vista=unclaimed&lang=en").get_data(as_text=True)
    assert "Search by folio, applicant's name or CURP" in english


def test_bad_filters_and_cursors_get_a_clear_400(api_app: Flask) -> None:
    client = as_user(api_app, MERCADOS)
    for query in (
        {"desde": "ayer"},
        {"plazo": "pronto"},
        {"orden": "x"},
        {"cursor": "garbage!!"},
        {"desde": "2026-05-02", "hasta": "2026-05-01"},
    ):
        response = client.get("/bandeja", query_string=query)
        assert response.status_code == 400, query
        assert "Hay un problema" in response.get_data(as_text=True)


def test_date_filters_are_typed_day_first_whatever_the_browser(api_app: Flask) -> None:
    """Dates in the page's order (day/month/year), not the browser's date widget's."""
    client = as_user(api_app, MERCADOS)
    page = client.get("/bandeja", query_string={"vista": "unclaimed", "desde": "01/03/2026"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="01/03/2026"' in html and 'type="date"' not in html
    assert "Día/mes/año" in html
    swapped = client.get("/bandeja", query_string={"desde": "02/05/2026", "hasta": "01/05/2026"})
    assert swapped.status_code == 400  # 2 May after 1 May: read day first
    assert client.get("/bandeja", query_string={"desde": "31/02/2026"}).status_code == 400


def test_case_page_shows_labels_files_and_logs_the_view(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    client = as_user(api_app, MERCADOS)
    html = client.get(f"/bandeja/expedientes/{filed['folio']}").get_data(as_text=True)
    assert "Datos de la solicitud" in html
    assert "credencial.pdf" in html and "foto.png" in html
    assert 'title="credencial.pdf"' in html  # the viewer beside the requirements
    assert 'href="#ver-' in html
    assert "doc_identificacion" not in re.sub(r'(name|id|for)="[^"]*"', "", html)
    assert "Revisión de requisitos" not in html  # not holding the task: «Tomar» only
    assert "Tomar esta tarea" in html
    engine = api_app.extensions["tramita"].engine
    with engine.connect() as conn:
        rows = conn.execute(
            select(table(CaseAccess)).where(table(CaseAccess).c.case_id == filed["case_id"])
        ).all()
    officer = account(api_app, MERCADOS)
    assert [(r.user_id, r.what) for r in rows] == [(str(officer.id), "case")]
    # opening an attachment is logged too
    file_id = filed["ine"]["id"]
    response = client.get(f"/archivos/{file_id}")
    response.close()
    assert response.status_code == 200
    with engine.connect() as conn:
        whats = [r.what for r in conn.execute(select(table(CaseAccess).c.what)).all()]
    assert f"file:{file_id}" in whats
    # the log is append-only
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM case_access_log"))


def test_requirements_rejected_go_back_together_and_the_citizen_sees_why(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    client = as_user(api_app, MERCADOS)
    folio = filed["folio"]
    html = claimed_case_page(client, api_app, filed["case_id"], folio)
    key = task_key(api_app, filed["case_id"])
    ine, photo = filed["ine"]["id"], filed["photo"]["id"]
    url = f"/bandeja/expedientes/{folio}/tareas/{key}/decidir"
    # a rejected document without a reason: the page says so and keeps the answers
    refused = client.post(
        url,
        data={
            "csrf_token": csrf_from(html),
            f"req-{ine}": "accept",
            f"req-{photo}": "reject",
            "decision": "return",
            "reason": "incorrect",
            "comment": "Corrija la fotografía.",
        },
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Indique por qué no acepta «foto.png»" in body
    assert f'href="#req-{photo}"' in body
    assert "Corrija la fotografía." in body  # the message is kept
    done = client.post(
        url,
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
    after = state(api_app, filed["case_id"])
    assert after.status == "awaiting_correction"
    assert after.editable_steps == ("solicitante",)
    citizen = as_user(api_app, CITIZEN)
    page = citizen.get(f"/expedientes/{folio}").get_data(as_text=True)
    assert "La foto está borrosa." in page
    assert "foto.png" in page


def test_internal_notes_are_for_staff_only(api_app: Flask, filed: dict[str, Any]) -> None:
    client = as_user(api_app, MERCADOS)
    folio = filed["folio"]
    html = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    out = client.post(
        f"/bandeja/expedientes/{folio}/notas",
        data={"csrf_token": csrf_from(html), "text": "Verificar el padrón de mercados."},
    )
    assert out.status_code == 302
    assert "Verificar el padrón de mercados." in client.get(
        f"/bandeja/expedientes/{folio}"
    ).get_data(as_text=True)
    citizen = as_user(api_app, CITIZEN)
    assert "padrón de mercados" not in citizen.get(f"/expedientes/{folio}").get_data(as_text=True)
    api = citizen.get(f"/api/v1/cases/{folio}")
    assert api.status_code == 200, api.get_data(as_text=True)
    assert "note.added" not in api.get_data(as_text=True)
    staff_api = client.get(f"/api/v1/cases/{folio}")
    assert staff_api.status_code == 200
    assert "note.added" in staff_api.get_data(as_text=True)
    empty = client.post(
        f"/bandeja/expedientes/{folio}/notas", data={"csrf_token": csrf_from(html), "text": "  "}
    )
    assert empty.status_code == 422 and "Escriba la nota." in empty.get_data(as_text=True)


def test_a_stale_decision_shows_a_clear_conflict(api_app: Flask, filed: dict[str, Any]) -> None:
    first = as_user(api_app, MERCADOS)
    second = as_user(api_app, MERCADOS)
    folio = filed["folio"]
    html_1 = first.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    html_2 = second.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    key = task_key(api_app, filed["case_id"])
    url = f"/bandeja/expedientes/{folio}/tareas/{key}/decidir"
    ok = first.post(url, data={"csrf_token": csrf_from(html_1), "decision": "approve"})
    assert ok.status_code == 302
    late = second.post(
        url, data={"csrf_token": csrf_from(html_2), "decision": "reject", "comment": "No procede."}
    )
    assert late.status_code == 409
    assert "ya resolvió" in late.get_data(as_text=True)


def test_a_director_reassigns_and_a_colleague_cannot_take_it_over(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD

    accounts = Accounts(api_app.extensions["tramita"].engine, demo_mode=True)
    helper = accounts.create(
        "ayudante.mercados@demo.gob.mx",
        DEMO_PASSWORD,
        role="official",
        name="Ayudante Mercados",
        department_key="mercados",
        role_tags=["revisor"],
    )
    director = as_user(api_app, MERCADOS)
    folio = filed["folio"]
    key = task_key(api_app, filed["case_id"])
    html = director.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    assert "Reasignar" in html and "Ayudante Mercados" in html
    out = director.post(
        f"/bandeja/expedientes/{folio}/tareas/{key}/asignar",
        data={"csrf_token": csrf_from(html), "assignee": str(helper.id)},
    )
    assert out.status_code == 302
    assert state(api_app, filed["case_id"]).tasks[key].assignee == str(helper.id)
    colleague = as_user(api_app, "ayudante.mercados@demo.gob.mx")
    mine = colleague.get("/bandeja?vista=mine").get_data(as_text=True)
    assert folio in mine
    assert "Reasignar" not in colleague.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    # someone outside the department cannot be chosen
    stranger = account(api_app, MOVILIDAD)
    refused = director.post(
        f"/bandeja/expedientes/{folio}/tareas/{key}/asignar",
        data={"csrf_token": csrf_from(html), "assignee": str(stranger.id)},
    )
    assert refused.status_code == 422


def test_isolation_every_staff_url_is_404_for_others(api_app: Flask, filed: dict[str, Any]) -> None:
    folio = filed["folio"]
    key = task_key(api_app, filed["case_id"])
    own = as_user(api_app, MERCADOS)
    csrf = csrf_from(own.get("/bandeja").get_data(as_text=True))
    posts = [
        f"/bandeja/expedientes/{folio}/tareas/{key}/tomar",
        f"/bandeja/expedientes/{folio}/tareas/{key}/liberar",
        f"/bandeja/expedientes/{folio}/tareas/{key}/asignar",
        f"/bandeja/expedientes/{folio}/tareas/{key}/decidir",
        f"/bandeja/expedientes/{folio}/notas",
    ]
    for email in (MOVILIDAD, CITIZEN):
        client = as_user(api_app, email)
        page = client.get(f"/bandeja/expedientes/{folio}")
        assert page.status_code == 404, email
        tok = csrf_from(client.get("/").get_data(as_text=True))
        for url in posts:
            response = client.post(
                url, data={"csrf_token": tok, "decision": "approve", "text": "x"}
            )
            assert response.status_code == 404, (email, url)
    file = as_user(api_app, MOVILIDAD).get(f"/archivos/{filed['ine']['id']}")
    file.close()
    assert file.status_code == 404
    # other departments don't see the case in any view or search
    other = as_user(api_app, MOVILIDAD)
    for view in ("mine", "unclaimed", "department", "overdue"):
        html = other.get("/bandeja", query_string={"vista": view, "q": folio}).get_data(
            as_text=True
        )
        assert f"/bandeja/expedientes/{folio}" not in html
    assert as_user(api_app, CITIZEN).get("/bandeja").status_code == 404
    anonymous = api_app.test_client().get("/bandeja")
    assert anonymous.status_code == 302 and "/entrar" in anonymous.headers["Location"]
    # a POST without the CSRF token is refused
    assert own.post(posts[0]).status_code == 400
    assert csrf


def test_api_claim_release_and_requirement_review(
    api_client: FlaskClient, api_app: Flask, api_keys: dict[str, str], filed: dict[str, Any]
) -> None:
    from tests.helpers.api import key_auth

    official = key_auth(api_keys["official"])  # desarrollo-economico: not Mercados
    tasks = api_app.extensions["tramita"].engine
    with tasks.connect() as conn:
        task_id = conn.execute(
            text("SELECT id FROM tasks WHERE case_id = :c"), {"c": filed["case_id"]}
        ).scalar_one()
    for action in ("claim", "release", "decision"):
        refused = api_client.post(
            f"/api/v1/tasks/{task_id}/{action}", json={"decision": "approve"}, headers=official
        )
        assert refused.status_code == 404, action
    mercados = account(api_app, MERCADOS)
    key = Accounts(tasks, demo_mode=True).create_api_key(mercados.id, "test")
    own = key_auth(key)
    claimed = api_client.post(f"/api/v1/tasks/{task_id}/claim", headers=own)
    assert claimed.status_code == 200
    listed = api_client.get("/api/v1/tasks", headers=own).json["tasks"]
    assert [t["assignee"] for t in listed if t["id"] == task_id] == [str(mercados.id)]
    bad = api_client.post(
        f"/api/v1/tasks/{task_id}/decision",
        json={"decision": "return", "requirements": [{"file_id": 3}]},
        headers=own,
    )
    assert bad.status_code == 422
    assert bad.json["error"]["details"]["errors"][0]["field"] == "requirements"
    returned = api_client.post(
        f"/api/v1/tasks/{task_id}/decision",
        json={
            "decision": "return",
            "reason": "incomplete",
            "comment": "Falta la firma.",
            "requirements": [
                {"file_id": filed["ine"]["id"], "accepted": False, "reason": "Sin firma."},
                {"file_id": filed["photo"]["id"], "accepted": True},
            ],
        },
        headers=own,
    )
    assert returned.status_code == 200, returned.json
    assert returned.json["status"] == "awaiting_correction"
    released = api_client.post(f"/api/v1/tasks/{task_id}/release", headers=own)
    assert released.status_code == 409  # decided: nothing left to release


def test_decided_tasks_are_listed_apart(api_app: Flask, filed: dict[str, Any]) -> None:
    client = as_user(api_app, MERCADOS)
    folio = filed["folio"]
    html = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    key = task_key(api_app, filed["case_id"])
    assert f"/bandeja/expedientes/{folio}" not in client.get("/bandeja?vista=decided").get_data(
        as_text=True
    )
    client.post(
        f"/bandeja/expedientes/{folio}/tareas/{key}/decidir",
        data={"csrf_token": csrf_from(html), "decision": "approve"},
    )
    decided = client.get("/bandeja?vista=decided").get_data(as_text=True)
    assert f"/bandeja/expedientes/{folio}" in decided and "Aprobada" in decided
    assert f"/bandeja/expedientes/{folio}" not in client.get("/bandeja?vista=department").get_data(
        as_text=True
    )
    other = as_user(api_app, MOVILIDAD)
    assert f"/bandeja/expedientes/{folio}" not in other.get("/bandeja?vista=decided").get_data(
        as_text=True
    )


def test_deactivating_an_official_puts_their_tasks_back_in_the_queue(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    accounts = Accounts(api_app.extensions["tramita"].engine, demo_mode=True)
    from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD

    holder = accounts.create(
        "temporal.mercados@demo.gob.mx",
        DEMO_PASSWORD,
        role="official",
        name="Temporal Mercados",
        department_key="mercados",
        role_tags=["revisor"],
    )
    official = as_user(api_app, "temporal.mercados@demo.gob.mx")
    folio = filed["folio"]
    key = task_key(api_app, filed["case_id"])
    html = official.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    official.post(
        f"/bandeja/expedientes/{folio}/tareas/{key}/tomar", data={"csrf_token": csrf_from(html)}
    )
    assert state(api_app, filed["case_id"]).tasks[key].assignee == str(holder.id)
    admin = as_user(api_app, "admin@demo.gob.mx")
    page = admin.get(f"/admin/usuarios/{holder.id}").get_data(as_text=True)
    done = admin.post(
        f"/admin/usuarios/{holder.id}/desactivar", data={"csrf_token": csrf_from(page)}
    )
    assert done.status_code == 303
    assert state(api_app, filed["case_id"]).tasks[key].assignee is None
    history = api_app.extensions["tramita"].cases.history(filed["case_id"])
    assert history[-1]["type"] == "task.released"
    unclaimed = as_user(api_app, MERCADOS).get("/bandeja?vista=unclaimed").get_data(as_text=True)
    assert f"/bandeja/expedientes/{folio}" in unclaimed


def test_view_counts_say_1000_plus_only_past_a_thousand(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    from sqlalchemy import insert

    from workflow_engine.persistence.models import Task

    tasks = table(Task)
    engine = api_app.extensions["tramita"].engine
    with engine.connect() as conn:
        (row,) = conn.execute(select(tasks).where(tasks.c.case_id == filed["case_id"])).mappings()
    model = {k: v for k, v in row.items() if k != "id"}

    def copies(first: int, count: int) -> None:
        with engine.begin() as conn:
            conn.execute(
                insert(tasks),
                [
                    dict(model, task_key=f"{model['task_key']}-{n}")
                    for n in range(first, first + count)
                ],
            )

    def unclaimed_label() -> str:
        html = as_user(api_app, MERCADOS).get("/bandeja?vista=unclaimed").get_data(as_text=True)
        match = re.search(r'vista=unclaimed"[^>]*>[^<]*<span class="count">\(([^)]*)\)', html)
        assert match, "no count on the unclaimed view"
        return match.group(1)

    copies(1, 999)  # with the filed case's own task: 1000 unclaimed tasks
    assert unclaimed_label() == "1000"
    copies(1000, 1)
    assert unclaimed_label() == "1000+"
