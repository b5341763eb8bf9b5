"""`demo walkthrough` with a broker configured: without a worker it runs the effects itself,
with a worker it shares them; either way the case ends complete and nothing runs twice."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import REDIS_URL, redis_available, service_missing
from tests.helpers.celery_worker import flush_redis, start_worker
from workflow_engine.persistence.models import (
    Case,
    CaseEvent,
    Document,
    Notification,
    OutboxMessage,
    table,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]

PROCEDURE = "constancia-residencia"


def _flush() -> None:
    flush_redis(REDIS_URL)


@pytest.fixture
def broker() -> Iterator[str]:
    if not redis_available():
        service_missing(f"Redis is not answering at {REDIS_URL}")
    _flush()
    yield REDIS_URL
    _flush()


def _start_worker(database_url: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    return start_worker(
        database_url, REDIS_URL, tmp_path, pool=("--pool", "threads", "--concurrency", "2")
    )


def _wait_ready(tmp_path: Path, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if b" ready." in (tmp_path / "worker.log").read_bytes():
            return
        assert proc.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.1)
    pytest.fail("the Celery worker did not start: " + (tmp_path / "worker.log").read_text())


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _walk(app: Flask, out: Path) -> dict[str, Any]:
    """Run the walkthrough; what the case left behind."""
    result = app.test_cli_runner().invoke(
        args=["demo", "walkthrough", PROCEDURE, "--out", str(out), "--wait", "60"]
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert lines["outcome"] == "approved"
    assert list(out.glob("*.pdf")), "the documents were written"
    engine = app.extensions["tramita"].engine
    with engine.connect() as conn:
        case_id = conn.execute(
            select(table(Case).c.id).where(table(Case).c.folio == lines["folio"])
        ).scalar_one()
        events = table(CaseEvent)
        outbox = table(OutboxMessage)
        return {
            "events": Counter(
                conn.execute(select(events.c.type).where(events.c.case_id == case_id)).scalars()
            ),
            "unfinished": conn.execute(
                select(outbox.c.kind, outbox.c.status).where(
                    outbox.c.case_id == case_id, outbox.c.status != "done"
                )
            ).all(),
            "documents": conn.execute(
                select(func.count())
                .select_from(table(Document))
                .where(table(Document).c.case_id == case_id)
            ).scalar_one(),
            "notifications": conn.execute(
                select(func.count())
                .select_from(table(Notification))
                .where(table(Notification).c.case_id == case_id)
            ).scalar_one(),
        }


def test_walkthrough_with_a_broker_finishes_its_case_with_or_without_a_worker(
    db_url: str, app_factory: Any, broker: str, tmp_path: Path
) -> None:
    app = app_factory(db_url, broker_url=broker)
    assert app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0

    alone = _walk(app, tmp_path / "alone")  # messages go to Redis; nobody consumes them
    assert alone["unfinished"] == []
    assert alone["documents"] >= 1 and alone["notifications"] >= 1

    worker = _start_worker(db_url, tmp_path)
    try:
        _wait_ready(tmp_path, worker)
        shared = _walk(app, tmp_path / "shared")
    finally:
        _stop(worker)
    assert shared["unfinished"] == []
    # The same walk, the same history, documents and notices: nothing ran twice.
    assert shared["events"] == alone["events"]
    assert (shared["documents"], shared["notifications"]) == (
        alone["documents"],
        alone["notifications"],
    )
