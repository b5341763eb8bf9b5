"""The market-stall case (with a photo and an ID upload) filed through the wizard, and
fetching its files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.platform.accounts import Account
from workflow_engine.persistence.platform.uploads import UploadStore

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
AT = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # a Monday, 10:30 in Mexico City
ID_FIELD = {
    "id": "doc_identificacion",
    "type": "file",
    "accept": ["application/pdf", "image/jpeg", "image/png"],
    "max_files": 2,
}


PHOTO_FIELD = {
    "id": "doc_fotografia",
    "type": "file",
    "accept": ["image/jpeg", "image/png"],
    "max_size_mb": 2,
}


def fetch(client: FlaskClient, url: str) -> Any:
    """GET and close the response (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def start(app: Flask, who: Account, key: str = "permiso-mercado") -> tuple[int, str]:
    cases = app.extensions["tramita"].cases
    started = cases.start(key, StartCase(at=AT, actor=who.actor()))
    return started.case_id, started.folio


def file_market_case(app: Flask, who: Account) -> dict[str, Any]:
    """A «permiso-mercado» case filed with real uploads; it waits for Mercados' review."""
    services = app.extensions["tramita"]
    case_id, folio = start(app, who)
    actor = who.actor()
    store: UploadStore = services.uploads
    ine = store.save(
        owner_id=actor.id,
        case_id=case_id,
        step_id="solicitante",
        field_id="doc_identificacion",
        filename="credencial.pdf",
        data=PDF,
        field=ID_FIELD,
    )
    photo = store.save(
        owner_id=actor.id,
        case_id=case_id,
        step_id="solicitante",
        field_id="doc_fotografia",
        filename="foto.png",
        data=PNG,
        field=PHOTO_FIELD,
    )
    _state, definition, _ = services.cases.load(case_id)
    example = definition.example_data()
    first = dict(example["solicitante"], doc_identificacion=[ine], doc_fotografia=[photo])
    second = dict(
        example["puesto"], giro_puesto="abarrotes", usa_gas=False, fecha_inicio="2026-04-01"
    )
    second.pop("doc_tarjeta_salud", None)
    for step, values in (("solicitante", first), ("puesto", second)):
        services.cases.execute(case_id, SubmitStep(at=AT, actor=actor, step_id=step, values=values))
    services.cases.execute(case_id, SubmitCase(at=AT, actor=actor, declaration=True))
    return {"case_id": case_id, "folio": folio, "ine": ine, "photo": photo}
