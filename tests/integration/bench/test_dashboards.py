"""Smoke test: bench/dashboards.py fills PostgreSQL at a tiny size, fetches every /tableros
page and the consolidated fiscal account, and prints its contract keys (issue 17)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.helpers.bench import run_bench


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_dashboards_smoke() -> None:
    require_postgres()
    base = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    url = f"{base}/tramita_bench_smoke_{uuid.uuid4().hex[:8]}"
    result = run_bench("dashboards.py", "--cases", "300", "--reps", "3", "--db-url", url)
    assert result["cases"] == 300 and result["rows"]["cases"] == 300
    assert result["rows"]["ledger_payments"] > 0 and result["rows"]["case_events"] > 300
    assert {"procedures", "funnel"} <= set(result["pages"])
    slowest = max(page["p99_ms"] for page in result["pages"].values())
    assert result["p99_ms"] == slowest
    assert result["account_p99_ms"] is not None and result["account_p99_ms"] > 0
    assert set(result["goals"]) == {"p99_ms", "account_p99_ms"}
