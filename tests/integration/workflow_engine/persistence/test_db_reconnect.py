"""Pooled PostgreSQL connections survive a database restart without a ping per checkout.

`make_engine` pings a pooled connection only when it has a reason to doubt it (idle for a
while, or its socket closed by the server); these tests kill the backends the way a
PostgreSQL restart does (`pg_terminate_backend`) and check that the application recovers:
an idle pooled connection is replaced unnoticed, and one killed while in use fails that one
statement, not the ones after it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from workflow_engine.persistence import db

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_name() -> str:
    return f"tramita_reconnect_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def engine(app_name: str) -> Iterator[Engine]:
    require_postgres()
    made = db.make_engine(f"{POSTGRES_ADMIN_URL}?application_name={app_name}")
    yield made
    made.dispose()


def _kill_backends(app_name: str) -> int:
    """What a restart does to every connection of the app; returns how many were killed."""
    import psycopg

    dsn = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (app_name,),
        ).fetchone()
        # Until the killed backends have exited (and so closed their sockets).
        deadline = time.monotonic() + 30
        while admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app_name,)
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the killed backends did not exit"
            time.sleep(0.01)
    return int(killed[0]) if killed else 0


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_pooled_connection_killed_by_a_restart_is_replaced_without_an_error(
    engine: Engine, app_name: str
) -> None:
    before = _backend_pid(engine)
    assert _kill_backends(app_name) == 1
    after = _backend_pid(engine)  # no error: the closed socket is noticed at checkout
    assert after != before
    assert _backend_pid(engine) == after  # and the new connection is pooled again


def test_a_connection_killed_while_in_use_fails_once_and_the_next_request_works(
    engine: Engine, app_name: str
) -> None:
    first, second = engine.connect(), engine.connect()  # two pooled connections
    for conn in (first, second):
        conn.execute(text("SELECT 1"))
        conn.close()
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        assert _kill_backends(app_name) == 2
        with pytest.raises(DBAPIError) as caught:
            conn.execute(text("SELECT 1"))
        assert caught.value.connection_invalidated
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_busy_connection_is_not_pinged_and_an_idle_one_is(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[int] = []
    real_ping = engine.dialect.do_ping

    def counting_ping(dbapi_conn: object) -> bool:
        pings.append(1)
        return bool(real_ping(dbapi_conn))

    monkeypatch.setattr(engine.dialect, "do_ping", counting_ping)
    for _ in range(5):
        _backend_pid(engine)
    assert pings == []  # no round trip per checkout
    clock = time.monotonic() + db.PING_AFTER_IDLE_SECONDS + 1
    monkeypatch.setattr(db.time, "monotonic", lambda: clock)
    _backend_pid(engine)
    assert pings == [1]
