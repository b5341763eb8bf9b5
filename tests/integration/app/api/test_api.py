"""The REST API end to end: real HTTP through Flask's test client, a migrated and seeded SQLite
database, the real engine and outbox (in-process)."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from app.api import ROUTES
from tests.helpers.api import (
    FORM_STEPS,
    LICENCE,
    assert_error,
    example_data,
    file_licence,
    key_auth,
    open_task,
    start_case,
    with_uploads,
)
from tests.helpers.web import account, csrf_token, forge_login
from tests.integration.conftest import API_USERS


# -- procedures ----------------------------------------------------------------------------
def test_list_procedures_is_public(api_client: FlaskClient) -> None:
    response = api_client.get("/api/v1/procedures")
    assert response.status_code == 200
    procedures = {p["key"]: p for p in response.json["procedures"]}
    licence = procedures[LICENCE]
    assert licence["version"] == 1
    assert licence["homoclave"] == "CHO-DE-001"
    assert licence["department"] == "desarrollo-economico"
    assert licence["title"]["es"]
    assert licence["summary"]["es"]
    assert isinstance(licence["max_response_days"], int)
    assert "es" in licence["cost"]


def test_get_procedure_and_version(api_app: Flask, api_client: FlaskClient) -> None:
    live = api_client.get(f"/api/v1/procedures/{LICENCE}")
    assert live.status_code == 200
    assert live.json["number"] == 1
    assert len(live.json["checksum"]) == 64
    assert live.json["definition"]["key"] == LICENCE
    assert live.json["published_at"].startswith("20")
    assert api_client.get(f"/api/v1/procedures/{LICENCE}/versions/1").json == live.json

    assert_error(api_client.get(f"/api/v1/procedures/{LICENCE}/versions/9"), 404, "not_found")
    assert_error(api_client.get("/api/v1/procedures/no-existe"), 404, "not_found")

    api_app.extensions["tramita"].catalog.archive(LICENCE)
    assert_error(api_client.get(f"/api/v1/procedures/{LICENCE}"), 404, "not_found")
    assert_error(api_client.get(f"/api/v1/procedures/{LICENCE}/versions/1"), 404, "not_found")
    listed = api_client.get("/api/v1/procedures").json["procedures"]
    assert LICENCE not in {p["key"] for p in listed}


# -- the applicant's side -------------------------------------------------------------------
def test_citizen_files_a_licence_with_an_api_key(
    api_client: FlaskClient, api_keys: dict[str, str]
) -> None:
    key = api_keys["citizen"]
    data = example_data(api_client)
    response = api_client.post(
        "/api/v1/cases", json={"procedure": LICENCE}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201
    case = response.json
    folio = case["folio"]
    assert response.headers["Location"] == f"/api/v1/cases/{folio}"
    assert case["status"] == "draft"
    assert case["position"] == "solicitante"
    assert case["procedure"] == {
        "key": LICENCE,
        "version": 1,
        "title": case["procedure"]["title"],
    }
    assert case["history"][0]["type"] == "case.started"
    assert case["history"][0]["actor"]["name"] == "María López Hernández"

    draft = api_client.put(
        f"/api/v1/cases/{folio}/steps/solicitante",
        json={"values": {"nombre_solicitante": "María"}, "lock_version": case["lock_version"]},
        headers=key_auth(key),
    )
    assert draft.status_code == 200
    assert draft.json["drafts"] == {"solicitante": {"nombre_solicitante": "María"}}
    assert draft.json["lock_version"] == case["lock_version"] + 1

    for step in FORM_STEPS:
        response = api_client.post(
            f"/api/v1/cases/{folio}/steps/{step}/submit",
            json={"values": with_uploads(api_client, folio, step, data[step])},
            headers=key_auth(key),
        )
        assert response.status_code == 200, response.json
    case = response.json
    assert case["status"] == "ready_to_submit"
    assert case["drafts"] == {}
    assert case["data"]["superficie_m2"] == data["negocio"]["superficie_m2"]

    response = api_client.post(
        f"/api/v1/cases/{folio}/submit", json={"declaration": True}, headers=key_auth(key)
    )
    assert response.status_code == 200
    case = response.json
    assert case["status"] == "in_review"
    assert case["submitted_at"]
    # 180 m² in the example: joint review by two departments.
    assert {t["department"] for t in case["tasks"]} == {"desarrollo-economico", "proteccion-civil"}
    assert all(isinstance(t["id"], int) for t in case["tasks"])
    seqs = [e["seq"] for e in case["history"]]
    assert seqs == list(range(1, len(seqs) + 1))
    types = [e["type"] for e in case["history"]]
    assert "case.submitted" in types
    assert all(e["at"].startswith("20") for e in case["history"])

    fetched = api_client.get(f"/api/v1/cases/{folio}", headers=key_auth(key))
    assert fetched.status_code == 200
    assert fetched.json == case

    mine = api_client.get("/api/v1/cases", headers=key_auth(key)).json
    assert [c["folio"] for c in mine["cases"]] == [folio]
    assert mine["cases"][0]["status"] == "in_review"
    assert mine["next_after"] is None
    other = api_client.get("/api/v1/cases", headers=key_auth(api_keys["citizen_b"])).json
    assert other["cases"] == []


def test_step_validation_errors_name_each_field(
    api_client: FlaskClient, api_keys: dict[str, str]
) -> None:
    key = api_keys["citizen"]
    data = example_data(api_client)
    folio = start_case(api_client, key)["folio"]
    values = dict(data["solicitante"], curp="NO-ES-CURP")
    del values["correo"]
    response = api_client.post(
        f"/api/v1/cases/{folio}/steps/solicitante/submit",
        json={"values": values},
        headers=key_auth(key),
    )
    error = assert_error(response, 422, "validation_failed")
    errors = {e["field"]: e for e in error["details"]["errors"]}
    assert set(errors) == {"curp", "correo"}
    for item in errors.values():
        assert set(item) == {"field", "path", "code", "message", "message_en"}
        assert item["message"] and item["message_en"]
    assert errors["correo"]["path"].endswith("correo")

    # A nested path inside a repeating group.
    response = api_client.post(
        f"/api/v1/cases/{folio}/steps/solicitante/submit",
        json={"values": data["solicitante"]},
        headers=key_auth(key),
    )
    assert response.status_code == 200
    negocio = copy.deepcopy(data["negocio"])
    negocio["socios"][1]["socio_curp"] = "X"
    response = api_client.post(
        f"/api/v1/cases/{folio}/steps/negocio/submit",
        json={"values": negocio},
        headers=key_auth(key),
    )
    error = assert_error(response, 422, "validation_failed")
    paths = [e["path"] for e in error["details"]["errors"]]
    assert any("socios[1]" in p and "socio_curp" in p for p in paths), paths

    # Nothing was written by the refused submissions.
    case = api_client.get(f"/api/v1/cases/{folio}", headers=key_auth(key)).json
    assert case["position"] == "negocio"
    assert "socios" not in case["data"]


def test_cancel_case(api_client: FlaskClient, api_keys: dict[str, str]) -> None:
    key = api_keys["citizen"]
    folio = start_case(api_client, key)["folio"]
    missing = api_client.post(f"/api/v1/cases/{folio}/cancel", json={}, headers=key_auth(key))
    error = assert_error(missing, 422, "validation_failed")
    assert error["details"]["errors"][0]["field"] == "reason"
    response = api_client.post(
        f"/api/v1/cases/{folio}/cancel", json={"reason": "Ya no lo necesito"}, headers=key_auth(key)
    )
    assert response.status_code == 200
    assert response.json["status"] == "closed"
    assert response.json["outcome"] == "cancelled"
    again = api_client.post(
        f"/api/v1/cases/{folio}/cancel", json={"reason": "otra vez"}, headers=key_auth(key)
    )
    assert_error(again, 422, "invalid_command")


# -- the official's side --------------------------------------------------------------------
def test_official_decides_and_a_second_decision_conflicts(
    api_client: FlaskClient, api_keys: dict[str, str]
) -> None:
    case = file_licence(api_client, api_keys["citizen"], superficie=50)
    folio = case["folio"]
    official = key_auth(api_keys["official"])
    task = open_task(case, "desarrollo-economico")

    inbox = api_client.get("/api/v1/tasks", headers=official).json
    listed = {t["id"]: t for t in inbox["tasks"]}
    assert task["id"] in listed
    row = listed[task["id"]]
    assert row["folio"] == folio
    assert row["procedure"] == LICENCE
    assert row["step"] == task["step"]
    assert row["department"] == "desarrollo-economico"
    assert row["role"] == task["role"]
    assert row["status"] == "open"
    assert row["due_on"] and row["opened_at"]

    seen = api_client.get(f"/api/v1/cases/{folio}", headers=official)
    assert seen.status_code == 200
    assert seen.json["drafts"] == {}

    stale = api_client.post(
        f"/api/v1/tasks/{task['id']}/decision",
        json={"decision": "approve", "lock_version": case["lock_version"] - 1},
        headers=official,
    )
    assert_error(stale, 409, "conflict")

    decided = api_client.post(
        f"/api/v1/tasks/{task['id']}/decision",
        json={
            "decision": "approve",
            "comment": "Todo en orden.",
            "lock_version": case["lock_version"],
        },
        headers=official,
    )
    assert decided.status_code == 200, decided.json
    after = decided.json
    assert after["folio"] == folio
    decided_task = next(t for t in after["tasks"] if t["id"] == task["id"])
    assert decided_task["status"] == "approved"
    assert decided_task["comment"] == "Todo en orden."
    # The outbox ran in-process: the payment order is already there.
    assert after["status"] == "awaiting_payment"
    assert after["payment"]["reference"]
    assert after["payment"]["total_cents"] > 0
    assert "task.decided" in [e["type"] for e in after["history"]]

    second = api_client.post(
        f"/api/v1/tasks/{task['id']}/decision",
        json={"decision": "reject", "comment": "no"},
        headers=official,
    )
    assert_error(second, 409, "conflict")

    assert task["id"] not in {
        t["id"] for t in api_client.get("/api/v1/tasks", headers=official).json["tasks"]
    }
    approved = api_client.get("/api/v1/tasks?status=approved", headers=official).json["tasks"]
    assert task["id"] in {t["id"] for t in approved}


def test_official_returns_the_case_for_correction(
    api_client: FlaskClient, api_keys: dict[str, str]
) -> None:
    citizen = key_auth(api_keys["citizen"])
    case = file_licence(api_client, api_keys["citizen"], superficie=50)
    task = open_task(case, "desarrollo-economico")
    official = key_auth(api_keys["official"])
    no_comment = api_client.post(
        f"/api/v1/tasks/{task['id']}/decision",
        json={"decision": "return", "reason": "incomplete"},
        headers=official,
    )
    assert_error(no_comment, 422, "invalid_command")
    returned = api_client.post(
        f"/api/v1/tasks/{task['id']}/decision",
        json={
            "decision": "return",
            "reason": "incomplete",
            "comment": "Falta la constancia de uso de suelo legible.",
            "return_steps": ["documentos"],
        },
        headers=official,
    )
    assert returned.status_code == 200, returned.json
    assert returned.json["status"] == "awaiting_correction"
    assert returned.json["editable_steps"] == ["documentos"]

    data = example_data(api_client)
    folio = case["folio"]
    response = api_client.post(
        f"/api/v1/cases/{folio}/steps/documentos/submit",
        json={"values": with_uploads(api_client, folio, "documentos", data["documentos"])},
        headers=citizen,
    )
    assert response.status_code == 200, response.json
    response = api_client.post(
        f"/api/v1/cases/{folio}/submit", json={"declaration": True}, headers=citizen
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "in_review"
    assert "case.resubmitted" in [e["type"] for e in response.json["history"]]


def test_cases_and_tasks_are_isolated(api_client: FlaskClient, api_keys: dict[str, str]) -> None:
    case = file_licence(api_client, api_keys["citizen"], superficie=50)
    folio = case["folio"]
    task = open_task(case, "desarrollo-economico")

    other = key_auth(api_keys["citizen_b"])
    assert_error(api_client.get(f"/api/v1/cases/{folio}", headers=other), 404, "not_found")
    hijack = api_client.post(f"/api/v1/cases/{folio}/cancel", json={"reason": "mío"}, headers=other)
    assert_error(hijack, 404, "not_found")
    assert_error(
        api_client.post(
            f"/api/v1/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=other
        ),
        404,
        "not_found",
    )
    assert api_client.get("/api/v1/tasks", headers=other).json["tasks"] == []

    civil = key_auth(api_keys["civil"])  # proteccion-civil has no task in a 50 m² case
    assert_error(api_client.get(f"/api/v1/cases/{folio}", headers=civil), 404, "not_found")
    assert folio not in {
        t["folio"] for t in api_client.get("/api/v1/tasks", headers=civil).json["tasks"]
    }
    decision = api_client.post(
        f"/api/v1/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=civil
    )
    assert_error(decision, 404, "not_found")
    assert_error(
        api_client.post(
            "/api/v1/tasks/999999/decision", json={"decision": "approve"}, headers=civil
        ),
        404,
        "not_found",
    )
    # The case is untouched and the unknown folio looks exactly like a hidden one.
    still = api_client.get(f"/api/v1/cases/{folio}", headers=key_auth(api_keys["citizen"]))
    assert open_task(still.json, "desarrollo-economico")["id"] == task["id"]
    unknown = api_client.get("/api/v1/cases/CHO-2099-XXXX", headers=other)
    assert (
        unknown.json["error"]["message"]
        == api_client.get(f"/api/v1/cases/{folio}", headers=other).json["error"]["message"]
    )


def test_joint_review_is_visible_to_both_departments(
    api_client: FlaskClient, api_keys: dict[str, str]
) -> None:
    case = file_licence(api_client, api_keys["citizen"], superficie=180)
    civil = key_auth(api_keys["civil"])
    assert api_client.get(f"/api/v1/cases/{case['folio']}", headers=civil).status_code == 200
    mine = api_client.get("/api/v1/tasks", headers=civil).json["tasks"]
    assert {t["department"] for t in mine} == {"proteccion-civil"}
    # The official of desarrollo-economico cannot decide the other department's task.
    civil_task = open_task(case, "proteccion-civil")
    refused = api_client.post(
        f"/api/v1/tasks/{civil_task['id']}/decision",
        json={"decision": "approve"},
        headers=key_auth(api_keys["official"]),
    )
    assert_error(refused, 404, "not_found")


def test_task_list_pages_with_a_keyset_cursor(
    api_client: FlaskClient, api_keys: dict[str, str]
) -> None:
    for _ in range(3):
        file_licence(api_client, api_keys["citizen"], superficie=50)
    official = key_auth(api_keys["official"])
    seen: list[int] = []
    after = None
    while True:
        query = "/api/v1/tasks?limit=2" + (f"&after={after}" if after is not None else "")
        page = api_client.get(query, headers=official).json
        seen += [t["id"] for t in page["tasks"]]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == 3
    assert seen == sorted(seen)
    everything = api_client.get("/api/v1/tasks?status=all&limit=100", headers=official).json
    assert len(everything["tasks"]) == 3


# -- bad input, authentication, CSRF ------------------------------------------------------------
def test_bad_input_is_a_json_4xx(api_client: FlaskClient, api_keys: dict[str, str]) -> None:
    auth = key_auth(api_keys["citizen"])
    malformed = api_client.post(
        "/api/v1/cases", data="{not json", content_type="application/json", headers=auth
    )
    assert_error(malformed, 400, "bad_request")
    assert_error(api_client.post("/api/v1/cases", json=[1, 2], headers=auth), 400, "bad_request")
    assert_error(api_client.post("/api/v1/cases", headers=auth), 400, "bad_request")
    bad_utf8 = api_client.post(
        "/api/v1/cases", data=b"\xff\xfe{", content_type="application/json", headers=auth
    )
    assert_error(bad_utf8, 400, "bad_request")

    missing = assert_error(
        api_client.post("/api/v1/cases", json={}, headers=auth), 422, "validation_failed"
    )
    assert missing["details"]["errors"][0]["path"] == "$.procedure"
    assert_error(
        api_client.post("/api/v1/cases", json={"procedure": 7}, headers=auth),
        422,
        "validation_failed",
    )
    assert_error(
        api_client.post("/api/v1/cases", json={"procedure": "no-existe"}, headers=auth),
        404,
        "not_found",
    )
    assert_error(api_client.get("/api/v1/cases/NO-EXISTE", headers=auth), 404, "not_found")

    folio = start_case(api_client, api_keys["citizen"])["folio"]
    step = f"/api/v1/cases/{folio}/steps/solicitante"
    assert_error(api_client.put(step, json={"values": []}, headers=auth), 422, "validation_failed")
    assert_error(api_client.put(step, json={}, headers=auth), 422, "validation_failed")
    assert_error(
        api_client.put(step, json={"values": {}, "lock_version": "1"}, headers=auth),
        422,
        "validation_failed",
    )
    assert_error(
        api_client.put(f"/api/v1/cases/{folio}/steps/nope", json={"values": {}}, headers=auth),
        422,
        "invalid_command",
    )
    assert_error(
        api_client.put(step, json={"values": {}, "lock_version": 99}, headers=auth), 409, "conflict"
    )
    for body in ({}, {"declaration": "yes"}):
        assert_error(
            api_client.post(f"/api/v1/cases/{folio}/submit", json=body, headers=auth),
            422,
            "validation_failed",
        )
    not_ready = api_client.post(
        f"/api/v1/cases/{folio}/submit", json={"declaration": True}, headers=auth
    )
    assert_error(not_ready, 422, "invalid_command")

    official = key_auth(api_keys["official"])
    for query in ("limit=0", "limit=101", "limit=x", "after=-1", "status=bogus"):
        assert_error(api_client.get(f"/api/v1/tasks?{query}", headers=official), 400, "bad_request")
    assert_error(api_client.get("/api/v1/cases?limit=500", headers=auth), 400, "bad_request")

    nan = api_client.put(
        step, data='{"values": {"a": NaN}}', content_type="application/json", headers=auth
    )
    assert_error(nan, 400, "bad_request")
    deep = api_client.post(
        "/api/v1/cases", data="[" * 5000, content_type="application/json", headers=auth
    )
    assert_error(deep, 400, "bad_request")
    nested: Any = 1
    for _ in range(40):
        nested = [nested]
    nested = {"values": {"a": nested}}
    assert_error(api_client.put(step, json=nested, headers=auth), 400, "bad_request")
    huge = 2**70
    assert_error(
        api_client.post(f"/api/v1/tasks/{huge}/decision", json={}, headers=official),
        404,
        "not_found",
    )
    assert_error(api_client.get(f"/api/v1/procedures/{LICENCE}/versions/{huge}"), 404, "not_found")
    assert_error(
        api_client.get(f"/api/v1/tasks?after={huge}", headers=official), 400, "bad_request"
    )

    assert_error(api_client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(api_client.delete("/api/v1/procedures"), 405, "method_not_allowed")


def test_decision_input_is_checked(api_client: FlaskClient, api_keys: dict[str, str]) -> None:
    case = file_licence(api_client, api_keys["citizen"], superficie=50)
    url = f"/api/v1/tasks/{open_task(case, 'desarrollo-economico')['id']}/decision"
    official = key_auth(api_keys["official"])
    for body in (
        {},
        {"decision": "maybe"},
        {"decision": "approve", "comment": 3},
        {"decision": "return", "return_steps": "documentos"},
    ):
        assert_error(api_client.post(url, json=body, headers=official), 422, "validation_failed")
    assert_error(
        api_client.post(url, data="[", content_type="application/json", headers=official),
        400,
        "bad_request",
    )


def test_authentication_is_required(api_client: FlaskClient) -> None:
    for method, url in (
        ("get", "/api/v1/cases"),
        ("post", "/api/v1/cases"),
        ("get", "/api/v1/cases/CHO-2025-0001"),
        ("get", "/api/v1/tasks"),
        ("post", "/api/v1/tasks/1/decision"),
    ):
        response = getattr(api_client, method)(url, json={"procedure": LICENCE})
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad_key = api_client.get("/api/v1/cases", headers={"X-API-Key": "tk_wrong"})
    assert_error(bad_key, 401, "unauthorized")
    bad_bearer = api_client.get("/api/v1/cases", headers={"Authorization": "Bearer tk_wrong"})
    assert_error(bad_bearer, 401, "unauthorized")


def _login(app: Flask, client: FlaskClient, email: str) -> str:
    """Open a browser session for `email` (as /entrar does, without its HTML page); return
    the session's CSRF token."""
    return csrf_token(forge_login(client, account(app, email).id))


