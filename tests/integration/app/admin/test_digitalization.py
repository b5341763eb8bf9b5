"""The administrators' digitalization page: the municipality's score, each procedure's level
with what it lacks (in the reader's language), the history and its CSV; nobody else sees it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask import Flask

from tests.helpers.web import login
from workflow_engine.templates.digitalization import digitalization_level, municipality_score


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    app: Flask = app_factory(db_url)
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    return app


def test_score_missing_items_and_history(app: Flask) -> None:
    admin = login(app.test_client(), "admin@demo.gob.mx")
    levels = [digitalization_level(v.definition) for v in app.extensions["tramita"].catalog.live()]
    score = municipality_score(levels)
    assert score.mean is not None
    page = admin.get("/admin/digitalizacion").get_data(as_text=True)
    assert "Puntaje del municipio" in page and f"{score.mean:.2f}" in page
    assert "«Visto bueno" in page or "se tiene que mostrar en original" in page
    assert "Nada: se hace completamente en línea." in page
    assert 'href="/admin/digitalizacion"' in page  # in the side navigation
    english = admin.get("/admin/digitalizacion?lang=en").get_data(as_text=True)
    assert "must be shown in original at an office" in english

    response = admin.get("/admin/digitalizacion.csv?lang=es")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Fecha", "Nivel medio", "Trámites publicados"]
    assert rows[-1][1:3] == [f"{score.mean:.2f}", str(score.procedures)]


def test_only_administrators(app: Flask) -> None:
    for email in ("funcionario@demo.gob.mx", "enlace@demo.gob.mx", "ciudadano@demo.gob.mx"):
        web = login(app.test_client(), email)
        assert web.get("/admin/digitalizacion").status_code == 404
        assert web.get("/admin/digitalizacion.csv").status_code == 404
    assert app.test_client().get("/admin/digitalizacion").status_code == 401
