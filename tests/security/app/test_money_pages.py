"""The treasury's money pages (the fiscal account, the omisos list and CSV, /tableros/ingresos
and /tableros/padron with their downloads): nobody else reaches them, files are never cached,
and what taxpayers typed cannot become markup on the page nor a formula in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from connectors import ledger
from connectors.ledger.book import taxpayers_t
from workflow_engine.persistence.types import utcnow

PAGES = (
    "/tesoreria/contribuyentes/{taxpayer}",
    "/tesoreria/omisos",
    "/tesoreria/omisos.csv",
    "/tesoreria/omisos?orden=nombre&antiguedad=365%2B",
    "/tableros/ingresos",
    "/tableros/ingresos?descargar=mes&formato=csv",
    "/tableros/ingresos?descargar=ordenes&formato=xlsx",
    "/tableros/ingresos?canal=bank&descargar=canal&formato=csv",
    "/tableros/padron",
    "/tableros/padron?descargar=registros&formato=csv",
)
HOSTILE = '=HYPERLINK("http://x.invalid","<b>pague aquí</b>")'


@pytest.fixture
def hostile_taxpayer(security_app: Flask) -> int:
    """A taxpayer whose name and object are a spreadsheet formula with markup, overdue."""
    with security_app.extensions["tramita"].engine.begin() as conn:
        owner = int(
            conn.execute(
                insert(taxpayers_t)
                .values(kind="fisica", name=HOSTILE, tax_id="-1+1", created_at=utcnow())
                .returning(taxpayers_t.c.id)
            ).scalar_one()
        )
        thing = ledger.register_object(
            conn, taxpayer_id=owner, kind="business", key="@SUM(A1)", description=HOSTILE
        )
        ledger.charge(
            conn,
            idempotency_key="hostile",
            taxpayer_id=owner,
            concept=HOSTILE,
            amount_cents=1000,
            currency="MXN",
            due_on=date(2020, 1, 31),
            object_id=thing,
        )
    return owner


@pytest.mark.parametrize("role", ["citizen", "official", "liaison"])
def test_nobody_but_treasury_admins_and_the_mayors_office_reaches_them(
    login_as: Callable[[str], FlaskClient], hostile_taxpayer: int, role: str
) -> None:
    client = login_as(role)
    for page in PAGES:
        path = page.format(taxpayer=hostile_taxpayer)
        assert client.get(path).status_code == 404, (role, path)


def test_anonymous_visitors_are_sent_to_log_in(security_app: Flask, hostile_taxpayer: int) -> None:
    client = security_app.test_client()
    for page in PAGES:
        answer = client.get(page.format(taxpayer=hostile_taxpayer))
        assert answer.status_code in (302, 401), page
        if answer.status_code == 302:
            assert answer.headers["Location"].startswith("/entrar")


def test_files_are_private_and_hostile_text_stays_text(
    login_as: Callable[[str], FlaskClient], hostile_taxpayer: int
) -> None:
    treasury = login_as("treasury")
    for page in PAGES:
        answer = treasury.get(page.format(taxpayer=hostile_taxpayer))
        assert answer.status_code == 200, page
        if "csv" in page or "xlsx" in page:
            assert "no-store" in answer.headers["Cache-Control"], page
    account = treasury.get(f"/tesoreria/contribuyentes/{hostile_taxpayer}")
    html = account.get_data(as_text=True)
    assert "<b>pague aquí</b>" not in html and "&lt;b&gt;pague aquí&lt;/b&gt;" in html
    rows = list(
        csv.reader(io.StringIO(treasury.get("/tesoreria/omisos.csv").get_data(as_text=True)))
    )
    mine = next(r for r in rows if r[3].endswith(HOSTILE))
    assert [mine[1], mine[2], mine[3], mine[4]] == [
        "'@SUM(A1)",
        "'" + HOSTILE,
        "'" + HOSTILE,
        "'-1+1",
    ]
