"""One database connection for the reads of a web request.

Each `engine.connect()` costs a pool checkout with a pre-ping round trip, a BEGIN and a
ROLLBACK; a wizard page used to open three to seven of them for its reads (the logged-in
user, the case, the catalog, the profile). On PostgreSQL the reads of a request now share one
connection, checked out on first use and returned when the request ends, in autocommit mode:
every statement sees what was committed before it (as the separate connections did), nothing
is held open between statements, and no BEGIN/ROLLBACK is sent. Writes keep their own
transactions (the case service's `engine.begin()`): durability and optimistic locking are
unchanged.

On SQLite every transaction takes the write lock (`BEGIN IMMEDIATE`, see
workflow_engine/persistence/db.py), so a connection kept for the whole request would block the
request's own writes: there `reading()` opens and closes a connection per use, as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Connection, Engine

_KEY = "_tramita_read_conn"


def _engine() -> Engine:
    engine: Engine = current_app.extensions["tramita"].engine
    return engine


def shared(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextlib.contextmanager
def reading(engine: Engine | None = None) -> Iterator[Connection]:
    """A connection for reads only; never commit or write through it."""
    if engine is None:
        engine = _engine()
    if not shared(engine) or not has_app_context():
        with engine.connect() as conn:
            yield conn
        return
    conn = g.get(_KEY)
    if conn is None or conn.closed or conn.engine is not engine:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        setattr(g, _KEY, conn)
    yield conn


def read_connection() -> Connection | None:
    """The request's shared read connection (PostgreSQL), or None: callers that take an
    optional connection then open their own."""
    if not has_app_context():
        return None
    engine = _engine()
    if not shared(engine):
        return None
    with reading(engine) as conn:
        return conn


def close(_exc: Any = None) -> None:
    """Return the request's connection to the pool (teardown_appcontext)."""
    conn = g.pop(_KEY, None)
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close)
