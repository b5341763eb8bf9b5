"""Abuse suite for the REST API: the input attacks of issue 10 (phantom file references,
non-finite numbers, lone surrogates, oversized bodies) against EVERY operation of
/api/v1/openapi.json that takes a JSON body, on SQLite and PostgreSQL.

Routes come from the app itself: every change route of the URL map must be in the OpenAPI
document, and every documented operation with a request body is attacked, so a new route is
covered without editing this file (a new path parameter needs a value in `path_value`).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo

LICENCE = "licencia-funcionamiento"
CITIZEN = "ciudadano@demo.gob.mx"
OFFICIAL = "funcionario@demo.gob.mx"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PHANTOM = {
    "id": "f-phantom-abuse",
    "name": "phantom-abuse.pdf",
    "sha256": "ef" * 32,
    "size": 1234,
    "content_type": "application/pdf",
}


@dataclass
class Target:
    method: str
    path: str  # concrete, parameters filled in
    template: str
    headers: dict[str, str]


@dataclass
class World:
    app: Flask
    client: FlaskClient
    citizen: dict[str, str]
    official: dict[str, str]
    draft_folio: str  # the citizen's case, at its file step
    task_id: int  # an open task of the official's department
    example: dict[str, Any]  # the licence's example data

    def fresh_case(self) -> None:
        """A new case of the citizen at its file step (an attack may have closed the last)."""
        folio = self.client.post(
            "/api/v1/cases", json={"procedure": LICENCE}, headers=self.citizen
        ).json["folio"]
        for step in ("solicitante", "negocio"):
            done = self.client.post(
                f"/api/v1/cases/{folio}/steps/{step}/submit",
                json={"values": self.example[step]},
                headers=self.citizen,
            )
            assert done.status_code == 200, done.json
        self.draft_folio = folio


@pytest.fixture
def world(db_url: str, app_factory: Any) -> World:
    app: Flask = app_factory(db_url, api_max_body_bytes=32 * 1024)
    app.config["TESTING"] = True
    engine = app.extensions["tramita"].engine
    seed_demo(engine, demo_mode=True)
    accounts = Accounts(engine, demo_mode=True)

    def key(email: str) -> dict[str, str]:
        account = accounts.by_email(email)
        assert account is not None
        return {"X-API-Key": accounts.create_api_key(account.id, "abuse")}

    client = app.test_client()
    citizen, official = key(CITIZEN), key(OFFICIAL)
    example = client.get(f"/api/v1/procedures/{LICENCE}").json["definition"]["example_data"]
    filed = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=citizen).json
    for step in ("solicitante", "negocio"):
        values = dict(example[step], superficie_m2=50) if step == "negocio" else example[step]
        done = client.post(
            f"/api/v1/cases/{filed['folio']}/steps/{step}/submit",
            json={"values": values},
            headers=citizen,
        )
        assert done.status_code == 200, done.json
    # the filed case's documents go straight to the engine: this suite needs an open task
    svc = app.extensions["tramita"]
    case_id = svc.cases.case_id_for_folio(filed["folio"])
    from workflow_engine.engine import SubmitCase, SubmitStep
    from workflow_engine.persistence.types import utcnow

    owner = accounts.by_email(CITIZEN)
    assert owner is not None
    svc.cases.execute(
        case_id,
        SubmitStep(
            at=utcnow(), actor=owner.actor(), step_id="documentos", values=example["documentos"]
        ),
    )
    outcome = svc.cases.execute(
        case_id, SubmitCase(at=utcnow(), actor=owner.actor(), declaration=True)
    )
    task_id = next(
        int(row[0])
        for row in _rows(app, "SELECT id FROM tasks WHERE case_id = :c", c=outcome.case_id)
    )
    world = World(app, client, citizen, official, "", task_id, example)
    world.fresh_case()
    return world


def _rows(app: Flask, sql: str, **params: Any) -> list[Any]:
    with app.extensions["tramita"].engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def path_value(world: World, name: str) -> str:
    """A real value for each path parameter of the API (add one for a new parameter)."""
    values = {
        "folio": world.draft_folio,
        "step_id": "documentos",
        "task_id": str(world.task_id),
        "key": LICENCE,
        "number": "1",
    }
    assert name in values, f"new path parameter «{name}»: give it a real value here"
    return values[name]


def targets(world: World) -> Iterator[Target]:
    """Every documented operation that takes a JSON body, with its parameters filled in."""
    document = world.client.get("/api/v1/openapi.json").json
    documented = {
        (method.upper(), "/api/v1" + path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    for rule in world.app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        openapi_path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) & UNSAFE:
            assert (method, openapi_path) in documented, f"{method} {rule.rule} is not documented"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or "requestBody" not in operation:
                continue
            if "application/json" not in operation["requestBody"]["content"]:
                continue  # file uploads (multipart): tests/integration/journeys/test_api_journey.py
            concrete = re.sub(r"{([^}]+)}", lambda m: path_value(world, m.group(1)), path)
            tag = (operation.get("tags") or ["cases"])[0]
            headers = world.official if tag == "tasks" else world.citizen
            yield Target(method.upper(), "/api/v1" + concrete, path, headers)


def send(world: World, target: Target, body: str | bytes) -> Any:
    return world.client.open(
        target.path,
        method=target.method,
        data=body,
        content_type="application/json",
        headers=target.headers,
    )


def json_error(response: Any, status: int, target: Target) -> dict[str, Any]:
    label = f"{target.method} {target.template}"
    assert response.status_code == status, (label, response.get_data(as_text=True)[:400])
    assert response.mimetype == "application/json", label
    error = response.json["error"]
    assert error["message"] and error["message_en"], label
    return dict(error)


def every_body(world: World) -> dict[str, Any]:
    """One body carrying what any operation reads, so each handler meets its own fields."""
    return {
        "procedure": LICENCE,
        "values": {"nombre_solicitante": "Ana"},
        "declaration": True,
        "reason": "incomplete",
        "decision": "return",
        "comment": "Revise.",
        "return_steps": ["documentos"],
        "requirements": [{"file_id": "x", "accepted": True}],
    }


def test_every_json_route_exists_and_is_attacked(world: World) -> None:
    found = {f"{t.method} {t.template}" for t in targets(world)}
    assert {
        "POST /cases",
        "PUT /cases/{folio}/steps/{step_id}",
        "POST /cases/{folio}/steps/{step_id}/submit",
        "POST /tasks/{task_id}/decision",
    } <= found


def test_phantom_file_references_are_never_stored(world: World) -> None:
    for template in [t.template for t in targets(world)]:
        world.fresh_case()
        target = next(t for t in targets(world) if t.template == template)
        body = every_body(world)
        body["values"] = dict(world.example["documentos"], doc_identificacion=[PHANTOM])
        body["requirements"] = [{"file_id": PHANTOM["id"], "accepted": True}]
        response = send(world, target, json.dumps(body))
        assert response.status_code < 500, (target.template, response.status_code)
        assert response.mimetype == "application/json"
    for table, column in (("cases", "state"), ("case_events", "data")):
        leaked = _rows(
            world.app,
            f"SELECT COUNT(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE :p",
            p=f"%{PHANTOM['id']}%",
        )
        assert leaked[0][0] == 0, f"a phantom file reference was stored in {table}"


NON_FINITE = ["1e999999", "-1e999999", "NaN", "Infinity", "-Infinity"]
LONE_SURROGATES = ["a\\ud800b", "\\udfff", "x\\ud83d", "\\ude00y"]


def test_non_finite_numbers_are_refused(world: World) -> None:
    for target, number in itertools.product(list(targets(world)), NON_FINITE):
        for body in (
            json.dumps(every_body(world))[:-1] + f', "x": {number}}}',
            json.dumps(every_body(world)).replace('"Ana"', number),
            json.dumps(every_body(world)).replace("true", number, 1),
        ):
            error = json_error(send(world, target, body), 400, target)
            assert error["details"]["reason"] == "non_finite_number", target.template


def test_lone_surrogates_are_bad_requests_never_conflicts(world: World) -> None:
    for target, text_value in itertools.product(list(targets(world)), LONE_SURROGATES):
        for body in (
            json.dumps(every_body(world)).replace('"Ana"', f'"{text_value}"'),
            json.dumps(every_body(world)).replace('"Revise."', f'"{text_value}"'),
            json.dumps(every_body(world))[:-1] + f', "{text_value}": 1}}',
        ):
            error = json_error(send(world, target, body), 400, target)
            assert error["details"]["reason"] == "invalid_text", target.template


def test_oversized_bodies_are_refused(world: World) -> None:
    big = every_body(world)
    big["values"] = {"nombre_solicitante": "x" * (40 * 1024)}
    many = every_body(world)
    many["values"] = {f"k{n}": n for n in range(5000)}
    for target in targets(world):
        for body in (json.dumps(big), json.dumps(many)):
            error = json_error(send(world, target, body), 413, target)
            assert error["code"] == "payload_too_large"
    # and what is just under the cap but over a field's size is refused by the field
    fits = every_body(world)
    fits["values"] = {"nombre_solicitante": "x" * 201}
    draft = Target(
        "PUT",
        f"/api/v1/cases/{world.draft_folio}/steps/solicitante",
        "PUT /cases/{folio}/steps/{step_id}",
        world.citizen,
    )
    error = json_error(send(world, draft, json.dumps(fits)), 422, draft)
    assert {e["code"] for e in error["details"]["errors"]} >= {"too_long"}
