"""/tableros/ingresos and /tableros/padron over HTTP on the hand-made books (tests.helpers.
ledger.seed_books) with a fixed clock: the figures as summed by hand, each download equal to
its table on the page, and only the money's viewers let in."""

from __future__ import annotations

import csv
import html as markup
import io
import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.ledger import seed_books
from tests.helpers.web import forge_login
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.types import replaying

Q1 = {"desde": "01/01/2026", "hasta": "31/03/2026"}
NOW = datetime(2026, 3, 10, 18, tzinfo=UTC)  # 10 March, noon in Mexico City


def client_for(demo_app: Flask, email: str) -> FlaskClient:
    client = demo_app.test_client()
    account = Accounts(demo_app.extensions["tramita"].engine, demo_mode=True).by_email(email)
    assert account is not None
    forge_login(client, account.id)
    return client


def page_table(html: str, key: str) -> list[list[str]]:
    """The rows (header, body, footer) of table `tabla-<key>` as the page shows them."""
    found = html.split(f'id="tabla-{key}"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", found, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        rows.append([markup.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return rows


def downloaded(client: FlaskClient, path: str, key: str) -> list[list[str]]:
    answer = client.get(path, query_string={**Q1, "descargar": key, "formato": "csv"})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.fixture
def treasury(demo_app: Flask) -> FlaskClient:
    seed_books(demo_app)
    return client_for(demo_app, "tesoreria@demo.gob.mx")


def test_revenue_figures_match_the_books_and_the_downloads_match_the_page(
    treasury: FlaskClient,
) -> None:
    with replaying(lambda: NOW):
        page = treasury.get("/tableros/ingresos", query_string=Q1)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        files = {
            key: downloaded(treasury, "/tableros/ingresos", key)
            for key in ("mes", "canal", "concepto", "tramite", "ordenes", "pronostico")
        }
        xlsx = treasury.get(
            "/tableros/ingresos", query_string={**Q1, "descargar": "ordenes", "formato": "xlsx"}
        )
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    for key, rows in files.items():
        assert rows == page_table(html, key), key
    assert files["mes"][1:] == [
        ["enero 2026", "2", "1300.00"],
        ["febrero 2026", "1", "1500.00"],
        ["marzo 2026", "1", "1200.00"],
        ["Total", "4", "4000.00"],
    ]
    assert files["mes"][0] == ["Mes", "Pagos", "Importe (MXN)"]
    assert files["canal"][1:] == [
        ["Banco", "1", "1500.00", "37.5"],
        ["Caja", "1", "1200.00", "30.0"],
        ["En línea", "1", "1000.00", "25.0"],
        ["Otros", "1", "300.00", "7.5"],
        ["Total", "4", "4000.00", "100.0"],
    ]
    assert [r[0] for r in files["tramite"][1:]] == [
        "Sin trámite (cobros del padrón)",
        "Licencia de funcionamiento de negocio",
        "Total",
    ]
    orders = files["ordenes"]
    assert orders[0][:5] == ["Trámite", "Emitidas", "Pagadas", "Pendientes", "Vencidas"]
    assert orders[1][1:] == ["3", "1", "1", "1", "1750.00", "1000.00", "57.1"]
    assert orders[-1][0] == "Total" and orders[-1][1:] == orders[1][1:]
    assert files["pronostico"][1:] == [  # the year the range ends in: 2026
        ["Negocio: Refrendo", "1", "1500.00", "1500.00", "1500.00", "0.00"],
        ["Vehículo: Control vehicular", "1", "425.00", "0.00", "0.00", "425.00"],
        ["Total", "2", "1925.00", "1500.00", "1500.00", "425.00"],
    ]
    assert 'data-chart="chart-mes"' in html  # the chart's figures are the table's


def test_an_area_or_procedure_keeps_only_its_cases_payments(treasury: FlaskClient) -> None:
    with replaying(lambda: NOW):
        html = treasury.get(
            "/tableros/ingresos", query_string={**Q1, "tramite": "licencia-funcionamiento"}
        ).get_data(as_text=True)
        wrong = treasury.get("/tableros/ingresos", query_string={**Q1, "tramite": "nada"})
        reversed_range = treasury.get(
            "/tableros/ingresos", query_string={"desde": "31/03/2026", "hasta": "01/01/2026"}
        )
    assert page_table(html, "canal")[1:] == [
        ["En línea", "1", "1000.00", "100.0"],
        ["Total", "1", "1000.00", "100.0"],
    ]
    assert wrong.status_code == 400 and reversed_range.status_code == 400


def test_the_taxpayer_base_month_by_month(treasury: FlaskClient) -> None:
    with replaying(lambda: NOW):
        html = treasury.get("/tableros/padron", query_string=Q1).get_data(as_text=True)
        people = downloaded(treasury, "/tableros/padron", "contribuyentes")
        objects = downloaded(treasury, "/tableros/padron", "registros")
    assert people == page_table(html, "contribuyentes")
    assert objects == page_table(html, "registros")
    assert people[1:] == [
        ["enero 2026", "1", "0", "3"],
        ["febrero 2026", "0", "1", "4"],
        ["marzo 2026", "0", "0", "4"],
        ["Total del periodo", "1", "1", "4"],
    ]
    assert objects[0] == [
        "Mes",
        "Vehículo",
        "Anuncio",
        "Puesto de mercado",
        "En el padrón al cierre del mes",
    ]
    assert [r[1:] for r in objects[1:]] == [
        ["1", "0", "0", "2"],
        ["0", "0", "0", "2"],
        ["0", "1", "1", "4"],
        ["1", "1", "1", "4"],
    ]


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("tesoreria@demo.gob.mx", 200),
        ("admin@demo.gob.mx", 200),
        ("alcaldia@demo.gob.mx", 200),
        ("mercados@demo.gob.mx", 404),  # a director: their department's cases, not the money
        ("funcionario@demo.gob.mx", 404),
        ("ciudadano@demo.gob.mx", 404),
    ],
)
def test_only_the_money_viewers_see_revenue_and_the_taxpayer_base(
    demo_app: Flask, email: str, status: int
) -> None:
    client = client_for(demo_app, email)
    for path in ("/tableros/ingresos", "/tableros/padron"):
        assert client.get(path).status_code == status, (email, path)
        download = client.get(path, query_string={"descargar": "mes", "formato": "csv"})
        assert download.status_code in ((200, 404) if status == 200 else (404,))


