"""Shared fixtures: real databases built by the Alembic migrations, on SQLite and PostgreSQL.

Tests that need PostgreSQL or Redis skip with a loud reason when the service is absent;
with REQUIRE_SERVICES=1 (CI) such a skip becomes a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text, update

from app.cli import run_migrations
from app.config import Settings
from tests.helpers.mail import SmtpServer
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.platform import accounts as accounts_module
from workflow_engine.persistence.platform.accounts import users_t
from workflow_engine.persistence.platform.demo import seed_demo
from workflow_engine.persistence.types import utcnow

# Passwords in this test process: argon2id at a fraction of the production cost (1 pass,
# 1 MiB). With the production parameters a login or a new account costs ≈ 35 ms, and the
# suite logs in and seeds accounts thousands of times (≈ 15 % of the security tests' time).
# Hashes of either profile verify with either; processes the tests start (the CLI, gunicorn,
# Celery) keep the production profile, which `production_password_hashes` restores here
# for the tests about the hashes themselves.
PRODUCTION_HASHER = accounts_module._hasher
accounts_module._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def production_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production argon2id parameters for this test (m=19456, t=2, p=1)."""
    monkeypatch.setattr(accounts_module, "_hasher", PRODUCTION_HASHER)


# URL builders compiled on first use in the test process: Werkzeug compiles two Python
# functions per URL rule when an app registers its routes (≈ 0.15 s of each `create_app`,
# called for most tests), and a test builds a handful of URLs. Same functions, later.
def _lazy_url_builders() -> None:
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder

    def lazy(self: Rule, append_unknown: bool = True) -> Any:
        compiled: list[Any] = []

        def build(rule: Rule, *args: Any, **kwargs: Any) -> Any:
            if not compiled:
                compiled.append(compile_builder(rule, append_unknown))
            return compiled[0](rule, *args, **kwargs)

        return build

    Rule._compile_builder = lazy  # type: ignore[method-assign]


_lazy_url_builders()


POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def _worker_redis(url: str) -> str:
    """Under `pytest -n` (pytest-xdist) each worker gets its own Redis database, counting
    down from the one TEST_REDIS_URL names, so two workers' Celery queues never mix."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, db = url.rpartition("/")
    number = int(db) if db.isdigit() else 15
    return f"{base}/{(number - int(worker[2:])) % 16}"


REDIS_URL = _worker_redis(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """The one way a test skips: loudly, or as a failure in CI where every service must be
    present (tests/unit/repository/test_suite_hygiene.py refuses any other skip)."""
    message = f"SERVICE MISSING: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _endpoint(url: str, default_port: int) -> tuple[str, int]:
    """The host and port a service URL names (TEST_POSTGRES_URL, TEST_REDIS_URL)."""
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def postgres_endpoint() -> tuple[str, int]:
    return _endpoint(_admin_dsn(), 5432)


def redis_endpoint() -> tuple[str, int]:
    return _endpoint(REDIS_URL, 6379)


def postgres_available() -> bool:
    return _port_open(*postgres_endpoint())


def redis_available() -> bool:
    return _port_open(*redis_endpoint())


def require_postgres() -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) unless TEST_POSTGRES_URL's server answers."""
    if not postgres_available():
        host, port = postgres_endpoint()
        service_missing(f"PostgreSQL is not answering on {host}:{port} (TEST_POSTGRES_URL)")


def require_redis() -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) unless TEST_REDIS_URL's server answers."""
    if not redis_available():
        host, port = redis_endpoint()
        service_missing(f"Redis is not answering on {host}:{port} (TEST_REDIS_URL)")


def _admin_dsn() -> str:
    return POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")


def create_pg_database() -> str:
    """A new empty PostgreSQL database; returns its URL."""
    import psycopg

    name = f"tramita_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = _admin_dsn().rsplit("/", 1)[0]
    return f"{base}/{name}"


