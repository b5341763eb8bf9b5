"""Changing the id of a step or a field on its configurator page, through HTTP as the liaison
of the licence's department: every reference follows (routes, outcomes, conditions, document
placeholders), the page moves to the new address, an id that breaks the rules or is taken is
refused with the reason, and another department's procedure is not found."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"


def _draft(app: Flask) -> dict[str, Any]:
    draft: dict[str, Any] = app.extensions["tramita"].catalog.draft(KEY)
    return draft


def _form(web: FlaskClient, path: str) -> dict[str, str]:
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def test_a_step_gets_a_new_id_and_every_route_to_it_follows(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(f"{BASE}/pasos/revision").get_data(as_text=True)
    assert 'id="identificador"' in page and 'value="revision"' in page
    response = web.post(
        f"{BASE}/pasos/revision/identificador",
        data={**_form(web, f"{BASE}/pasos/revision"), "new_id": "revision_simple_de"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/pasos/revision_simple_de#identificador")
    text = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "El identificador del paso ahora es «revision_simple_de»" in text
    draft = _draft(app)
    ids = [s["id"] for s in draft["steps"]]
    assert "revision" not in ids and "revision_simple_de" in ids
    documentos = next(s for s in draft["steps"] if s["id"] == "documentos")
    assert documentos["transitions"][-1]["to"] == "revision_simple_de"
    assert web.get(f"{BASE}/pasos/revision").status_code == 404


def test_a_field_gets_a_new_id_in_conditions_formulas_and_the_document(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = f"{BASE}/pasos/negocio/campos/superficie_m2"
    assert 'value="superficie_m2"' in web.get(page).get_data(as_text=True)
    response = web.post(f"{page}/identificador", data={**_form(web, page), "new_id": "superficie"})
    assert response.headers["Location"].endswith("/pasos/negocio/campos/superficie#identificador")
    text = json.dumps(_draft(app), ensure_ascii=False)
    assert "superficie_m2" not in text.replace('"superficie_m2":', "")  # bar constants' names
    assert '{"var": "superficie"}' in text and "{{ data.superficie }}" in text


def test_a_bad_or_taken_id_is_refused_with_the_reason(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = f"{BASE}/pasos/negocio/campos/giro"
    before = _draft(app)
    bad = web.post(
        f"{page}/identificador",
        data={**_form(web, page), "new_id": "Giro del negocio"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "no sirve como id de campo" in bad
    taken = web.post(
        f"{BASE}/pasos/negocio/identificador",
        data={**_form(web, f"{BASE}/pasos/negocio"), "new_id": "documentos"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "ya está en uso" in taken
    assert _draft(app) == before


def test_another_departments_procedure_is_not_found(app: Flask) -> None:
    web = login(app.test_client(), "enlace@demo.gob.mx")
    other = app.extensions["tramita"].catalog
    key = next(i.key for i in other.all() if i.department != "desarrollo-economico")
    first = other.draft(key)["steps"][0]["id"]
    response = web.post(
        f"/configurador/{key}/pasos/{first}/identificador",
        data={
            "csrf_token": csrf_from(web.get("/configurador/").get_data(as_text=True)),
            "revision": "1",
            "new_id": "otro",
        },
    )
    assert response.status_code == 404


def test_a_new_fee_line_and_a_new_branch_take_the_id_typed(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    pago = f"{BASE}/pasos/pago"
    web.post(
        pago,
        data={
            **_form(web, pago),
            "action": "add_line",
            "label_es": "Derecho de inspección",
            "f-0": "number",
            "f-0-number": "100",
            "line_id": "inspeccion",
        },
    )
    step = next(s for s in _draft(app)["steps"] if s["id"] == "pago")
    assert step["fee_lines"][-1]["id"] == "inspeccion"
    taken = web.post(
        pago,
        data={
            **_form(web, pago),
            "action": "add_line",
            "label_es": "Otro",
            "f-0": "number",
            "f-0-number": "1",
            "line_id": "inspeccion",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "no sirve como identificador" in taken

    review = f"{BASE}/pasos/revision_conjunta"
    web.post(
        review,
        data={
            **_form(web, review),
            "part": "branch",
            "action": "add",
            "new-department": "tesoreria",
            "new-role": "cajero",
            "new-id": "caja",
        },
    )
    step = next(s for s in _draft(app)["steps"] if s["id"] == "revision_conjunta")
    assert step["branches"][-1] == {"id": "caja", "department": "tesoreria", "role": "cajero"}
