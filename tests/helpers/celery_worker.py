"""A real Celery worker process for the tests that go through Redis (no eager mode): started
on the test's database and broker, its output in `<tmp_path>/<name>.log`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.helpers.paths import REPO_ROOT

QUIET = ("--without-gossip", "--without-mingle", "--without-heartbeat")


def flush_redis(url: str) -> None:
    """Empty the broker's database (the test's own: TEST_REDIS_URL, one per worker)."""
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def start_worker(
    database_url: str,
    broker_url: str,
    tmp_path: Path,
    *,
    name: str = "worker",
    pool: tuple[str, ...] = ("--pool", "solo"),
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`celery -A app.celery_worker worker` in its own session (kill it with os.killpg)."""
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker_url,
        DEMO_MODE="1",
        INSTANCE_DIR=str(tmp_path),
        DOCUMENTS_DIR=str(tmp_path / "documents"),
        UPLOADS_DIR=str(tmp_path / "uploads"),
        **(env or {}),
    )
    with open(tmp_path / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "app.celery_worker", "worker"),
                *pool,
                *("--loglevel", "INFO", "-n", f"{name}@%h", *QUIET),
            ],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
