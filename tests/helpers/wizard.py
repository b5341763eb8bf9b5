"""The citizen's wizard in tests: posting a step as the browser does, a case's state."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_token

CITIZEN = "ciudadano@demo.gob.mx"


def post_step(
    client: FlaskClient,
    folio: str,
    step: str,
    data: dict[str, Any],
    *,
    accion: str = "continuar",
    query: str = "",
) -> Any:
    url = f"/expedientes/{folio}/pasos/{step}{query}"
    form = dict(data)
    form.setdefault("csrf_token", csrf_token(client, url))
    form["accion"] = accion
    return client.post(url, data=form, content_type="multipart/form-data")


def case_state(app: Flask, folio: str) -> Any:
    cases = app.extensions["tramita"].cases
    state, _definition, _lock = cases.load(cases.case_id_for_folio(folio))
    return state
