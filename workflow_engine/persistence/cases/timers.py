"""Timers whose time has come (deadlines, reminders, prevención lapses): the scheduled job,
`flask timers fire` and the in-process sweeper all fire them here."""

from __future__ import annotations

import logging
from datetime import datetime

from workflow_engine.engine import Actor, TimerFired
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.types import utcnow

log = logging.getLogger(__name__)


def fire_due_timers(cases: CaseService, limit: int = 500, now: datetime | None = None) -> int:
    """Fire every timer due at `now` (default: the current time); returns how many fired."""
    now = now or utcnow()
    fired = 0
    for case_id, timer_key in cases.due_timers(now, limit):
        try:
            cases.execute(case_id, TimerFired(at=now, actor=Actor.system(), timer_id=timer_key))
            fired += 1
        except EngineError:
            log.exception("timer %s of case %s could not fire", timer_key, case_id)
    return fired
