"""`flask --app wsgi users create-admin`: a fresh production install gets its first
administrator from the command line, then that person logs in over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.helpers.web import csrf_token, post_login
from workflow_engine.persistence.models import AuditLog, OutboxMessage, User, table

PASSWORD = "Ferrocarril-Norte-1910"


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    # A production install: no demo accounts, no demo password.
    return app_factory(db_url, demo_mode=False, base_url="https://tramites.example")  # type: ignore[no-any-return]


def _rows(app: Flask, model: type) -> list[Any]:
    with app.extensions["tramita"].engine.connect() as conn:
        return list(conn.execute(select(table(model))).all())


def test_the_printed_link_sets_the_password_once_and_the_admin_logs_in(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", "Alcaldia@Muni.MX", "Ana Ruiz Peña"])
    assert result.exit_code == 0, result.output
    (link,) = [line for line in result.stdout.splitlines() if "/invitacion/" in line]
    assert link.startswith("https://tramites.example/invitacion/")
    path = link.removeprefix("https://tramites.example")
    assert not _rows(app, OutboxMessage), "the link is printed, not e-mailed"

    client = app.test_client()
    assert post_login(client, "alcaldia@muni.mx", PASSWORD).status_code != 302  # no password yet
    page = client.get(path)
    assert page.status_code == 200 and "Ana Ruiz Peña" in page.get_data(as_text=True)
    weak = client.post(
        path,
        data={
            "name": "Ana Ruiz Peña",
            "password": "12345",
            "password_confirm": "12345",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert weak.status_code == 400
    accepted = client.post(
        path,
        data={
            "name": "Ana Ruiz Peña",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "csrf_token": csrf_token(client, path),
        },
    )
    assert accepted.status_code == 302
    assert client.get("/admin/usuarios").status_code == 200  # logged in, as administrator
    assert client.get(path).status_code == 410  # single use

    fresh = app.test_client()
    assert post_login(fresh, "alcaldia@muni.mx", PASSWORD).status_code == 302
    assert fresh.get("/admin/usuarios").status_code == 200
    actions = [(r.action, r.actor_id, r.details.get("email")) for r in _rows(app, AuditLog)]
    assert ("user.admin_created", "cli", "alcaldia@muni.mx") in actions
    assert ("user.invitation_accepted", str(_rows(app, User)[0].id), None) in actions


def test_password_from_stdin_follows_the_web_policy(app: Flask) -> None:
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["users", "create-admin", "ti@muni.mx", "Equipo TI", "--password-stdin"],
        input="password\n",
    )
    assert weak.exit_code == 1
    assert "contraseña" in weak.output
    assert not _rows(app, User), "nothing is created when refused"

    made = runner.invoke(
        args=["users", "create-admin", "ti@muni.mx", "Equipo TI", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    assert "/invitacion/" not in made.output
    client = app.test_client()
    assert post_login(client, "ti@muni.mx", PASSWORD).status_code == 302
    assert client.get("/admin/usuarios").status_code == 200
    (entry,) = _rows(app, AuditLog)
    assert entry.action == "user.admin_created" and entry.details["password_set"] is True
    assert "línea de comandos" in entry.actor_name


def test_an_existing_account_is_refused_and_left_unchanged(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(
        args=["users", "create-admin", "ti@muni.mx", "Equipo TI", "--password-stdin"],
        input=PASSWORD,
    )
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        args=["users", "create-admin", "TI@muni.mx", "Otra Persona", "--password-stdin"],
        input="Otra-Clave-Distinta-99",
    )
    assert again.exit_code == 1
    assert "Ya existe una cuenta con ese correo" in again.output
    (user,) = _rows(app, User)
    assert user.name == "Equipo TI"
    client = app.test_client()
    assert post_login(client, "ti@muni.mx", PASSWORD).status_code == 302
    bad = runner.invoke(args=["users", "create-admin", "no-es-correo", "Alguien"])
    assert bad.exit_code == 1 and "correo electrónico válido" in bad.output
    assert len(_rows(app, AuditLog)) == 1
