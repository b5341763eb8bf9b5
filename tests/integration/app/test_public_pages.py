"""The public catalog and login pages, over real HTTP handling with a real database."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.engine import MINI
from tests.helpers.web import csrf_from, login, post_login
from workflow_engine.persistence.platform.demo import seed_demo


@pytest.fixture
def app(sqlite_url: str, app_factory) -> Flask:  # type: ignore[no-untyped-def]
    app = app_factory(sqlite_url)
    seed_demo(app.extensions["tramita"].engine, demo_mode=True)
    return app  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_home_lists_every_published_procedure(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="es">' in html
    for title in ("Licencia de funcionamiento", "Constancia de residencia"):
        assert title in html


def test_search_ignores_accents_and_case(client: FlaskClient) -> None:
    html = client.get("/?q=LICENCIA").get_data(as_text=True)
    assert "Licencia de funcionamiento" in html
    assert "Constancia de residencia" not in html
    html = client.get("/?q=construccion").get_data(as_text=True)
    assert "construcción" in html.lower()
    empty = client.get("/?q=zzzz").get_data(as_text=True)
    assert "No encontramos trámites" in empty


def test_filter_by_department(client: FlaskClient) -> None:
    html = client.get("/?dependencia=movilidad").get_data(as_text=True)
    assert "Licencia de funcionamiento" not in html
    assert "vehic" in html.lower()
    assert '<option value="movilidad" selected>Movilidad y Tránsito</option>' in html


def test_the_department_filter_is_in_the_readers_language(client: FlaskClient) -> None:
    html = client.get("/?lang=en").get_data(as_text=True)
    assert ">Economic Development</option>" in html and ">Mobility and Transit</option>" in html
    assert "Desarrollo Económico" not in html


def test_procedure_page_shows_the_official_catalog_information(client: FlaskClient) -> None:
    html = client.get("/tramites/licencia-funcionamiento/informacion").get_data(as_text=True)
    for label in (
        "Homoclave",
        "Requisitos",
        "Fundamento jurídico",
        "Plazo máximo de respuesta",
        "Oficinas y horarios",
        "Vigencia del resultado",
        "Costo",
    ):
        assert label in html
    assert "CHO-DE-" in html


def test_unknown_procedure_is_a_404_page_not_a_500(client: FlaskClient) -> None:
    page = client.get("/tramites/no-existe/informacion")
    assert page.status_code == 404
    assert "No encontramos" in page.get_data(as_text=True)


def test_liaison_text_is_escaped(app: Flask, client: FlaskClient) -> None:
    doc = copy.deepcopy(MINI)
    doc["key"] = "con-script"
    doc["title"] = {"es": "<script>alert(1)</script> Trámite"}
    catalog = app.extensions["tramita"].catalog
    catalog.save_draft(doc)
    catalog.publish("con-script")
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_login_and_logout(client: FlaskClient) -> None:
    form = client.get("/entrar").get_data(as_text=True)
    token = csrf_from(form)
    bad = client.post(
        "/entrar", data={"email": "ciudadano@demo.gob.mx", "password": "x", "csrf_token": token}
    )
    assert bad.status_code == 400
    assert "Correo o contraseña incorrectos" in bad.get_data(as_text=True)
    ok = client.post(
        "/entrar",
        data={"email": "ciudadano@demo.gob.mx", "password": "demo12345", "csrf_token": token},
    )
    assert ok.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "María López Hernández" in home
    out = client.post("/salir", data={"csrf_token": csrf_from(home)})
    assert out.status_code == 302
    assert "Entrar" in client.get("/").get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    page = client.post("/entrar", data={"email": "ciudadano@demo.gob.mx", "password": "demo12345"})
    assert page.status_code == 400
    assert "<html" in page.get_data(as_text=True)


def test_open_redirects_are_refused_after_login(client: FlaskClient) -> None:
    token = csrf_from(client.get("/entrar").get_data(as_text=True))
    page = client.post(
        "/entrar?next=//evil.example",
        data={"email": "ciudadano@demo.gob.mx", "password": "demo12345", "csrf_token": token},
    )
    assert page.headers["Location"] == "/"


def test_demo_password_is_refused_outside_demo_mode(sqlite_url: str, app_factory) -> None:  # type: ignore[no-untyped-def]
    demo = app_factory(sqlite_url)
    seed_demo(demo.extensions["tramita"].engine, demo_mode=True)
    prod = app_factory(sqlite_url, demo_mode=False)
    client = prod.test_client()
    page = post_login(client, "admin@demo.gob.mx")
    assert page.status_code == 400


def test_admin_sees_and_retries_dead_letters(app: Flask, client: FlaskClient) -> None:
    from sqlalchemy import insert

    from workflow_engine.persistence.models import OutboxMessage, table
    from workflow_engine.persistence.types import utcnow

    services = app.extensions["tramita"]
    with services.engine.begin() as conn:
        conn.execute(
            insert(table(OutboxMessage)).values(
                kind="notify",
                idempotency_key="x:1",
                payload={"template": "none", "to": "nobody"},
                status="dead",
                attempts=8,
                last_error="ConnectionRefusedError: SMTP caído",
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
        )
    assert client.get("/admin/outbox").status_code == 401
    login(client, "ciudadano@demo.gob.mx")
    assert client.get("/admin/outbox").status_code == 404
    client.post("/salir", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    login(client, "admin@demo.gob.mx")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "SMTP caído" in page
    services.outbox.handlers["notify"] = lambda item: None
    done = client.post(
        "/admin/outbox/reintentar", data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    assert "Completados: 1" in done.get_data(as_text=True)
    assert services.outbox.dead_letters() == []


def test_error_pages_keep_http_headers_and_speak_the_readers_language(
    app_factory: Any, db_url: str
) -> None:
    """A 405 names the allowed methods (page and API); an error page is entirely in the
    reader's language."""
    client = app_factory(db_url).test_client()
    page = client.put("/entrar")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]
    api = client.put("/api/v1/openapi.json")
    assert api.status_code == 405 and "GET" in api.headers["Allow"]
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "We could not find" in english and "Code 404." in english
    assert "Volver" not in english and "Código" not in english
    spanish = client.get("/no-such-page?lang=es").get_data(as_text=True)
    assert "No encontramos" in spanish and "Código 404." in spanish
