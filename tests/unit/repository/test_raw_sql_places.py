"""Raw driver SQL only on measured hot paths, in one module per area, each naming the benchmark
that justifies it (docs/performance.md): a new place needs its measurement first."""

from __future__ import annotations

import re

from tests.helpers.paths import REPO_ROOT

RAW = re.compile(
    r"exec_driver_sql|(?<![\w.])(?<!def )text\(|\b(?:sa|sqlalchemy)\.text\("
    r"|\.dbapi_connection|\.driver_connection|\.connection\.connection"
    r"|\bdriver_row\(|\bcursor\.execute\("
)
PLACES = {
    "workflow_engine/persistence/db.py": "bench/engine.py",
    "workflow_engine/persistence/cases/hotpath.py": "bench/engine.py",
    "workflow_engine/persistence/platform/accounts.py": "bench/wizard_cpu.py",
    "connectors/payments/recording.py": "bench/payments",
}


def test_raw_driver_sql_stays_in_its_measured_places() -> None:
    found = {
        str(path.relative_to(REPO_ROOT))
        for package in ("app", "workflow_engine", "connectors")
        for path in (REPO_ROOT / package).rglob("*.py")
        if RAW.search(path.read_text("utf-8"))
    }
    assert found <= set(PLACES), sorted(found - set(PLACES))
    for place, bench in PLACES.items():
        text = (REPO_ROOT / place).read_text("utf-8")
        assert bench in text, f"{place} does not name its benchmark ({bench})"
