"""The dashboards' periods and scope (the figures themselves: tests/integration/app/dashboards)."""

from __future__ import annotations

from datetime import date

from workflow_engine.persistence.cases.dashboards import DashboardScope, periods


def test_weeks_up_to_three_months_then_months() -> None:
    weeks = periods(date(2026, 3, 1), date(2026, 3, 20))
    assert [(p.start.day, p.end.day) for p in weeks] == [(1, 1), (2, 8), (9, 15), (16, 20)]
    assert {p.kind for p in weeks} == {"week"}
    months = periods(date(2025, 12, 15), date(2026, 3, 20))
    assert [(p.start, p.end) for p in months] == [
        (date(2025, 12, 15), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 20)),
    ]


def test_scope() -> None:
    everything = DashboardScope(None, money=True)
    director = DashboardScope(frozenset({"mercados"}))
    cashier = DashboardScope(frozenset(), money=True)
    assert everything.allows("mercados") and everything.sees_cases
    assert director.allows("mercados") and not director.allows("movilidad")
    assert not cashier.sees_cases and not director.money
