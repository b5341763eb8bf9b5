"""Smoke test: the wizard HTTP benchmark starts gunicorn on PostgreSQL, walks the licence
wizard with a handful of citizens, and prints its contract keys."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.helpers.paths import REPO_ROOT

BENCH = REPO_ROOT / "bench" / "wizard_http.py"


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_wizard_http_smoke() -> None:
    require_postgres()
    scratch = f"tramita_bench_http_t_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--citizens",
            "5",
            "--duration",
            "5",
            "--ramp",
            "1",
            "--saturation-seconds",
            "3",
            "--saturation-users",
            "4",
            "--warmup-walks",
            "2",
            "--database-url",
            POSTGRES_ADMIN_URL,
            "--scratch-db",
            scratch,
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
    for key in (
        "flow",
        "citizens",
        "p50_ms",
        "p99_ms",
        "pages",
        "saturation_rps",
        "errors",
        "machine",
        "server",
        "paced",
        "saturation",
        "goals",
    ):
        assert key in result, key
    assert result["citizens"] == 5
    assert result["server"]["workers"] == 2
    assert result["machine"]["cpus"] >= 1
    assert result["p50_ms"] <= result["p99_ms"]
    for name, stats in result["pages"].items():
        assert set(stats) == {"count", "p50_ms", "p99_ms"}, name
        assert stats["count"] > 0
    assert {"GET /entrar", "POST /entrar"} <= set(result["pages"])
    assert result["saturation_rps"] > 0
    assert result["errors"]["total"] == 0, result.get("server_log_tail")
    # the whole wizard was walked, from the procedure page to the confirmation
    assert result["flow"] == "wizard", result.get("flow_note")
    walked = result["saturation"]["pages"]
    for name in ("POST iniciar", "POST pasos/documentos", "GET revisar", "POST enviar"):
        assert walked.get(name, {}).get("count", 0) > 0, name
    assert result["saturation"]["walks_completed"] > 0
