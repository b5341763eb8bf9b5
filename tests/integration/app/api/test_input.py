"""What the API (and the wizard) accept as step data, on SQLite and PostgreSQL (issue 10, items
6-9): only files really uploaded to the case and field, only finite numbers, only valid
Unicode, drafts bounded like submissions, and JSON bodies capped well below the upload limit."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Column, MetaData, Table, insert
from sqlalchemy.exc import StatementError
from sqlalchemy.types import JSON

from tests.helpers.api import with_uploads
from tests.helpers.web import csrf_token, login
from workflow_engine import strict_json
from workflow_engine.engine import SaveDraft, SubmitStep
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.hashing import canonical_json
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo
from workflow_engine.persistence.types import utcnow

LICENCE = "licencia-funcionamiento"
CITIZEN = "ciudadano@demo.gob.mx"
NEIGHBOUR = "vecina@example.com"
OFFICIAL = "funcionario@demo.gob.mx"
PHANTOM = {
    "id": "f-never-uploaded",
    "name": "titulo-de-propiedad-falso.pdf",
    "sha256": "ab" * 32,
    "size": 245760,
    "content_type": "application/pdf",
}


@pytest.fixture
def app(seeded_url: str, app_factory: Any) -> Flask:
    """The demo (seeded once per session, every address confirmed) and a second citizen."""
    flask_app: Flask = app_factory(seeded_url)
    accounts = Accounts(flask_app.extensions["tramita"].engine, demo_mode=True)
    accounts.create(NEIGHBOUR, "vecina-password-1", role="citizen", verified=True)
    flask_app.config["TESTING"] = True
    return flask_app


def api_key(app: Flask, email: str) -> dict[str, str]:
    accounts = Accounts(app.extensions["tramita"].engine, demo_mode=True)
    account = accounts.by_email(email)
    assert account is not None
    return {"X-API-Key": accounts.create_api_key(account.id, "tests")}


def example(client: FlaskClient) -> dict[str, dict[str, Any]]:
    return client.get(f"/api/v1/procedures/{LICENCE}").json["definition"]["example_data"]


def case_at_documents(client: FlaskClient, auth: dict[str, str]) -> str:
    """A licence case of the key's owner with its first two steps submitted."""
    started = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=auth)
    assert started.status_code == 201, started.json
    folio = started.json["folio"]
    data = example(client)
    for step in ("solicitante", "negocio"):
        done = client.post(
            f"/api/v1/cases/{folio}/steps/{step}/submit",
            json={"values": data[step]},
            headers=auth,
        )
        assert done.status_code == 200, done.json
    return folio


def raw(client: FlaskClient, method: str, url: str, body: str | bytes, auth: dict[str, str]) -> Any:
    return client.open(url, method=method, data=body, content_type="application/json", headers=auth)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:600]
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"] and error["message_en"]
    return error


def strictly_json(response: Any) -> Any:
    """The body parsed by a standard JSON parser (NaN/Infinity are not JSON)."""
    return strict_json.loads(response.get_data())


# -- 6: file references ------------------------------------------------------------------------
def test_only_files_uploaded_to_this_case_and_field_are_accepted(app: Flask) -> None:
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    neighbour = api_key(app, NEIGHBOUR)
    folio = case_at_documents(client, citizen)
    real = with_uploads(client, folio, "documentos", example(client)["documentos"])
    other_case = case_at_documents(client, citizen)
    elsewhere = with_uploads(client, other_case, "documentos", example(client)["documentos"])
    neighbours = case_at_documents(client, neighbour)
    theirs = with_uploads(client, neighbours, "documentos", example(client)["documentos"])

    attempts = {
        "invented": [PHANTOM],
        "bare invented id": ["f-never-uploaded"],
        "another case of mine": elsewhere["doc_identificacion"],
        "another citizen's": theirs["doc_identificacion"],
        "another field of this case": real["doc_comprobante_domicilio"],
        "not a reference": [{"name": "x.pdf"}],
    }
    for what, refs in attempts.items():
        values = dict(real, doc_identificacion=refs)
        for method, url in (
            ("POST", f"/api/v1/cases/{folio}/steps/documentos/submit"),
            ("PUT", f"/api/v1/cases/{folio}/steps/documentos"),
        ):
            response = client.open(url, method=method, json={"values": values}, headers=citizen)
            error = assert_error(response, 400, "unknown_file")
            assert error["details"]["field"] == "doc_identificacion", what
            (item,) = error["details"]["errors"]
            assert item["path"] == "doc_identificacion[0]"
            assert "Identificación oficial" in item["message"], (what, item)
            assert item["message_en"]
    case = client.get(f"/api/v1/cases/{folio}", headers=citizen).json
    assert case["status"] == "draft" and case["drafts"] == {}

    # The real upload with invented metadata: the stored name, size and sha256 are kept.
    lying = dict(real["doc_identificacion"][0], name="otro.pdf", sha256="cd" * 32, size=1)
    values = dict(real, doc_identificacion=[lying])
    response = client.post(
        f"/api/v1/cases/{folio}/steps/documentos/submit", json={"values": values}, headers=citizen
    )
    assert response.status_code == 200, response.json
    assert response.json["data"]["doc_identificacion"] == real["doc_identificacion"]


