"""Smoke test: the fault benchmark starts the production topology behind its TCP proxies,
runs two faults with a couple of cases, and prints its contract keys."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from tests.conftest import (
    POSTGRES_ADMIN_URL,
    REDIS_URL,
    postgres_available,
    redis_available,
    service_missing,
)
from tests.helpers.paths import REPO_ROOT

BENCH = REPO_ROOT / "bench" / "faults.py"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_bench_faults_smoke() -> None:
    if not postgres_available() or not redis_available():
        service_missing("PostgreSQL and Redis are needed")
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--cases",
            "2",
            "--fault-seconds",
            "2",
            "--faults",
            "broker_hang,broker_down",
            "--settle-seconds",
            "90",
            "--grace",
            "1",
            "--database-url",
            POSTGRES_ADMIN_URL,
            "--redis-url",
            REDIS_URL,
            "--scratch-db",
            f"tramita_bench_faults_t_{uuid.uuid4().hex[:8]}",
            "--json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["max_request_ms_during_broker_hang"] is not None
    assert set(result["recovery_s"]) == {"broker_hang", "broker_down"}
    assert all(r["filed"] == 2 for r in result["faults"].values())
