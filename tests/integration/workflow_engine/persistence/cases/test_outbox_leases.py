"""Leases: a running effect keeps its claim (a heartbeat renews it) however long it takes,
an abandoned one is handed out again as soon as its short lease runs out, and failures are
dead-lettered or retried according to their class. Both databases."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, String, column, insert, select, table
from sqlalchemy import exc as sa_exc

from tests.helpers.engine import CITIZEN, MINI, T0
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.cases.outbox import OutboxItem, OutboxProcessor
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import OutboxMessage
from workflow_engine.persistence.models import table as model_table
from workflow_engine.persistence.platform.catalog import Catalog

outbox_t = model_table(OutboxMessage)
LEASE = 0.6  # seconds: short, so the test is quick; production uses 60


@pytest.fixture
def setup(db_url: str) -> Iterator[tuple[Engine, CaseService, list[int]]]:
    engine = make_engine(db_url)
    Catalog(engine).save_draft(copy.deepcopy(MINI))
    Catalog(engine).publish("mini")
    service = CaseService(engine)
    case = service.start("mini", StartCase(at=T0, actor=CITIZEN))
    service.execute(
        case.case_id,
        SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=MINI["example_data"]["datos"]),
    )
    service.execute(case.case_id, SubmitCase(at=T0, actor=CITIZEN, declaration=True))
    with engine.connect() as conn:
        ids = list(conn.execute(select(outbox_t.c.id).order_by(outbox_t.c.id)).scalars())
    yield engine, service, ids
    engine.dispose()


def _row(engine: Engine, message_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(outbox_t).where(outbox_t.c.id == message_id)).one()


def test_a_long_effect_keeps_its_lease_and_runs_once(setup: Any) -> None:
    engine, service, ids = setup
    started, release = threading.Event(), threading.Event()
    runs: list[int] = []

    def slow(item: OutboxItem) -> None:
        runs.append(item.id)
        started.set()
        release.wait(30)

    worker = OutboxProcessor(engine, service, {"notify": slow}, lease_seconds=LEASE)
    other = OutboxProcessor(engine, service, {"notify": slow}, lease_seconds=LEASE)
    thread = threading.Thread(target=worker.process, args=(ids[0],))
    thread.start()
    try:
        assert started.wait(30)
        # Five leases long: the heartbeat keeps the claim, nobody else runs the effect.
        for _ in range(5):
            threading.Event().wait(LEASE)
            assert ids[0] not in other.due()
            assert other.process(ids[0]).status == "busy"
    finally:
        release.set()
        thread.join(30)
    row = _row(engine, ids[0])
    assert (row.status, row.attempts, runs) == ("done", 1, [ids[0]])


def test_an_abandoned_effect_runs_again_once_its_short_lease_ends(setup: Any) -> None:
    engine, service, ids = setup
    ran: list[int] = []
    dead = OutboxProcessor(engine, service, {}, lease_seconds=LEASE)
    assert dead._claim(ids[0]) is not None  # a worker claimed it and was killed (no heartbeat)
    sweep = OutboxProcessor(
        engine, service, {"notify": lambda item: ran.append(item.id)}, lease_seconds=LEASE
    )
    assert ids[0] not in sweep.due()
    threading.Event().wait(LEASE * 2)
    assert ids[0] in sweep.due()
    assert sweep.run_due() == len(ids)
    row = _row(engine, ids[0])
    assert (row.status, row.attempts) == ("done", 2)
    assert sorted(ran) == ids


def _lost_database(item: OutboxItem) -> None:
    raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("server closed"))


def _bad_data(engine: Engine) -> Any:
    def handler(item: OutboxItem) -> None:
        # What a ledger handler does with a name that has no room, or a missing value.
        with engine.begin() as conn:
            conn.execute(
                insert(table("departments", column("key", String), column("name_es", String))),
                {"key": "x" * 300, "name_es": None},
            )

    return handler


def test_failures_are_dead_lettered_or_retried_by_their_class(setup: Any) -> None:
    engine, service, ids = setup
    processor = OutboxProcessor(engine, service, {"notify": _lost_database}, max_attempts=8)
    # The database went away mid-effect: the row is given back, to be retried.
    result = processor.process(ids[0])
    row = _row(engine, ids[0])
    assert result.status == "retry" and row.status == "pending" and row.locked_until is None
    assert row.last_error.startswith("transient: OperationalError")
    # Data the database refuses: dead at the first attempt, with a reason one can read.
    processor.handlers["notify"] = _bad_data(engine)
    assert processor.process(ids[1]).status == "dead"
    row = _row(engine, ids[1])
    assert row.attempts == 1 and row.last_error.startswith("permanent: ")
    assert "xxxxxxxx" not in row.last_error and "INSERT" not in row.last_error