def test_session_requests_that_change_state_need_the_csrf_token(
    api_app: Flask, api_client: FlaskClient
) -> None:
    token = _login(api_app, api_client, API_USERS["citizen"])
    assert api_client.get("/api/v1/cases").status_code == 200

    refused = api_client.post("/api/v1/cases", json={"procedure": LICENCE})
    assert_error(refused, 403, "csrf_failed")
    forged = api_client.post(
        "/api/v1/cases", json={"procedure": LICENCE}, headers={"X-CSRFToken": "forged"}
    )
    assert_error(forged, 403, "csrf_failed")
    assert api_client.get("/api/v1/cases").json["cases"] == []

    accepted = api_client.post(
        "/api/v1/cases", json={"procedure": LICENCE}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201
    folio = accepted.json["folio"]
    put = api_client.put(f"/api/v1/cases/{folio}/steps/solicitante", json={"values": {}})
    assert_error(put, 403, "csrf_failed")
    assert [c["folio"] for c in api_client.get("/api/v1/cases").json["cases"]] == [folio]


def test_api_key_requests_need_no_csrf_token(
    api_app: Flask, api_client: FlaskClient, api_keys: dict[str, str]
) -> None:
    _login(api_app, api_client, API_USERS["citizen_b"])  # a session cookie is present but unused
    response = api_client.post(
        "/api/v1/cases", json={"procedure": LICENCE}, headers=key_auth(api_keys["citizen"])
    )
    assert response.status_code == 201
    assert response.json["history"][0]["actor"]["name"] == "María López Hernández"


# -- OpenAPI --------------------------------------------------------------------------------
def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule)


def test_openapi_document_is_valid_and_complete(api_client: FlaskClient) -> None:
    response = api_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] == [{"url": "/api/v1"}]
    for name in ("Procedure", "Case", "Event", "Task", "Error"):
        assert name in doc["components"]["schemas"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["bearer"]["scheme"] == "bearer"

    documented = {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    routed = {
        (_openapi_path(rule), method) for rule, _view, methods in ROUTES for method in methods
    }
    assert documented == routed
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            codes = set(operation["responses"])
            assert any(c.startswith("2") for c in codes), (path, method)
            if operation.get("security") != []:
                assert "401" in codes, (path, method)
            for code in codes - {"200", "201", "204"}:
                assert code.startswith("4") or code == "503", (path, method, code)


def test_route_table_matches_the_url_map(api_app: Flask) -> None:
    registered = {
        (r.rule, method)
        for r in api_app.url_map.iter_rules()
        if r.endpoint.startswith("api.")
        for method in (r.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert registered == {("/api/v1" + rule, m) for rule, _view, methods in ROUTES for m in methods}
