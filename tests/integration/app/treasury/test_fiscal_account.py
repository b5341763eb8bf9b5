"""The consolidated fiscal account page and the omisos list with ageing, over HTTP: what
treasury sees, who else gets a 404, every look in the audit log, the CSV equal to the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update

from tests.helpers.ledger import OMISOS_TODAY, awaiting_payment, paid, recorder, seed_omisos
from tests.helpers.web import forge_login
from workflow_engine.engine import Actor, StartCase
from workflow_engine.persistence.models import AuditLog, Case, Obligation, Taxpayer, User, table
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.types import replaying

TREASURY = "tesoreria@demo.gob.mx"
KEY = "constancia-residencia"


def client_for(demo_app: Flask, email: str) -> FlaskClient:
    client = demo_app.test_client()
    account = Accounts(demo_app.extensions["tramita"].engine, demo_mode=True).by_email(email)
    assert account is not None
    forge_login(client, account.id)
    return client


def folio_of(demo_app: Flask, case_id: int) -> str:
    cases = table(Case)
    with demo_app.extensions["tramita"].engine.connect() as conn:
        return str(conn.execute(select(cases.c.folio).where(cases.c.id == case_id)).scalar_one())


def test_the_account_shows_objects_obligations_history_payments_and_cases(
    demo_app: Flask,
) -> None:
    engine = demo_app.extensions["tramita"].engine
    paid_case, order = awaiting_payment(demo_app)
    assert recorder(demo_app).record(paid(order)).status == "recorded"
    owed_case, owed = awaiting_payment(demo_app)
    obligations = table(Obligation)
    with engine.begin() as conn:  # the second order's charge left unpaid past its date
        conn.execute(
            update(obligations)
            .where(obligations.c.reference == owed.reference)
            .values(due_on=date(2020, 1, 31))
        )
        taxpayer_id = conn.execute(
            select(table(Taxpayer).c.id).where(table(Taxpayer).c.user_id.is_not(None))
        ).scalar_one()
    page = client_for(demo_app, TREASURY).get(f"/tesoreria/contribuyentes/{taxpayer_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Cuenta fiscal consolidada" in html
    for folio in (folio_of(demo_app, paid_case), folio_of(demo_app, owed_case)):
        assert folio in html
    assert "Orden de pago emitida" in html and "Pagado: Pago en línea" in html
    assert "Lo presentó" in html  # the cases the citizen filed
    overdue = html.split('id="vencidos"', 1)[1].split("</section>", 1)[0]
    assert "31 de enero de 2020" in overdue and "Sin adeudos vencidos" not in overdue
    payments = html.split('id="pagos"', 1)[1].split("</section>", 1)[0]
    assert order.reference in payments and owed.reference not in payments
    audit = table(AuditLog)
    with engine.connect() as conn:
        rows = conn.execute(
            select(audit.c.action, audit.c.target_type, audit.c.target_id).where(
                audit.c.target_type == "taxpayer"
            )
        ).all()
    assert [tuple(r) for r in rows] == [("taxpayer_account.viewed", "taxpayer", str(taxpayer_id))]


def test_only_treasury_and_admins_see_an_account_and_each_look_is_logged(
    demo_app: Flask,
) -> None:
    awaiting_payment(demo_app)
    for email in ("ciudadano@demo.gob.mx", "funcionario@demo.gob.mx", "enlace@demo.gob.mx"):
        assert client_for(demo_app, email).get("/tesoreria/contribuyentes/1").status_code == 404
    assert demo_app.test_client().get("/tesoreria/contribuyentes/1").status_code in (302, 401)
    admin = client_for(demo_app, "admin@demo.gob.mx")
    assert admin.get("/tesoreria/contribuyentes/1").status_code == 200
    assert admin.get("/tesoreria/contribuyentes/999").status_code == 404
    audit = table(AuditLog)
    with demo_app.extensions["tramita"].engine.connect() as conn:
        looks = conn.execute(
            select(func.count()).where(audit.c.action == "taxpayer_account.viewed")
        ).scalar_one()
    assert looks == 1  # the refused and the unknown leave no trace
    audit_page = admin.get("/admin/auditoria").get_data(as_text=True)
    assert "Consultó la cuenta fiscal de un contribuyente" in audit_page


def _rows(html: str) -> list[str]:
    """The object keys of the omisos table, in order."""
    table_html = html.split('aria-label="Omisos"', 1)[1]
    return re.findall(r"Negocio (O\d)", table_html)


def test_omisos_ageing_sorting_paging_and_csv_equal_to_the_page(demo_app: Flask) -> None:
    seed_omisos(demo_app.extensions["tramita"].engine)
    treasury = client_for(demo_app, TREASURY)
    with replaying(lambda: datetime(2026, 3, 10, 18, tzinfo=UTC)):
        assert date(2026, 3, 10) == OMISOS_TODAY
        page = treasury.get("/tesoreria/omisos").get_data(as_text=True)
        by_age = treasury.get("/tesoreria/omisos?orden=antiguedad").get_data(as_text=True)
        by_name = treasury.get("/tesoreria/omisos?orden=nombre").get_data(as_text=True)
        bucket = treasury.get("/tesoreria/omisos?antiguedad=0-30&orden=nombre")
        exported = treasury.get("/tesoreria/omisos.csv?antiguedad=0-30&orden=nombre")
        everything = treasury.get("/tesoreria/omisos.csv?orden=importe")
        bad = [
            treasury.get(f"/tesoreria/omisos?{q}").status_code
            for q in ("antiguedad=1-2", "orden=talla", "pagina=0", "pagina=x")
        ]
        beyond = treasury.get("/tesoreria/omisos?pagina=2").status_code
    assert _rows(page) == ["O1", "O5", "O4", "O3", "O2"]  # largest amount first by default
    assert _rows(by_age) == ["O5", "O4", "O3", "O2", "O1"]
    assert _rows(by_name) == ["O2", "O1", "O3", "O5", "O4"]
    assert 'aria-sort="descending"' in page and by_name.count('aria-sort="ascending"') == 1
    ageing = page.split('id="antiguedad-titulo"', 1)[1].split("</section>", 1)[0]
    cells = re.findall(r"<t[dh][^>]*>(?:<a[^>]*>)?([^<]+)", ageing.split("<tbody>", 1)[1])
    assert cells[:3] == ["1 a 30 días", "2", "$800.00"]
    assert "Más de 365 días" in ageing and "91 a 180 días" not in ageing
    assert "$2,050.00" in ageing  # the total
    assert _rows(bucket.get_data(as_text=True)) == ["O2", "O1"]
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert [line[1] for line in lines[1:]] == ["O2", "O1"]
    assert [line[-2:] for line in lines[1:]] == [["30", "0-30"], ["1", "0-30"]]
    assert [line[6] for line in lines[1:]] == ["200.00", "600.00"]
    every = list(csv.reader(io.StringIO(everything.get_data(as_text=True))))
    assert [line[1] for line in every[1:]] == _rows(page)
    assert bad == [400, 400, 400, 400] and beyond == 404
    cli = demo_app.test_cli_runner()
    with replaying(lambda: datetime(2026, 3, 10, 18, tzinfo=UTC)):
        out = cli.invoke(args=["ledger", "omisos", "--ageing", "0-30", "--sort", "name"])
    assert out.exit_code == 0 and list(csv.reader(io.StringIO(out.output))) == lines


def _citizen(conn: Any, email: str, curp: str | None) -> str:
    users = table(User)
    user_id = conn.execute(
        insert(users)
        .values(email=email, name=email.split("@")[0], role="citizen", role_tags=[], curp=curp)
        .returning(users.c.id)
    ).scalar_one()
    return str(user_id)


def _cases_table(html: str) -> str:
    found = re.search(r"<h2[^>]*>\s*Trámites.*?</table>", html, re.S)
    assert found is not None, "no cases table"
    return found.group(0)


def test_cases_whose_applicant_carries_the_taxpayers_rfc_are_listed_once(
    demo_app: Flask,
) -> None:
    """The holder's own cases, and a case filed by another account whose CURP/RFC is the
    taxpayer's RFC (written in lower case with spaces): listed, each once; a look-alike RFC
    (one character off) and another taxpayer's page: not."""
    services = demo_app.extensions["tramita"]
    taxpayers = table(Taxpayer)
    with services.engine.begin() as conn:
        holder = _citizen(conn, "titular@example.mx", "CCE010101AB1")
        other = _citizen(conn, "gestor@example.mx", " cce 010101 ab1 ")
        lookalike = _citizen(conn, "parecido@example.mx", "CCE010101AB2")
        stranger = _citizen(conn, "otra@example.mx", "OTR010101AB1")
        taxpayer_id = conn.execute(
            insert(taxpayers)
            .values(kind="moral", name="Comercial del Centro", tax_id="CCE010101AB1",
                    user_id=int(holder), created_at=datetime.now(UTC))
            .returning(taxpayers.c.id)
        ).scalar_one()  # fmt: skip
        stranger_taxpayer = conn.execute(
            insert(taxpayers)
            .values(kind="fisica", name="Otra Persona", tax_id="OTR010101AB1",
                    user_id=int(stranger), created_at=datetime.now(UTC))
            .returning(taxpayers.c.id)
        ).scalar_one()  # fmt: skip

    def start(user_id: str) -> str:
        actor = Actor(id=user_id, kind="citizen", name="x")
        return str(services.cases.start(KEY, StartCase(at=datetime.now(UTC), actor=actor)).folio)

    own, filed_by_other, near, strangers = (start(u) for u in (holder, other, lookalike, stranger))
    treasury = client_for(demo_app, TREASURY)
    cases = _cases_table(
        treasury.get(f"/tesoreria/contribuyentes/{taxpayer_id}").get_data(as_text=True)
    )
    assert cases.count(own) == 1 and cases.count(filed_by_other) == 1
    assert near not in cases and strangers not in cases
    assert "Su solicitante dio este RFC o CURP" in cases
    theirs = _cases_table(
        treasury.get(f"/tesoreria/contribuyentes/{stranger_taxpayer}").get_data(as_text=True)
    )
    assert strangers in theirs
    assert own not in theirs and filed_by_other not in theirs and near not in theirs