def clone_pg_database(template_url: str) -> str:
    """A new PostgreSQL database copied from the one at `template_url` (nobody may be
    connected to it); returns its URL."""
    import psycopg

    name = f"tramita_c_{uuid.uuid4().hex[:10]}"
    template = template_url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{_admin_dsn().rsplit('/', 1)[0]}/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_template_url() -> Iterator[str]:
    """One migrated PostgreSQL database per test session."""
    require_postgres()
    url = create_pg_database()
    run_migrations(url)
    yield url
    drop_pg_database(url)


def _truncate_pg(url: str) -> None:
    from workflow_engine.persistence.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        # TRUNCATE does not fire the append-only row triggers (they are row-level on
        # UPDATE/DELETE); a test database starts empty each time.
        # Every table but Alembic's, so a table added by a later migration is never forgotten.
        names = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database built by the migrations per test session; each test gets a copy
    (copying a file is a thousand times quicker than running every migration again)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "tramita.db"
    run_migrations(f"sqlite:///{path}")
    return path


def fresh_sqlite_url(template: Path, tmp_path: Path) -> str:
    """A private copy of the migrated, empty SQLite database, as a URL."""
    target = tmp_path / "tramita.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        return fresh_sqlite_url(request.getfixturevalue("sqlite_template"), tmp_path)
    url = str(request.getfixturevalue("pg_template_url"))
    _truncate_pg(url)
    return url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite_url(sqlite_template, tmp_path)


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo municipality in SQLite, built once and copied per test."""
    path = tmp_path_factory.mktemp("demo-seed") / "tramita.db"
    url = f"sqlite:///{path}"
    run_migrations(url)
    _seed(url)
    return path


@pytest.fixture(scope="session")
def seeded_pg_template(pg_template_url: str) -> Iterator[str]:
    """The demo municipality in PostgreSQL, built once; each test gets a copy of it."""
    url = create_pg_database()
    run_migrations(url)
    _seed(url)
    yield url
    drop_pg_database(url)


def _seed(url: str) -> None:
    engine = make_engine(url)
    try:
        seed_demo(engine, demo_mode=True)
        with engine.begin() as conn:  # the demo citizen may start procedures
            conn.execute(update(users_t).values(email_verified_at=utcnow()))
    finally:
        engine.dispose()


@pytest.fixture
def seeded_url(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """`db_url`'s backend (SQLite and PostgreSQL) holding the demo municipality, every e-mail
    address confirmed: seeded once per session, copied for each test."""
    if db_url.startswith("sqlite"):
        shutil.copyfile(request.getfixturevalue("seeded_sqlite"), db_url.split("///", 1)[1])
        yield db_url
        return
    url = clone_pg_database(str(request.getfixturevalue("seeded_pg_template")))
    yield url
    drop_pg_database(url)


def make_settings(database_url: str, tmp_path: Path, **extra: object) -> Settings:
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret",
        demo_mode=True,
        instance_dir=str(tmp_path),
        documents_dir=str(tmp_path / "documents"),
        uploads_dir=str(tmp_path / "uploads"),
        session_cookie_secure=False,
    )
    for key, value in extra.items():
        setattr(settings, key, value)
    return settings


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator[object]:
    """Create Flask apps for a test; their database pools are closed afterwards."""
    from app import create_app

    created = []

    def factory(database_url: str, **extra: object):  # type: ignore[no-untyped-def]
        app = create_app(make_settings(database_url, tmp_path, **extra))
        created.append(app)
        return app

    yield factory
    for app in created:
        app.extensions["tramita"].engine.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A loopback SMTP server, running; `smtp.sink` holds what it received."""
    with SmtpServer() as server:
        yield server


