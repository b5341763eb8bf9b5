"""REST API fixtures: one migrated + seeded SQLite file per session, copied for each test."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery.exceptions import DuplicateTaskNameWarning
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.cli import run_migrations
from app.config import Settings
from workflow_engine.persistence.accounts import DEMO_PASSWORD, Accounts
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.demo import seed_demo

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
            API_USERS["citizen_b"], DEMO_PASSWORD, role="citizen", name="Vecino de Prueba"
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
def api_app(api_seeded_db: SeededDatabase, tmp_path: Path) -> Iterator[Flask]:
    """The whole application on a private copy of the seeded database."""
    db_path = tmp_path / "tramita.db"
    shutil.copyfile(api_seeded_db.path, db_path)
    # app/tasks.py registers its Celery tasks as shared (Celery's default), so a second app in
    # the same process warns and its "tramita.*" names resolve to the FIRST app's closures
    # (that app's database). Until make_celery passes shared=False, silence the warning and
    # dispatch this app's outbox in-process ourselves (what eager mode does anyway).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DuplicateTaskNameWarning)
        app = create_app(_settings(db_path, tmp_path))
    services = app.extensions["tramita"]

    def dispatch(ids: Sequence[int]) -> None:
        for message_id in ids:
            services.outbox.process(message_id)

    services.cases.dispatcher = dispatch
    app.config["TESTING"] = True
    yield app
    services.engine.dispose()


def _settings(db_path: Path, tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{db_path}",
        secret_key="test",
        demo_mode=True,
        instance_dir=str(tmp_path),
        documents_dir=str(tmp_path / "docs"),
        uploads_dir=str(tmp_path / "uploads"),
        session_cookie_secure=False,
    )


@pytest.fixture
def api_client(api_app: Flask) -> FlaskClient:
    return api_app.test_client()


@pytest.fixture
def api_keys(api_seeded_db: SeededDatabase) -> dict[str, str]:
    """API key per user name in API_USERS (citizen, citizen_b, official, civil)."""
    return api_seeded_db.keys
