"""One schedule for Celery beat and the in-process sweeper (app/tasks.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from app.tasks import TASKS, InlineSweeper, schedule


def test_every_scheduled_task_exists_and_names_are_unique() -> None:
    entries = schedule()
    assert len({e.name for e in entries}) == len(entries)
    assert {e.task for e in entries} <= set(TASKS)
    assert {e.name for e in entries if e.inline} == {
        "sweep-outbox",
        "fire-timers",
        "expire-drafts",
        "purge-case-exports",
    }


def test_the_inline_sweeper_runs_each_entry_when_beat_would() -> None:
    ran: list[str] = []
    tasks: dict[str, Any] = {name: (lambda name=name: ran.append(name)) for name in TASKS}
    sweeper = InlineSweeper(SimpleNamespace(tasks=tasks), schedule())
    morning = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    sweeper.tick(morning)
    # drafts: at 09:30 UTC; exports purged hourly
    assert ran == ["tramita.sweep_outbox", "tramita.fire_timers", "tramita.purge_case_exports"]
    ran.clear()
    sweeper.tick(morning + timedelta(seconds=20))
    assert ran == ["tramita.sweep_outbox"]  # every 15 s; timers every 60 s
    ran.clear()
    sweeper.tick(datetime(2026, 3, 2, 9, 31, tzinfo=UTC))
    assert ran[:3] == ["tramita.sweep_outbox", "tramita.fire_timers", "tramita.expire_drafts"]
    ran.clear()
    sweeper.tick(datetime(2026, 3, 2, 23, 0, tzinfo=UTC))
    assert "tramita.expire_drafts" not in ran  # once a day
    sweeper.tick(datetime(2026, 3, 3, 9, 30, tzinfo=UTC))
    assert ran.count("tramita.expire_drafts") == 1


def test_a_failing_task_does_not_stop_the_others() -> None:
    ran: list[str] = []

    def boom() -> None:
        raise RuntimeError("down")

    tasks: dict[str, Any] = {name: (lambda name=name: ran.append(name)) for name in TASKS}
    tasks["tramita.sweep_outbox"] = boom
    InlineSweeper(SimpleNamespace(tasks=tasks), schedule()).tick(datetime(2026, 3, 2, tzinfo=UTC))
    assert ran == ["tramita.fire_timers", "tramita.purge_case_exports"]
