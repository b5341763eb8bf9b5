"""Payment gateway: signed webhooks, hosted checkout through the sandbox gateway over real
HTTP on loopback, and the job that asks about webhooks that never came.

Every case here is a «constancia de residencia» filed by a citizen and waiting for its fee
(one form step, then the payment order), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from connectors.gateway import GatewayConfig, poll_gateway
from connectors.gateway.checkouts import GatewayCheckout
from sandbox_gateway import SandboxServer, create_sandbox_app, serve_in_background
from tests.conftest import make_settings
from tests.helpers import serving
from tests.helpers.paths import REPO_ROOT
from tests.helpers.web import csrf_from, csrf_token, forge_login
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.models import (
    Case,
    CaseEvent,
    LedgerPayment,
    OutboxMessage,
    PaymentEvent,
    PaymentOrder,
    table,
)
from workflow_engine.persistence.platform.accounts import Account, Accounts
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.types import utcnow

EXAMPLE = REPO_ROOT / "form_schemas" / "examples" / "constancia-residencia.json"
API_KEY = "test-gateway-api-key"
SECRET = "test-gateway-webhook-secret"
WEBHOOK = "/pagos/webhook/sandbox"

cases_t = table(Case)
events_t = table(CaseEvent)
orders_t = table(PaymentOrder)
ledger_t = table(LedgerPayment)
pay_events_t = table(PaymentEvent)
outbox_t = table(OutboxMessage)
checkouts_t = table(GatewayCheckout)


def poll_payment_gateway(services: Any, page: int = 100) -> dict[str, object]:
    """The scheduled job (app/tasks.py) with this world's services."""
    timezone = services.settings.timezone
    config = services.gateway_config()
    return poll_gateway(config, services.engine, services.cases, timezone=timezone, page=page)


# -- the world: Tramita and the sandbox gateway, both on loopback ----------------------------


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    # deliver="sync": the webhook has landed when the citizen is redirected back.
    server = serve_in_background(
        create_sandbox_app(api_key=API_KEY, webhook_secret=SECRET, deliver="sync")
    )
    yield server
    server.stop()


@dataclass
class World:
    app: Flask
    url: str
    sandbox: SandboxServer
    citizen: Account

    @property
    def services(self) -> Any:
        return self.app.extensions["tramita"]

    @property
    def engine(self) -> Any:
        return self.services.engine

    def client(self) -> FlaskClient:
        return forge_login(self.app.test_client(), self.citizen.id)


@pytest.fixture
def world(db_url: str, tmp_path: Path, sandbox: SandboxServer) -> Iterator[World]:
    holder: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    url = f"http://127.0.0.1:{server.server_port}"
    config = GatewayConfig("sandbox", sandbox.url, API_KEY, SECRET, timeout_s=10)
    app = create_app(make_settings(db_url, tmp_path, base_url=url, extra={"gateway": config}))
    app.config["TESTING"] = True
    holder["app"] = app
    thread = serving.start(server)
    engine = app.extensions["tramita"].engine
    catalog = Catalog(engine)
    catalog.save_draft(json.loads(EXAMPLE.read_text("utf-8")))
    catalog.publish("constancia-residencia")
    accounts = Accounts(engine, demo_mode=True)
    citizen = accounts.by_email("ana@correo.mx") or accounts.create(
        "ana@correo.mx", "demo12345", role="citizen", name="Ana Pérez", verified=True
    )
    try:
        yield World(app, url, sandbox, citizen)
    finally:
        serving.stop(server, thread)
        engine.dispose()


@dataclass
class Awaiting:
    case_id: int
    folio: str
    reference: str
    amount_cents: int
    currency: str


def awaiting_payment(world: World) -> Awaiting:
    """A case filed by the citizen whose payment order is pending."""
    cases = world.services.cases
    doc = json.loads(EXAMPLE.read_text("utf-8"))
    actor = world.citizen.actor()
    started = cases.start("constancia-residencia", StartCase(at=utcnow(), actor=actor))
    values = doc["example_data"]["datos"]
    cases.execute(
        started.case_id, SubmitStep(at=utcnow(), actor=actor, step_id="datos", values=values)
    )
    cases.execute(started.case_id, SubmitCase(at=utcnow(), actor=actor, declaration=True))
    state = cases.load(started.case_id)[0]
    assert state.status == "awaiting_payment" and state.payment.reference, state
    return Awaiting(
        started.case_id,
        started.folio,
        state.payment.reference,
        state.payment.total_cents,
        state.payment.currency,
    )


