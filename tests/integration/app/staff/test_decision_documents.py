"""What an official writes reaches the document: the «solicitud de acceso a la información»
decided from the inbox (answer with attached files, or a reasoned refusal), the issued PDF
read with poppler's `pdftotext`, its signature checked with `pdfsig` and its embedded files
listed with `pdfdetach`."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.conftest import service_missing
from tests.helpers.inbox import as_user, claimed_case_page, state
from tests.helpers.market import PDF
from tests.helpers.web import account
from tests.helpers.web import csrf_from as token
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.models import Document, table
from workflow_engine.persistence.types import utcnow

KEY = "solicitud-acceso-informacion"
CITIZEN = "ciudadano@demo.gob.mx"
SECRETARIA = "secretaria@demo.gob.mx"  # revisor + director of the Secretaría del Ayuntamiento
OFFICIAL_NAME = "Secretaría del Ayuntamiento"  # the demo account's name
REQUEST = {
    "nombre": "Zoë Ñúñez Ǆurić",
    "informacion": "Contratos de alumbrado público firmados en 2025.",
    "modalidad": "electronica",
    "datos_terceros": False,
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_missing(f"`{name}` is not installed (apt-get install poppler-utils)")
    return str(path)


def _filed(app: Flask, **changes: Any) -> tuple[int, str]:
    cases = app.extensions["tramita"].cases
    actor = account(app, CITIZEN).actor()
    started = cases.start(KEY, StartCase(at=utcnow(), actor=actor))
    values = {**REQUEST, **changes}
    cases.execute(
        started.case_id,
        SubmitStep(at=utcnow(), actor=actor, step_id="solicitud", values=values),
    )
    cases.execute(started.case_id, SubmitCase(at=utcnow(), actor=actor, declaration=True))
    return started.case_id, started.folio


def _document(app: Flask, case_id: int, tmp_path: Path) -> Path:
    services = app.extensions["tramita"]
    for _ in range(10):
        if not services.outbox.run_due():
            break
    with services.engine.connect() as conn:
        row = conn.execute(
            select(table(Document)).where(table(Document).c.case_id == case_id)
        ).one()
    source = Path(services.settings.documents_dir) / row.storage_path
    target = tmp_path / "documento.pdf"
    target.write_bytes(source.read_bytes())
    return target


def _text(pdf: Path) -> str:
    run = subprocess.run(
        [_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60
    )
    return " ".join(run.stdout.split())


def _signatures(pdf: Path) -> str:
    run = subprocess.run([_tool("pdfsig"), str(pdf)], capture_output=True, text=True, timeout=60)
    return run.stdout + run.stderr


def test_the_decision_panel_shows_the_step_s_fields_with_the_wizard_s_widgets(
    api_app: Flask,
) -> None:
    case_id, folio = _filed(api_app)
    html = claimed_case_page(as_user(api_app, SECRETARIA), api_app, case_id, folio)
    assert 'enctype="multipart/form-data"' in html
    textarea = r'<textarea [^>]*id="resolucion-respuesta" name="resolucion-respuesta"'
    assert re.search(textarea, html)
    assert 'type="file"' in html and 'name="resolucion-anexos"' in html
    assert 'name="resolucion-causal"' in html and "Información reservada" in html
    assert 'data-kind="date"' in html and 'name="resolucion-fecha_consulta"' in html
    assert state(api_app, case_id).open_tasks()[0].step_id == "atencion"


def test_a_reasoned_refusal_prints_the_official_s_reasons_and_is_signed_by_who_decided(
    api_app: Flask, tmp_path: Path
) -> None:
    case_id, folio = _filed(api_app)
    client = as_user(api_app, SECRETARIA)
    (task,) = state(api_app, case_id).open_tasks()
    url = f"/bandeja/expedientes/{folio}/tareas/{task.id}/decidir"
    page = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    form = {
        "csrf_token": token(page),
        "decision": "reject",
        "comment": "La información está reservada.",
        "resolucion-causal": "reservada",
    }
    refused = client.post(url, data=form)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert "Fundamentos y motivos" in body and 'href="#resolucion-fundamentos"' in body
    assert state(api_app, case_id).open_tasks()  # nothing decided

    reasons = "Artículo 113, fracción I: su difusión compromete la seguridad pública. Ǆ"
    done = client.post(url, data={**form, "resolucion-fundamentos": reasons})
    assert done.status_code == 302
    decided = state(api_app, case_id).tasks[task.id]
    assert decided.fields == {"causal": "reservada", "fundamentos": reasons}
    assert decided.decided_by_name == OFFICIAL_NAME

    pdf = _document(api_app, case_id, tmp_path)
    text = _text(pdf)
    assert "Resolución negativa fundada y motivada" in text
    assert "Información reservada" in text  # the option's label, not its value
    assert "su difusión compromete la seguridad pública" in text
    assert OFFICIAL_NAME in text and "Titular de la Unidad de Transparencia" in text
    report = _signatures(pdf)
    assert report.count("Signature is Valid") == 1, report
    assert "Total document signed" in report
    assert state(api_app, case_id).outcome == "rejected"
    # the official reads back what was written
    html = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    assert "su difusión compromete la seguridad pública" in html


def test_an_answer_carries_the_official_s_text_and_attached_files(
    api_app: Flask, tmp_path: Path
) -> None:
    case_id, folio = _filed(api_app)
    client = as_user(api_app, SECRETARIA)
    (task,) = state(api_app, case_id).open_tasks()
    page = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    answer = "Se entregan los tres contratos de alumbrado público, en versión pública."
    done = client.post(
        f"/bandeja/expedientes/{folio}/tareas/{task.id}/decidir",
        data={
            "csrf_token": token(page),
            "decision": "approve",
            "resolucion-respuesta": answer,
            "resolucion-anexos": (io.BytesIO(PDF), "contratos-2025.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    decided = state(api_app, case_id).tasks[task.id]
    (attached,) = decided.fields["anexos"]
    assert attached["name"] == "contratos-2025.pdf"
    # no third parties' data: the committee's confirmation was skipped, in the history
    history = api_app.extensions["tramita"].cases.history(case_id)
    skipped = [e for e in history if e["type"] == "review.skipped"]
    assert [e["data"]["step"] for e in skipped] == ["comite"]

    pdf = _document(api_app, case_id, tmp_path)
    text = _text(pdf)
    assert answer in text
    assert "Anexos" in text and "contratos-2025.pdf" in text
    assert OFFICIAL_NAME in text
    assert "Signature is Valid" in _signatures(pdf)
    listed = subprocess.run(
        [_tool("pdfdetach"), "-list", str(pdf)], capture_output=True, text=True, timeout=60
    ).stdout
    assert "contratos-2025.pdf" in listed
    saved = tmp_path / "anexo.pdf"
    subprocess.run(
        [_tool("pdfdetach"), "-save", "1", "-o", str(saved), str(pdf)], check=True, timeout=60
    )
    assert saved.read_bytes() == PDF


@pytest.mark.parametrize("third_parties", [True])
def test_with_third_parties_data_the_committee_confirms_and_routes_by_the_modality(
    api_app: Flask, tmp_path: Path, third_parties: bool
) -> None:
    case_id, folio = _filed(api_app, datos_terceros=third_parties, modalidad="consulta_directa")
    client = as_user(api_app, SECRETARIA)
    (task,) = state(api_app, case_id).open_tasks()
    page = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    done = client.post(
        f"/bandeja/expedientes/{folio}/tareas/{task.id}/decidir",
        data={
            "csrf_token": token(page),
            "decision": "approve",
            "resolucion-respuesta": "Puede consultar los expedientes en nuestra oficina.",
            "resolucion-fecha_consulta": "2099-01-15",
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    (committee,) = state(api_app, case_id).open_tasks()
    assert committee.step_id == "comite"  # strictly after the first approval
    page = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    client.post(
        f"/bandeja/expedientes/{folio}/tareas/{committee.id}/decidir",
        data={"csrf_token": token(page), "decision": "approve"},
    )
    text = _text(_document(api_app, case_id, tmp_path))
    assert "Respuesta: consulta directa" in text  # the route for a direct consultation
    assert "15 de enero de 2099" in text


def test_the_api_decision_takes_the_fields_and_refuses_them_by_field(
    api_app: Flask, api_client: Any
) -> None:
    from tests.helpers.api import key_auth
    from workflow_engine.persistence.platform.accounts import Accounts

    services = api_app.extensions["tramita"]
    official = account(api_app, SECRETARIA)
    headers = key_auth(Accounts(services.engine).create_api_key(official.id, "decision test"))
    case_id, _folio = _filed(api_app)
    tasks = api_client.get("/api/v1/tasks", headers=headers).json["tasks"]
    (task,) = [t for t in tasks if t["procedure"] == KEY and t["step"] == "atencion"]
    url = f"/api/v1/tasks/{task['id']}/decision"
    wrong = api_client.post(
        url,
        json={"decision": "reject", "comment": "No procede.", "fields": {"causal": "otra"}},
        headers=headers,
    )
    assert wrong.status_code == 422, wrong.json
    assert {e["path"] for e in wrong.json["error"]["details"]["errors"]} >= {
        "causal",
        "fundamentos",
    }
    bad_shape = api_client.post(url, json={"decision": "approve", "fields": []}, headers=headers)
    assert bad_shape.status_code in (400, 422)
    done = api_client.post(
        url,
        json={
            "decision": "reject",
            "comment": "No procede.",
            "fields": {"causal": "inexistencia", "fundamentos": "No se generó en 2025."},
        },
        headers=headers,
    )
    assert done.status_code == 200, done.json
    decided = state(api_app, case_id).tasks[task["key"]]
    assert decided.fields == {"causal": "inexistencia", "fundamentos": "No se generó en 2025."}


def test_an_official_uploads_a_file_over_the_api_and_names_it_in_the_decision(
    api_app: Flask, api_client: Any
) -> None:
    from tests.helpers.api import key_auth
    from workflow_engine.persistence.platform.accounts import Accounts

    services = api_app.extensions["tramita"]
    official = account(api_app, SECRETARIA)
    headers = key_auth(Accounts(services.engine).create_api_key(official.id, "upload test"))
    case_id, _folio = _filed(api_app)
    tasks = api_client.get("/api/v1/tasks", headers=headers).json["tasks"]
    (task,) = [t for t in tasks if t["procedure"] == KEY and t["step"] == "atencion"]
    not_a_file = api_client.post(
        f"/api/v1/tasks/{task['id']}/files/respuesta",
        data={"file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert not_a_file.status_code == 404
    stored = api_client.post(
        f"/api/v1/tasks/{task['id']}/files/anexos",
        data={"file": (io.BytesIO(PDF), "padron.pdf")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert stored.status_code == 201, stored.json
    ref = stored.json
    done = api_client.post(
        f"/api/v1/tasks/{task['id']}/decision",
        json={
            "decision": "approve",
            "fields": {"respuesta": "Se anexa el padrón.", "anexos": [ref["id"]]},
        },
        headers=headers,
    )
    assert done.status_code == 200, done.json
    (attached,) = state(api_app, case_id).tasks[task["key"]].fields["anexos"]
    assert attached["name"] == "padron.pdf" and attached["sha256"] == ref["sha256"]


def test_the_official_s_own_position_goes_on_the_stamp(api_app: Flask, tmp_path: Path) -> None:
    from sqlalchemy import update

    from tests.helpers.documents import stamp_text
    from workflow_engine.persistence.models import User

    services = api_app.extensions["tramita"]
    with services.engine.begin() as conn:
        conn.execute(
            update(table(User))
            .where(table(User).c.email == SECRETARIA)
            .values(position="Titular de Transparencia y Archivo")
        )
    case_id, folio = _filed(api_app)
    client = as_user(api_app, SECRETARIA)
    (task,) = state(api_app, case_id).open_tasks()
    page = client.get(f"/bandeja/expedientes/{folio}").get_data(as_text=True)
    client.post(
        f"/bandeja/expedientes/{folio}/tareas/{task.id}/decidir",
        data={
            "csrf_token": token(page),
            "decision": "approve",
            "resolucion-respuesta": "Se entrega la información.",
        },
    )
    assert state(api_app, case_id).tasks[task.id].decided_by_position == (
        "Titular de Transparencia y Archivo"
    )
    pdf = _document(api_app, case_id, tmp_path)
    assert "Titular de Transparencia y Archivo" in _text(pdf)
    from pypdf import PdfReader

    stamp = stamp_text(PdfReader(io.BytesIO(pdf.read_bytes())), "Firma1")
    assert OFFICIAL_NAME in stamp and "Titular de Transparencia y Archivo" in stamp
