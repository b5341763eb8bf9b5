"""/tableros/digitalizacion: the municipality's score and its distribution, the history, each
procedure's level with what it lacks (in the reader's language) and every version's level;
the downloads hold the page's rows; a director sees only their department's procedures."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask

from tests.helpers.web import login
from workflow_engine.persistence.platform.demo import examples_dir
from workflow_engine.templates.digitalization import digitalization_level, municipality_score

PAGE = "/tableros/digitalizacion"


@pytest.fixture
def app(demo_cases_url: str, app_factory: Any) -> Flask:
    """The demo municipality as `flask demo seed` leaves it, seeded once per session."""
    app: Flask = app_factory(demo_cases_url)
    return app


def _csv(client: Any, table: str, lang: str = "es") -> list[list[str]]:
    response = client.get(PAGE, query_string={"descargar": table, "formato": "csv", "lang": lang})
    assert response.status_code == 200, response.get_data(True)[:500]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_score_history_and_what_is_missing(app: Flask) -> None:
    admin = login(app.test_client(), "admin@demo.gob.mx")
    live = app.extensions["tramita"].catalog.live()
    score = municipality_score(digitalization_level(v.definition) for v in live)
    page = admin.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Nivel medio: {score.mean:.2f} de 4, de {score.procedures} trámites" in html
    assert "se tiene que mostrar en original en una oficina" in html
    assert 'href="/tableros/digitalizacion"' in admin.get("/tableros/").get_data(as_text=True)

    levels = _csv(admin, "niveles")
    assert [r[0] for r in levels[1:]] == ["0", "1", "2", "3", "4"]
    assert sum(int(r[2]) for r in levels[1:]) == score.procedures
    history = _csv(admin, "historial")
    assert history[-1][1:3] == [f"{score.mean:.1f}", str(score.procedures)]
    missing = {r[0]: r[4] for r in _csv(admin, "tramites")[1:]}
    assert missing["Constancia de residencia"] == "Nada: se hace completamente en línea."
    assert "original" in missing["Licencia de funcionamiento de negocio"]
    english = {r[0]: r[4] for r in _csv(admin, "tramites", "en")[1:]}
    assert any("must be shown in original at an office" in text for text in english.values())
    versions = _csv(admin, "versiones")
    assert len(versions) - 1 == len(list(examples_dir().glob("*.json")))


def test_a_director_sees_their_department_and_bad_filters_are_explained(app: Flask) -> None:
    director = login(app.test_client(), "funcionario@demo.gob.mx")  # desarrollo-economico
    rows = _csv(director, "tramites")[1:]
    assert [r[0] for r in rows] == ["Licencia de funcionamiento de negocio"]
    bad = director.get(PAGE, query_string={"desde": "31/02/2026"})
    assert bad.status_code == 400
    other = director.get(PAGE, query_string={"tramite": "permiso-mercado"})
    assert other.status_code == 400 and "Elija un trámite de la lista" in other.get_data(True)
    assert login(app.test_client(), "ciudadano@demo.gob.mx").get(PAGE).status_code == 404
