"""Smoke test: the engine benchmark runs end to end on SQLite and reports its contract keys."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.helpers.paths import REPO_ROOT

BENCH = REPO_ROOT / "bench" / "engine.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_engine"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bench_engine_sqlite_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    bench = _load_bench()
    result = bench.main(
        ["--backend", "sqlite", "--cases", "2", "--warmup", "1", "--json", "--no-pgbench"]
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(result))
    for key in (
        "backend",
        "cases",
        "transitions",
        "transitions_per_s",
        "p50_ms",
        "p99_ms",
        "per_command",
        "spiff_transitions_per_s",
        "ratio_vs_spiff",
        "pgbench_tps",
        "ratio_vs_pgbench",
    ):
        assert key in printed, key
    assert printed["backend"] == "sqlite"
    assert printed["cases"] == 2
    assert printed["transitions"] == printed["spiff_transitions"] > 0
    assert printed["transitions_per_s"] > 0
    assert printed["spiff_transitions_per_s"] > 0
    assert printed["ratio_vs_spiff"] > 0
    assert printed["pgbench_tps"] is None
    for name in ("StartCase", "SubmitStep", "SubmitCase", "Decide", "PaymentConfirmed"):
        stats = printed["per_command"][name]
        assert stats["count"] > 0
        assert stats["p50_ms"] <= stats["p99_ms"]
