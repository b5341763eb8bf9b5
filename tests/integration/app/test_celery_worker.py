"""The outbox with a real Redis and a real Celery worker process: kill the worker in the middle
of the work, start another one; every effect is applied exactly once, nothing is lost. Kill
only its pool processes, with no sweep: the broker gives the messages back (`acks_late`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import run_migrations
from app.services import Services, build_services
from tests.conftest import (
    REDIS_URL,
    create_pg_database,
    drop_pg_database,
    make_settings,
    require_postgres,
    require_redis,
)
from tests.helpers.cases import file_with_examples
from tests.helpers.celery_worker import flush_redis, start_worker
from workflow_engine.engine import PaymentConfirmed
from workflow_engine.engine import state as case_state
from workflow_engine.engine.commands import Actor
from workflow_engine.persistence.models import Document, OutboxMessage, PaymentOrder, table
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo
from workflow_engine.persistence.types import utcnow

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

BROKER = REDIS_URL  # TEST_REDIS_URL: its database is flushed
CASES = 10
PROCEDURE = "constancia-residencia"


@pytest.fixture
def database_url() -> Iterator[str]:
    require_postgres()
    require_redis()
    url = create_pg_database()
    run_migrations(url)
    yield url
    drop_pg_database(url)


def _flush_redis() -> None:
    flush_redis(BROKER)


def _start_worker(
    database_url: str, tmp_path: Path, name: str, lease: str = "3"
) -> subprocess.Popen[bytes]:
    return start_worker(
        database_url,
        BROKER,
        tmp_path,
        name=name,
        pool=("--pool", "prefork", "--concurrency", "2"),
        env={"OUTBOX_LEASE_SECONDS": lease, "OUTBOX_BASE_DELAY": "1"},
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _statuses(services: Services) -> dict[str, int]:
    outbox = table(OutboxMessage)
    with services.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        return {status: count for status, count in rows}


def _drive_payments(services: Services, case_ids: list[int]) -> int:
    closed = 0
    for case_id in case_ids:
        state, _d, _v = services.cases.load(case_id)
        if state.status == case_state.CLOSED:
            closed += 1
        elif (
            state.status == case_state.AWAITING_PAYMENT
            and state.payment
            and state.payment.reference
        ):
            services.cases.execute(
                case_id,
                PaymentConfirmed(
                    at=utcnow(),
                    actor=Actor.system(),
                    reference=state.payment.reference,
                    amount_cents=state.payment.total_cents,
                    currency=state.payment.currency,
                    provider_id="banco-prueba",
                ),
            )
    return closed


def test_killed_worker_loses_and_duplicates_nothing(database_url: str, tmp_path: Path) -> None:
    _flush_redis()
    settings = make_settings(database_url, tmp_path, broker_url=BROKER, outbox_lease_seconds=3.0)
    services = build_services(settings)
    seed_demo(services.engine, demo_mode=True)
    account = Accounts(services.engine).by_email("ciudadano@demo.gob.mx")
    assert account is not None
    citizen = account.actor()
    worker = _start_worker(database_url, tmp_path, "primero")
    second = None
    try:
        case_ids = _file_cases(services, citizen, CASES)
        # Kill the worker while it holds work: some message is `running`.
        interrupted: list[int] = []
        deadline = time.monotonic() + 60
        outbox = table(OutboxMessage)
        while time.monotonic() < deadline and not interrupted:
            _drive_payments(services, case_ids)
            with services.engine.connect() as conn:
                interrupted = list(
                    conn.execute(select(outbox.c.id).where(outbox.c.status == "running")).scalars()
                )
            if not interrupted:
                time.sleep(0.005)
        assert interrupted, "the worker never picked up any work"
        _kill(worker)
        before = _statuses(services)
        assert before.get("pending", 0) + before.get("running", 0) > 0, before
        # A new worker and the periodic sweep (Celery beat sends it in production).
        second = _start_worker(database_url, tmp_path, "segundo")
        deadline = time.monotonic() + 150
        closed = 0
        while time.monotonic() < deadline:
            services.celery.send_task("tramita.sweep_outbox")
            closed = _drive_payments(services, case_ids)
            statuses = _statuses(services)
            if closed == CASES and set(statuses) == {"done"}:
                break
            time.sleep(0.5)
        assert closed == CASES, (
            closed,
            _statuses(services),
            (tmp_path / "segundo.log").read_text()[-3000:],
        )
        assert set(_statuses(services)) == {"done"}
    finally:
        _kill(worker)
        if second is not None:
            _kill(second)
    docs = table(Document)
    orders = table(PaymentOrder)
    with services.engine.connect() as conn:
        per_case_docs = dict(
            conn.execute(select(docs.c.case_id, func.count()).group_by(docs.c.case_id)).all()
        )
        per_case_orders = dict(
            conn.execute(select(orders.c.case_id, func.count()).group_by(orders.c.case_id)).all()
        )
        attempts = dict(
            conn.execute(
                select(outbox.c.id, outbox.c.attempts).where(outbox.c.id.in_(interrupted))
            ).all()
        )
    assert per_case_docs == {case_id: 1 for case_id in case_ids}
    assert per_case_orders == {case_id: 1 for case_id in case_ids}
    assert all(n >= 2 for n in attempts.values()), attempts  # the killed work was redone
    for case_id in case_ids:
        state, _d, _v = services.cases.load(case_id)
        assert state.outcome == "approved"
        assert len(state.documents) == 1
        assert services.cases.verify_history(case_id) == []
    services.engine.dispose()


def _pool_processes(worker: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _file_cases(services: Services, citizen: Actor, count: int) -> list[int]:
    return [file_with_examples(services, PROCEDURE, citizen).case_id for _ in range(count)]


def test_a_killed_pool_process_gives_its_message_back_to_the_broker(
    database_url: str, tmp_path: Path
) -> None:
    """No sweep runs here, so an effect whose pool process is killed is finished only if the
    broker redelivers its message: the worker acknowledges after running (`acks_late`) and
    rejects a lost process's task (`task_reject_on_worker_lost`). The redelivered message
    waits for the dead claim's lease (4 s, kept short here) and runs the effect once."""
    _flush_redis()
    settings = make_settings(database_url, tmp_path, broker_url=BROKER, outbox_lease_seconds=4.0)
    services = build_services(settings)
    seed_demo(services.engine, demo_mode=True)
    account = Accounts(services.engine).by_email("ciudadano@demo.gob.mx")
    assert account is not None
    worker = _start_worker(database_url, tmp_path, "pool", lease="4")
    outbox = table(OutboxMessage)
    try:
        case_ids = _file_cases(services, account.actor(), 6)
        interrupted: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not interrupted:
            _drive_payments(services, case_ids)
            with services.engine.connect() as conn:
                interrupted = list(
                    conn.execute(select(outbox.c.id).where(outbox.c.status == "running")).scalars()
                )
            if not interrupted:
                time.sleep(0.005)
        assert interrupted, "the worker never picked up any work"
        for pid in _pool_processes(worker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        closed = 0
        while time.monotonic() < deadline:
            closed = _drive_payments(services, case_ids)
            if closed == len(case_ids) and set(_statuses(services)) == {"done"}:
                break
            time.sleep(0.5)
        assert closed == len(case_ids), (
            closed,
            _statuses(services),
            (tmp_path / "pool.log").read_text()[-3000:],
        )
        assert worker.poll() is None  # the worker itself lived on
    finally:
        _kill(worker)
    with services.engine.connect() as conn:
        attempts = dict(
            conn.execute(
                select(outbox.c.id, outbox.c.attempts).where(outbox.c.id.in_(interrupted))
            ).all()
        )
        docs = dict(
            conn.execute(
                select(table(Document).c.case_id, func.count()).group_by(table(Document).c.case_id)
            ).all()
        )
    assert all(n >= 2 for n in attempts.values()), attempts  # the killed work was redone
    assert docs == {case_id: 1 for case_id in case_ids}
    services.engine.dispose()
