"""The case's message thread over HTTP: the applicant and the officials of the case write to
each other with attachments; each message is in the history and notifies the other side;
nobody else can read or post (404); internal notes stay apart."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.helpers.inbox import CITIZEN, MERCADOS, MOVILIDAD, as_user
from tests.helpers.market import PDF, file_market_case
from tests.helpers.web import account, csrf_from, csrf_token
from tests.integration.conftest import API_USERS
from workflow_engine.engine import CancelCase
from workflow_engine.persistence.models import Notification, Upload, table
from workflow_engine.persistence.types import utcnow

OTHER_CITIZEN = API_USERS["citizen_b"]  # a second citizen, seeded by conftest


@pytest.fixture
def filed(api_app: Flask) -> dict[str, Any]:
    return file_market_case(api_app, account(api_app, CITIZEN))


def _post(client: Any, page: str, action: str, text: str, files: list[Any] | None = None) -> Any:
    html = client.get(page).get_data(as_text=True)
    data: dict[str, Any] = {"csrf_token": csrf_from(html), "mensaje": text}
    if files:
        data["adjuntos"] = files
    return client.post(action, data=data, content_type="multipart/form-data")


def _status(client: Any, url: str) -> int:
    response = client.get(url)
    response.close()
    return int(response.status_code)


def _notes(api_app: Flask, case_id: int) -> list[Any]:
    api_app.extensions["tramita"].outbox.run_due()
    with api_app.extensions["tramita"].engine.connect() as conn:
        return list(
            conn.execute(
                select(table(Notification)).where(
                    table(Notification).c.case_id == case_id,
                    table(Notification).c.template == "message_received",
                )
            ).all()
        )


def test_a_thread_both_ways_with_attachments_and_notifications(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    folio = filed["folio"]
    citizen = as_user(api_app, CITIZEN)
    out = _post(
        citizen,
        f"/expedientes/{folio}",
        f"/expedientes/{folio}/mensajes",
        "¿Necesitan otro comprobante?",
        [(io.BytesIO(PDF), "comprobante.pdf")],
    )
    assert out.status_code == 302 and out.headers["Location"].endswith(f"/expedientes/{folio}#hilo")
    official = as_user(api_app, MERCADOS)
    review = official.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    thread = review.split('id="hilo"')[1].split("</section>")[0]
    assert "¿Necesitan otro comprobante?" in thread and "comprobante.pdf" in thread
    file_id = thread.split("/archivos/")[1].split('"')[0]
    assert _status(official, f"/archivos/{file_id}") == 200
    mercados = account(api_app, MERCADOS)
    notes = _notes(api_app, filed["case_id"])
    assert any(n.recipient == f"user:{mercados.id}" for n in notes)
    out = _post(
        official,
        f"/bandeja/expedientes/{folio}",
        f"/bandeja/expedientes/{folio}/mensajes",
        "No, con el que envió basta.",
        [(io.BytesIO(PDF), "guia.pdf")],
    )
    assert out.status_code == 302
    page = citizen.get(f"/expedientes/{folio}").get_data(as_text=True)
    thread = page.split('id="hilo"')[1].split("</section>")[0]
    assert "No, con el que envió basta." in thread and "guia.pdf" in thread
    reply_file = thread.split("/archivos/")[-1].split('"')[0]
    assert _status(citizen, f"/archivos/{reply_file}") == 200  # the official's file
    me = account(api_app, CITIZEN)
    assert any(n.recipient == f"user:{me.id}" for n in _notes(api_app, filed["case_id"]))
    assert "Mensaje del personal" in page  # in the history too


def test_internal_notes_never_reach_the_thread(api_app: Flask, filed: dict[str, Any]) -> None:
    folio = filed["folio"]
    official = as_user(api_app, MERCADOS)
    html = official.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    official.post(
        f"/bandeja/expedientes/{folio}/notas",
        data={"csrf_token": csrf_from(html), "text": "Nota secreta del área."},
    )
    page = as_user(api_app, CITIZEN).get(f"/expedientes/{folio}").get_data(as_text=True)
    assert "Nota secreta del área." not in page


def test_an_empty_message_or_a_bad_file_is_refused(api_app: Flask, filed: dict[str, Any]) -> None:
    folio = filed["folio"]
    official = as_user(api_app, MERCADOS)
    page, action = f"/bandeja/expedientes/{folio}", f"/bandeja/expedientes/{folio}/mensajes"
    assert _post(official, page, action, "   ").status_code == 422
    bad = _post(official, page, action, "Vea esto", [(io.BytesIO(b"MZ\x90\x00"), "virus.exe")])
    assert bad.status_code == 422
    assert "Vea esto" not in official.get(page).get_data(as_text=True).split('id="hilo"')[1]


def test_nobody_else_reads_or_writes_the_thread(api_app: Flask, filed: dict[str, Any]) -> None:
    folio = filed["folio"]
    citizen = as_user(api_app, CITIZEN)
    _post(
        citizen,
        f"/expedientes/{folio}",
        f"/expedientes/{folio}/mensajes",
        "Hola",
        [(io.BytesIO(PDF), "privado.pdf")],
    )
    official = as_user(api_app, MERCADOS)
    review = official.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    file_id = review.split('id="hilo"')[1].split("/archivos/")[1].split('"')[0]
    outsiders = [as_user(api_app, MOVILIDAD), as_user(api_app, OTHER_CITIZEN)]
    for who in outsiders:
        assert _status(who, f"/archivos/{file_id}") == 404
        assert _status(who, f"/expedientes/{folio}") == 404
        token = csrf_token(who, "/mis-tramites")
        for url in (f"/expedientes/{folio}/mensajes", f"/bandeja/expedientes/{folio}/mensajes"):
            response = who.post(url, data={"csrf_token": token, "mensaje": "x"})
            assert response.status_code == 404, url
    # the applicant cannot post on the staff side
    token = csrf_token(citizen, "/mis-tramites")
    response = citizen.post(
        f"/bandeja/expedientes/{folio}/mensajes", data={"csrf_token": token, "mensaje": "x"}
    )
    assert response.status_code == 404
    assert "Hola" in citizen.get(f"/expedientes/{folio}").get_data(as_text=True)
    assert citizen.get(f"/expedientes/{folio}").get_data(as_text=True).count(">x<") == 0


def test_a_refused_message_keeps_the_text_and_says_why(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    folio = filed["folio"]
    citizen = as_user(api_app, CITIZEN)
    refused = _post(
        citizen,
        f"/expedientes/{folio}",
        f"/expedientes/{folio}/mensajes",
        "Le mando el programa",
        [(io.BytesIO(b"MZ\x90\x00"), "programa.exe")],
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in body and ">Le mando el programa</textarea>" in body


def test_a_closed_case_keeps_its_thread_but_takes_no_more_messages(
    api_app: Flask, filed: dict[str, Any]
) -> None:
    folio = filed["folio"]
    citizen = as_user(api_app, CITIZEN)
    case_page, staff_page = f"/expedientes/{folio}", f"/bandeja/expedientes/{folio}"
    _post(citizen, case_page, f"{case_page}/mensajes", "¿Cuándo me contestan?")
    services = api_app.extensions["tramita"]
    services.cases.execute(
        filed["case_id"], CancelCase(at=utcnow(), actor=account(api_app, CITIZEN).actor())
    )
    official = as_user(api_app, MERCADOS)
    for client, page in ((citizen, case_page), (official, staff_page)):
        html = client.get(page).get_data(as_text=True)
        assert "¿Cuándo me contestan?" in html  # the thread stays readable
        assert 'name="mensaje"' not in html and f'action="{page}/mensajes"' not in html
        assert "ya no admite mensajes" in html

    def uploads() -> int:
        with services.engine.connect() as conn:
            return len(conn.execute(select(table(Upload))).all())

    before = uploads()
    for client, page in ((citizen, case_page), (official, staff_page)):
        token = csrf_token(client, "/mis-tramites")
        refused = client.post(
            f"{page}/mensajes",
            data={
                "csrf_token": token,
                "mensaje": "Otra pregunta",
                "adjuntos": [(io.BytesIO(PDF), "tarde.pdf")],
            },
            content_type="multipart/form-data",
        )
        assert refused.status_code == 422, page
        body = refused.get_data(as_text=True)
        assert "Este expediente está cerrado: ya no admite mensajes." in body
        assert "¿Cuándo me contestan?" in body
    assert uploads() == before
    for client, page in ((citizen, case_page), (official, staff_page)):
        assert "Otra pregunta" not in client.get(page).get_data(as_text=True)
