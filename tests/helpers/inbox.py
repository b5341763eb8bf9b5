"""The staff inbox in tests: a browser logged in as a demo official, a case's state."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import account, forge_login
from workflow_engine.engine import CaseState

MERCADOS = "mercados@demo.gob.mx"  # revisor + director of Mercados
MOVILIDAD = "movilidad@demo.gob.mx"  # another department
CITIZEN = "ciudadano@demo.gob.mx"


def as_user(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    forge_login(client, account(app, email).id)
    return client


def state(app: Flask, case_id: int) -> CaseState:
    loaded, _definition, _version = app.extensions["tramita"].cases.load(case_id)
    return loaded  # type: ignore[no-any-return]


def task_key(app: Flask, case_id: int) -> str:
    """The id of the case's one open task."""
    (task,) = state(app, case_id).open_tasks()
    return task.id


def claimed_case_page(client: FlaskClient, app: Flask, case_id: int, folio: str) -> str:
    """Take the case's one open task and return the review page (the decision panel is
    shown only to whoever holds the task)."""
    from tests.helpers.web import csrf_from

    page = f"/bandeja/expedientes/{folio}"
    html = client.get(page).get_data(as_text=True)
    client.post(
        f"{page}/tareas/{task_key(app, case_id)}/tomar", data={"csrf_token": csrf_from(html)}
    )
    return client.get(page).get_data(as_text=True)
