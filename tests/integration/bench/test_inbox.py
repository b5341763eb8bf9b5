"""Smoke test: the inbox benchmark seeds PostgreSQL with COPY, measures and reports its keys."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.helpers.paths import REPO_ROOT

BENCH = REPO_ROOT / "bench" / "inbox.py"


def _load_bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_inbox", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_inbox"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_inbox_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    require_postgres()
    bench = _load_bench()
    base = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    url = f"{base}/tramita_bench_smoke_{uuid.uuid4().hex[:8]}"
    result = bench.main(["--cases", "200", "--json", "--db-url", url, "--reps", "20"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(result))
    assert printed["cases"] == 200
    assert 400 <= printed["tasks"] <= 800  # about three tasks per case
    assert printed["seed_seconds"] > 0
    for key in ("first_page", "page_50", "search_folio", "search_name", "counts_ms"):
        stats = printed[key]
        assert stats["p50_ms"] is not None and stats["p50_ms"] > 0, key
        assert stats["p50_ms"] <= stats["p99_ms"], key
    # The scratch database is gone afterwards.
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        name = url.rsplit("/", 1)[1]
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert found is None
