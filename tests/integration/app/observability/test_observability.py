"""Operating Tramita: /healthz, /readyz and /metrics (read with prometheus_client's own parser),
and the JSON log lines with a request id carried from the request into the tasks it causes."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, insert

from app.observability import logs, metrics, tasks
from connectors.gateway import GatewayConfig
from connectors.gateway.signing import signed_headers
from tests.conftest import REDIS_URL, _truncate_pg, redis_available, service_missing
from tests.helpers.tcp_proxy import proxied
from tests.helpers.web import csrf_from
from workflow_engine.persistence.cases.outbox_backlog import OutboxBacklog
from workflow_engine.persistence.models import OutboxMessage, table
from workflow_engine.persistence.platform.demo import seed_demo

outbox_t = table(OutboxMessage)
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by (name, sorted labels), via prometheus_client."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(
    client: FlaskClient, **headers: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def _add_outbox(engine: Any, key: str, **values: Any) -> None:
    row = {
        "kind": "notify",
        "idempotency_key": key,
        "payload": {},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": T0,
        "created_at": T0,
    }
    row.update(values)
    with engine.begin() as conn:
        conn.execute(insert(outbox_t).values(**row))


@pytest.fixture
def app(seeded_url: str, app_factory: Any) -> Flask:
    """The demo on each backend (seeded once per session, copied)."""
    made: Flask = app_factory(seeded_url)
    return made


# -- probes ---------------------------------------------------------------------------------
def test_healthz_and_readyz_answer_when_everything_is_up(app: Flask) -> None:
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "not_configured"},
    }


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_readyz_names_an_unreachable_broker(db_url: str, app_factory: Any) -> None:
    app = app_factory(db_url, broker_url=f"redis://127.0.0.1:{_closed_port()}/0")
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert client.get("/healthz").status_code == 200


@pytest.mark.redis
def test_readyz_with_a_reachable_broker(db_url: str, app_factory: Any) -> None:
    if not redis_available():
        service_missing("Redis is not answering")
    ready = app_factory(db_url, broker_url=REDIS_URL).test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_times_out_on_a_broker_that_never_answers(db_url: str, app_factory: Any) -> None:
    """A server that accepts connections and never answers (a hung Redis)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = app_factory(db_url, broker_url=f"redis://127.0.0.1:{port}/0")
        ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["broker"] in ("timeout", "error: TimeoutError")


@pytest.mark.postgres
def test_readyz_names_the_database_when_postgresql_is_cut(
    pg_template_url: str, app_factory: Any
) -> None:
    _truncate_pg(pg_template_url)
    url, proxy = proxied(pg_template_url)
    try:
        client = app_factory(url).test_client()
        assert client.get("/readyz").status_code == 200
        proxy.stop()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["failing"] == ["database"]
        assert client.get("/healthz").status_code == 200  # no restart for a database outage
        proxy.start()
        assert client.get("/readyz").status_code == 200
    finally:
        proxy.stop()


