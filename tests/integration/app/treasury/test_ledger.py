"""The account statement for the citizen and treasury, the omisos report and its CSV, and the
ledger CLI, over real HTTP on a real database."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from tests.helpers.ledger import approved_licence as walk_licence
from tests.helpers.ledger import (
    awaiting_payment,
    paid,
    recorder,
)
from tests.helpers.web import forge_login
from workflow_engine.persistence.models import Obligation, TaxableObject, table
from workflow_engine.persistence.platform.accounts import Accounts

TREASURY = "tesoreria@demo.gob.mx"


def client_for(demo_app: Flask, email: str) -> FlaskClient:
    client = demo_app.test_client()
    account = Accounts(demo_app.extensions["tramita"].engine, demo_mode=True).by_email(email)
    assert account is not None
    forge_login(client, account.id)
    return client


def approved_licence(demo_app: Flask) -> str:
    return str(walk_licence(demo_app).folio)


def test_the_citizen_sees_charges_payments_and_registered_business(demo_app: Flask) -> None:
    folio = approved_licence(demo_app)
    page = client_for(demo_app, "ciudadano@demo.gob.mx").get("/mi-cuenta")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Estado de cuenta" in html
    assert folio in html  # the licence fee's concept and the registered business
    assert "Pago en línea" in html
    assert "$0.00" in html  # paid in full


def test_an_empty_account_says_so(demo_app: Flask) -> None:
    html = client_for(demo_app, "ciudadano@demo.gob.mx").get("/mi-cuenta").get_data(as_text=True)
    assert "Aún no tiene adeudos" in html


def test_treasury_finds_the_taxpayer_and_exports_omisos(demo_app: Flask) -> None:
    folio = approved_licence(demo_app)
    engine = demo_app.extensions["tramita"].engine
    with engine.connect() as conn:  # charged from the year of registration on
        recurring = conn.execute(select(table(TaxableObject).c.recurring)).scalar_one()
    year = int(recurring["from_year"])
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["ledger", "generate-charges", "--year", str(year)])
    assert result.exit_code == 0 and "1 cargos nuevos" in result.output
    again = runner.invoke(args=["ledger", "generate-charges", "--year", str(year)])
    assert "0 cargos nuevos" in again.output
    with engine.begin() as conn:  # left unpaid past its date
        obligations = table(Obligation)
        conn.execute(
            update(obligations)
            .where(obligations.c.kind == "recurring")
            .values(due_on=date(year - 1, 3, 31))
        )
    treasury = client_for(demo_app, TREASURY)
    found = treasury.get("/tesoreria/contribuyentes", query_string={"q": "CEC150610"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "CEC150610K90" in html
    statement = treasury.get("/tesoreria/contribuyentes/1").get_data(as_text=True)
    assert f"Refrendo anual de licencia de funcionamiento {year}" in statement
    assert "Vencido" in statement
    report = treasury.get("/tesoreria/omisos").get_data(as_text=True)
    assert folio in report
    exported = treasury.get("/tesoreria/omisos.csv", query_string={"tipo": "business"})
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][0] == "tipo" and rows[1][1] == folio and rows[1][5] == "1"
    assert treasury.get("/tesoreria/omisos", query_string={"tipo": "nave"}).status_code == 400
    cli = runner.invoke(args=["ledger", "omisos"])
    assert folio in cli.output


def test_only_treasury_and_admins_reach_treasury_pages(demo_app: Flask) -> None:
    for email in ("ciudadano@demo.gob.mx", "funcionario@demo.gob.mx"):
        client = client_for(demo_app, email)
        for url in (
            "/tesoreria/contribuyentes?q=a",
            "/tesoreria/contribuyentes/1",
            "/tesoreria/omisos",
            "/tesoreria/omisos.csv",
        ):
            assert client.get(url).status_code == 404, (email, url)
    assert client_for(demo_app, "admin@demo.gob.mx").get("/tesoreria/omisos").status_code == 200
    assert demo_app.test_client().get("/mi-cuenta").status_code == 302


def test_the_payment_slip_is_offered_while_the_order_is_pending(demo_app: Flask) -> None:
    from sqlalchemy import select

    from workflow_engine.persistence.models import Case, table

    case_id, order = awaiting_payment(demo_app)
    with demo_app.extensions["tramita"].engine.connect() as conn:
        folio = conn.execute(
            select(table(Case).c.folio).where(table(Case).c.id == case_id)
        ).scalar_one()
    owner = client_for(demo_app, "ciudadano@demo.gob.mx")
    page = owner.get(f"/expedientes/{folio}").get_data(as_text=True)
    assert f"/expedientes/{folio}/orden-de-pago.pdf" in page
    slip = owner.get(f"/expedientes/{folio}/orden-de-pago.pdf")
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    assert slip.headers["Content-Type"] == "application/pdf"
    handling = client_for(demo_app, "funcionario@demo.gob.mx")  # the department reviewing the case
    assert handling.get(f"/expedientes/{folio}/orden-de-pago.pdf").status_code == 200
    other = client_for(demo_app, TREASURY)
    assert other.get(f"/expedientes/{folio}/orden-de-pago.pdf").status_code == 404
    recorder(demo_app).record(paid(order))
    assert owner.get(f"/expedientes/{folio}/orden-de-pago.pdf").status_code == 404  # paid


def test_the_statement_names_identity_numbers_by_their_type(demo_app: Flask) -> None:
    from sqlalchemy import insert

    from connectors.ledger.book import taxpayers_t
    from workflow_engine.persistence.types import utcnow

    engine = demo_app.extensions["tramita"].engine
    with engine.begin() as conn:
        ids = [
            conn.execute(
                insert(taxpayers_t)
                .values(kind=kind, name=name, tax_id=tax_id, curp=curp, created_at=utcnow())
                .returning(taxpayers_t.c.id)
            ).scalar_one()
            for kind, name, tax_id, curp in (
                ("moral", "Ferretería del Istmo, S.A.", "155634567-2-2016 DV 45", None),
                ("fisica", "Ana Pérez", "GODE561231GR8", "HELG850312MPLRPD05"),
                ("fisica", "José Ríos", None, "8-745-1290"),
            )
        ]
    treasury = client_for(demo_app, TREASURY)
    pages = [treasury.get(f"/tesoreria/contribuyentes/{i}").get_data(as_text=True) for i in ids]
    assert "<dt>RUC</dt><dd>155634567-2-2016 DV 45</dd>" in pages[0] and "RFC" not in pages[0]
    assert "<dt>RFC</dt><dd>GODE561231GR8</dd>" in pages[1]
    assert "<dt>CURP</dt><dd>HELG850312MPLRPD05</dd>" in pages[1]
    assert "<dt>Cédula</dt><dd>8-745-1290</dd>" in pages[2] and "CURP" not in pages[2]


def test_taxpayer_search_ignores_accents_and_case(demo_app: Flask) -> None:
    from sqlalchemy import insert

    from connectors.ledger.book import taxpayers_t
    from workflow_engine.persistence.types import utcnow

    with demo_app.extensions["tramita"].engine.begin() as conn:
        for name in ("Ferretería del Istmo, S.A.", "José Ríos Núñez", "Ana Pérez"):
            conn.execute(insert(taxpayers_t).values(kind="fisica", name=name, created_at=utcnow()))
    treasury = client_for(demo_app, TREASURY)

    def found(q: str) -> str:
        page = treasury.get("/tesoreria/contribuyentes", query_string={"q": q})
        assert page.status_code == 200
        return page.get_data(as_text=True)

    assert "Ferretería del Istmo" in found("FERRETERIA istmo")
    assert "José Ríos Núñez" in found("jose nunez")
    assert "José Ríos Núñez" in found("RÍOS")
    assert "Ana Pérez" in found("perez")
    assert "Ana Pérez" not in found("rios")
