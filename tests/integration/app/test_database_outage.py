"""A database that cannot answer gives clients 503 with Retry-After and a clear page or JSON
error (nothing lost, try again), never a plain 500; a real bug is still a 500.

PostgreSQL is cut for real: the app reaches it through a TCP proxy that the test stops (every
open connection dropped, new ones refused) and starts again. SQLite has no network: there the
outage is a write lock held by someone else for longer than the app waits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from tests.conftest import _truncate_pg
from tests.helpers.tcp_proxy import TcpProxy, proxied
from tests.helpers.web import login
from workflow_engine.persistence.db import database_unavailable, make_engine
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo

LICENCE = "licencia-funcionamiento"


def _seed(url: str) -> str:
    """The demo municipality; returns an API key of the demo citizen."""
    engine = make_engine(url)
    try:
        seed_demo(engine, demo_mode=True)
        accounts = Accounts(engine, demo_mode=True)
        citizen = accounts.by_email("ciudadano@demo.gob.mx")
        assert citizen is not None
        return accounts.create_api_key(citizen.id, "outage test")
    finally:
        engine.dispose()


def _assert_page_503(response: Any, *, english: bool = False) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    html = response.get_data(as_text=True)
    assert "<html" in html
    if english:
        assert "briefly unavailable" in html and "Nothing was lost" in html
    else:
        assert "no está disponible por un momento" in html and "Nada se perdió" in html


def _assert_json_503(response: Any) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "service_unavailable"
    assert "Nada se perdió" in error["message"]
    assert "Nothing was lost" in error["message_en"]


@pytest.fixture
def pg_proxy(pg_template_url: str) -> Iterator[tuple[str, TcpProxy, str]]:
    """(url through the proxy, proxy, API key) of a seeded PostgreSQL database."""
    db_url = pg_template_url
    _truncate_pg(db_url)
    key = _seed(db_url)
    url, proxy = proxied(db_url)
    try:
        yield url, proxy, key
    finally:
        proxy.stop()


@pytest.mark.postgres
def test_postgresql_cut_answers_503_pages_and_json_then_recovers(
    pg_proxy: tuple[str, TcpProxy, str], app_factory: Any
) -> None:
    url, proxy, key = pg_proxy
    app: Flask = app_factory(url)
    client = app.test_client()
    api = {"X-API-Key": key}
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/cases", headers=api).status_code == 200

    proxy.stop()  # what a PostgreSQL restart or a cut network does to the app
    _assert_page_503(client.get("/"))
    _assert_page_503(client.get("/tramites/licencia-funcionamiento/informacion"))
    _assert_page_503(client.get("/?lang=en"), english=True)  # remembered from here on
    _assert_json_503(client.get("/api/v1/cases", headers=api))
    _assert_json_503(client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=api))

    proxy.start()
    assert client.get("/").status_code == 200
    created = client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=api)
    assert created.status_code == 201
    mine = client.get("/api/v1/cases", headers=api).get_json()
    assert [c["folio"] for c in mine["cases"]] == [created.get_json()["folio"]]


@pytest.mark.postgres
def test_logged_in_pages_during_a_postgresql_cut_are_503_not_500(
    pg_proxy: tuple[str, TcpProxy, str], app_factory: Any
) -> None:
    """Loading the logged-in account is the first thing that fails; the 503 page itself
    must not need the database."""
    url, proxy, _key = pg_proxy
    client = login(app_factory(url).test_client(), "ciudadano@demo.gob.mx")
    proxy.stop()
    _assert_page_503(client.get("/mis-tramites"))
    proxy.start()
    assert client.get("/mis-tramites").status_code == 200


def _slow_lock_wait(app: Flask) -> None:
    """The app waits 0.2 s (not 30 s) for SQLite's write lock, so the test is quick."""
    engine = app.extensions["tramita"].engine

    @event.listens_for(engine, "connect")
    def _short(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=200")

    engine.dispose()


def test_sqlite_locked_by_another_writer_answers_503_then_recovers(
    sqlite_url: str, app_factory: Any
) -> None:
    key = _seed(sqlite_url)
    app: Flask = app_factory(sqlite_url)
    _slow_lock_wait(app)
    client = app.test_client()
    api = {"X-API-Key": key}
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # someone else's long write transaction
    try:
        _assert_json_503(client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=api))
        _assert_page_503(client.get("/"))  # every SQLite transaction takes the write lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post("/api/v1/cases", json={"procedure": LICENCE}, headers=api).status_code == 201


@pytest.fixture
def buggy_app(db_url: str, app_factory: Any) -> Flask:
    """The app with routes that fail the way bugs do, on the real database."""
    app: Flask = app_factory(db_url)
    engine = app.extensions["tramita"].engine

    @app.get("/_bug/sql")
    def bad_sql() -> str:
        with engine.connect() as conn:
            conn.execute(text("SELEC 1"))  # a typo: ProgrammingError / sqlite OperationalError
        return "unreachable"

    @app.get("/_bug/table")
    def missing_table() -> str:
        with engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    @app.get("/_bug/python")
    def python_bug() -> str:
        raise KeyError("not a database problem")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("path", ["/_bug/sql", "/_bug/table", "/_bug/python"])
def test_a_bug_stays_a_500_without_retry_after(buggy_app: Flask, path: str) -> None:
    client = buggy_app.test_client()
    page = client.get(path)
    assert page.status_code == 500
    assert "Retry-After" not in page.headers
    api = client.get(path, headers={"Accept": "application/json"})
    assert api.status_code == 500
    assert api.get_json()["error"]["code"] == "internal_error"


def test_what_counts_as_the_database_being_unavailable(db_url: str) -> None:
    """The classification on real driver errors of each backend."""
    engine = make_engine(db_url)
    try:
        for bug in ("SELECT * FROM no_such_table", "SELEC 1"):
            with (
                engine.connect() as conn,
                pytest.raises((ProgrammingError, OperationalError)) as raised,
            ):
                conn.execute(text(bug))
            assert not database_unavailable(raised.value), bug
    finally:
        engine.dispose()
    if db_url.startswith("sqlite"):
        path = db_url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        locked = make_engine(db_url)
        try:

            @event.listens_for(locked, "connect")
            def _no_wait(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.execute("PRAGMA busy_timeout=0")

            with (
                pytest.raises((OperationalError, sqlite3.OperationalError)) as busy,
                locked.begin() as conn,
            ):
                conn.execute(text("SELECT 1"))
            assert "locked" in str(busy.value)
            assert database_unavailable(busy.value)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            locked.dispose()
    else:
        from sqlalchemy.engine import make_url

        closed = make_engine(make_url(db_url).set(port=1).render_as_string(hide_password=False))
        try:
            with pytest.raises(OperationalError) as refused, closed.connect():
                pass
            assert database_unavailable(refused.value)
        finally:
            closed.dispose()
