"""A case export built by a real Celery worker process through Redis (no eager mode): the
task is sent, the worker writes the file and its progress, the requester downloads it."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import run_migrations
from app.services import build_services
from tests.conftest import (
    REDIS_URL,
    create_pg_database,
    drop_pg_database,
    make_settings,
    require_postgres,
    require_redis,
)
from tests.helpers.cases import file_with_examples
from tests.helpers.celery_worker import flush_redis, start_worker
from workflow_engine.persistence.cases.exports import ExportSpec
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

KEY = "licencia-funcionamiento"


@pytest.fixture
def database_url() -> Iterator[str]:
    require_postgres()
    require_redis()
    url = create_pg_database()
    run_migrations(url)
    yield url
    drop_pg_database(url)


def test_a_worker_builds_the_export(database_url: str, tmp_path: Path) -> None:
    flush_redis(REDIS_URL)
    services = build_services(make_settings(database_url, tmp_path, broker_url=REDIS_URL))
    assert services.celery.conf.task_always_eager is False
    seed_demo(services.engine, demo_mode=True)
    accounts = Accounts(services.engine)
    citizen = accounts.by_email("ciudadano@demo.gob.mx")
    director = accounts.by_email("funcionario@demo.gob.mx")
    assert citizen is not None and director is not None
    folios = {file_with_examples(services, KEY, citizen.actor()).folio for _ in range(2)}
    actor = director.actor()
    export = services.exports.request(
        key=KEY,
        version_number=services.catalog.info(KEY).latest_version,
        fmt="csv",
        lang="es",
        actor=actor,
        departments=actor.departments,
        spec=ExportSpec({"folio": "Folio"}, {}, {}, "http://x/archivos/{id}"),
    )
    services.celery.tasks["tramita.build_case_export"].delay(export.id)
    assert services.exports.info(export.id).status == "queued"  # nothing ran in this process
    worker = start_worker(database_url, REDIS_URL, tmp_path, name="exports")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            found = services.exports.info(export.id)
            if found is not None and found.finished:
                break
            time.sleep(0.3)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    log = (tmp_path / "exports.log").read_text(errors="replace")[-3000:]
    assert found is not None and found.status == "ready", log
    assert found.rows_done == found.rows_total and found.rows_total >= 2
    path = services.exports.download(export.id, actor)
    assert path is not None
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "Folio" and folios <= {r[0] for r in rows[1:]}
    services.engine.dispose()
