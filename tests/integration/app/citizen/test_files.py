"""Uploaded files, the receipt and issued documents: stored safely, served only to the people
allowed to see them (the owner, officials of the departments with a task in the case)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from tests.helpers.market import AT, ID_FIELD, PDF, PHOTO_FIELD, PNG, fetch, file_market_case, start
from tests.helpers.web import account, forge_login
from workflow_engine.engine import Actor, Decide
from workflow_engine.persistence.platform.uploads import UploadRejectedError, UploadStore

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture
def app(api_app: Flask) -> Flask:
    return api_app


# -- the store ------------------------------------------------------------------------------
def test_save_stores_bytes_under_a_random_name_and_returns_a_valid_ref(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    case_id, _folio = start(app, citizen)
    store: UploadStore = app.extensions["tramita"].uploads
    store.clock = lambda: AT
    ref = store.save(
        owner_id=str(citizen.id),
        case_id=case_id,
        step_id="solicitante",
        field_id="doc_identificacion",
        filename="../../etc/Mi INE\x00.pdf",
        data=PDF,
        field=ID_FIELD,
    )
    assert set(ref) == {"id", "name", "sha256", "size", "content_type"}
    assert len(ref["id"]) >= 22
    assert ref["name"] == "Mi INE.pdf"
    assert ref["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert ref["size"] == len(PDF) and ref["content_type"] == "application/pdf"
    stored = list(Path(store.directory).rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert len(files) == 1 and files[0].read_bytes() == PDF
    assert "INE" not in str(files[0].relative_to(store.directory))
    assert files[0].parent.name == "2026"  # stored under the year of AT
    # The ref passes the engine's own file-field validation.
    from workflow_engine.templates.fields import validate_step_data

    step = {"id": "s", "type": "form", "fields": [dict(ID_FIELD, label={"es": "INE"})]}
    cleaned, errors = validate_step_data(step, {"doc_identificacion": [ref]}, {}, today=AT.date())
    assert errors == [] and cleaned["doc_identificacion"] == [ref]


def test_refs_only_returns_files_of_that_case_owner_and_field(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    other = account(app, "vecino@demo.gob.mx")
    store: UploadStore = app.extensions["tramita"].uploads
    mine, _ = start(app, citizen)
    theirs, _ = start(app, other)
    kw: dict[str, Any] = {"step_id": "solicitante", "field": ID_FIELD, "data": PDF}
    a = store.save(
        owner_id=str(citizen.id),
        case_id=mine,
        field_id="doc_identificacion",
        filename="a.pdf",
        **kw,
    )
    b = store.save(
        owner_id=str(other.id),
        case_id=theirs,
        field_id="doc_identificacion",
        filename="b.pdf",
        **kw,
    )
    c = store.save(
        owner_id=str(citizen.id), case_id=mine, field_id="doc_otro", filename="c.pdf", **kw
    )
    got = store.refs(
        mine, str(citizen.id), "doc_identificacion", [b["id"], a["id"], c["id"], "nope", a["id"]]
    )
    assert got == [a]
    assert store.refs(mine, str(other.id), "doc_identificacion", [a["id"]]) == []
    store.purge_case(mine)
    assert store.refs(mine, str(citizen.id), "doc_identificacion", [a["id"]]) == []


def test_save_refuses_someone_elses_case(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    other = account(app, "vecino@demo.gob.mx")
    case_id, _ = start(app, citizen)
    store: UploadStore = app.extensions["tramita"].uploads
    with pytest.raises(UploadRejectedError):
        store.save(
            owner_id=str(other.id),
            case_id=case_id,
            step_id="solicitante",
            field_id="doc_identificacion",
            filename="a.pdf",
            data=PDF,
            field=ID_FIELD,
        )


@pytest.mark.parametrize(
    ("name", "data", "field", "fragment"),
    [
        ("vacio.pdf", b"", ID_FIELD, "está vacío"),
        ("grande.png", PNG + b"\x00" * (2 * 1024 * 1024), PHOTO_FIELD, "el máximo es 2 MB"),
        ("ine.pdf", PNG, ID_FIELD, "El archivo no es un PDF aunque su nombre termine en .pdf"),
        ("foto.jpg", PDF, PHOTO_FIELD, "no es una imagen JPG"),
        ("foto.pdf", PDF, PHOTO_FIELD, "aquí se admite JPG o PNG"),
        ("pagina.html", b"<html><script>alert(1)</script></html>", ID_FIELD, "HTML"),
        ("programa.exe", b"MZ\x90\x00\x03\x00\x00\x00", ID_FIELD, "tipo desconocido"),
    ],
)
def test_save_refuses_bad_files(
    app: Flask, name: str, data: bytes, field: dict[str, Any], fragment: str
) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    case_id, _ = start(app, citizen)
    store: UploadStore = app.extensions["tramita"].uploads
    with pytest.raises(UploadRejectedError) as caught:
        store.save(
            owner_id=str(citizen.id),
            case_id=case_id,
            step_id="solicitante",
            field_id=str(field["id"]),
            filename=name,
            data=data,
            field=field,
        )
    assert fragment in caught.value.message_es
    assert caught.value.code == "upload_rejected" and caught.value.message_en
    assert not [p for p in Path(store.directory).rglob("*") if p.is_file()]


# -- serving files ------------------------------------------------------------------------
def test_owner_and_officials_of_the_case_department_get_the_file(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    url = f"/archivos/{filed['ine']['id']}"

    client = app.test_client()
    forge_login(client, citizen.id)
    got = fetch(client, url)
    assert got.status_code == 200
    assert got.data == PDF
    assert got.headers["Content-Type"] == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in got.headers["Cache-Control"]
    assert got.headers["Content-Disposition"].startswith("inline")

    official = app.test_client()
    forge_login(official, account(app, "mercados@demo.gob.mx").id)
    assert fetch(official, url).data == PDF
    assert fetch(official, f"/archivos/{filed['photo']['id']}").data == PNG


@pytest.mark.parametrize("email", ["vecino@demo.gob.mx", "funcionario@demo.gob.mx"])
def test_other_citizens_and_other_departments_get_404(app: Flask, email: str) -> None:
    filed = file_market_case(app, account(app, "ciudadano@demo.gob.mx"))
    client = app.test_client()
    forge_login(client, account(app, email).id)
    assert fetch(client, f"/archivos/{filed['ine']['id']}").status_code == 404
    assert fetch(client, "/archivos/no-existe").status_code == 404
    assert fetch(client, f"/expedientes/{filed['folio']}/acuse.pdf").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_whatever_the_id(app: Flask) -> None:
    filed = file_market_case(app, account(app, "ciudadano@demo.gob.mx"))
    client = app.test_client()
    for url in (f"/archivos/{filed['ine']['id']}", "/archivos/no-existe"):
        got = fetch(client, url)
        assert got.status_code == 302 and "/entrar" in got.headers["Location"]


def test_non_inline_types_are_attachments(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    case_id, _ = start(app, citizen)
    store: UploadStore = app.extensions["tramita"].uploads
    ref = store.save(
        owner_id=str(citizen.id),
        case_id=case_id,
        step_id="s",
        field_id="notas",
        filename="notas.txt",
        data="Hola, qué tal\n".encode(),
        field={"id": "notas", "accept": ["text/plain"]},
    )
    client = app.test_client()
    forge_login(client, citizen.id)
    got = fetch(client, f"/archivos/{ref['id']}")
    assert got.status_code == 200
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"


def test_purged_files_are_gone(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    store: UploadStore = app.extensions["tramita"].uploads
    assert store.purge_case(filed["case_id"]) == 2
    assert not [p for p in Path(store.directory).rglob("*") if p.is_file()]
    client = app.test_client()
    forge_login(client, citizen.id)
    assert fetch(client, f"/archivos/{filed['ine']['id']}").status_code == 404


# -- receipt and issued documents -----------------------------------------------------------
def test_receipt_names_folio_applicant_files_and_response_date(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    client = app.test_client()
    forge_login(client, citizen.id)
    got = fetch(client, f"/expedientes/{filed['folio']}/acuse.pdf")
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(got.data)).pages)
    flat = " ".join(text.split())
    assert filed["folio"] in flat
    assert "María López Hernández" in flat
    assert "Acuse de recibo" in flat
    assert "credencial.pdf" in flat and filed["ine"]["sha256"][:16] in flat
    # Filed Monday 2 March 2026 at 10:30 local time; 5 business days -> Monday 9 March.
    assert "2 de marzo de 2026 a las 10:30" in flat
    assert "9 de marzo de 2026" in flat
    assert "Página 1 de" in flat
    # Deterministic: the same case state gives the same bytes.
    assert fetch(client, f"/expedientes/{filed['folio']}/acuse.pdf").data == got.data
    # The department reviewing the case may read it too.
    official = app.test_client()
    forge_login(official, account(app, "mercados@demo.gob.mx").id)
    assert fetch(official, f"/expedientes/{filed['folio']}/acuse.pdf").status_code == 200


def test_no_receipt_before_filing(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    _case_id, folio = start(app, citizen)
    client = app.test_client()
    forge_login(client, citizen.id)
    assert fetch(client, f"/expedientes/{folio}/acuse.pdf").status_code == 404


def test_issued_documents_are_served_to_the_applicant_only(app: Flask) -> None:
    services = app.extensions["tramita"]
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    case_id = filed["case_id"]
    state, _definition, _ = services.cases.load(case_id)
    (task,) = state.open_tasks()
    reviewer = account(app, "mercados@demo.gob.mx").actor()
    services.cases.execute(
        case_id, Decide(at=AT, actor=reviewer, task_id=task.id, decision="approve")
    )
    services.outbox.run_due()
    state, _definition, _ = services.cases.load(case_id)
    from workflow_engine.engine import PaymentConfirmed

    assert state.payment is not None and state.payment.reference
    services.cases.execute(
        case_id,
        PaymentConfirmed(
            at=AT,
            actor=Actor.system(),
            reference=state.payment.reference,
            amount_cents=state.payment.total_cents,
            currency=state.payment.currency,
        ),
    )
    services.outbox.run_due()
    state, _definition, _ = services.cases.load(case_id)
    assert state.documents, state.status
    document_id = state.documents[0]["document_id"]
    url = f"/expedientes/{filed['folio']}/documentos/{document_id}"

    client = app.test_client()
    forge_login(client, citizen.id)
    got = fetch(client, url)
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert fetch(client, f"/expedientes/{filed['folio']}/documentos/999999").status_code == 404

    stranger = app.test_client()
    forge_login(stranger, account(app, "vecino@demo.gob.mx").id)
    assert fetch(stranger, url).status_code == 404
    # The same document id under another case's folio is not found either.
    other_id, other_folio = start(app, account(app, "vecino@demo.gob.mx"))
    assert other_id != case_id
    assert (
        fetch(stranger, f"/expedientes/{other_folio}/documentos/{document_id}").status_code == 404
    )
