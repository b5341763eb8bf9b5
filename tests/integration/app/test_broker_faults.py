"""The broker fails, the city keeps working: with a Redis that accepts connections and never
answers, every request still answers (publishing is off the request path, bounded) and one
warning is logged; with no broker at all, the database worker (`outbox work`) runs the
effects (payment orders, documents, notifications) from the outbox table alone."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import create_app
from app.services import BrokerPublisher
from connectors.payments.handler import settle_payment
from tests.conftest import make_settings
from tests.helpers import serving
from tests.helpers.paths import REPO_ROOT
from workflow_engine.engine import StartCase, SubmitStep
from workflow_engine.persistence.models import Document, OutboxMessage, table
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.types import utcnow

pytestmark = [pytest.mark.slow, pytest.mark.redis]

EXAMPLE = REPO_ROOT / "form_schemas" / "examples" / "constancia-residencia.json"
PROCEDURE = "constancia-residencia"
CLIENT_TIMEOUT = 5.0  # seconds; a request held by the broker would hang for minutes
outbox_t = table(OutboxMessage)
documents_t = table(Document)


class HungBroker:
    """A TCP server on a free loopback port that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


class Town:
    """Tramita served on a free loopback port, with one citizen holding an API key."""

    def __init__(self, db_url: str, tmp_path: Path, broker_url: str) -> None:
        self.app = create_app(make_settings(db_url, tmp_path, broker_url=broker_url))
        self.services = self.app.extensions["tramita"]
        catalog = Catalog(self.services.engine)
        catalog.save_draft(json.loads(EXAMPLE.read_text("utf-8")))
        catalog.publish(PROCEDURE)
        accounts = Accounts(self.services.engine, demo_mode=True)
        account = accounts.create(
            "ana@correo.mx", "demo12345", role="citizen", name="Ana", verified=True
        )
        self.actor = account.actor()
        self.key = accounts.create_api_key(account.id, "pruebas")
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = serving.start(self.server)

    def close(self) -> None:
        serving.stop(self.server, self.thread)
        self.services.engine.dispose()

    def draft(self) -> tuple[int, str]:
        """A case with its form filled in, ready to be filed."""
        cases = self.services.cases
        started = cases.start(PROCEDURE, StartCase(at=utcnow(), actor=self.actor))
        values = json.loads(EXAMPLE.read_text("utf-8"))["example_data"]["datos"]
        cases.execute(
            started.case_id,
            SubmitStep(at=utcnow(), actor=self.actor, step_id="datos", values=values),
        )
        return started.case_id, started.folio

    def file(self, folio: str) -> int:
        """File the case over HTTP (this commit queues its effects); the HTTP status."""
        request = urllib.request.Request(
            f"{self.url}/api/v1/cases/{folio}/submit",
            data=json.dumps({"declaration": True}).encode(),
            method="POST",
            headers={"X-API-Key": self.key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
            return int(response.status)

    def get(self, path: str) -> int:
        with urllib.request.urlopen(self.url + path, timeout=CLIENT_TIMEOUT) as response:
            return int(response.status)

    def statuses(self) -> dict[str, int]:
        with self.services.engine.connect() as conn:
            rows = conn.execute(select(outbox_t.c.status, func.count()).group_by(outbox_t.c.status))
            return {status: int(n) for status, n in rows}

    def wait_all_done(self, seconds: float) -> dict[str, int]:
        deadline = time.monotonic() + seconds
        statuses = self.statuses()
        while time.monotonic() < deadline and set(statuses) != {"done"}:
            time.sleep(0.2)
            statuses = self.statuses()
        return statuses


@pytest.fixture
def hung_broker() -> Iterator[HungBroker]:
    broker = HungBroker()
    yield broker
    broker.close()


def test_a_hung_broker_holds_no_request_and_effects_still_run(
    db_url: str, tmp_path: Path, hung_broker: HungBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="app.services")
    town = Town(db_url, tmp_path, f"redis://127.0.0.1:{hung_broker.port}/0")
    try:
        drafts = [town.draft() for _ in range(8)]
        # Eight filings at once, and the pages everyone else is reading meanwhile; the
        # client gives up after CLIENT_TIMEOUT (urllib raises): none may get there.
        with ThreadPoolExecutor(max_workers=12) as pool:
            filed = list(pool.map(town.file, [folio for _id, folio in drafts]))
            pages = list(pool.map(town.get, ["/", "/api/v1/procedures", "/verificar"] * 3))
        assert filed == [200] * len(drafts)
        assert pages == [200] * len(pages)
        publisher = town.services.cases.dispatcher.__self__
        assert isinstance(publisher, BrokerPublisher)
        assert publisher.flush(timeout=60)  # every publish failed or was dropped by now
        warnings = [r for r in caplog.records if "broker unavailable" in r.getMessage()]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once, not per request
        # The database path runs the effects: each case gets its payment order.
        stop = threading.Event()
        worker = threading.Thread(
            target=town.services.outbox.work, args=(stop,), kwargs={"interval": 0.2}
        )
        worker.start()
        try:
            assert town.wait_all_done(60) == {"done": town.statuses()["done"]}
        finally:
            stop.set()
            worker.join(30)
        for case_id, _folio in drafts:
            state = town.services.cases.load(case_id)[0]
            assert state.status == "awaiting_payment" and state.payment.reference
    finally:
        town.close()


def test_with_the_broker_down_the_database_worker_runs_every_effect(
    db_url: str, tmp_path: Path
) -> None:
    broker = f"redis://127.0.0.1:{_closed_port()}/0"
    town = Town(db_url, tmp_path, broker)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=broker,
        DEMO_MODE="1",
        SECRET_KEY="test-secret",
        INSTANCE_DIR=str(tmp_path),
        DOCUMENTS_DIR=str(tmp_path / "documents"),
        UPLOADS_DIR=str(tmp_path / "uploads"),
    )
    log = (tmp_path / "outbox-work.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "outbox",
            "work",
            "--interval",
            "0.3",
            "--grace",
            "0",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        drafts = [town.draft() for _ in range(3)]
        assert [town.file(folio) for _id, folio in drafts] == [200] * 3

        def logged() -> str:
            return (tmp_path / "outbox-work.log").read_text(errors="replace")[-3000:]

        assert set(town.wait_all_done(60)) == {"done"}, logged()
        for case_id, _folio in drafts:  # the orders exist: pay them at the bank
            state = town.services.cases.load(case_id)[0]
            assert state.payment.reference, logged()
            _case, command = settle_payment(town.services.engine, state.payment.reference, "banco")
            town.services.cases.execute(case_id, command)
        assert set(town.wait_all_done(60)) == {"done"}, logged()
        for case_id, _folio in drafts:
            state = town.services.cases.load(case_id)[0]
            assert state.status == "closed" and state.outcome == "approved", logged()
        with town.services.engine.connect() as conn:
            docs = dict(
                conn.execute(
                    select(documents_t.c.case_id, func.count()).group_by(documents_t.c.case_id)
                ).all()
            )
        assert docs == {case_id: 1 for case_id, _folio in drafts}
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(30)
        log.close()
        town.close()
    assert code == 0
    assert "efectos ejecutados" in (tmp_path / "outbox-work.log").read_text(errors="replace")
