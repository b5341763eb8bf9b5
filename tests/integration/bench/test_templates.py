"""Smoke test: bench/templates.py runs at a tiny size against PostgreSQL and prints its
contract keys (issue 12: validate, edit + save, diff, statements per save)."""

from __future__ import annotations

import pytest

from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.helpers.bench import run_bench


@pytest.mark.slow
@pytest.mark.postgres
def test_bench_templates_smoke() -> None:
    require_postgres()
    result = run_bench("templates.py", "--runs", "4", "--database-url", POSTGRES_ADMIN_URL)
    assert result["template"]["steps"] == 20 and result["template"]["fields"] == 100
    for key in ("validate_p99_ms", "edit_p99_ms", "edit_save_p99_ms", "diff_p99_ms"):
        assert result[key] >= 0, key
    assert result["diff_changes"] > 0
    assert result["revisions_saved"] == 5  # the first save and four edits
    assert 1 <= result["sql_statements_per_save"] <= 5