def test_readyz_names_the_database_when_sqlite_is_locked(sqlite_url: str, app_factory: Any) -> None:
    app = app_factory(sqlite_url)
    engine = app.extensions["tramita"].engine

    @event.listens_for(engine, "connect")
    def _short(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=100")

    engine.dispose()
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        ready = app.test_client().get("/readyz")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert ready.status_code == 503
    assert ready.get_json()["failing"] == ["database"]


# -- metrics --------------------------------------------------------------------------------
def test_a_request_moves_the_counter_of_its_route_not_its_path(app: Flask) -> None:
    client = app.test_client()
    route = "/tramites/<key>/informacion"
    before = value(
        scrape(client), "tramita_http_requests_total", route=route, method="GET", status="200"
    )
    assert client.get("/tramites/licencia-funcionamiento/informacion").status_code == 200
    assert client.get("/tramites/constancia-residencia/informacion").status_code == 200
    assert client.get("/tramites/no-existe/informacion").status_code == 404
    after = scrape(client)
    labels = {"route": route, "method": "GET"}
    assert value(after, "tramita_http_requests_total", status="200", **labels) == before + 2
    assert value(after, "tramita_http_requests_total", status="404", **labels) >= 1
    assert value(after, "tramita_http_request_duration_seconds_count", status="200", **labels) >= 2
    assert not any("licencia-funcionamiento" in str(key) for key in after)


def test_the_outbox_backlog_and_dead_letters_show_in_the_gauges(app: Flask) -> None:
    engine = app.extensions["tramita"].engine
    client = app.test_client()
    found = scrape(client)
    assert value(found, "tramita_outbox_messages", state="dead") == 0
    assert value(found, "tramita_outbox_oldest_due_age_seconds") == 0
    _add_outbox(engine, "m:due")
    _add_outbox(engine, "m:dead", kind="document.issue", status="dead", attempts=8)
    found = scrape(client)
    assert value(found, "tramita_outbox_messages", state="dead") == 1
    assert value(found, "tramita_outbox_messages", state="due") == 1
    assert value(found, "tramita_outbox_dead_letters", kind="document.issue") == 1
    assert value(found, "tramita_outbox_oldest_due_age_seconds") > 0


def test_backlog_states_and_the_age_of_the_oldest_due_row(db_url: str) -> None:
    from workflow_engine.persistence.db import make_engine

    engine = make_engine(db_url)
    try:
        _add_outbox(engine, "a", next_attempt_at=T0 - timedelta(seconds=90))
        _add_outbox(engine, "b", attempts=2, next_attempt_at=T0 + timedelta(minutes=5))
        _add_outbox(
            engine, "c", status="running", attempts=1, locked_until=T0 - timedelta(seconds=300)
        )
        _add_outbox(
            engine, "d", status="running", attempts=1, locked_until=T0 + timedelta(seconds=60)
        )
        _add_outbox(engine, "e", status="dead", attempts=8)
        _add_outbox(engine, "f", status="done", attempts=1)
        summary = OutboxBacklog(engine, clock=lambda: T0).summary()
        assert summary.counts == {"due": 1, "retrying": 1, "running": 2, "dead": 1}
        assert summary.dead_by_kind == {"notify": 1}
        # The orphaned lease (expired 300 s ago) is the oldest due work.
        assert summary.oldest_due_age_seconds == 300
    finally:
        engine.dispose()


def test_commands_webhooks_and_effects_are_counted(db_url: str, app_factory: Any) -> None:
    secret = "whsec-test"
    config = GatewayConfig("sandbox", "http://127.0.0.1:1", "key", secret, timeout_s=1)
    app = app_factory(db_url, extra={"gateway": config})
    seed_demo(app.extensions["tramita"].engine, demo_mode=True)
    client = app.test_client()
    before = scrape(client)

    from workflow_engine.engine import Actor, StartCase
    from workflow_engine.persistence.types import utcnow

    cases = app.extensions["tramita"].cases
    cases.start("constancia-residencia", StartCase(at=utcnow(), actor=Actor("1", "citizen", "Ana")))
    refused = client.post(
        "/pagos/webhook/sandbox", data=b"{}", headers={"X-Gateway-Signature": "v1=00"}
    )
    assert refused.status_code == 401
    body = json.dumps({"type": "checkout.created", "data": {}}).encode()
    accepted = client.post(
        "/pagos/webhook/sandbox", data=body, headers=signed_headers(secret, body)
    )
    assert accepted.status_code == 200, accepted.get_json()

    after = scrape(client)
    started = ("tramita_commands_total", {"command": "StartCase", "outcome": "applied"})
    assert value(after, started[0], **started[1]) == value(before, started[0], **started[1]) + 1
    assert value(after, "tramita_command_duration_seconds_count", command="StartCase") >= 1
    for outcome, reason in (("refused", "bad_signature"), ("accepted", "unknown_type")):
        labels = {"gateway": "sandbox", "outcome": outcome}
        moved = {
            k: v
            for k, v in after.items()
            if k[0] == "tramita_webhooks_total" and dict(k[1]).items() >= labels.items()
        }
        assert sum(moved.values()) >= 1, (outcome, reason, moved)


def test_a_signed_document_and_a_failed_effect_are_counted() -> None:
    def sign(_item: Any) -> None:
        return None

    def fail(_item: Any) -> None:
        raise RuntimeError("SMTP caído")

    signed = REGISTRY.get_sample_value("tramita_documents_signed_total") or 0.0
    failed = (
        REGISTRY.get_sample_value(
            "tramita_outbox_effects_total", {"kind": "notify", "outcome": "error"}
        )
        or 0.0
    )
    metrics.counted_handler("document.issue", sign)(object())
    with pytest.raises(RuntimeError):
        metrics.counted_handler("notify", fail)(object())
    assert REGISTRY.get_sample_value("tramita_documents_signed_total") == signed + 1
    assert (
        REGISTRY.get_sample_value(
            "tramita_outbox_effects_total", {"kind": "notify", "outcome": "error"}
        )
        == failed + 1
    )


def test_metrics_token_is_required_when_set(sqlite_url: str, app_factory: Any) -> None:
    client = app_factory(sqlite_url, metrics_token="s3cret-token").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert scrape(client, Authorization="Bearer s3cret-token")


# -- logs -----------------------------------------------------------------------------------
@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the JSON handler of `configure_logging` writes, captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.Formatter())
    handler.addFilter(logs._RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_one_json_line_per_request_and_per_task_with_the_same_request_id(
    app: Flask, json_log: io.StringIO
) -> None:
    """Registering queues a verification e-mail: the task it causes logs the request's id."""
    client = app.test_client()
    token = csrf_from(client.get("/registro").get_data(as_text=True))
    response = client.post(
        "/registro",
        data={
            "name": "Lucía Ramírez",
            "email": "lucia.ramirez@correo.mx",
            "password": "una-clave-larga-2026",
            "password_confirm": "una-clave-larga-2026",
            "csrf_token": token,
        },
        headers={"X-Request-ID": "lb-7f3a9c01"},
    )
    assert response.headers["X-Request-ID"] == "lb-7f3a9c01"
    written = lines(json_log)
    requests = [
        line for line in written if line["logger"] == "tramita.request" and line["method"] == "POST"
    ]
    assert requests == [
        {
            **requests[0],
            "level": "INFO",
            "route": "/registro",
            "status": response.status_code,
            "request_id": "lb-7f3a9c01",
        }
    ]
    assert isinstance(requests[0]["duration_ms"], float)
    task_lines = [line for line in written if line["logger"] == "tramita.task"]
    assert task_lines, written
    assert {line["request_id"] for line in task_lines} == {"lb-7f3a9c01"}
    assert {line["task"] for line in task_lines} <= {
        "tramita.dispatch_outbox",
        "tramita.dispatch_outbox_many",
    }
    assert {line["outcome"] for line in task_lines} == {"success"}
    text = json_log.getvalue()
    assert "lucia.ramirez@correo.mx" not in text and "Lucía Ramírez" not in text


@pytest.mark.parametrize("incoming", ["", "a b", "x" * 200, "../../etc/passwd", "<script>"])
def test_an_insane_request_id_is_replaced(sqlite_url: str, app_factory: Any, incoming: str) -> None:
    client = app_factory(sqlite_url).test_client()
    answered = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert answered != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", answered)


def test_personal_data_is_scrubbed_from_log_lines(json_log: io.StringIO) -> None:
    log = logging.getLogger("tramita.test")
    try:
        raise ValueError("contribuyente LOHM800101MDFPRR09 con RFC LOHM800101AB1 <maria@correo.mx>")
    except ValueError:
        log.exception("effect failed for %s", "GODE561231HDFRRN09")
    text = json_log.getvalue()
    for secret in ("LOHM800101MDFPRR09", "LOHM800101AB1", "maria@correo.mx", "GODE561231HDFRRN09"):
        assert secret not in text
    assert "[CURP]" in text and "[RFC]" in text and "[correo]" in text


@pytest.mark.redis
def test_a_task_published_during_a_request_carries_its_request_id(
    sqlite_url: str, app_factory: Any, tmp_path: Path
) -> None:
    """The real Redis broker (no worker needed): the message's headers hold the id."""
    if not redis_available():
        service_missing("Redis is not answering")
    import redis

    app = app_factory(sqlite_url, broker_url=REDIS_URL)
    celery = app.extensions["tramita"].celery
    queue = f"tramita-test-{tmp_path.name}"
    celery.conf.task_default_queue = queue
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with app.test_request_context(headers={"X-Request-ID": "rid-from-http"}):
            app.preprocess_request()
            celery.tasks["tramita.sweep_outbox"].delay()
        raw = client.lpop(queue)
        assert raw is not None
        message = json.loads(raw)
        assert message["headers"][tasks.HEADER] == "rid-from-http"
    finally:
        client.delete(queue)
        client.close()


def test_a_worker_task_logs_the_request_id_it_was_sent_with(
    app: Flask, json_log: io.StringIO
) -> None:
    """What the worker does with the header (run here with `apply`, as the worker would)."""
    celery = app.extensions["tramita"].celery
    celery.tasks["tramita.sweep_outbox"].apply(headers={tasks.HEADER: "rid-sent-along"})
    task_lines = [line for line in lines(json_log) if line["logger"] == "tramita.task"]
    assert task_lines[-1]["request_id"] == "rid-sent-along"
    assert task_lines[-1]["task"] == "tramita.sweep_outbox"
    assert task_lines[-1]["outcome"] == "success"
