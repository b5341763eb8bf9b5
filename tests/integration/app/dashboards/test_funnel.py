"""/tableros/embudo: the licence's funnel on seeded cases counted by hand (started, each
wizard step, filed, approved, paid, document issued, with the drop-off), on both databases."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.helpers.dashboards import NOW, RANGE, seed_month
from tests.helpers.html_tables import table_rows
from tests.helpers.web import login
from workflow_engine.persistence.types import replaying

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def test_the_licence_funnel_counted_by_hand(demo_app: Flask) -> None:
    seed_month(demo_app)
    client = login(demo_app.test_client(), "funcionario@demo.gob.mx")  # its director
    with replaying(lambda: NOW):
        response = client.get(
            "/tableros/embudo", query_string={**RANGE, "tramite": "licencia-funcionamiento"}
        )
        first = client.get("/tableros/embudo", query_string=RANGE)  # the first procedure
    assert response.status_code == 200
    assert table_rows(response.get_data(as_text=True), "embudo") == [
        ["Etapa", "Expedientes", "No continuaron", "Continúan desde la etapa anterior (%)"],
        ["Iniciados", "7", "0", "—"],
        ["Paso: Datos del solicitante", "6", "1", "85.7"],
        ["Paso: Datos del negocio", "5", "1", "83.3"],
        ["Paso: Documentos", "5", "0", "100.0"],
        ["Presentados", "5", "0", "100.0"],
        ["Aprobados", "2", "3", "40.0"],
        ["Pagados", "2", "0", "100.0"],
        ["Documento emitido", "1", "1", "50.0"],
    ]
    assert first.status_code == 200
    assert 'value="licencia-funcionamiento" selected' in first.get_data(as_text=True)


def test_a_director_cannot_ask_for_another_departments_funnel(demo_app: Flask) -> None:
    client = login(demo_app.test_client(), "mercados@demo.gob.mx")
    response = client.get("/tableros/embudo", query_string={"tramite": "licencia-funcionamiento"})
    assert response.status_code == 400
    assert "Elija un trámite de la lista." in response.get_data(as_text=True)
