"""/tableros/tramites on a month of seeded cases with controlled time: every table equals the
figures counted by hand (tests/helpers/dashboards.py tells the story), on both databases;
the filters (department, procedure, the ficta horizon) and their messages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.dashboards import NOW, RANGE, seed_month
from tests.helpers.html_tables import table_rows
from tests.helpers.web import login
from workflow_engine.persistence.types import replaying

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
CONSTANCIA = "Constancia de residencia"
LICENCIA = "Licencia de funcionamiento de negocio"


@pytest.fixture
def mayor(demo_app: Flask) -> Iterator[FlaskClient]:
    seed_month(demo_app)
    client = login(demo_app.test_client(), "alcaldia@demo.gob.mx")
    with replaying(lambda: NOW):
        yield client


def _page(client: FlaskClient, **args: str) -> str:
    response = client.get("/tableros/tramites", query_string={**RANGE, **args})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_the_mayor_sees_every_figure_counted_by_hand(mayor: FlaskClient) -> None:
    html = _page(mayor)
    assert table_rows(html, "actividad") == [
        ["Periodo", "Iniciados", "Presentados", "Aprobados", "Rechazados",
         "Desistidos o cancelados"],
        ["02/03–08/03/2026", "6", "6", "2", "0", "0"],
        ["09/03–15/03/2026", "6", "3", "1", "0", "1"],
        ["16/03–20/03/2026", "0", "0", "1", "2", "0"],
    ]  # fmt: skip
    assert table_rows(html, "resolucion") == [
        ["Trámite", "Resueltos", "Mediana (días)", "Percentil 90 (días)", "En plazo (%)"],
        [CONSTANCIA, "3", "3.0", "5.0", "33.3"],
        [LICENCIA, "3", "9.0", "10.0", "100.0"],
        ["Total", "6", "6.5", "10.0", "66.7"],
    ]
    assert table_rows(html, "ficta") == [
        ["Folio", "Trámite", "Vence el plazo", "Días hábiles restantes", "Si no se resuelve"],
        ["T-H", LICENCIA, "24 de marzo de 2026", "2", "Afirmativa ficta"],
    ]
    assert table_rows(html, "rezago") == [
        ["Antigüedad (días hábiles)", "Expedientes"],
        ["0–5", "1"],
        ["6–10", "1"],
        ["11–20", "0"],
        ["21–40", "0"],
        ["más de 40", "0"],
    ]
    assert table_rows(html, "carga") == [
        ["Funcionario", "Tareas abiertas", "Vencidas"],
        ["Funcionario Desarrollo Económico", "1", "1"],
        ["Sin tomar", "1", "0"],
    ]


def test_filters_narrow_the_figures(mayor: FlaskClient) -> None:
    html = _page(mayor, area="secretaria-ayuntamiento")
    assert table_rows(html, "resolucion")[1:] == [
        [CONSTANCIA, "3", "3.0", "5.0", "33.3"],
        ["Total", "3", "3.0", "5.0", "33.3"],
    ]
    assert table_rows(html, "ficta") == []  # no rows: «no data» instead of a table
    html = _page(mayor, tramite="licencia-funcionamiento", dias="10")
    assert [row[0] for row in table_rows(html, "ficta")[1:]] == ["T-H", "T-I"]
    assert table_rows(html, "ficta")[2][3] == "7"
    # Months beyond three months of range; the same totals.
    html = _page(mayor, desde="01/12/2025", hasta="2026-03-31")
    rows = table_rows(html, "actividad")
    assert [r[0] for r in rows[1:]] == [
        "diciembre 2025",
        "enero 2026",
        "febrero 2026",
        "marzo 2026",
    ]
    assert rows[4][1:] == ["12", "9", "4", "2", "1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"desde": "31/02/2026"}, "La fecha «31/02/2026» no es válida"),
        ({"desde": "20/03/2026", "hasta": "01/03/2026"}, "La fecha inicial es posterior"),
        ({"desde": "01/01/2020", "hasta": "01/01/2026"}, "hasta tres años"),
        ({"area": "no-existe"}, "Elija un área de la lista."),
        ({"tramite": "x' OR 1=1"}, "Elija un trámite de la lista."),
        ({"area": "mercados", "tramite": "licencia-funcionamiento"}, "no es del área elegida"),
        ({"dias": "-3"}, "entre 1 y 60"),
        ({"dias": "²"}, "entre 1 y 60"),
    ],
)
def test_bad_filters_say_what_is_wrong(
    mayor: FlaskClient, args: dict[str, str], message: str
) -> None:
    response = mayor.get("/tableros/tramites", query_string=args)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'id="error-summary"' in html
    assert 'id="tabla-' not in html
    download = mayor.get(
        "/tableros/tramites", query_string={**args, "descargar": "carga", "formato": "csv"}
    )
    assert download.status_code == 400


def _ficta_links(html: str) -> list[str]:
    table = re.search(r'<table[^>]*id="tabla-ficta".*?</table>', html, re.S)
    assert table is not None
    return re.findall(r'<a class="usa-link" href="([^"]+)">', table.group(0))


def test_folios_at_risk_link_to_the_case_for_whoever_may_open_it(
    demo_app: Flask, mayor: FlaskClient
) -> None:
    """The director whose department handles the case opens the staff case view; an
    administrator the read-only view of every case; the mayor's office, which sees the figures
    but handles no task of the case, gets the folio as text (the case page is a 404 for it).
    (These seeded cases hold no engine state to draw their pages: the links are checked.)"""
    director = login(demo_app.test_client(), "funcionario@demo.gob.mx")
    admin = login(demo_app.test_client(), "admin@demo.gob.mx")
    links = _ficta_links(_page(director))
    assert links == ["/bandeja/expedientes/T-H"]
    links = _ficta_links(_page(admin))
    assert links == ["/admin/expedientes/T-H"]
    html = _page(mayor)
    assert _ficta_links(html) == []
    assert table_rows(html, "ficta")[1][0] == "T-H"
    assert mayor.get("/bandeja/expedientes/T-H").status_code == 404
