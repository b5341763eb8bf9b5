"""Fixtures the integration tests share: one migrated + seeded SQLite file per session, copied
for each test (`api_app`, and `app`/`client` for the citizen's pages), the demo seeded on every
database backend (`demo_app`), the demo with its demo cases on every backend, seeded once per
session (`demo_cases_url`), and the mini procedure's case service (`outbox_setup`).

A test module that needs another application defines its own `app` fixture, which takes
precedence over this one; shared plain helpers live in tests/helpers/."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.engine import Engine

from app.cli import run_migrations
from tests.conftest import (
    clone_pg_database,
    create_pg_database,
    drop_pg_database,
    make_settings,
)
from tests.helpers.engine import MINI
from tests.helpers.web import login
from tests.helpers.wizard import CITIZEN
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import User
from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD, Accounts
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.platform.demo import seed_demo
from workflow_engine.persistence.types import utcnow

API_USERS = {
    "citizen": "ciudadano@demo.gob.mx",
    "citizen_b": "vecino@demo.gob.mx",
    "official": "funcionario@demo.gob.mx",
    "civil": "proteccion@demo.gob.mx",
}


@dataclass(frozen=True)
class SeededDatabase:
    path: Path
    keys: dict[str, str]  # API_USERS name -> API key in clear


@pytest.fixture(scope="session")
def api_seeded_db(tmp_path_factory: pytest.TempPathFactory) -> SeededDatabase:
    """Migrations + demo seed + a second citizen + one API key per user, built once."""
    path = tmp_path_factory.mktemp("api-seed") / "tramita.db"
    url = f"sqlite:///{path}"
    run_migrations(url)
    engine = make_engine(url)
    try:
        seed_demo(engine, demo_mode=True)
        accounts = Accounts(engine, demo_mode=True)
        accounts.create(
            API_USERS["citizen_b"],
            DEMO_PASSWORD,
            role="citizen",
            name="Vecino de Prueba",
            verified=True,
        )
        keys = {}
        for name, email in API_USERS.items():
            account = accounts.by_email(email)
            assert account is not None, email
            keys[name] = accounts.create_api_key(account.id, f"tests {name}")
    finally:
        engine.dispose()
    return SeededDatabase(path, keys)


@pytest.fixture
def api_app(api_seeded_db: SeededDatabase, app_factory: Any, tmp_path: Path) -> Flask:
    """The whole application on a private copy of the seeded database."""
    db_path = tmp_path / "tramita.db"
    shutil.copyfile(api_seeded_db.path, db_path)
    app: Flask = app_factory(f"sqlite:///{db_path}")
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api_client(api_app: Flask) -> FlaskClient:
    return api_app.test_client()


@pytest.fixture
def api_keys(api_seeded_db: SeededDatabase) -> dict[str, str]:
    """API key per user name in API_USERS (citizen, citizen_b, official, civil)."""
    return api_seeded_db.keys


@pytest.fixture
def app(api_seeded_db: SeededDatabase, app_factory: Any, tmp_path: Path) -> Flask:
    """The whole application on a private copy of the session's migrated, seeded database,
    every e-mail address confirmed (the citizen's pages: wizard, catalogs, field types)."""
    db_path = tmp_path / "wizard.db"
    shutil.copyfile(api_seeded_db.path, db_path)
    flask_app: Flask = app_factory(f"sqlite:///{db_path}")
    with flask_app.extensions["tramita"].engine.begin() as conn:  # e-mail addresses confirmed
        conn.execute(update(User.__table__).values(email_verified_at=utcnow()))
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser logged in as the demo citizen."""
    web = app.test_client()
    login(web, CITIZEN)
    return web


@pytest.fixture
def demo_app(db_url: str, app_factory: Any) -> Flask:
    """The application with the demo seeded, on each database backend (ledger, settings)."""
    flask_app: Flask = app_factory(db_url)
    assert flask_app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    return flask_app


@dataclass(frozen=True)
class DemoTemplate:
    url: str
    instance: Path  # documents, uploads and the demo signing credentials the seed made


def _seed_with_cases(url: str, instance: Path) -> DemoTemplate:
    """`flask demo seed` (cases included) on a migrated database, its files in `instance`."""
    from app import create_app

    flask_app = create_app(make_settings(url, instance))
    try:
        result = flask_app.test_cli_runner().invoke(args=["demo", "seed"])
        assert result.exit_code == 0, result.output
    finally:
        flask_app.extensions["tramita"].engine.dispose()
    return DemoTemplate(url, instance)


@pytest.fixture(scope="session")
def demo_cases_sqlite(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> DemoTemplate:
    root = tmp_path_factory.mktemp("demo-cases")
    shutil.copyfile(sqlite_template, root / "tramita.db")
    return _seed_with_cases(f"sqlite:///{root / 'tramita.db'}", root / "instance")


@pytest.fixture(scope="session")
def demo_cases_pg(
    pg_template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoTemplate]:
    url = create_pg_database()
    try:
        run_migrations(url)
        yield _seed_with_cases(url, tmp_path_factory.mktemp("demo-cases-pg") / "instance")
    finally:
        drop_pg_database(url)


@pytest.fixture
def demo_cases_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """`db_url`'s backend holding the demo municipality and its demo cases, as `flask demo
    seed` leaves them: seeded once per session (the cases take seconds) and copied for each
    test, with the files the seed wrote copied into tmp_path, the instance directory of the
    test's apps (`app_factory`)."""
    if db_url.startswith("sqlite"):
        template: DemoTemplate = request.getfixturevalue("demo_cases_sqlite")
        shutil.copyfile(template.url.split("///", 1)[1], db_url.split("///", 1)[1])
        shutil.copytree(template.instance, tmp_path, dirs_exist_ok=True)
        yield db_url
        return
    template = request.getfixturevalue("demo_cases_pg")
    url = clone_pg_database(template.url)
    shutil.copytree(template.instance, tmp_path, dirs_exist_ok=True)
    yield url
    drop_pg_database(url)


@pytest.fixture
def outbox_setup(db_url: str) -> Iterator[tuple[Engine, CaseService]]:
    """An engine and case service with the mini procedure published (the outbox's tests)."""
    engine = make_engine(db_url)
    Catalog(engine).save_draft(copy.deepcopy(MINI))
    Catalog(engine).publish("mini")
    service = CaseService(engine)
    yield engine, service
    engine.dispose()
