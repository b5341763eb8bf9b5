"""Smoke test: the configurator benchmark starts gunicorn on PostgreSQL, imports a generated
draft for the liaison's department, measures the editor pages, a save and the test run, and
prints its contract keys."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.helpers.paths import REPO_ROOT

BENCH = REPO_ROOT / "bench" / "configurator.py"


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_configurator_smoke() -> None:
    require_postgres()
    scratch = f"tramita_bench_conf_t_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            *("--steps", "14", "--fields", "30", "--reps", "2", "--warmup", "1"),
            *("--workers", "1", "--database-url", POSTGRES_ADMIN_URL, "--scratch-db", scratch),
            "--json",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["counts"] == {"steps": 14, "fields": 30}
    for key in ("page_p99_ms", "save_p99_ms", "test_run_p99_ms"):
        assert result[key] > 0, key
        assert key in result["goals"], key
    assert {"steps", "form_step", "field", "diagram"} <= set(result["page_p99_by_page"])
    assert result["save"]["count"] == 2 and result["test_run"]["count"] == 2
    for name, stats in result["pages"].items():
        assert stats["p50_ms"] <= stats["p99_ms"], name