def test_receipt_and_official_page_list_only_stored_files(app: Flask) -> None:
    """A case whose data names a file that was never stored (written before the rule, or
    by a path that skipped it): the receipt and the official's page do not list it."""
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    folio = case_at_documents(client, citizen)
    real = with_uploads(client, folio, "documentos", example(client)["documentos"])
    svc = app.extensions["tramita"]
    case_id = svc.cases.case_id_for_folio(folio)
    owner = Accounts(svc.engine, demo_mode=True).by_email(CITIZEN)
    assert owner is not None
    actor = owner.actor()
    values = dict(real, doc_uso_suelo=[PHANTOM])  # straight to the engine: no door checks it
    svc.cases.execute(
        case_id, SubmitStep(at=utcnow(), actor=actor, step_id="documentos", values=values)
    )
    filed = client.post(
        f"/api/v1/cases/{folio}/submit", json={"declaration": True}, headers=citizen
    )
    assert filed.status_code == 200, filed.json

    web = app.test_client()
    login(web, CITIZEN)
    receipt = web.get(f"/expedientes/{folio}/acuse.pdf")
    assert receipt.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.data)).pages)
    stored = real["doc_identificacion"][0]
    assert stored["sha256"][:16] in text.replace("\n", "")
    assert PHANTOM["name"] not in text and PHANTOM["sha256"][:16] not in text.replace("\n", "")
    page = web.get(f"/expedientes/{folio}").get_data(as_text=True)
    assert stored["name"] in page and PHANTOM["name"] not in page

    staff = app.test_client()
    login(staff, OFFICIAL)
    review = staff.get(f"/bandeja/expedientes/{folio}")
    assert review.status_code == 200
    html = review.get_data(as_text=True)
    assert stored["id"] in html
    assert PHANTOM["name"] not in html and PHANTOM["id"] not in html


# -- 7: non-finite numbers ---------------------------------------------------------------------
NON_FINITE = ["1e999999", "-1e999999", "NaN", "Infinity", "-Infinity"]


@pytest.mark.parametrize("number", NON_FINITE)
def test_non_finite_numbers_are_refused_and_never_served(app: Flask, number: str) -> None:
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    started = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=citizen)
    folio = started.json["folio"]
    for method, url, body in (
        ("PUT", f"/api/v1/cases/{folio}/steps/negocio", '{"values": {"superficie_m2": %s}}'),
        ("PUT", f"/api/v1/cases/{folio}/steps/negocio", '{"values": {"socios": [{"x": [%s]}]}}'),
        ("POST", f"/api/v1/cases/{folio}/steps/negocio/submit", '{"values": {"empleados": %s}}'),
        ("POST", f"/api/v1/cases/{folio}/submit", '{"declaration": true, "lock_version": %s}'),
        ("POST", "/api/v1/cases", '{"procedure": "x", "n": %s}'),
    ):
        response = raw(client, method, url, body % number, citizen)
        error = assert_error(response, 400, "bad_request")
        assert error["details"]["reason"] == "non_finite_number"
        assert number in error["message"] or "JSON" in error["message"]
    case = client.get(f"/api/v1/cases/{folio}", headers=citizen)
    assert case.status_code == 200
    assert strictly_json(case)["drafts"] == {}


