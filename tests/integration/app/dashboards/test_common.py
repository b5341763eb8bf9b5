"""Who sees which dashboard (/tableros): administrators and the mayor's office everything,
treasury the money, directors their department only (404 elsewhere, as for any page they may
not see); the navigation link; and every download equals the table on the page (CSV and
XLSX, the same rows)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.formatting import format_date
from tests.helpers.dashboards import NOW, RANGE, seed_month
from tests.helpers.html_tables import table_rows
from tests.helpers.web import login
from tests.helpers.xlsx import typed_rows
from workflow_engine.persistence.types import replaying

CONSTANCIA = "Constancia de residencia"
LICENCIA = "Licencia de funcionamiento de negocio"
PAGES = ("/tableros/", "/tableros/tramites", "/tableros/embudo")


def _client(app: Flask, email: str | None) -> FlaskClient:
    client = app.test_client()
    return login(client, email) if email else client


@pytest.mark.parametrize(
    ("email", "statuses", "link"),
    [
        ("admin@demo.gob.mx", (200, 200, 200), True),
        ("alcaldia@demo.gob.mx", (200, 200, 200), True),
        ("secretaria@demo.gob.mx", (200, 200, 200), True),  # a director
        ("tesoreria@demo.gob.mx", (200, 404, 404), True),  # the money only (none yet)
        ("revisora@demo.gob.mx", (404, 404, 404), False),  # an official, no director
        ("enlace@demo.gob.mx", (404, 404, 404), False),
        ("ciudadano@demo.gob.mx", (404, 404, 404), False),
    ],
)
def test_who_may_open_which_dashboard(
    sqlite_url: str, app_factory: object, email: str, statuses: tuple[int, ...], link: bool
) -> None:
    app: Flask = app_factory(sqlite_url)  # type: ignore[operator]
    assert app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    client = _client(app, email)
    assert tuple(client.get(path).status_code for path in PAGES) == statuses
    home = client.get("/").get_data(as_text=True)
    assert ('href="/tableros/"' in home) is link
    anonymous = app.test_client().get("/tableros/tramites")
    assert anonymous.status_code == 302 and "/entrar" in anonymous.headers["Location"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_director_sees_only_their_department(demo_app: Flask) -> None:
    seed_month(demo_app)
    client = login(demo_app.test_client(), "secretaria@demo.gob.mx")
    with replaying(lambda: NOW):
        html = client.get("/tableros/tramites", query_string=RANGE).get_data(as_text=True)
        refused = [
            client.get("/tableros/tramites", query_string={"area": "desarrollo-economico"}),
            client.get("/tableros/tramites", query_string={"tramite": "licencia-funcionamiento"}),
            client.get("/tableros/embudo", query_string={"tramite": "licencia-funcionamiento"}),
        ]
    assert table_rows(html, "resolucion")[1:] == [
        [CONSTANCIA, "3", "3.0", "5.0", "33.3"],
        ["Total", "3", "3.0", "5.0", "33.3"],
    ]
    assert [r[1:] for r in table_rows(html, "actividad")[1:]] == [
        ["2", "2", "2", "0", "0"],
        ["3", "2", "0", "0", "1"],
        ["0", "0", "0", "1", "0"],
    ]
    assert LICENCIA not in html and "T-H" not in html
    assert table_rows(html, "carga") == []  # the licence's tasks are not theirs
    assert all(r.status_code == 400 for r in refused)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_every_download_equals_its_table(demo_app: Flask) -> None:
    seed_month(demo_app)
    client = login(demo_app.test_client(), "admin@demo.gob.mx")
    pages = [
        ("/tableros/tramites", {**RANGE, "dias": "10"}),
        ("/tableros/embudo", {**RANGE, "tramite": "licencia-funcionamiento"}),
    ]
    with replaying(lambda: NOW):
        for path, args in pages:
            html = client.get(path, query_string=args).get_data(as_text=True)
            keys = [k for k in ("actividad", "resolucion", "ficta", "rezago", "carga", "embudo")
                    if f'id="tabla-{k}"' in html]  # fmt: skip
            assert keys, path
            for key in keys:
                shown = [[c.replace("—", "") for c in row] for row in table_rows(html, key)]
                assert len(shown) > 1
                assert f"descargar={key}&amp;formato=csv" in html
                got = client.get(path, query_string={**args, "descargar": key, "formato": "csv"})
                assert got.status_code == 200 and got.mimetype == "text/csv"
                assert "attachment" in got.headers["Content-Disposition"]
                text = got.get_data().decode("utf-8-sig")
                assert list(csv.reader(io.StringIO(text))) == shown, key
                book = client.get(path, query_string={**args, "descargar": key, "formato": "xlsx"})
                assert book.status_code == 200
                cells = [[c.value for c in row] for row in typed_rows(book.get_data())]
                width = len(shown[0])
                padded = [row + [None] * (width - len(row)) for row in cells]
                as_text = [
                    [_text(c, s) for c, s in zip(row, srow, strict=True)]
                    for row, srow in zip(padded, shown, strict=True)
                ]
                assert as_text == shown, key
        assert (
            client.get(
                "/tableros/tramites", query_string={"descargar": "nada", "formato": "csv"}
            ).status_code
            == 404
        )
        assert (
            client.get(
                "/tableros/tramites", query_string={"descargar": "carga", "formato": "pdf"}
            ).status_code
            == 404
        )


def _text(cell: Any, shown: str) -> str:
    """A spreadsheet cell as the page wrote it: numbers with the page's decimals, dates (real
    dates in the spreadsheet) as the page's long date."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return format_date(cell.date(), "es")
    if isinstance(cell, int | float):
        return f"{cell:.1f}" if "." in shown else str(int(cell))
    return str(cell)
