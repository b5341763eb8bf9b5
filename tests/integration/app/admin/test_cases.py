"""Administrators see every case (filters, accent-blind search, pages; each case read-only and
its look logged) and every procedure with its versions and revisions; nobody else does; the
navigation reaches every administration and treasury page; connectors are described in words."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.helpers import cases
from tests.helpers.web import login
from workflow_engine.persistence.models import CaseAccess, table

ADMIN = "admin@demo.gob.mx"
KEY = "constancia-residencia"


@pytest.fixture
def app(demo_cases_url: str, app_factory: Any) -> Flask:
    """The demo, its cases included, on each backend (seeded once per session)."""
    app: Flask = app_factory(demo_cases_url)
    return app


def _client(app: Flask, email: str | None) -> Any:
    client = app.test_client()
    return login(client, email) if email else client


def test_admin_lists_filters_and_reads_every_case(app: Flask) -> None:
    case_id, _order = cases.awaiting_payment(app, KEY)
    row = app.extensions["tramita"].cases.load(case_id)[0]
    folio = row.folio
    admin = _client(app, ADMIN)

    listing = admin.get("/admin/expedientes")
    assert listing.status_code == 200 and folio in listing.get_data(True)
    with app.extensions["tramita"].engine.connect() as conn:
        name = conn.execute(
            select(table_cases().c.applicant_name).where(table_cases().c.id == case_id)
        ).scalar_one()
    assert name
    folded = name.upper().replace("Í", "I").replace("É", "E").replace("Á", "A")
    for q in (name.lower(), folded, folio.lower()):
        page = admin.get("/admin/expedientes", query_string={"q": q}).get_data(True)
        assert folio in page, q
    filtered = admin.get(
        "/admin/expedientes", query_string={"tramite": KEY, "estado": "awaiting_payment"}
    ).get_data(True)
    assert folio in filtered
    other = admin.get("/admin/expedientes", query_string={"estado": "closed"}).get_data(True)
    assert folio not in other
    assert admin.get("/admin/expedientes?estado=nope").status_code == 400
    assert admin.get("/admin/expedientes?tramite=nope").status_code == 400
    assert admin.get("/admin/expedientes?pagina=x").status_code == 400
    assert "Ningún expediente" in admin.get("/admin/expedientes?q=zzzzqqq").get_data(True)

    detail = admin.get(f"/admin/expedientes/{folio}")
    html = detail.get_data(True)
    assert detail.status_code == 200 and "sólo para lectura" in html and "Historial" in html
    assert "/tomar" not in html and "/decidir" not in html
    with app.extensions["tramita"].engine.connect() as conn:
        looks = conn.execute(
            select(func.count())
            .select_from(table(CaseAccess))
            .where(table(CaseAccess).c.case_id == case_id)
        ).scalar_one()
    assert looks >= 1
    assert admin.get("/admin/expedientes/CHO-2020-999999").status_code == 404


def table_cases() -> Any:
    from workflow_engine.persistence.models import Case

    return table(Case)


def test_admin_sees_procedures_with_versions_and_states(app: Flask) -> None:
    admin = _client(app, ADMIN)
    page = admin.get("/admin/tramites").get_data(True)
    assert KEY in page and "Publicado" in page
    detail = admin.get(f"/admin/tramites/{KEY}")
    html = detail.get_data(True)
    assert detail.status_code == 200 and "Versiones publicadas" in html and "<td>1</td>" in html
    assert admin.get("/admin/tramites/no-existe").status_code == 404


def test_only_admins_reach_the_overview(app: Flask) -> None:
    _case_id, _order = cases.awaiting_payment(app, KEY)
    for path in ("/admin/expedientes", f"/admin/tramites/{KEY}", "/admin/tramites"):
        assert _client(app, None).get(path).status_code == 401
        for email in ("ciudadano@demo.gob.mx", "funcionario@demo.gob.mx", "tesoreria@demo.gob.mx"):
            assert _client(app, email).get(path).status_code == 404


def test_navigation_reaches_every_page_of_each_role(app: Flask) -> None:
    admin = _client(app, ADMIN)
    home = admin.get("/admin/usuarios").get_data(True)
    for path in (
        "/admin/expedientes",
        "/admin/tramites",
        "/admin/usuarios",
        "/admin/dependencias",
        "/admin/auditoria",
        "/admin/conectores",
        "/admin/outbox",
        "/tesoreria/contribuyentes",
        "/tesoreria/caja",
    ):
        assert f'href="{path}"' in home, path
        assert admin.get(path).status_code == 200, path
    treasury = admin.get("/tesoreria/contribuyentes").get_data(True)
    for path in (
        "/tesoreria/omisos",
        "/tesoreria/caja",
        "/tesoreria/caja/corte",
        "/tesoreria/conciliacion",
    ):
        assert f'href="{path}"' in treasury, path
    cashier = _client(app, "tesoreria@demo.gob.mx")
    assert 'href="/tesoreria/contribuyentes"' in cashier.get("/").get_data(True)
    counter = cashier.get("/tesoreria/caja").get_data(True)
    assert 'href="/tesoreria/conciliacion"' in counter and 'href="/tesoreria/caja/corte"' in counter


def test_connectors_page_speaks_words_not_variables(app: Flask, monkeypatch: Any) -> None:
    monkeypatch.setenv("GATEWAY_API_KEY", "secreto-no-mostrar")
    html = _client(app, ADMIN).get("/admin/conectores").get_data(True)
    assert "secreto-no-mostrar" not in html
    for variable in (
        "GATEWAY_API_KEY",
        "GATEWAY_WEBHOOK_SECRET",
        "COLLECTION_REST_CONFIG",
        "SIGNING_P12_PASSWORD",
    ):
        assert variable not in html
    assert "Clave de acceso a la pasarela de pagos" in html and "Sistema integrado" in html