def test_every_json_writer_refuses_non_finite_numbers(app: Flask, db_url: str) -> None:
    """Responses, JSON columns and the history hash never write NaN/Infinity."""
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(strict_json.InvalidJSONError):
            strict_json.dumps({"x": [bad]})
        with pytest.raises(strict_json.InvalidJSONError):
            canonical_json({"x": bad})
        with app.app_context(), pytest.raises(ValueError):
            app.json.dumps({"x": bad})
        with pytest.raises(strict_json.InvalidJSONError):
            app.json.loads('{"x": %s}' % ("NaN" if bad != bad else "1e999"))
    engine = make_engine(db_url)
    try:
        scratch = Table("scratch_json", MetaData(), Column("doc", JSON))
        scratch.create(engine)
        try:
            with (
                pytest.raises((StatementError, strict_json.InvalidJSONError)) as refused,
                engine.begin() as conn,
            ):
                conn.execute(insert(scratch).values(doc={"x": float("inf")}))
            cause = getattr(refused.value, "orig", refused.value)  # SQLite wraps it
            assert isinstance(cause, strict_json.InvalidJSONError)
        finally:
            scratch.drop(engine)
    finally:
        engine.dispose()
    # a command whose data is not finite is refused before it reaches the database
    svc = app.extensions["tramita"]
    client = app.test_client()
    folio = client.post(
        "/api/v1/cases", json={"procedure": LICENCE}, headers=api_key(app, CITIZEN)
    ).json["folio"]
    owner = Accounts(svc.engine, demo_mode=True).by_email(CITIZEN)
    assert owner is not None
    command = SaveDraft(
        at=utcnow(), actor=owner.actor(), step_id="negocio", values={"superficie_m2": float("nan")}
    )
    with pytest.raises(Exception) as refused:
        svc.cases.execute(svc.cases.case_id_for_folio(folio), command)
    assert getattr(refused.value, "http_status", 500) in (400, 422)


@pytest.mark.parametrize("typed", ["1e999999", "nan", "inf", "-Infinity", "1e3"])
def test_wizard_number_fields_refuse_non_finite_text(app: Flask, typed: str) -> None:
    web = app.test_client()
    login(web, CITIZEN)
    folio = wizard_case_at(web, "negocio")
    form = dict(NEGOCIO, superficie_m2=typed, csrf_token=token(web, folio, "negocio"))
    page = web.post(f"/expedientes/{folio}/pasos/negocio", data=form)
    assert page.status_code == 422
    assert "escriba un número" in page.get_data(as_text=True)


# -- 8: invalid Unicode ------------------------------------------------------------------------
def test_lone_surrogates_are_bad_input_not_a_conflict(app: Flask) -> None:
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    folio = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=citizen).json["folio"]
    for method, url, body in (
        (
            "PUT",
            f"/api/v1/cases/{folio}/steps/solicitante",
            '{"values": {"nombre_solicitante": "a\\ud800b"}}',
        ),
        ("PUT", f"/api/v1/cases/{folio}/steps/solicitante", '{"values": {"a\\udfffb": "x"}}'),
        (
            "POST",
            f"/api/v1/cases/{folio}/steps/solicitante/submit",
            '{"values": {"razon_social": "\\udc80"}}',
        ),
        ("POST", f"/api/v1/cases/{folio}/cancel", '{"reason": "ya no \\ud83d"}'),
    ):
        response = raw(client, method, url, body, citizen)
        error = assert_error(response, 400, "bad_request")
        assert error["details"]["reason"] == "invalid_text"
        assert "Unicode" in error["message"] and "Unicode" in error["message_en"]
    # A pair of surrogates is a real character (an emoji): fine.
    ok = raw(
        client,
        "PUT",
        f"/api/v1/cases/{folio}/steps/solicitante",
        '{"values": {"nombre_solicitante": "Mar\\u00eda \\ud83d\\ude00"}}',
        citizen,
    )
    assert ok.status_code == 200, ok.json
    assert ok.json["drafts"]["solicitante"]["nombre_solicitante"] == "María 😀"