# Seconds each of the slowest files takes (measured with --junitxml, summed per file: the
# others on a quiet 2-core machine, the browser files on a busy one; refresh when the balance
# drifts). Rough is enough, each part being sorted on its own: they only
# order the files, so that pytest-xdist's --dist loadfile hands the long ones out first and the
# short ones even out the two workers at the end (longest-first scheduling); a file missing
# here counts as short.
SLOW_FILES = {
    "tests/integration/connectors/gateway/test_webhooks.py": 44,
    "tests/unit/repository/test_import_order.py": 19,
    "tests/integration/workflow_engine/persistence/cases/test_concurrency.py": 39,
    "tests/integration/app/test_celery_worker.py": 32,
    "tests/integration/bench/test_faults.py": 32,
    "tests/integration/app/api/test_schema.py": 29,
    "tests/integration/app/test_cli.py": 28,
    "tests/integration/bench/test_payments.py": 24,
    "tests/integration/bench/test_wizard.py": 22,
    "tests/integration/app/api/test_input.py": 22,
    "tests/integration/app/admin/test_cases.py": 20,
    "tests/integration/connectors/payments/rest/test_connector.py": 20,
    "tests/security/app/test_sessions.py": 20,
    "tests/integration/app/test_broker_faults.py": 19,
    "tests/integration/repository/test_install.py": 19,
    "tests/integration/connectors/ledger/test_ledger.py": 17,
    "tests/security/app/test_redirects.py": 15,
    "tests/integration/workflow_engine/persistence/cases/test_walkthrough_broker.py": 14,
    "tests/integration/app/treasury/test_ledger.py": 14,
    "tests/integration/workflow_engine/persistence/cases/test_demo_cases.py": 13,
    "tests/security/app/test_headers.py": 13,
    "tests/integration/app/treasury/test_counter.py": 12,
    "tests/integration/journeys/test_api_journey.py": 12,
    "tests/integration/bench/test_configurator.py": 11,
    "tests/integration/app/observability/test_observability.py": 11,
    "tests/integration/workflow_engine/persistence/cases/test_inbox.py": 11,
    "tests/integration/workflow_engine/persistence/cases/test_outbox_leases.py": 9,
    "tests/integration/workflow_engine/templates/test_preview.py": 9,
    "tests/integration/connectors/payments/test_reconciliation.py": 8,
    "tests/integration/app/citizen/wizard/test_backends.py": 7,
    "tests/integration/app/staff/test_fee_overflow.py": 7,
    "tests/integration/app/citizen/wizard/test_wizard.py": 6,
    "tests/integration/connectors/notifications/test_emails.py": 6,
    "tests/security/app/api/test_abuse.py": 6,
    "tests/integration/app/test_public_pages.py": 6,
    "tests/integration/app/admin/test_outbox.py": 6,
    "tests/integration/app/staff/test_inbox.py": 6,
    "tests/browser/app/citizen/wizard/test_wizard.py": 60,
    "tests/browser/journeys/test_configurator_build.py": 150,  # 2026-12-03
    "tests/browser/journeys/test_no_javascript.py": 45,
    "tests/browser/journeys/test_keyboard.py": 36,
    "tests/browser/app/staff/test_inbox.py": 35,
    "tests/browser/app/configurator/test_step_kinds.py": 27,
    "tests/browser/app/test_case_messages.py": 23,
    "tests/browser/app/staff/test_review_viewer.py": 22,
    "tests/browser/app/citizen/test_catalog.py": 21,
    "tests/browser/app/configurator/test_steps.py": 21,
    "tests/browser/app/test_errors.py": 20,
    "tests/browser/app/citizen/test_round2.py": 20,
    "tests/browser/app/treasury/test_counter.py": 18,
    "tests/browser/app/accounts/test_accounts.py": 17,
}


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist would otherwise hand out files by their number of tests, most first
    (its --loadscope-reorder default), which undoes the order below: one-test journeys of a
    minute came last, with the other worker idle."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.replace("\\", "/").split("::", 1)[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an asyncio loop running in the main
    thread until the session ends, and code that calls `asyncio.run()` (pyHanko, the load
    generators of the benchmarks) must not run after it in the same thread. Within each
    part, the slowest files first (SLOW_FILES); each file's tests keep their order."""
    items.sort(
        key=lambda item: (
            "tests/browser/" in item.nodeid.replace("\\", "/"),
            -SLOW_FILES.get(_file_of(item), 0),
        )
    )