def test_a_channel_keeps_only_what_was_paid_through_it(treasury: FlaskClient) -> None:
    """«Banco»: only the payment of the bank file (February's 1500.00) in every collected
    figure and its download; the orders and the forecast say the filter does not apply
    (unpaid orders and charges have no channel); an unknown channel is a 400 with a message."""
    with replaying(lambda: NOW):
        page = treasury.get("/tableros/ingresos", query_string={**Q1, "canal": "bank"})
        wrong = treasury.get("/tableros/ingresos", query_string={**Q1, "canal": "cheque"})
        got = treasury.get(
            "/tableros/ingresos",
            query_string={**Q1, "canal": "bank", "descargar": "mes", "formato": "csv"},
        )
        everything = treasury.get("/tableros/ingresos", query_string=Q1).get_data(as_text=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'<option value="bank" selected>Banco</option>', html)
    assert page_table(html, "mes")[1:] == [
        ["enero 2026", "0", "0.00"],
        ["febrero 2026", "1", "1500.00"],
        ["marzo 2026", "0", "0.00"],
        ["Total", "1", "1500.00"],
    ]
    assert page_table(html, "canal")[1:] == [
        ["Banco", "1", "1500.00", "100.0"],
        ["Total", "1", "1500.00", "100.0"],
    ]
    assert page_table(html, "concepto")[-1] == ["Total", "1", "1500.00", "100.0"]
    assert page_table(html, "tramite")[-1] == ["Total", "1", "1500.00", "100.0"]
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == page_table(html, "mes")
    assert "canal=bank" in html.split('id="tabla-mes"', 1)[1].split("Descargar CSV", 1)[0]
    assert page_table(html, "ordenes") == page_table(everything, "ordenes")
    assert html.count("El filtro de canal no se aplica aquí") == 2
    assert wrong.status_code == 400
    assert "Elija una opción de la lista." in wrong.get_data(as_text=True)