def test_text_the_database_cannot_store_is_not_reported_as_a_lost_race(app: Flask) -> None:
    """Whatever door a surrogate comes through, the case service answers 400, never 409."""
    svc = app.extensions["tramita"]
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    folio = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=citizen).json["folio"]
    owner = Accounts(svc.engine, demo_mode=True).by_email(CITIZEN)
    assert owner is not None
    case_id = svc.cases.case_id_for_folio(folio)
    for command in (
        SaveDraft(
            at=utcnow(),
            actor=owner.actor(),
            step_id="solicitante",
            values={"nombre_solicitante": "a\ud800b"},
        ),
        SubmitStep(
            at=utcnow(),
            actor=owner.actor(),
            step_id="solicitante",
            values=dict(example(client)["solicitante"], razon_social="Tienda \udcff"),
        ),
    ):
        with pytest.raises(strict_json.InvalidJSONError) as refused:
            svc.cases.execute(case_id, command)
        assert refused.value.http_status == 400
        assert refused.value.details["reason"] == "invalid_text"
    # nothing was written and the case still works
    saved = client.put(
        f"/api/v1/cases/{folio}/steps/solicitante",
        json={"values": {"nombre_solicitante": "María"}},
        headers=citizen,
    )
    assert saved.status_code == 200


def test_wizard_form_with_invalid_utf8_is_neither_conflict_nor_error(app: Flask) -> None:
    """Browsers never send lone surrogates; a hand-made form with invalid UTF-8 gets a clear
    answer: an escaped sequence is kept as typed, raw bytes are a bad request (400)."""
    web = app.test_client()
    login(web, CITIZEN)
    folio = wizard_case_at(web, "solicitante")
    url = f"/expedientes/{folio}/pasos/solicitante"
    tok = token(web, folio, "solicitante").encode()
    escaped = b"csrf_token=" + tok + b"&accion=guardar&nombre_solicitante=a%ED%A0%80b"
    page = web.post(url, data=escaped, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 302, page.get_data(as_text=True)[:2000]
    raw_bytes = b"csrf_token=" + tok + b"&accion=guardar&nombre_solicitante=a\xed\xa0\x80b"
    page = web.post(url, data=raw_bytes, content_type="application/x-www-form-urlencoded")
    assert page.status_code == 400
    assert "La solicitud no es válida." in page.get_data(as_text=True)


# -- 9: sizes ----------------------------------------------------------------------------------
def test_drafts_are_bounded_like_submissions(app: Flask) -> None:
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    folio = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=citizen).json["folio"]
    first = client.post(
        f"/api/v1/cases/{folio}/steps/solicitante/submit",
        json={"values": example(client)["solicitante"]},
        headers=citizen,
    )
    assert first.status_code == 200, first.json
    draft = f"/api/v1/cases/{folio}/steps/negocio"
    cases = {
        # explicit max_length (150)
        "nombre_comercial": ("x" * 151, "too_long"),
        # no max_length: the type's default bound
        "superficie_m2": ("9" * 501, "too_long"),
        "domicilio_negocio": ({"street": "x" * 201}, "too_long"),
        "socios": ([{"socio_nombre": "x" * 10_001}], "too_long"),
    }
    for field, (value, code) in cases.items():
        response = client.put(draft, json={"values": {field: value}}, headers=citizen)
        error = assert_error(response, 422, "validation_failed")
        assert [e["code"] for e in error["details"]["errors"]] == [code], field
        assert error["details"]["errors"][0]["field"] == field.split(".")[0] or field == "socios"
    unknown = {f"k{n}": 1 for n in range(1000)}
    error = assert_error(
        client.put(draft, json={"values": unknown}, headers=citizen), 422, "validation_failed"
    )
    assert {e["code"] for e in error["details"]["errors"]} == {"unknown_field"}
    nested = {"socios": [{"socio_nombre": "Ana", "extra": 1}]}
    error = assert_error(
        client.put(draft, json={"values": nested}, headers=citizen), 422, "validation_failed"
    )
    assert error["details"]["errors"][0]["path"] == "socios[0].extra"
    # what fits is kept
    fits = {"nombre_comercial": "x" * 150, "domicilio_negocio": {"street": "Reforma"}}
    kept = client.put(draft, json={"values": fits}, headers=citizen)
    assert kept.status_code == 200, kept.json
    assert kept.json["drafts"]["negocio"] == fits


