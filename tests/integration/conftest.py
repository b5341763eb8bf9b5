"""REST API fixtures: one migrated + seeded SQLite file per session, copied for each test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.cli import run_migrations
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD, Accounts
from workflow_engine.persistence.platform.demo import seed_demo

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