# -- what a test looks at ----------------------------------------------------------------------


def case_row(world: World, case_id: int) -> Any:
    with world.engine.connect() as conn:
        return conn.execute(select(cases_t).where(cases_t.c.id == case_id)).one()


def count(world: World, query: Any) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def case_events(world: World, case_id: int, kind: str) -> int:
    return count(
        world,
        select(func.count())
        .select_from(events_t)
        .where(events_t.c.case_id == case_id, events_t.c.type == kind),
    )


def payment_log(world: World, reference: str) -> list[tuple[str, str, str]]:
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(pay_events_t.c.kind, pay_events_t.c.status, pay_events_t.c.reason)
            .where(pay_events_t.c.reference == reference)
            .order_by(pay_events_t.c.id)
        ).all()
    return [tuple(r) for r in rows]


def order_status(world: World, reference: str) -> str:
    with world.engine.connect() as conn:
        return str(
            conn.execute(
                select(orders_t.c.status).where(orders_t.c.reference == reference)
            ).scalar_one()
        )


def notified(world: World, case_id: int, template: str) -> int:
    """Notification messages the engine queued for this case with this template."""
    with world.engine.connect() as conn:
        payloads = conn.execute(
            select(outbox_t.c.payload).where(
                outbox_t.c.case_id == case_id, outbox_t.c.kind == "notify"
            )
        ).scalars()
        return sum(1 for p in payloads if (p or {}).get("template") == template)


# -- events as the gateway sends them ----------------------------------------------------------


def event(
    awaiting: Awaiting,
    kind: str = "succeeded",
    *,
    event_id: str = "evt_1",
    payment_id: str = "pay_1",
    **data: Any,
) -> bytes:
    body = {
        "id": event_id,
        "type": f"payment.{kind}",
        "created": int(time.time()),
        "data": {
            "checkout_id": "",
            "payment_id": payment_id,
            "reference": awaiting.reference,
            "amount_cents": awaiting.amount_cents,
            "currency": awaiting.currency,
            "paid_at": utcnow().isoformat(),
            "reason": "card_declined" if kind == "failed" else "",
            **data,
        },
    }
    return json.dumps(body).encode()


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    """Signed the way the gateway documents it (written out here, not imported)."""
    stamp = str(int(time.time() if at is None else at))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Gateway-Timestamp": stamp,
        "X-Gateway-Signature": f"v1={mac}",
        "Content-Type": "application/json",
    }


