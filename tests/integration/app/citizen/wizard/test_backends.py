"""The wizard on both backends: the request's shared read connection (PostgreSQL), the reads
through the driver cursor, batched upload rows, the catalog's one-query procedure page.

test_wizard.py (beside this file) covers the wizard in depth on SQLite; these walk the same
licence wizard (the page sequence of bench/wizard_http.py) on SQLite and PostgreSQL, and check
what those paths must keep: isolation, archived procedures, deactivated accounts, files.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from bench.wizard_cpu import Walker
from bench.wizard_http import load_plan
from tests.helpers.web import csrf_from, csrf_token, login
from workflow_engine.persistence.models import Upload, User
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo
from workflow_engine.persistence.types import utcnow

KEY = "licencia-funcionamiento"
CITIZEN = "ciudadano@demo.gob.mx"
NEIGHBOUR = "vecina@example.com"


class _NoBackends:
    def refresh(self) -> None: ...

    def cpu(self) -> float:
        return 0.0


class _NoMeter:
    counts: dict[str, int] = {}
    app_cpu = 0.0
    render_cpu = 0.0


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    flask_app: Flask = app_factory(db_url)
    engine = flask_app.extensions["tramita"].engine
    seed_demo(engine, demo_mode=True)
    Accounts(engine, demo_mode=True).create(NEIGHBOUR, "vecina-password-1", role="citizen")
    with engine.begin() as conn:
        conn.execute(update(User.__table__).values(email_verified_at=utcnow()))
    flask_app.config["TESTING"] = True
    return flask_app


def walk(app: Flask) -> tuple[Walker, str]:
    """The whole licence wizard with six PDFs, as bench/wizard_http.py walks it."""
    walker = Walker(app, _NoMeter(), _NoBackends(), load_plan(KEY))  # type: ignore[arg-type]
    login(walker.client, CITIZEN)
    walker.walk()
    page = walker.client.get("/mis-tramites")
    found = re.search(r"/expedientes/([A-Z]+-\d{4}-[A-Z0-9]+)", page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:500]
    return walker, found.group(1)


def test_whole_wizard_and_isolation(app: Flask) -> None:
    walker, folio = walk(app)
    page = walker.client.get(f"/expedientes/{folio}/confirmacion")
    assert page.status_code == 200
    assert folio in page.get_data(as_text=True)
    with app.extensions["tramita"].engine.connect() as conn:
        rows = conn.execute(select(Upload.__table__)).all()
    assert len(rows) == 6  # one row per PDF, written in one transaction
    assert {r.owner_id for r in rows} == {rows[0].owner_id}
    for row in rows:
        stored = Path(app.extensions["tramita"].uploads.directory) / row.storage_path
        assert stored.read_bytes()[:5] == b"%PDF-"
    # another citizen sees nothing of it, by any URL
    other = app.test_client()
    login(other, NEIGHBOUR, "vecina-password-1")
    for url in (
        f"/expedientes/{folio}/pasos/solicitante",
        f"/expedientes/{folio}/revisar",
        f"/expedientes/{folio}/confirmacion",
        f"/archivos/{rows[0].public_id}",
    ):
        assert other.get(url).status_code == 404, url
    mine = walker.client.get(f"/archivos/{rows[0].public_id}")
    assert mine.status_code == 200
    assert mine.get_data()[:5] == b"%PDF-"
    mine.close()


def test_refused_file_writes_no_row(app: Flask) -> None:
    client = app.test_client()
    login(client, CITIZEN)
    token = csrf_token(client, f"/tramites/{KEY}/informacion")
    start = client.post(f"/tramites/{KEY}", data={"csrf_token": token})
    folio = re.search(r"/expedientes/([^/]+)/", start.headers["Location"])
    assert folio
    plan = load_plan(KEY)
    walker = Walker(app, _NoMeter(), _NoBackends(), plan)  # type: ignore[arg-type]
    walker.client = client
    path = start.headers["Location"]
    html = client.get(path).get_data(as_text=True)
    for step in ("solicitante", "negocio"):
        token = csrf_from(html)
        done = client.post(path, data=walker.step_data(step, token))
        assert done.status_code == 302, done.get_data(as_text=True)[:300]
        path = done.headers["Location"]
        html = client.get(path).get_data(as_text=True)
    assert path.endswith("/pasos/documentos")
    token = csrf_from(html)
    data = walker.step_data("documentos", token)
    # the first file is an HTML page called .pdf: refused by its bytes, not its name
    first = next(k for k, v in data.items(multi=True) if isinstance(v, tuple))
    values = data.getlist(first)
    values[0] = (io.BytesIO(b"<html><body>hola</body></html>"), "acta.pdf", "application/pdf")
    data.setlist(first, values)
    page = client.post(path, data=data)
    assert page.status_code == 422
    assert "parece una página web (HTML)" in page.get_data(as_text=True)
    with app.extensions["tramita"].engine.connect() as conn:
        stored = conn.execute(select(Upload.__table__.c.original_name)).scalars().all()
    assert "acta.pdf" not in stored
    assert len(stored) == 5  # the other five were kept (and offered again on the page)


def test_archived_procedure_is_gone(app: Flask) -> None:
    client = app.test_client()
    login(client, CITIZEN)
    page = client.get(f"/tramites/{KEY}/informacion")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    app.extensions["tramita"].catalog.archive(KEY)
    assert client.get(f"/tramites/{KEY}/informacion").status_code == 404
    assert client.post(f"/tramites/{KEY}", data={"csrf_token": token}).status_code == 404
    assert KEY not in client.get("/").get_data(as_text=True)
    assert client.get("/tramites/no-existe/informacion").status_code == 404


def test_deactivated_account_loses_its_session(app: Flask) -> None:
    client = app.test_client()
    login(client, CITIZEN)
    assert client.get("/mis-tramites").status_code == 200
    with app.extensions["tramita"].engine.begin() as conn:
        conn.execute(
            update(User.__table__).where(User.__table__.c.email == CITIZEN).values(is_active=False)
        )
    page = client.get("/mis-tramites")
    assert page.status_code == 302
    assert "/entrar" in page.headers["Location"]
