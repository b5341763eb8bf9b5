"""Database connections: the same code on SQLite (embedded default) and PostgreSQL.

Raw driver SQL here, measured: SQLite's `BEGIN IMMEDIATE` goes straight to sqlite3 on every
transaction (benchmark: bench/engine.py, docs/performance.md "Engine"); `driver_row` is the
driver-cursor read the per-request hot reads use (bench/wizard_cpu.py, "CPU per request")."""

from __future__ import annotations

import select as select_module
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc

from workflow_engine import strict_json

# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0
# Connections older than this are replaced on checkout (long-lived backends grow; some
# networks drop old connections silently).
RECYCLE_SECONDS = 1800


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine tuned for the backend: WAL + immediate transactions on SQLite.

    JSON columns are written by `strict_json.dumps`: NaN or infinity is refused, never
    stored as text no JSON parser reads back."""
    kwargs.setdefault("json_serializer", strict_json.dumps)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    kwargs.setdefault("pool_recycle", RECYCLE_SECONDS)
    engine = create_engine(url, **kwargs)
    _ping_when_in_doubt(engine, PING_AFTER_IDLE_SECONDS)
    return engine


def _ping_when_in_doubt(engine: Engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling without a round trip per checkout.

    SQLAlchemy's `pool_pre_ping` sends `SELECT 1` every time a connection leaves the pool:
    two or three round trips per web request, for a check that almost never fails. Here a
    connection is pinged only when there is a reason to doubt it: it sat idle in the pool
    for more than `idle_seconds`, or its socket has something to read while idle (when
    PostgreSQL restarts or a backend is terminated, the server closes the socket, which then
    reads as end-of-file; a healthy idle connection has nothing pending). A failed ping
    raises `InvalidatePoolError`: SQLAlchemy then replaces this connection and every one
    pooled before it, as pre-ping did. A connection that dies while in use fails that one
    statement; SQLAlchemy recognises the disconnect and invalidates the pool, so the next
    checkouts get fresh connections."""
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None:
            return  # a connection just opened
        if time.monotonic() - since < idle_seconds and not _readable(dbapi_conn):
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_conn, None) or _closed(dbapi_conn):
                raise exc.InvalidatePoolError(str(error)) from error
            raise


def _readable(dbapi_conn: Any) -> bool:
    """Whether the connection's socket has data (or end-of-file) waiting; no round trip."""
    try:
        fd = dbapi_conn.fileno()
        poller = select_module.poll()
        poller.register(fd, select_module.POLLIN)
        return bool(poller.poll(0))
    except Exception:
        return True  # closed, or no socket to look at: let the ping decide


def _closed(dbapi_conn: Any) -> bool:
    return bool(getattr(dbapi_conn, "closed", False))


def _configure_sqlite(engine: Engine) -> None:
    """Writers take the lock when the transaction begins, so two writers queue up cleanly
    instead of one failing half-way with "database is locked"."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a committed transaction survives power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: this runs on every transaction (see docs/performance.md).
        conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE")


# SQLite's operational errors include bugs (a syntax error, a missing table); only these
# messages mean "the database is there but cannot answer now".
_SQLITE_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "database schema is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)


def database_unavailable(error: BaseException) -> bool:
    """Whether an error means the database cannot be reached or cannot answer right now (a
    restart, a cut network, a full pool, a lock held too long), as opposed to a bug: the web
    layer answers the first with 503 and a Retry-After, the second stays a 500."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _unavailable(current):
            return True
        current = current.__cause__  # only an explicit `raise ... from`, never __context__
    return False


def _unavailable(error: BaseException) -> bool:
    if isinstance(error, exc.DisconnectionError | exc.TimeoutError):
        return True  # a connection the pool gave up on; no connection free in time
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or _driver_unavailable(error.orig)
    return _driver_unavailable(error)  # raised by the driver itself (e.g. BEGIN IMMEDIATE)


def _driver_unavailable(error: BaseException | None) -> bool:
    import sqlite3

    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return any(m in message for m in _SQLITE_TRANSIENT)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if isinstance(error, psycopg.OperationalError):
        # Connection failures (no SQLSTATE), classes 08 (connection), 53 (insufficient
        # resources), 57 (operator intervention: shutdown, cancel), 58 (I/O), lock timeouts
        # and serialization failures; bugs are ProgrammingError, DataError, IntegrityError.
        return True
    if isinstance(error, psycopg.InterfaceError):
        # The connection is closed or lost; otherwise a misuse of the driver (a bug).
        message = str(error).lower()
        return "closed" in message or "lost" in message
    return False


def driver_row(conn: Connection, sql: str, params: Sequence[Any]) -> Any:
    """One row as a named tuple, read through the driver's cursor (PostgreSQL only).

    For the one or two reads every web page makes (the logged-in user, the case): there
    SQLAlchemy's per-statement work (cache key, result set-up, type processing) costs more
    CPU than the query itself. Timestamps come back as aware UTC datetimes, as
    `UTCDateTime` columns return them."""
    from psycopg.rows import namedtuple_row

    dbapi: Any = conn.connection.dbapi_connection
    cursor = dbapi.cursor(row_factory=namedtuple_row)
    try:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None:
        return None
    moments = {
        k: v.astimezone(UTC)
        for k, v in row._asdict().items()
        if isinstance(v, datetime) and v.tzinfo is not None
    }
    return row._replace(**moments) if moments else row
