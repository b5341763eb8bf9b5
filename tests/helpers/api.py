"""The REST API's test steps: API-key headers, starting and filing the licence case, opening
its task, uploads, and the error-body check."""

from __future__ import annotations

import copy
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text

LICENCE = "licencia-funcionamiento"
FORM_STEPS = ("solicitante", "negocio", "documentos")


def key_auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def example_data(client: FlaskClient) -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/v1/procedures/{LICENCE}")
    assert response.status_code == 200
    return copy.deepcopy(response.json["definition"]["example_data"])


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def with_uploads(
    client: FlaskClient, folio: str, step: str, values: dict[str, Any]
) -> dict[str, Any]:
    """`values` with each file field's example references replaced by real uploads of the
    case's applicant (the API accepts only files that were uploaded to the case)."""
    svc = client.application.extensions["tramita"]
    case_id = svc.cases.case_id_for_folio(folio)
    _state, definition, _lock = svc.cases.load(case_id)
    with svc.engine.connect() as conn:
        owner = conn.execute(
            text("SELECT applicant_id FROM cases WHERE id = :id"), {"id": case_id}
        ).scalar_one()
    out = dict(values)
    for fld in definition.step(step).get("fields") or ():
        if fld["type"] != "file" or fld["id"] not in out:
            continue
        out[fld["id"]] = [
            svc.uploads.save(
                owner_id=str(owner),
                case_id=case_id,
                step_id=step,
                field_id=fld["id"],
                filename=str(ref.get("name") or "archivo.pdf"),
                data=PDF + str(n).encode(),
                field=fld,
            )
            for n, ref in enumerate(out[fld["id"]])
        ]
    return out


def start_case(client: FlaskClient, key: str) -> dict[str, Any]:
    response = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=key_auth(key))
    assert response.status_code == 201, response.json
    return response.json


def file_licence(client: FlaskClient, key: str, superficie: int = 50) -> dict[str, Any]:
    """Start a licence case, submit every form step with the example data, file it.

    With 100 m² or less the case goes to one review (desarrollo-economico); above, to a joint
    review that also involves proteccion-civil.
    """
    data = example_data(client)
    data["negocio"]["superficie_m2"] = superficie
    folio = start_case(client, key)["folio"]
    for step in FORM_STEPS:
        response = client.post(
            f"/api/v1/cases/{folio}/steps/{step}/submit",
            json={"values": with_uploads(client, folio, step, data[step])},
            headers=key_auth(key),
        )
        assert response.status_code == 200, response.json
    response = client.post(
        f"/api/v1/cases/{folio}/submit", json={"declaration": True}, headers=key_auth(key)
    )
    assert response.status_code == 200, response.json
    return response.json


def open_task(case: dict[str, Any], department: str) -> dict[str, Any]:
    return next(t for t in case["tasks"] if t["department"] == department and t["status"] == "open")


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"] and error["message_en"]
    assert isinstance(error.get("details", {}), dict)
    return error
