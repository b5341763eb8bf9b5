"""Pages an operator and a citizen meet when something is wrong, in a phone-sized Chromium:
the /admin/outbox backlog and the 503 page of a database that cannot answer. Both pass
axe-core and fit 360 px."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, insert

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll
from workflow_engine.persistence.models import OutboxMessage, table
from workflow_engine.persistence.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]
outbox_t = table(OutboxMessage)
LONG_ERROR = (
    "SMTPRecipientsRefused: {'alguien.con.un.correo.largo@dependencia.chocotlan.gob.mx': "
    "(550, b'5.1.1 The email account that you tried to reach does not exist')}" * 2
)


@pytest.fixture
def backlog(live_server: LiveServer) -> Any:
    engine = live_server.app.extensions["tramita"].engine
    now = utcnow()
    rows = [
        {"kind": "document.issue", "status": "pending", "attempts": 0},
        {"kind": "email", "status": "pending", "attempts": 3, "last_error": LONG_ERROR},
        {"kind": "payment.create_order", "status": "running", "attempts": 1},
        {"kind": "connector.call", "status": "dead", "attempts": 8, "last_error": LONG_ERROR},
    ]
    with engine.begin() as conn:
        for n, row in enumerate(rows):
            conn.execute(
                insert(outbox_t).values(
                    idempotency_key=f"browser:{n}",
                    payload={},
                    next_attempt_at=now + timedelta(minutes=n),
                    locked_until=now + timedelta(minutes=5) if row["status"] == "running" else None,
                    created_at=now,
                    **row,
                )
            )
    yield
    with engine.begin() as conn:
        conn.execute(delete(outbox_t).where(outbox_t.c.idempotency_key.like("browser:%")))


@pytest.mark.usefixtures("backlog")
def test_the_outbox_backlog_at_360_px(new_context: Any) -> None:
    page = new_context(mobile=True).new_page()
    login(page, "admin@demo.gob.mx")
    for path in ("/admin/outbox", "/admin/outbox?estado=dead", "/admin/outbox?lang=en"):
        response = page.goto(path)
        assert response is not None and response.status == 200
        axe(page, path)
        no_horizontal_scroll(page)
    text = page.inner_text("main")
    assert "Background effects" in text and "Retrying (1)" in text and "Dead (1)" in text


def test_the_503_page_of_a_locked_database_at_360_px(
    new_context: Any, live_server: LiveServer
) -> None:
    """SQLite held by another writer longer than the app waits: a 503 page, not a 500."""
    engine = live_server.app.extensions["tramita"].engine

    def short_wait(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=100")

    event.listen(engine, "connect", short_wait)
    engine.dispose()
    holder = sqlite3.connect(live_server.database_url.removeprefix("sqlite:///"))
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")
    try:
        page = new_context(mobile=True).new_page()
        response = page.goto("/")
        assert response is not None and response.status == 503
        assert response.headers["retry-after"]
        assert "Nada se perdió" in page.inner_text("main")
        axe(page, "503 page")
        no_horizontal_scroll(page)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        event.remove(engine, "connect", short_wait)
        engine.dispose()
