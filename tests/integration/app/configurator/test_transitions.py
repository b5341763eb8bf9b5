"""A route's id on the transitions editor, through HTTP as the licence's liaison: given when
the route is added (optional: «ruta» otherwise) and changed with its destination; a repeated
id or one that breaks the identifier rules is refused with a message in Spanish (no 500)
and nothing changes."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
PAGE = f"/configurador/{KEY}/pasos/documentos"


def _ids(app: Flask) -> list[str]:
    draft = app.extensions["tramita"].catalog.draft(KEY)
    step = next(s for s in draft["steps"] if s["id"] == "documentos")
    return [t["id"] for t in step["transitions"]]


def _post(web: FlaskClient, **data: str) -> Any:
    html = web.get(PAGE).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision
    form = {"csrf_token": csrf_from(html), "revision": revision.group(1), "part": "transitions"}
    return web.post(PAGE, data={**form, **data}, follow_redirects=True)


def test_the_page_shows_each_route_id(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(PAGE).get_data(as_text=True)
    assert 'id="route_id-revision_simple" name="route_id"' in page
    assert 'value="revision_simple"' in page
    assert 'id="new-route-id" name="route_id"' in page


def test_a_route_id_is_changed_with_its_destination(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    done = _post(web, action="set", transition="revision_simple", to="revision", route_id="simple")
    assert "Se guardó el destino de la ruta." in done.get_data(as_text=True)
    assert _ids(app) == ["revision_conjunta", "simple"]


def test_a_new_route_takes_the_typed_id_or_the_generated_one(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    _post(web, action="add", to="revision", route_id="por_revisar")
    assert _ids(app) == ["revision_conjunta", "por_revisar", "revision_simple"]
    _post(web, action="add", to="revision", route_id="")
    assert _ids(app) == ["revision_conjunta", "por_revisar", "ruta", "revision_simple"]


def test_a_repeated_or_bad_id_is_refused_in_spanish(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    for wanted in ("revision_conjunta", "Ruta Mala", "1ruta"):
        for data in (
            {"action": "set", "transition": "revision_simple", "to": "revision"},
            {"action": "add", "to": "revision"},
        ):
            refused = _post(web, route_id=wanted, **data)
            assert refused.status_code == 200
            assert "no sirve como identificador" in refused.get_data(as_text=True)
    assert _ids(app) == ["revision_conjunta", "revision_simple"]
