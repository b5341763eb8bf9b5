"""The REST connector against a real HTTP server on loopback playing a municipality's existing
collection system ("SIREC"): the three ways of logging in; a system that answers 500, hangs
or sends broken JSON (the case waits in the outbox and completes when the system recovers,
with exactly one order per idempotency key); the circuit breaker; a request log without
secrets or personal data."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connectors import build_handlers
from connectors.payments.base import PaymentOrderError
from connectors.payments.rest import (
    CircuitBreaker,
    CircuitOpenError,
    RestClient,
    RestCollectionSystem,
    RestConfig,
    RestConfigError,
    RestUnavailableError,
)
from connectors.payments.rest.breaker import CLOSED, HALF_OPEN, OPEN
from connectors.settings import ConnectorSettings
from tests.helpers import serving
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.cases.outbox import OutboxProcessor
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import OutboxMessage, PaymentOrder, table
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.types import utcnow

API_KEY = "sk-live-7f3c9a1e-NO-LOG"
PASSWORD = "contraseña-secreta-NO-LOG"
CLIENT_SECRET = "cs-4d2b8e-NO-LOG"
# The fake system dates its orders by its own calendar, not the real clock.
SIREC_TODAY = date(2040, 1, 2)
ENVIRON = {"SIREC_KEY": API_KEY, "SIREC_PASSWORD": PASSWORD, "SIREC_SECRET": CLIENT_SECRET}
outbox_t = table(OutboxMessage)
orders_t = table(PaymentOrder)


# -- the municipality's system --------------------------------------------------------------


@dataclass
class Sirec:
    """State and behaviour of the fake collection system; tests script its failures."""

    auth: str = "api_key"
    failures: list[str] = field(default_factory=list)  # "500", "timeout", "garbage"
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # by reference
    by_key: dict[str, str] = field(default_factory=dict)
    create_requests: Counter[str] = field(default_factory=Counter)  # per idempotency key
    orders_per_key: Counter[str] = field(default_factory=Counter)  # orders created per key
    bodies: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)
    token_requests: int = 0
    token_lifetime: int = 3600
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def authorized(self, request: Request) -> bool:
        if self.auth == "api_key":
            return request.headers.get("X-Sirec-Key") == API_KEY
        if self.auth == "basic":
            auth = request.authorization
            return bool(auth and auth.username == "tramita" and auth.password == PASSWORD)
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        return header.startswith("Bearer ") and self.tokens.get(token, 0) > time.monotonic()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.requests += 1
        if request.path == "/oauth/token":
            form = request.form
            if form.get("client_id") != "tramita" or form.get("client_secret") != CLIENT_SECRET:
                return _json({"error": "invalid_client"}, 401)
            with self.lock:
                self.token_requests += 1
                token = f"tok-{self.token_requests}"
                self.tokens[token] = time.monotonic() + self.token_lifetime
            return _json({"access_token": token, "expires_in": self.token_lifetime})
        if not self.authorized(request):
            return _json({"error": "unauthorized"}, 401)
        failure = self.failures.pop(0) if self.failures else None
        if failure == "500":
            return _json({"error": "mantenimiento"}, 500)
        answer = self.route(request)
        if failure == "timeout":
            time.sleep(1.0)  # the order was created, but the answer comes too late
        if failure == "garbage":
            return Response("<html>Error de servidor", 200, content_type="application/json")
        return answer

    def route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method == "POST" and parts == ["api", "v2", "ordenes"]:
            key = request.headers.get("Idempotency-Key", "")
            body = request.get_json()
            with self.lock:
                self.create_requests[key] += 1
                self.bodies.append(body)
                if key not in self.by_key:
                    self.orders_per_key[key] += 1
                    reference = f"SIREC{len(self.orders) + 1:07d}"
                    self.by_key[key] = reference
                    self.orders[reference] = {
                        "linea": reference,
                        "importe": body["importe"],
                        "estatus": "VIGENTE",
                        "vence": (SIREC_TODAY + timedelta(days=body["dias"])).isoformat(),
                    }
                order = self.orders[self.by_key[key]]
            return _json({"resultado": {"orden": order}}, 201)
        if len(parts) >= 4 and parts[:3] == ["api", "v2", "ordenes"]:
            order = self.orders.get(parts[3])
            if order is None:
                return _json({"error": "no existe"}, 404)
            if request.method == "GET":
                return _json({"estatus": order["estatus"]})
            if request.method == "POST" and parts[4:] == ["cancelar"]:
                if order["estatus"] == "PAGADA":
                    return _json({"error": "pagada"}, 409)
                order["estatus"] = "CANCELADA"
                return Response(status=204)
        return _json({"error": "ruta"}, 404)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status, content_type="application/json")


@pytest.fixture
def sirec() -> Iterator[tuple[Sirec, str]]:
    system = Sirec()
    server = make_server("127.0.0.1", 0, system, threaded=True)
    with serving.running(server):
        yield system, f"http://127.0.0.1:{server.server_port}"


def config_doc(base: str, auth: str = "api_key", **extra: Any) -> dict[str, Any]:
    auths = {
        "api_key": {"type": "api_key", "header": "X-Sirec-Key", "key_env": "SIREC_KEY"},
        "basic": {"type": "basic", "username": "tramita", "password_env": "SIREC_PASSWORD"},
        "oauth2": {
            "type": "oauth2",
            "token_url": f"{base}/oauth/token?tenant=cho",
            "client_id": "tramita",
            "client_secret_env": "SIREC_SECRET",
        },
    }
    doc = {
        "name": "sirec",
        "base_url": f"{base}/api/v2",
        "timeout_seconds": 0.4,
        "retries": 1,
        "backoff_seconds": 0.01,
        "circuit_breaker": {"failure_threshold": 3, "cooldown_seconds": 60},
        "auth": auths[auth],
        "operations": {
            "create_order": {
                "method": "POST",
                "path": "/ordenes",
                "body": (
                    '{"folio": {{ folio }}, "importe": {{ amount }}, "moneda": {{ currency }},'
                    ' "dias": {{ expires_days }}, "contribuyente": {{ case.data.nombre }},'
                    ' "curp": {{ case.data.curp }}, "concepto": {{ concept.es }},'
                    ' "lineas": {{ lines | map(attribute="id") | list }}}'
                ),
                "response": {
                    "reference": "resultado.orden.linea",
                    "expires_on": "resultado.orden.vence",
                    "status": "resultado.orden.estatus",
                },
                "status_map": {"VIGENTE": "pending", "PAGADA": "paid"},
            },
            "query_status": {
                "method": "GET",
                "path": "/ordenes/{{ reference }}",
                "response": {"status": "estatus"},
                "status_map": {"VIGENTE": "pending", "PAGADA": "paid", "CANCELADA": "cancelled"},
            },
            "cancel": {"method": "POST", "path": "/ordenes/{{ reference }}/cancelar"},
        },
    }
    doc.update(extra)
    return doc


# -- the case side --------------------------------------------------------------------------


@pytest.fixture
def app(seeded_url: str, app_factory: Any) -> Flask:
    """The demo on each backend (seeded once per session, copied)."""
    app: Flask = app_factory(seeded_url)
    return app


class Town:
    """A case service without a dispatcher and an outbox whose payment orders go to SIREC."""

    def __init__(self, app: Flask, system: RestCollectionSystem) -> None:
        self.engine = app.extensions["tramita"].engine
        self.cases = CaseService(self.engine)
        settings = ConnectorSettings(documents_dir=str(app.instance_path) + "/docs")
        handlers = build_handlers(self.engine, settings, collection_system=system)
        self.outbox = OutboxProcessor(self.engine, self.cases, handlers, base_delay=0.0)
        account = Accounts(self.engine, demo_mode=True).by_email("ciudadano@demo.gob.mx")
        assert account is not None
        self.actor = account.actor()

    def file_case(self) -> int:
        case_id = self.cases.start(
            "constancia-residencia", StartCase(at=utcnow(), actor=self.actor)
        ).case_id
        _state, definition, _ = self.cases.load(case_id)
        values = dict(definition.example_data()["datos"])
        self.cases.execute(
            case_id, SubmitStep(at=utcnow(), actor=self.actor, step_id="datos", values=values)
        )
        self.cases.execute(case_id, SubmitCase(at=utcnow(), actor=self.actor, declaration=True))
        assert self.state(case_id).status == case_state.AWAITING_PAYMENT
        return case_id

    def state(self, case_id: int) -> Any:
        return self.cases.load(case_id)[0]

    def order_message(self, case_id: int) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(
                select(outbox_t).where(
                    outbox_t.c.case_id == case_id, outbox_t.c.kind == "payment.create_order"
                )
            ).one()

    def run(self, case_id: int) -> str:
        return self.outbox.process(self.order_message(case_id).id).status


def rest_system(app: Flask, base: str, auth: str = "api_key", **extra: Any) -> RestCollectionSystem:
    config = RestConfig.parse(config_doc(base, auth, **extra))
    return RestCollectionSystem(app.extensions["tramita"].engine, config, environ=ENVIRON)


def town(app: Flask, base: str, auth: str = "api_key", **extra: Any) -> Town:
    return Town(app, rest_system(app, base, auth, **extra))


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["api_key", "basic", "oauth2"])
def test_order_created_in_the_existing_system(
    app: Flask, sirec: tuple[Sirec, str], auth: str, caplog: pytest.LogCaptureFixture
) -> None:
    server, base = sirec
    server.auth = auth
    place = town(app, base, auth)
    caplog.set_level(logging.INFO, logger="connectors.payments.rest")
    first, second = place.file_case(), place.file_case()

    assert place.run(first) == "done" and place.run(second) == "done"
    payment = place.state(first).payment
    assert payment.reference == "SIREC0000001"
    assert payment.expires_on == "2040-01-07"  # the system's answer: SIREC_TODAY + 5 days
    body = server.bodies[0]
    assert body["importe"] == payment.total_cents / 100 and body["moneda"] == "MXN"
    assert body["contribuyente"] == "Ana Sofía Pérez Gómez" and body["lineas"] == ["derecho"]
    assert body["folio"] == place.state(first).folio
    if auth == "oauth2":
        assert server.token_requests == 1  # the token is kept for the second order

    # The copy in payment_orders is what a bank file or the cashier finds.
    with place.engine.connect() as conn:
        row = conn.execute(select(orders_t).where(orders_t.c.reference == "SIREC0000001")).one()
    assert (row.connector, row.case_id, row.status) == ("sirec", first, "pending")

    rest = rest_system(app, base, auth)
    assert rest.query_status("SIREC0000001") == "pending"
    assert rest.query_status("SIREC9999999") is None
    rest.cancel("SIREC0000002")
    assert rest.query_status("SIREC0000002") == "cancelled"
    server.orders["SIREC0000001"]["estatus"] = "PAGADA"
    assert rest.query_status("SIREC0000001") == "paid"
    with pytest.raises(PaymentOrderError):
        rest.cancel("SIREC0000001")
    with pytest.raises(PaymentOrderError):
        rest.cancel("SIREC9999999")

    mine = [r for r in caplog.records if r.name == "connectors.payments.rest"]
    log_text = "\n".join(r.getMessage() for r in mine)
    assert "POST http://127.0.0.1" in log_text and "/api/v2/ordenes -> 201" in log_text
    assert "GET " in log_text and "ms)" in log_text
    if auth == "oauth2":
        assert "/oauth/token?tenant=***" in log_text
    for secret in (API_KEY, PASSWORD, CLIENT_SECRET, "tok-1", "Ana Sof", "PEGA950130"):
        assert secret not in log_text
        for record in mine:
            assert secret not in json.dumps(record.__dict__, default=str)


@pytest.mark.parametrize("failure", ["500", "timeout", "garbage"])
def test_the_case_waits_while_the_system_fails_and_completes_once(
    app: Flask, sirec: tuple[Sirec, str], failure: str
) -> None:
    server, base = sirec
    place = town(app, base)
    case_id = place.file_case()
    # Two attempts per effect (retries=1); fail three effect runs in a row.
    server.failures = [failure] * 6

    for _ in range(3):
        assert place.run(case_id) == "retry"
        assert place.state(case_id).payment.reference is None
    message = place.order_message(case_id)
    assert message.status == "pending" and message.attempts == 3
    assert "RestUnavailableError" in message.last_error or "CircuitOpen" in message.last_error

    # The system recovers (and the breaker's cool-down passes).
    server.failures.clear()
    _reset_breakers()
    assert place.run(case_id) == "done"
    assert place.state(case_id).payment.reference == "SIREC0000001"
    assert place.order_message(case_id).status == "done"

    # Nothing sent twice: one order for the key, whatever the retries.
    key = message.idempotency_key
    assert server.orders_per_key == Counter({key: 1})
    assert len(server.orders) == 1
    if failure == "500":
        assert server.create_requests[key] == 1  # 500s came before the system did anything
    # A repeated delivery of the finished effect does not call the system again.
    before = server.requests
    handler = place.outbox.handlers["payment.create_order"]
    from workflow_engine.persistence.cases.outbox import OutboxItem

    handler(OutboxItem(message.id, case_id, message.kind, key, message.payload, 5))
    assert server.requests == before


def _reset_breakers() -> None:
    for breaker in _BREAKERS:
        breaker.success()


_BREAKERS: list[CircuitBreaker] = []
_original_init = RestClient.__init__


@pytest.fixture(autouse=True)
def _track_breakers(monkeypatch: pytest.MonkeyPatch) -> None:
    _BREAKERS.clear()

    def init(self: RestClient, *args: Any, **kwargs: Any) -> None:
        _original_init(self, *args, **kwargs)
        _BREAKERS.append(self.breaker)

    monkeypatch.setattr(RestClient, "__init__", init)


def test_circuit_breaker_opens_and_closes(sirec: tuple[Sirec, str]) -> None:
    server, base = sirec
    now = [1000.0]
    config = RestConfig.parse(config_doc(base, retries=0))
    client = RestClient(config, environ=ENVIRON, clock=lambda: now[0], sleep=lambda s: None)
    server.failures = ["500"] * 3
    for _ in range(3):
        with pytest.raises(RestUnavailableError):
            client.call("GET", "/ordenes/SIREC1")
    assert client.breaker.state == OPEN
    seen = server.requests
    with pytest.raises(CircuitOpenError):
        client.call("GET", "/ordenes/SIREC1")
    assert server.requests == seen  # open: nothing sent

    now[0] += 61  # cool-down over: one trial request; it fails -> open again
    assert client.breaker.state == HALF_OPEN
    server.failures = ["500"]
    with pytest.raises(RestUnavailableError):
        client.call("GET", "/ordenes/SIREC1")
    assert client.breaker.state == OPEN and server.requests == seen + 1

    now[0] += 61  # the system is back: the trial succeeds and the breaker closes
    answer = client.call("GET", "/ordenes/SIREC1")
    assert answer.status == 404 and client.breaker.state == CLOSED


def test_oauth_token_is_renewed_when_it_expires_or_is_refused(sirec: tuple[Sirec, str]) -> None:
    server, base = sirec
    server.auth = "oauth2"
    server.token_lifetime = 100
    now = [0.0]
    client = RestClient(
        RestConfig.parse(config_doc(base, "oauth2")), environ=ENVIRON, clock=lambda: now[0]
    )
    assert client.call("GET", "/ordenes/X").status == 404
    assert client.call("GET", "/ordenes/X").status == 404
    assert server.token_requests == 1
    now[0] += 95  # close to the expiry: renewed before use
    assert client.call("GET", "/ordenes/X").status == 404
    assert server.token_requests == 2
    server.tokens.clear()  # the system revoked every token: one new token, same call
    assert client.call("GET", "/ordenes/X").status == 404
    assert server.token_requests == 3


def test_wrong_credentials_are_a_permanent_failure(app: Flask, sirec: tuple[Sirec, str]) -> None:
    server, base = sirec
    place = town(app, base)
    case_id = place.file_case()
    server.auth = "basic"  # the system expects another login than the one configured
    assert place.run(case_id) == "dead"
    assert "401" in place.order_message(case_id).last_error


def test_configuration_errors_name_the_place() -> None:
    base = "http://127.0.0.1:1"
    bad = config_doc(base)
    bad["auth"] = {"type": "api_key", "key": "secret-in-clear"}
    with pytest.raises(RestConfigError, match=r"\$\.auth\.key: secrets are not written"):
        RestConfig.parse(bad)
    bad = config_doc(base)
    del bad["operations"]["create_order"]["response"]["reference"]
    with pytest.raises(RestConfigError, match=r"create_order\.response\.reference: missing"):
        RestConfig.parse(bad)
    bad = config_doc(base)
    bad["operations"]["cancel"]["path"] = "/x/{{ reference "
    with pytest.raises(RestConfigError, match=r"\$\.operations\.cancel: template error"):
        RestConfig.parse(bad)
    with pytest.raises(RestConfigError, match="COLLECTION_REST_CONFIG"):
        RestConfig.from_env({})
    assert RestConfig.load(json.dumps(config_doc(base))).name == "sirec"


def test_templates_are_sandboxed_and_data_cannot_break_the_body() -> None:
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: F401

    from connectors.payments.rest.templates import (
        TemplateRenderError,
        compile_body,
        compile_path,
        render_body,
        render_path,
    )

    body = compile_body('{"nombre": {{ name }}}')
    evil = 'x", "importe": 0, "y": "'
    assert json.loads(render_body(body, {"name": evil})) == {"nombre": evil}
    assert render_path(compile_path("/o/{{ r }}"), {"r": "../admin?x=1"}) == "/o/..%2Fadmin%3Fx%3D1"
    with pytest.raises(TemplateRenderError):
        render_body(compile_body("{{ x.__class__.__mro__ }}"), {"x": 1})
    with pytest.raises(TemplateRenderError):
        render_body(compile_body('{"a": {{ missing }}}'), {})


def test_selected_by_settings(
    db_url: str, app_factory: Any, sirec: tuple[Sirec, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """COLLECTION_SYSTEM=rest with COLLECTION_REST_CONFIG: the app's outbox uses SIREC."""
    _server, base = sirec
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLLECTION_REST_CONFIG", json.dumps(config_doc(base)))
    app = app_factory(db_url, collection_system="rest")
    assert app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    services = app.extensions["tramita"]
    account = Accounts(services.engine, demo_mode=True).by_email("ciudadano@demo.gob.mx")
    assert account is not None
    actor = account.actor()
    case_id = services.cases.start(
        "constancia-residencia", StartCase(at=utcnow(), actor=actor)
    ).case_id
    values = dict(services.cases.load(case_id)[1].example_data()["datos"])
    services.cases.execute(
        case_id, SubmitStep(at=utcnow(), actor=actor, step_id="datos", values=values)
    )
    services.cases.execute(case_id, SubmitCase(at=utcnow(), actor=actor, declaration=True))
    services.outbox.run_due()
    assert services.cases.load(case_id)[0].payment.reference == "SIREC0000001"
