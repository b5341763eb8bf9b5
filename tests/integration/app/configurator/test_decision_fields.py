"""The decision fields of an approval step (what the official fills when deciding), edited on
the step's page with the same palette, field page and list buttons as a form's fields,
through HTTP as the liaison of the licence's department; a parallel review has none."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login
from workflow_engine.templates.field_types import REGISTRY

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"
PAGE = f"{BASE}/pasos/revision"


def _fields(app: Flask) -> list[dict[str, Any]]:
    draft = app.extensions["tramita"].catalog.draft(KEY)
    step = next(s for s in draft["steps"] if s["id"] == "revision")
    return list(step.get("fields") or [])


def _post(web: FlaskClient, path: str, **data: str) -> Any:
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return web.post(
        path, data={"csrf_token": csrf_from(html), "revision": revision.group(1), **data}
    )


def test_the_palette_offers_every_field_type(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    html = web.get(PAGE).get_data(as_text=True)
    assert "Datos de la resolución" in html and "Todavía no hay campos." in html
    for name in REGISTRY:
        assert f'id="agregar-campo-{name}"' in html, name
    joint = web.get(f"{BASE}/pasos/revision_conjunta").get_data(as_text=True)
    assert "Datos de la resolución" not in joint


def test_decision_fields_are_added_edited_reordered_and_removed(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    added = _post(web, PAGE, action="add_field", type="text", label_es="Número de dictamen")
    assert added.headers["Location"].endswith("/pasos/revision/campos/numero_de_dictamen")
    _post(web, PAGE, action="add_field", type="textarea", label_es="Observaciones")
    assert [f["id"] for f in _fields(app)] == ["numero_de_dictamen", "observaciones"]

    field = f"{PAGE}/campos/observaciones"
    assert web.get(field).status_code == 200
    saved = _post(
        web,
        field,
        part="basics",
        label_es="Observaciones del dictamen",
        label_en="Remarks",
        required="1",
    )
    assert saved.status_code == 302
    assert _fields(app)[1]["label"] == {"es": "Observaciones del dictamen", "en": "Remarks"}
    assert _fields(app)[1]["required"] is True

    _post(web, PAGE, action="move_field", field="observaciones", direction="up")
    assert [f["id"] for f in _fields(app)] == ["observaciones", "numero_de_dictamen"]
    page = web.get(PAGE).get_data(as_text=True)
    assert page.index("Observaciones del dictamen") < page.index("Número de dictamen")

    _post(web, PAGE, action="remove_field", field="numero_de_dictamen")
    assert [f["id"] for f in _fields(app)] == ["observaciones"]
    _post(web, f"{field}", part="type", type="select")
    assert _fields(app)[0]["type"] == "select"  # the type changed with the registry's rules


def test_the_engine_reads_them_as_the_decisions_fields(app: Flask) -> None:
    """The domain reads the same `fields` (decision_fields): what the liaison adds here is
    what the decision form asks the official."""
    from workflow_engine.templates.step_types.review import decision_fields

    web = login(app.test_client(), LIAISON)
    _post(web, PAGE, action="add_field", type="text", label_es="Motivo")
    draft = app.extensions["tramita"].catalog.draft(KEY)
    step = next(s for s in draft["steps"] if s["id"] == "revision")
    assert [f["id"] for f in decision_fields(step)] == ["motivo"]
