"""`bench/documents.py` runs and reports what docs/performance.md quotes (a tiny run)."""

from __future__ import annotations

import json

import pytest

from bench import documents

pytestmark = pytest.mark.slow


def test_documents_benchmark_reports_valid_signatures(capsys: pytest.CaptureFixture[str]) -> None:
    assert documents.main(["--docs", "3", "--warmup", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("docs_per_s", "p50_ms", "p99_ms", "ratio_vs_naive", "naive_p50_ms"):
        assert isinstance(result[key], int | float) and result[key] > 0, key
    assert result["signature_ok"] is True