def test_api_bodies_are_capped(db_url: str, app_factory: Any) -> None:
    app: Flask = app_factory(db_url, api_max_body_bytes=64 * 1024)
    seed_demo(app.extensions["tramita"].engine, demo_mode=True)
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    folio = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=citizen).json["folio"]
    big = json.dumps({"values": {"nombre_comercial": "x" * 70_000}})
    for method, url in (
        ("PUT", f"/api/v1/cases/{folio}/steps/negocio"),
        ("POST", f"/api/v1/cases/{folio}/steps/negocio/submit"),
        ("POST", "/api/v1/cases"),
        ("POST", "/api/v1/tasks/1/decision"),
    ):
        error = assert_error(raw(client, method, url, big, citizen), 413, "payload_too_large")
        assert "64 KB" in error["message"] and "64 KB" in error["message_en"]
        # without a Content-Length (chunked) the cap holds too
        chunked = client.open(
            url,
            method=method,
            input_stream=io.BytesIO(big.encode()),
            content_type="application/json",
            headers={**citizen, "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},  # as gunicorn says for chunked
        )
        assert_error(chunked, 413, "payload_too_large")
    assert client.get(f"/api/v1/cases/{folio}", headers=citizen).json["drafts"] == {}


def test_default_cap_is_one_megabyte_well_below_uploads(app: Flask) -> None:
    settings = app.extensions["tramita"].settings
    assert settings.api_max_body_bytes == 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] >= 20 * settings.api_max_body_bytes
    client = app.test_client()
    citizen = api_key(app, CITIZEN)
    folio = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=citizen).json["folio"]
    twenty_mb = '{"values": {"nombre_comercial": "' + "x" * (20 * 1024 * 1024) + '"}}'
    response = raw(client, "PUT", f"/api/v1/cases/{folio}/steps/negocio", twenty_mb, citizen)
    assert_error(response, 413, "payload_too_large")


def test_wizard_draft_with_text_too_long_says_so(app: Flask) -> None:
    web = app.test_client()
    login(web, CITIZEN)
    folio = wizard_case_at(web, "negocio")
    form = dict(NEGOCIO, nombre_comercial="x" * 151, accion="guardar")
    form["csrf_token"] = token(web, folio, "negocio")
    page = web.post(f"/expedientes/{folio}/pasos/negocio", data=form)
    assert page.status_code == 422
    assert "como máximo 150 caracteres" in page.get_data(as_text=True)


# -- helpers for the wizard --------------------------------------------------------------------
NEGOCIO = {
    "nombre_comercial": "Cocina La Esperanza",
    "giro": "restaurante",
    "superficie_m2": "80",
    "empleados": "9",
    "domicilio_negocio.street": "Calle 5 de Mayo",
    "domicilio_negocio.number": "214",
    "domicilio_negocio.neighbourhood": "Barrio de San Miguel",
    "domicilio_negocio.postcode": "72960",
    "domicilio_negocio.municipality": "Chocotlán",
    "vende_alcohol": "no",
    "cuenta_uso_suelo": "si",
    "socios[0].socio_nombre": "María Guadalupe Hernández López",
    "socios[0].socio_curp": "HELG850312MPLRPD05",
    "socios[0].socio_porcentaje": "100",
}


def token(client: FlaskClient, folio: str, step: str) -> str:
    return csrf_token(client, f"/expedientes/{folio}/pasos/{step}")


def wizard_case_at(web: FlaskClient, step: str) -> str:
    """A licence case started in the wizard, advanced (through the API rules) to `step`."""
    started = web.post(
        f"/tramites/{LICENCE}",
        data={"csrf_token": csrf_token(web, f"/tramites/{LICENCE}/informacion")},
    )
    assert started.status_code == 302
    folio = started.headers["Location"].split("/")[2]
    if step == "negocio":
        data = example(web)["solicitante"]
        done = web.post(
            f"/api/v1/cases/{folio}/steps/solicitante/submit",
            json={"values": data},
            headers={"X-CSRFToken": token(web, folio, "solicitante")},
        )
        assert done.status_code == 200, done.json
    return folio
