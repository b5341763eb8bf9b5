"""Bank reconciliation against the real database: a bank's file (CSV or fixed-width) settles the
cases whose references it pays, once; re-importing changes nothing; unknown references,
repeated lines, wrong amounts and unreadable lines are reported with their line numbers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from connectors.payments.bankfile import BankFileError, fixed_line, fixed_trailer
from connectors.payments.reconciliation import reconcile_file
from tests.helpers.reconciliation import awaiting_payment, pesos
from tests.helpers.web import csrf_token, login
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.models import LedgerPayment, PaymentEvent, table

CITIZEN = "ciudadano@demo.gob.mx"


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    app: Flask = app_factory(db_url)
    assert app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    return app


def status_of(app: Flask, case_id: int) -> str:
    return str(app.extensions["tramita"].cases.load(case_id)[0].status)


def count(app: Flask, model: Any) -> int:
    with app.extensions["tramita"].engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table(model))).scalar_one())


def reconcile(app: Flask, data: bytes, fmt: str, mapping: Any = None, bank: str = "banorte"):  # type: ignore[no-untyped-def]
    services = app.extensions["tramita"]
    return reconcile_file(services.engine, services.cases, data, fmt, mapping, bank=bank)


def test_csv_settles_cases_and_reimport_changes_nothing(app: Flask) -> None:
    (case_a, order_a), (case_b, order_b), (case_c, order_c) = (
        awaiting_payment(app) for _ in range(3)
    )
    today = date.today().isoformat()
    # A real-looking export: semicolons, decimal comma, Latin-1, its own column names,
    # the reference written with spaces, one line repeated, one unknown, one short-paid.
    rows = [
        "Folio banco;Fecha;Línea de captura;Importe;Divisa",
        f"A-1;{today};{order_a.reference[:5]} {order_a.reference[5:]};"
        f"{pesos(order_a.amount_cents, ',')};MXN",
        f"A-2;{today};{order_b.reference};{pesos(order_b.amount_cents, ',')};MXN",
        f"A-2;{today};{order_b.reference};{pesos(order_b.amount_cents, ',')};MXN",
        f"A-3;{today};CHO000000000099;100,00;MXN",
        f"A-4;{today};{order_c.reference};{pesos(order_c.amount_cents - 100, ',')};MXN",
        f"A-5;ayer;{order_c.reference};{pesos(order_c.amount_cents, ',')};MXN",
        f"A-6;{today};{order_c.reference};abc;MXN",
    ]
    data = ("\r\n".join(rows) + "\r\n").encode("latin-1")
    mapping = {
        "columns": {
            "reference": "Línea de captura",
            "amount": "importe",
            "currency": "Divisa",
            "date": "Fecha",
            "line_id": "Folio banco",
        },
        "delimiter": ";",
        "decimal": ",",
        "encoding": "latin-1",
    }
    report = reconcile(app, data, "csv", mapping)

    assert report.source == "bank:banorte"
    assert report.counts() == {
        "recorded": 2,
        "duplicate": 1,
        "unmatched": 1,
        "refused": 1,
        "malformed": 2,
    }
    assert {line.line for line in report.recorded} == {2, 3}
    assert all(line.folio for line in report.recorded)
    assert [line.line for line in report.duplicates] == [4]
    assert [(line.line, line.reference) for line in report.unmatched] == [(5, "CHO000000000099")]
    assert [(line.line, line.reason) for line in report.refused] == [(6, "amount_mismatch")]
    assert {line.line for line in report.malformed} == {7, 8}
    assert "fecha" in report.malformed[0].reason and "importe" in report.malformed[1].reason

    assert status_of(app, case_a) != case_state.AWAITING_PAYMENT
    assert status_of(app, case_b) != case_state.AWAITING_PAYMENT
    assert status_of(app, case_c) == case_state.AWAITING_PAYMENT  # short-paid: still waiting
    payments, events = count(app, LedgerPayment), count(app, PaymentEvent)
    assert payments == 2

    again = reconcile(app, data, "csv", mapping)
    assert again.counts() == {
        "recorded": 0,
        "duplicate": 3,
        "unmatched": 1,
        "refused": 1,
        "malformed": 2,
    }
    assert [(line.line, line.reason) for line in again.refused] == [(6, "amount_mismatch")]
    assert (count(app, LedgerPayment), count(app, PaymentEvent)) == (payments, events)


def test_fixed_width_file_settles_a_case(app: Flask, tmp_path: Path) -> None:
    case_id, order = awaiting_payment(app)
    lines = [
        "H BANCO DEL BAJIO 20260115",
        fixed_line(date.today(), "", order.reference, order.amount_cents),
        fixed_line(date.today(), "BX-2", "CHO12345678", 5000, "USD"),
        "D2026011 too short",
        fixed_trailer(2, order.amount_cents + 5000),
    ]
    path = tmp_path / "bajio.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = reconcile(app, path.read_bytes(), "fixed", bank="Banco del Bajío")
    assert report.source == "bank:banco-del-bajío"
    assert report.counts()["recorded"] == 1
    assert [line.line for line in report.unmatched] == [3]
    assert [line.line for line in report.malformed] == [4]
    assert status_of(app, case_id) != case_state.AWAITING_PAYMENT

    services = app.extensions["tramita"]
    # by path too, and again: the line without a bank id is recognised by its hash
    again = reconcile_file(
        services.engine, services.cases, path, "fixed", {"bank": "Banco del Bajío"}
    )
    assert again.counts()["duplicate"] == 1 and again.counts()["recorded"] == 0
    # the same money reported by another bank is a second payment: refused, not recorded
    other = reconcile(app, path.read_bytes(), "fixed", bank="otro")
    assert [(line.line, line.reason) for line in other.refused] == [(2, "already_paid")]


def test_wrong_currency_is_refused(app: Flask) -> None:
    case_id, order = awaiting_payment(app)
    data = (
        "referencia,importe,moneda,fecha,id\n"
        f"{order.reference},{pesos(order.amount_cents)},USD,{date.today():%d/%m/%Y},X1\n"
    ).encode()
    report = reconcile(app, data, "csv")
    assert [(line.line, line.reason) for line in report.refused] == [(2, "currency_mismatch")]
    assert status_of(app, case_id) == case_state.AWAITING_PAYMENT


def test_unreadable_files_say_why(app: Flask) -> None:
    with pytest.raises(BankFileError) as missing:
        reconcile(app, b"uno,dos\n1,2\n", "csv")
    assert "Faltan columnas" in missing.value.message("es")
    with pytest.raises(BankFileError) as encoding:
        reconcile(app, "referencia,importe,fecha\nÑ,1,2026-01-01\n".encode("latin-1"), "csv")
    assert "latin-1" in encoding.value.message("es")
    with pytest.raises(BankFileError):
        reconcile(app, b"%PDF-1.4\x00\x00", "csv")
    with pytest.raises(BankFileError):
        reconcile(app, b"x", "xlsx")


def test_cli_reconciles_a_file(app: Flask, tmp_path: Path) -> None:
    case_id, order = awaiting_payment(app)
    path = tmp_path / "pagos.csv"
    path.write_text(
        "ref|monto|dia\n"
        f"{order.reference}|{pesos(order.amount_cents)}|{date.today():%Y%m%d}\n"
        "NOEXISTE1|10.00|20260101\n",
        encoding="utf-8",
    )
    mapping = json.dumps(
        {
            "columns": {"reference": "ref", "amount": "monto", "date": "dia"},
            "delimiter": "|",
            "date_format": "%Y%m%d",
        }
    )
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["payments", "reconcile", str(path), "--format", "csv", "--mapping", mapping]
    )
    assert result.exit_code == 0, result.output
    assert "registrados: 1" in result.output
    assert "sin coincidencia: 1" in result.output and "línea 3" in result.output
    assert status_of(app, case_id) != case_state.AWAITING_PAYMENT

    bad = runner.invoke(args=["payments", "reconcile", str(path), "--format", "csv"])
    assert bad.exit_code == 1 and "Faltan columnas" in bad.output


# -- the upload page ------------------------------------------------------------------------


def _client(app: Flask, email: str | None) -> Any:
    client = app.test_client()
    return login(client, email) if email else client


def _upload(client: Any, data: bytes, name: str = "pagos.csv", **fields: str) -> Any:
    import io

    form: dict[str, Any] = {
        "csrf_token": csrf_token(client, "/tesoreria/conciliacion"),
        "bank": "Banorte",
        "format": "csv",
        "archivo": (io.BytesIO(data), name),
    }
    form.update(fields)
    return client.post("/tesoreria/conciliacion", data=form, content_type="multipart/form-data")


def test_upload_page_for_treasury_only(app: Flask) -> None:
    assert _client(app, None).get("/tesoreria/conciliacion").status_code in (302, 401)
    for email in (CITIZEN, "funcionario@demo.gob.mx"):
        assert _client(app, email).get("/tesoreria/conciliacion").status_code == 404
    assert _client(app, "admin@demo.gob.mx").get("/tesoreria/conciliacion").status_code == 200

    case_id, order = awaiting_payment(app)
    cashier = _client(app, "tesoreria@demo.gob.mx")
    page = cashier.get("/tesoreria/conciliacion")
    assert page.status_code == 200 and "Conciliación bancaria" in page.get_data(True)
    assert "no-store" in page.headers["Cache-Control"]

    without_token = cashier.post("/tesoreria/conciliacion", data={"bank": "x"})
    assert without_token.status_code == 400

    wrong_type = _upload(cashier, b"%PDF-1.4", name="pagos.pdf")
    assert wrong_type.status_code == 400 and "debe ser de texto" in wrong_type.get_data(True)
    not_text = _upload(cashier, b"\x00\x01\x02referencia", name="pagos.csv")
    assert not_text.status_code == 400 and "no es de texto" in not_text.get_data(True)
    no_bank = _upload(cashier, b"referencia,importe,fecha\n", bank="")
    assert no_bank.status_code == 400 and "nombre del banco" in no_bank.get_data(True)
    from app.treasury import forms as treasury

    limit = treasury.MAX_FILE_BYTES
    treasury.MAX_FILE_BYTES = 1000  # the real 20 MB would only make the test slow
    try:
        too_big = _upload(cashier, b"a" * 1001)
    finally:
        treasury.MAX_FILE_BYTES = limit
    assert too_big.status_code == 400 and "pesa más de" in too_big.get_data(True)

    data = (
        "referencia,importe,fecha,id\n"
        f"{order.reference},{pesos(order.amount_cents)},{date.today().isoformat()},B1\n"
        "<script>x</script>,10.00,2026-01-01,B2\n"
    ).encode()
    done = _upload(cashier, data)
    html = done.get_data(True)
    assert done.status_code == 200, html
    assert 'id="count-recorded">1<' in html and 'id="count-malformed">1<' in html
    assert "<script>x" not in html
    assert status_of(app, case_id) != case_state.AWAITING_PAYMENT
    again = _upload(cashier, data).get_data(True)
    assert 'id="count-recorded">0<' in again and 'id="count-duplicate">1<' in again
