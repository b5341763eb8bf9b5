"""The configurator's flow diagram page (issue 16): the flow as a text outline (screen
readers, no JavaScript) with every step linked to its page and problems marked, and the
data the vendored layout library draws the SVG from."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask

from tests.helpers.web import login
from workflow_engine.persistence.platform.catalog import Catalog, Editor

KEY = "licencia-funcionamiento"


def _flow_data(html: str) -> Any:
    found = re.search(r'id="flow-data">(.*?)</script>', html, re.S)
    assert found is not None
    return json.loads(found[1])


def test_outline_and_diagram_data_name_every_step_and_way(app: Flask) -> None:
    web = login(app.test_client(), "enlace@demo.gob.mx")
    page = web.get(f"/configurador/{KEY}/diagrama")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for step in ("solicitante", "revision_conjunta", "pago", "aprobada"):
        assert f'href="/configurador/{KEY}/pasos/{step}"' in html
    assert "Si se aprueba: sigue a" in html and "Si se cumple la condición" in html
    data = _flow_data(html)
    assert {n["id"] for n in data["graph"]["nodes"]} >= {"solicitante", "pago", "aprobada"}
    assert {"from": "pago", "to": "emision", "label": "", "broken": False} in data["graph"]["edges"]
    assert 'src="/static/vendor/dagre/dagre.min.js' in html


def test_a_draft_with_problems_shows_them_on_its_steps(app: Flask) -> None:
    catalog = Catalog(app.extensions["tramita"].engine)
    doc = catalog.draft(KEY)
    review = next(s for s in doc["steps"] if s["id"] == "revision_conjunta")
    review["outcomes"]["approve"] = {"to": "no_existe"}
    doc["title"]["es"] = "<b>Licencia</b>"
    catalog.save_revision(doc, by=Editor.operator(), base=None)
    web = login(app.test_client(), "enlace@demo.gob.mx")
    html = web.get(f"/configurador/{KEY}/diagrama").get_data(as_text=True)
    assert "«no_existe» (no existe)" in html
    assert "1 error" in html
    assert "<b>Licencia</b>" not in html  # what a liaison writes is escaped, in the data too
    node = next(n for n in _flow_data(html)["graph"]["nodes"] if n["id"] == "revision_conjunta")
    assert node["errors"] >= 1


def test_another_department_gets_not_found(app: Flask) -> None:
    web = login(app.test_client(), "enlace@demo.gob.mx")
    assert web.get("/configurador/permiso-construccion/diagrama").status_code == 404