def deliver(client: FlaskClient, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    response = client.post(WEBHOOK, data=body, headers=headers)
    return response.status_code, response.get_json(silent=True)


# -- webhooks ---------------------------------------------------------------------------------


def test_one_event_replayed_100_times_is_one_payment_and_one_advance(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.app.test_client()
    body = event(awaiting)
    headers = signed(body)
    answers = [deliver(client, body, headers) for _ in range(100)]

    assert answers[0] == (200, {"status": "recorded", "reason": ""})
    assert all(a == (200, {"status": "duplicate", "reason": ""}) for a in answers[1:])
    assert order_status(world, awaiting.reference) == "paid"
    assert (
        count(
            world,
            select(func.count())
            .select_from(ledger_t)
            .where(ledger_t.c.reference == awaiting.reference),
        )
        == 1
    )
    assert case_events(world, awaiting.case_id, "payment.confirmed") == 1
    assert notified(world, awaiting.case_id, "payment_received") == 1
    state = world.services.cases.load(awaiting.case_id)[0]
    assert state.status != "awaiting_payment"
    assert [p["reference"] for p in state.payments] == [awaiting.reference]
    log = payment_log(world, awaiting.reference)
    assert log.count(("succeeded", "recorded", "")) == 1
    assert log.count(("succeeded", "duplicate", "")) == 99

    # The same payment re-sent later, freshly signed (a gateway retry): still nothing new.
    retry = event(awaiting, event_id="evt_retry")
    assert deliver(client, retry, signed(retry)) == (200, {"status": "duplicate", "reason": ""})
    assert case_events(world, awaiting.case_id, "payment.confirmed") == 1


@pytest.mark.parametrize(
    ("tamper", "http_status", "reason"),
    [
        ("forged", 401, "bad_signature"),
        ("stale", 400, "stale_timestamp"),
        ("future", 400, "stale_timestamp"),
        ("unsigned", 401, "missing_signature"),
        ("body_changed", 401, "bad_signature"),
    ],
)
def test_unverifiable_webhooks_are_refused_logged_and_change_nothing(
    world: World,
    caplog: pytest.LogCaptureFixture,
    tamper: str,
    http_status: int,
    reason: str,
) -> None:
    awaiting = awaiting_payment(world)
    before = case_row(world, awaiting.case_id)
    body = event(awaiting)
    headers = {
        "forged": signed(body, secret="guessed-secret"),
        "stale": signed(body, at=time.time() - 301),
        "future": signed(body, at=time.time() + 301),
        "unsigned": {"Content-Type": "application/json"},
        "body_changed": signed(event(awaiting, amount_cents=1)),
    }[tamper]
    with caplog.at_level(logging.WARNING):
        status, answer = deliver(world.app.test_client(), body, headers)

    assert (status, answer) == (http_status, {"status": "rejected", "reason": reason})
    after = case_row(world, awaiting.case_id)
    assert (after.lock_version, after.state) == (before.lock_version, before.state)
    assert order_status(world, awaiting.reference) == "pending"
    assert case_events(world, awaiting.case_id, "payment.confirmed") == 0
    logged = [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]
    assert logged and reason in logged[0]
    # no secret, no reference, no body in the log
    everything = caplog.text
    assert SECRET not in everything and awaiting.reference not in everything
    assert "Ana" not in everything


@pytest.mark.parametrize(
    ("secrets", "http_status"),
    [
        (("old-secret", SECRET), 200),  # the gateway signs with the old and the new secret
        ((SECRET, "new-secret"), 200),
        (("old-secret", "new-secret"), 401),  # neither is the one Tramita has
    ],
)
def test_several_v1_signatures_while_the_secret_is_rotated(
    world: World, secrets: tuple[str, str], http_status: int
) -> None:
    awaiting = awaiting_payment(world)
    body = event(awaiting)
    stamp = str(int(time.time()))
    header = ",".join(
        "v1=" + hmac.new(key.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        for key in secrets
    )
    status, answer = deliver(
        world.app.test_client(),
        body,
        {
            "X-Gateway-Timestamp": stamp,
            "X-Gateway-Signature": header,
            "Content-Type": "application/json",
        },
    )
    assert status == http_status, answer
    paid = order_status(world, awaiting.reference) == "paid"
    assert paid is (http_status == 200)
    assert case_events(world, awaiting.case_id, "payment.confirmed") == int(paid)


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"amount_cents": 1}, "amount_mismatch"), ({"currency": "USD"}, "currency_mismatch")],
)
def test_signed_event_with_wrong_amount_or_currency_is_refused_and_logged(
    world: World, change: dict[str, Any], reason: str
) -> None:
    awaiting = awaiting_payment(world)
    before = case_row(world, awaiting.case_id)
    body = event(awaiting, **change)
    status, answer = deliver(world.app.test_client(), body, signed(body))

    assert (status, answer) == (200, {"status": "refused", "reason": reason})
    after = case_row(world, awaiting.case_id)
    assert (after.lock_version, after.state) == (before.lock_version, before.state)
    assert order_status(world, awaiting.reference) == "pending"
    assert payment_log(world, awaiting.reference) == [("succeeded", "refused", reason)]


def test_failed_payment_notifies_the_citizen_once_and_the_order_stays_payable(
    world: World,
) -> None:
    awaiting = awaiting_payment(world)
    client = world.app.test_client()
    body = event(awaiting, "failed", event_id="evt_f", payment_id="pay_f")
    for _ in range(5):
        assert deliver(client, body, signed(body))[0] == 200
    assert case_events(world, awaiting.case_id, "payment.failed") == 1
    assert notified(world, awaiting.case_id, "payment_failed") == 1
    state = world.services.cases.load(awaiting.case_id)[0]
    assert state.status == "awaiting_payment" and state.payment.reference == awaiting.reference
    assert order_status(world, awaiting.reference) == "pending"


def test_expired_order_notifies_the_citizen_and_a_new_order_is_issued(world: World) -> None:
    awaiting = awaiting_payment(world)
    body = event(awaiting, "expired", event_id="evt_x", payment_id="")
    status, answer = deliver(world.app.test_client(), body, signed(body))
    assert (status, answer["status"]) == (200, "recorded")
    assert case_events(world, awaiting.case_id, "payment.expired") == 1
    assert notified(world, awaiting.case_id, "payment_expired") == 1
    state = world.services.cases.load(awaiting.case_id)[0]
    assert state.status == "awaiting_payment"
    assert state.payment.attempt == 2 and state.payment.reference != awaiting.reference
    assert order_status(world, awaiting.reference) == "expired"


