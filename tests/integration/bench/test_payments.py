"""Smoke tests: the payment and CPU benchmarks run at tiny sizes against PostgreSQL (and Redis
for the payments' effects), print one JSON object with their contract keys, and exit 0; a
failed integrity check exits 1."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, REDIS_URL, require_postgres, require_redis
from tests.helpers.bench import run_bench


def scratch(name: str) -> str:
    return f"tramita_bench_{name}_t_{uuid.uuid4().hex[:8]}"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_bench_payments_smoke() -> None:
    require_postgres()
    require_redis()
    result = run_bench(
        "payments.py",
        *("--cases", "6", "--concurrency", "2", "--workers", "1", "--threads", "2"),
        *("--reconcile-lines", "25", "--database-url", POSTGRES_ADMIN_URL),
        *("--scratch-db", scratch("payments"), "--redis-url", REDIS_URL),
    )
    assert result["webhooks"] == result["webhooks_recorded"] == 6
    assert result["webhooks_per_s"] > 0
    assert result["check"]["ok"] is True, result["check"]
    # the reconciliation: named after the real line count, import and settlement both timed
    assert result["reconcile_lines"] == 25
    assert 0 < result["reconcile_25_import_s"] <= result["reconcile_25_settled_s"]
    assert result["reimport_25_s"] >= 0  # 25 duplicates: may round to 0.0
    assert result["reconcile_counts"]["recorded"] == 25
    assert result["reimport_counts"]["duplicate"] == 25
    assert result["reconcile_check"] == {
        "payment_apply_run": 25,
        "still_waiting": 0,
        "advanced": 25,
        "orders_paid": 25,
        "ok": True,
    }
    assert "reconcile_100k_s" not in result
    assert result["goals_met"]["reconcile_100000_import_s"] is None  # not a 100,000-line run


def test_bench_payments_exits_1_when_its_check_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import payments

    monkeypatch.setattr(payments, "run", lambda args: {"check": {"ok": False}})
    with pytest.raises(SystemExit) as exit_:
        payments.main(["--json"])
    assert exit_.value.code == 1


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
def test_bench_payments_cpu_smoke() -> None:
    require_postgres()
    require_redis()
    result = run_bench(
        "payments_cpu.py",
        *("--cases", "4", "--warmup", "2", "--pg-url", POSTGRES_ADMIN_URL),
        *("--scratch-db", scratch("paycpu"), "--redis-url", REDIS_URL),
    )
    assert result["webhooks"] == 4
    for key in ("app_cpu_ms", "pg_cpu_ms", "wall_ms", "effects_queued_per_webhook"):
        assert result[key] >= 0, key


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_wizard_cpu_smoke() -> None:
    require_postgres()
    result = run_bench(
        "wizard_cpu.py",
        *("--walks", "2", "--warmup", "1", "--pg-url", POSTGRES_ADMIN_URL),
        *("--scratch-db", scratch("cpu")),
    )
    assert result["walks"] == 2 and result["requests"] > 0
    assert result["app_cpu_ms_per_request"] > 0
    assert result["other_threads_cpu_ms_per_request"] >= 0
    assert {"GET revisar", "POST enviar"} <= set(result["pages"]), sorted(result["pages"])
