"""/admin/outbox shows the whole backlog an operator needs: due, running (lease expiry), retrying
(attempts, next try, last error), dead; counts per state; pages; no personal data."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert

from tests.helpers.web import csrf_from, login
from workflow_engine.persistence.models import OutboxMessage, table
from workflow_engine.persistence.types import utcnow

outbox_t = table(OutboxMessage)
PII_ERROR = (
    "SMTPRecipientsRefused: {'maria.lopez@correo.mx': (550, 'no such user')} "
    "CURP LOHM800101MDFPRR09 RFC LOHM800101AB1"
)


def _rows(engine: Any, rows: list[dict[str, Any]]) -> None:
    now = utcnow()
    with engine.begin() as conn:
        for n, row in enumerate(rows):
            values = {
                "kind": "notify",
                "idempotency_key": f"t:{n}:{row.get('status', 'pending')}",
                "payload": {},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                **row,
            }
            conn.execute(insert(outbox_t).values(**values))


@pytest.fixture
def app(seeded_url: str, app_factory: Any) -> Flask:
    """The demo on each backend (seeded once per session, copied)."""
    made: Flask = app_factory(seeded_url)
    return made


def _state_count(html: str, label: str) -> int:
    found = re.search(rf">{label} \((\d+)\)</a>", html)
    assert found, label
    return int(found.group(1))


def test_the_page_shows_every_state_with_counts_and_scrubbed_errors(app: Flask) -> None:
    engine = app.extensions["tramita"].engine
    later = utcnow() + timedelta(hours=2)
    _rows(
        engine,
        [
            {"kind": "document.issue"},
            {"kind": "email", "attempts": 3, "next_attempt_at": later, "last_error": PII_ERROR},
            {
                "kind": "payment.create_order",
                "status": "running",
                "attempts": 1,
                "locked_until": later,
            },
            {"status": "running", "attempts": 1, "locked_until": utcnow() - timedelta(minutes=5)},
            {"kind": "connector.call", "status": "dead", "attempts": 8, "last_error": PII_ERROR},
            {"status": "done", "attempts": 1},
        ],
    )
    client = app.test_client()
    assert client.get("/admin/outbox").status_code == 401
    login(client, "admin@demo.gob.mx")
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _state_count(html, "Todos") == 5
    assert _state_count(html, "Por ejecutar") == 1
    assert _state_count(html, "Reintentando") == 1
    assert _state_count(html, "En ejecución") == 2
    assert _state_count(html, "Detenido") == 1
    for label in ("Documento firmado", "Correo", "Orden de pago", "Consulta a un sistema"):
        assert label in html
    assert "Próximo intento" in html and "Plazo hasta" in html
    assert "se volverá a entregar" in html  # the orphaned lease
    assert "SMTPRecipientsRefused" in html and "[correo]" in html and "[CURP]" in html
    for secret in ("maria.lopez@correo.mx", "LOHM800101MDFPRR09", "LOHM800101AB1"):
        assert secret not in html

    retrying = client.get("/admin/outbox?estado=retrying").get_data(as_text=True)
    assert "Correo" in retrying and "Documento firmado" not in retrying
    english = client.get("/admin/outbox?lang=en").get_data(as_text=True)
    for label in ("Background effects", "Due (1)", "Retrying (1)", "Running (2)", "Dead (1)"):
        assert label in english


def test_a_failure_stores_its_error_without_personal_data(app: Flask) -> None:
    """The outbox keeps the last error scrubbed: the database holds no CURP either."""
    from sqlalchemy import select

    services = app.extensions["tramita"]
    _rows(services.engine, [{"kind": "notify"}])

    def fail(_item: Any) -> None:
        raise RuntimeError(PII_ERROR)

    services.outbox.handlers["notify"] = fail
    message_id = services.outbox.due()[0]
    assert services.outbox.process(message_id).status == "retry"
    with services.engine.connect() as conn:
        stored = conn.execute(select(outbox_t.c.last_error)).scalar_one()
    assert "RuntimeError" in stored and "[CURP]" in stored
    assert "LOHM800101MDFPRR09" not in stored and "maria.lopez@correo.mx" not in stored


def test_the_backlog_is_paginated(app: Flask) -> None:
    _rows(app.extensions["tramita"].engine, [{"kind": "notify"} for _ in range(53)])
    client = app.test_client()
    login(client, "admin@demo.gob.mx")
    first = client.get("/admin/outbox?estado=due").get_data(as_text=True)
    assert "Página 1 de 2" in first
    assert first.count('class="usa-tag state state-outbox-due"') == 50
    second = client.get("/admin/outbox?estado=due&pagina=2").get_data(as_text=True)
    assert second.count('class="usa-tag state state-outbox-due"') == 3
    beyond = client.get("/admin/outbox?estado=due&pagina=99")
    assert beyond.status_code == 200 and "Página 2 de 2" in beyond.get_data(as_text=True)
    bad = client.get("/admin/outbox?estado=nada&pagina=x")
    assert bad.status_code == 200


def test_retrying_a_dead_letter_from_the_page(app: Flask) -> None:
    services = app.extensions["tramita"]
    _rows(services.engine, [{"status": "dead", "attempts": 8, "last_error": "SMTP caído"}])
    client = app.test_client()
    login(client, "admin@demo.gob.mx")
    page = client.get("/admin/outbox?estado=dead").get_data(as_text=True)
    services.outbox.handlers["notify"] = lambda item: None
    done = client.post(
        "/admin/outbox/reintentar", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    assert "Completados: 1" in done.get_data(as_text=True)
    assert services.outbox.dead_letters() == []