def test_bad_deliveries_get_clear_4xx_answers(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.app.test_client()
    not_json = b"{not json"
    assert deliver(client, not_json, signed(not_json)) == (
        400,
        {"status": "rejected", "reason": "malformed"},
    )
    no_amount = event(awaiting, amount_cents="95.00")
    assert deliver(client, no_amount, signed(no_amount))[0] == 400
    other = json.dumps({"id": "evt_o", "type": "checkout.created", "data": {}}).encode()
    assert deliver(client, other, signed(other)) == (
        200,
        {"status": "ignored", "reason": "unknown_type"},
    )
    huge = b"x" * (64 * 1024 + 1)
    assert client.post(WEBHOOK, data=huge, headers=signed(huge)).status_code == 413
    assert client.post("/pagos/webhook/otra", data=b"{}").status_code == 404
    assert client.get(WEBHOOK).status_code == 405
    assert case_row(world, awaiting.case_id).state["status"] == "awaiting_payment"


# -- hosted checkout over HTTP ---------------------------------------------------------------


def http(method: str, url: str, data: bytes | None = None) -> tuple[int, str, str]:
    """One request without following redirects: (status, Location, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def start_online_payment(world: World, client: FlaskClient, awaiting: Awaiting) -> str:
    """Click «Pagar en línea» on the case page; return the gateway URL we are sent to."""
    page = client.get(f"/expedientes/{awaiting.folio}").get_data(as_text=True)
    assert "Pagar en línea" in page
    response = client.post(
        f"/expedientes/{awaiting.folio}/pago-en-linea", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith(world.sandbox.url + "/checkout/")
    return location


def test_citizen_pays_through_the_sandbox_and_the_case_advances(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.client()
    checkout_url = start_online_payment(world, client, awaiting)

    status, _, page = http("GET", checkout_url)
    assert status == 200 and awaiting.reference in page and "$95.00" in page
    status, back, _ = http("POST", checkout_url + "/pagar", b"")
    assert status == 303
    assert back == f"{world.url}/expedientes/{awaiting.folio}/pago/regreso"

    # the sandbox's signed webhook came over HTTP before the redirect
    returned = client.get(urlsplit(back).path)
    assert returned.status_code == 303
    assert returned.headers["Location"].endswith(f"/expedientes/{awaiting.folio}#pago")
    page = client.get(f"/expedientes/{awaiting.folio}").get_data(as_text=True)
    assert "Recibimos su pago" in page and "Pagar en línea" not in page
    state = world.services.cases.load(awaiting.case_id)[0]
    assert [p["reference"] for p in state.payments] == [awaiting.reference]
    assert state.status != "awaiting_payment"
    assert payment_log(world, awaiting.reference) == [("succeeded", "recorded", "")]


def test_clicking_twice_reuses_the_checkout(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.client()
    first = start_online_payment(world, client, awaiting)
    assert start_online_payment(world, client, awaiting) == first
    assert count(world, select(func.count()).select_from(checkouts_t)) >= 1


def test_declined_card_shows_what_to_do_and_paying_again_works(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.client()
    checkout_url = start_online_payment(world, client, awaiting)
    status, back, _ = http("POST", checkout_url + "/rechazar", b"")
    assert status == 303
    page = client.get(urlsplit(back).path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Su pago no se completó" in text
    assert "Intentar de nuevo" in text
    assert case_events(world, awaiting.case_id, "payment.failed") == 1
    assert notified(world, awaiting.case_id, "payment_failed") == 1

    second = start_online_payment(world, client, awaiting)
    assert second != checkout_url
    assert http("POST", second + "/pagar", b"")[0] == 303
    assert order_status(world, awaiting.reference) == "paid"
    assert case_events(world, awaiting.case_id, "payment.confirmed") == 1


def test_return_page_says_confirming_until_the_webhook_lands(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.client()
    start_online_payment(world, client, awaiting)
    page = client.get(f"/expedientes/{awaiting.folio}/pago/regreso")
    assert page.status_code == 200
    assert "Estamos confirmando su pago" in page.get_data(as_text=True)
    assert client.get(f"/expedientes/{awaiting.folio}/pago/estado").get_json() == {
        "status": "confirming"
    }


def test_another_citizens_payment_pages_answer_404(world: World) -> None:
    awaiting = awaiting_payment(world)
    start_online_payment(world, world.client(), awaiting)
    other = Accounts(world.engine, demo_mode=True).create(
        "otro@correo.mx", "demo12345", role="citizen", name="Otro", verified=True
    )
    stranger = forge_login(world.app.test_client(), other.id)
    # A valid CSRF token of the stranger's own session, so the ownership check is reached.
    token = csrf_token(stranger, "/mis-tramites")
    for path in ("pago/regreso", "pago/estado"):
        assert stranger.get(f"/expedientes/{awaiting.folio}/{path}").status_code == 404, path
    before = count(world, select(func.count()).select_from(checkouts_t))
    answer = stranger.post(
        f"/expedientes/{awaiting.folio}/pago-en-linea", data={"csrf_token": token}
    )
    assert answer.status_code == 404, answer.get_data(as_text=True)
    assert count(world, select(func.count()).select_from(checkouts_t)) == before


def simulate(world: World, checkout_url: str, outcome: str) -> None:
    """The sandbox settles a checkout the way its page or the gateway would (webhook sent)."""
    checkout_id = checkout_url.rsplit("/", 1)[1]
    request = urllib.request.Request(
        f"{world.sandbox.url}/api/v1/checkouts/{checkout_id}/simulate",
        data=json.dumps({"outcome": outcome}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (None, "none"),
        ("", "confirming"),
        ("succeeded", "paid"),
        ("failed", "failed"),
        ("expired", "expired"),
    ],
)
def test_payment_status_says_each_state(world: World, outcome: str | None, expected: str) -> None:
    """`/pago/estado`, polled by the return page: no checkout, open, paid, declined, expired."""
    awaiting = awaiting_payment(world)
    client = world.client()
    if outcome is not None:
        checkout_url = start_online_payment(world, client, awaiting)
        if outcome:
            simulate(world, checkout_url, outcome)
    answer = client.get(f"/expedientes/{awaiting.folio}/pago/estado")
    assert answer.status_code == 200 and answer.get_json() == {"status": expected}
    assert answer.headers["Cache-Control"] == "no-store"
    back = client.get(f"/expedientes/{awaiting.folio}/pago/regreso")
    if expected in ("none", "paid"):  # nothing to wait for: the case page
        assert back.status_code == 303
    else:
        wording = {
            "confirming": "Estamos confirmando su pago",
            "failed": "Su pago no se completó",
            "expired": "La sesión de pago venció",
        }[expected]
        assert back.status_code == 200 and wording in back.get_data(as_text=True)


def test_lost_webhook_is_found_by_the_scheduled_poll(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.client()
    checkout_url = start_online_payment(world, client, awaiting)
    checkout_id = checkout_url.rsplit("/", 1)[1]
    request = urllib.request.Request(
        f"{world.sandbox.url}/api/v1/checkouts/{checkout_id}/simulate",
        data=json.dumps({"outcome": "succeeded", "deliver": False}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        simulated = json.loads(response.read())
    assert order_status(world, awaiting.reference) == "pending"  # the webhook never came

    services = world.services
    assert poll_payment_gateway(services)["asked"] == 0  # too recent to ask about
    with world.engine.begin() as conn:  # the checkout was opened 20 minutes ago
        conn.execute(
            checkouts_t.update()
            .where(checkouts_t.c.checkout_id == checkout_id)
            .values(created_at=utcnow() - timedelta(minutes=20))
        )
    report = poll_payment_gateway(services)
    assert report["asked"] == 1 and report["outcomes"] == {"succeeded:recorded": 1}
    assert order_status(world, awaiting.reference) == "paid"
    assert case_events(world, awaiting.case_id, "payment.confirmed") == 1

    # the webhook turns up late after all: a duplicate
    late = json.dumps(simulated["event"]).encode()
    assert deliver(world.app.test_client(), late, signed(late))[1]["status"] == "duplicate"
    assert poll_payment_gateway(services)["asked"] == 0


def test_gateway_down_leaves_the_reference_to_pay_at_the_bank(world: World) -> None:
    awaiting = awaiting_payment(world)
    from app.citizen.payments import configure

    configure(world.app, GatewayConfig("sandbox", "http://127.0.0.1:9", API_KEY, SECRET))
    client = world.client()
    page = client.get(f"/expedientes/{awaiting.folio}").get_data(as_text=True)
    response = client.post(
        f"/expedientes/{awaiting.folio}/pago-en-linea", data={"csrf_token": csrf_from(page)}
    )
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "no está disponible" in text and awaiting.reference in text


def test_without_a_gateway_no_online_payment_is_offered(world: World) -> None:
    awaiting = awaiting_payment(world)
    from app.citizen.payments import configure

    configure(world.app, None)
    client = world.client()
    page = client.get(f"/expedientes/{awaiting.folio}").get_data(as_text=True)
    assert "Pagar en línea" not in page and awaiting.reference in page
    assert client.post(WEBHOOK, data=b"{}").status_code == 404


# -- lost webhooks, recovered early ------------------------------------------------------------


def lose_webhook(world: World, checkout_url: str) -> dict[str, Any]:
    """The citizen pays at the gateway; its webhook never reaches Tramita."""
    checkout_id = checkout_url.rsplit("/", 1)[1]
    request = urllib.request.Request(
        f"{world.sandbox.url}/api/v1/checkouts/{checkout_id}/simulate",
        data=json.dumps({"outcome": "succeeded", "deliver": False}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def test_the_return_page_asks_the_gateway_when_the_webhook_is_late(world: World) -> None:
    awaiting = awaiting_payment(world)
    client = world.client()
    simulated = lose_webhook(world, start_online_payment(world, client, awaiting))
    assert order_status(world, awaiting.reference) == "pending"
    # The return page's script asks for the status: Tramita asks the gateway itself.
    assert client.get(f"/expedientes/{awaiting.folio}/pago/estado").get_json() == {"status": "paid"}
    assert order_status(world, awaiting.reference) == "paid"
    assert case_events(world, awaiting.case_id, "payment.confirmed") == 1
    assert client.get(f"/expedientes/{awaiting.folio}/pago/estado").get_json() == {"status": "paid"}
    late = json.dumps(simulated["event"]).encode()  # the webhook after all: a duplicate
    assert deliver(world.app.test_client(), late, signed(late))[1]["status"] == "duplicate"
    assert case_events(world, awaiting.case_id, "payment.confirmed") == 1


def test_the_poll_asks_about_every_pending_checkout_page_after_page(world: World) -> None:
    awaitings = [awaiting_payment(world) for _ in range(5)]
    client = world.client()
    for awaiting in awaitings:
        lose_webhook(world, start_online_payment(world, client, awaiting))
    with world.engine.begin() as conn:  # opened longer ago than GATEWAY_PENDING_SECONDS
        conn.execute(checkouts_t.update().values(created_at=utcnow() - timedelta(seconds=121)))
    report = poll_payment_gateway(world.services, page=2)  # three pages
    assert report["asked"] == 5 and report["outcomes"] == {"succeeded:recorded": 5}
    for awaiting in awaitings:
        assert order_status(world, awaiting.reference) == "paid"
        assert case_events(world, awaiting.case_id, "payment.confirmed") == 1
    assert poll_payment_gateway(world.services, page=2)["asked"] == 0


def test_poll_interval_and_threshold_are_settings_in_seconds(
    sqlite_url: str, tmp_path: Path
) -> None:
    base = {"GATEWAY_URL": "http://127.0.0.1:9", "GATEWAY_API_KEY": "k"}
    base["GATEWAY_WEBHOOK_SECRET"] = "s"
    config = GatewayConfig.from_env(
        {**base, "GATEWAY_POLL_SECONDS": "20", "GATEWAY_PENDING_SECONDS": "45"}
    )
    assert config is not None and (config.poll_seconds, config.pending_seconds) == (20, 45)
    older = GatewayConfig.from_env({**base, "GATEWAY_PENDING_MINUTES": "3"})
    assert older is not None and older.pending_seconds == 180  # the older name still works
    default = GatewayConfig.from_env(base)
    assert default is not None and (default.poll_seconds, default.pending_seconds) == (60, 120)
    from app.services import build_services

    services = build_services(make_settings(sqlite_url, tmp_path, extra={"gateway": config}))
    try:
        schedule = services.celery.conf.beat_schedule["poll-payment-gateway"]["schedule"]
        assert schedule == 20
    finally:
        services.engine.dispose()


def test_the_sandbox_retries_webhooks_for_minutes_with_growing_pauses() -> None:
    from sandbox_gateway.app import retry_delays

    delays = retry_delays()
    assert delays[0] == 0 and len(delays) == 12
    assert all(later >= earlier * 0.6 for earlier, later in itertools.pairwise(delays[1:]))
    assert max(delays) <= 60 and sum(delays) > 4 * 60
