"""The public transparency page and the open-data catalog: figures on seeded cases with
controlled dates compared with hand-computed values, never a figure from fewer than 5 cases,
anonymous access, and the CSV/JSON columns a national catalog needs."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import insert

from tests.helpers.transparency import CONSTANCIA, LICENCIA
from tests.helpers.transparency import seeded_case as _case
from workflow_engine.persistence.models import Holiday, table

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def _seed(app: Flask) -> None:
    """Constancia: 7 filed Monday 2 March 2026; Wednesday 4 is declared a holiday. Resolved
    on Mon 2, Tue 3, Thu 5, Fri 6 and Mon 9: 0, 1, 2, 3 and 4 business days (without the
    holiday 0, 1, 3, 4, 5): median 2; within the 1-day limit 2 of 5 = 40 %. One more still in
    review and one withdrawn (filed, not resolved).
    Licencia: 4 filed and resolved in 2 business days: too few to publish anything."""
    engine = app.extensions["tramita"].engine
    with engine.begin() as conn:
        conn.execute(insert(table(Holiday)).values(day=date(2026, 3, 4), name="Inhábil"))
    for closed in (2, 3, 5, 6, 9):
        _case(app, CONSTANCIA, 2, closed)
    _case(app, CONSTANCIA, 2, None)
    _case(app, CONSTANCIA, 2, 3, outcome="cancelled")
    for _ in range(4):
        _case(app, LICENCIA, 2, 5)  # Tue 3, Thu 5 (Wed 4 is the holiday): 2 business days


def _row(html: str, title: str) -> list[str]:
    """The cells' text of the table row whose header is `title`."""
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        texts = [re.sub(r"<[^>]+>", " ", c).split() for c in cells]
        texts = [" ".join(words) for words in texts]
        if texts and texts[0].startswith(title):
            return texts
    raise AssertionError(f"no row for {title}")


def test_figures_match_hand_computed_values(demo_app: Flask) -> None:
    _seed(demo_app)
    html = demo_app.test_client().get("/transparencia").get_data(as_text=True)

    constancia = _row(html, "Constancia de residencia")
    # filed, resolved, median, compliance (digitalization follows)
    assert constancia[1:5] == ["7", "5", "2", "40 %"]
    licencia = _row(html, "Licencia de funcionamiento de negocio")
    assert licencia[1:5] == ["— menos de 5 expedientes"] * 4
    assert "menos de 5 expedientes" in html
    departments = _row(html, "Desarrollo Económico")
    assert departments[1:5] == ["— menos de 5 expedientes"] * 4


def test_the_fifth_case_publishes_the_median(demo_app: Flask) -> None:
    _seed(demo_app)
    _case(demo_app, LICENCIA, 2, 10)  # Tue 3, Thu 5, Fri 6, Mon 9, Tue 10: 5 business days
    html = demo_app.test_client().get("/transparencia").get_data(as_text=True)
    # licencia: 2 business days four times (Tue 3, Thu 5; Wed 4 is the holiday) and 5 once
    assert _row(html, "Licencia de funcionamiento de negocio")[1:5] == ["5", "5", "2", "100 %"]


def test_page_is_public_and_linked_from_the_footer(demo_app: Flask) -> None:
    client = demo_app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/transparencia"' in home
    response = client.get("/transparencia")
    assert response.status_code == 200
    assert "Transparencia" in response.get_data(as_text=True)
    english = client.get("/transparencia", headers={"Accept-Language": "en"})
    assert "Transparency" in english.get_data(as_text=True)
    assert "fewer than 5 cases" in english.get_data(as_text=True)


REQUIRED = {
    "homoclave",
    "nombre",
    "dependencia",
    "modalidad",
    "fundamento_juridico",
    "requisitos",
    "plazo_maximo_respuesta_dias_habiles",
    "costo",
    "vigencia",
    "oficinas",
    "nivel_digitalizacion",
}


def test_open_data_catalog(demo_app: Flask) -> None:
    client = demo_app.test_client()
    response = client.get("/transparencia/catalogo.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert set(rows[0]) >= REQUIRED
    constancia = next(r for r in rows if r["clave"] == CONSTANCIA)
    assert constancia["homoclave"] == "CHO-SA-001"
    assert constancia["plazo_maximo_respuesta_dias_habiles"] == "1"
    assert "Identificación oficial vigente" in constancia["requisitos"]
    assert "Ley Orgánica Municipal" in constancia["fundamento_juridico"]

    data: dict[str, Any] = client.get("/transparencia/catalogo.json").get_json()
    records = {p["key"]: p for p in data["procedures"]}
    assert len(records) == len(rows)
    record = records[CONSTANCIA]
    for name in (
        "homoclave",
        "name",
        "department",
        "modality",
        "legal_basis",
        "requirements",
        "max_response_days",
        "cost",
        "validity",
        "offices",
        "digitalization",
        "url",
    ):
        assert name in record
    assert record["name"] == {"es": "Constancia de residencia", "en": record["name"]["en"]}
    assert record["offices"][0]["address"].startswith("Av. Independencia 1")
    assert record["url"].endswith(f"/tramites/{CONSTANCIA}/informacion")


def test_digitalization_score_and_what_is_missing(demo_app: Flask) -> None:
    html = demo_app.test_client().get("/transparencia").get_data(as_text=True)
    assert "Nivel medio de digitalización" in html
    licencia = _row(html, "Licencia de funcionamiento de negocio")
    assert "Qué le falta para el nivel 4" in licencia[5]
    assert "se tiene que mostrar en original" in licencia[5]
    assert "Qué le falta" not in _row(html, "Constancia de residencia")[5]
