"""What the outbox holds that is not done yet, as an operator reads it: the administration page
and the metrics ask here, so both count the same states the same way.

States of a row not done: `due` (waiting for its first run), `retrying` (failed before,
waiting for its next try), `running` (a worker holds its lease), `dead` (failed for good).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, func, select

from workflow_engine.persistence.models import Case, OutboxMessage, table
from workflow_engine.persistence.types import utcnow
from workflow_engine.redact import scrub

outbox_t = table(OutboxMessage)
cases_t = table(Case)
STATES = ("due", "retrying", "running", "dead")


def _where(state: str | None) -> ColumnElement[bool]:
    status = outbox_t.c.status
    if state == "due":
        return and_(status == "pending", outbox_t.c.attempts == 0)
    if state == "retrying":
        return and_(status == "pending", outbox_t.c.attempts > 0)
    if state in ("running", "dead"):
        return status == state
    return status.in_(("pending", "running", "dead"))


_STATE = case(
    (and_(outbox_t.c.status == "pending", outbox_t.c.attempts == 0), "due"),
    (outbox_t.c.status == "pending", "retrying"),
    else_=outbox_t.c.status,
)


@dataclass(frozen=True)
class BacklogSummary:
    counts: dict[str, int]  # state -> rows
    dead_by_kind: dict[str, int]
    oldest_due_age_seconds: float  # 0 when nothing is due


@dataclass(frozen=True)
class BacklogRow:
    id: int
    kind: str
    state: str
    folio: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    locked_until: datetime | None
    lease_expired: bool
    last_error: str | None  # personal data scrubbed


@dataclass(frozen=True)
class BacklogPage:
    rows: list[BacklogRow]
    total: int
    page: int
    pages: int


class OutboxBacklog:
    """Read-only views of the outbox for operators."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def summary(self) -> BacklogSummary:
        """Rows per state, dead letters per kind, and the age of the oldest due row: a few
        queries on the (status, next_attempt_at) index, cheap enough for every scrape."""
        now = self.clock()
        counts = dict.fromkeys(STATES, 0)
        with self.engine.connect() as conn:
            for state, count in conn.execute(
                select(_STATE, func.count()).where(_where(None)).group_by(_STATE)
            ):
                counts[str(state)] = int(count)
            dead = {
                str(kind): int(count)
                for kind, count in conn.execute(
                    select(outbox_t.c.kind, func.count())
                    .where(outbox_t.c.status == "dead")
                    .group_by(outbox_t.c.kind)
                )
            }
            oldest_pending = conn.execute(
                select(func.min(outbox_t.c.next_attempt_at)).where(
                    outbox_t.c.status == "pending", outbox_t.c.next_attempt_at <= now
                )
            ).scalar()
            # A running row whose lease ran out is due again (its worker died).
            oldest_orphan = conn.execute(
                select(func.min(outbox_t.c.locked_until)).where(
                    outbox_t.c.status == "running", outbox_t.c.locked_until < now
                )
            ).scalar()
        since = [moment for moment in (oldest_pending, oldest_orphan) if moment is not None]
        age = max(0.0, (now - min(since)).total_seconds()) if since else 0.0
        return BacklogSummary(counts, dead, age)

    def page(self, state: str | None = None, page: int = 1, per_page: int = 50) -> BacklogPage:
        """Rows not done (or of one state), oldest first."""
        if state not in STATES:
            state = None
        now = self.clock()
        where = _where(state)
        with self.engine.connect() as conn:
            total = int(conn.execute(select(func.count()).where(where)).scalar_one())
            pages = max(1, -(-total // per_page))
            page = min(max(1, page), pages)
            rows = conn.execute(
                select(
                    outbox_t.c.id,
                    outbox_t.c.kind,
                    _STATE.label("state"),
                    cases_t.c.folio,
                    outbox_t.c.attempts,
                    outbox_t.c.created_at,
                    outbox_t.c.next_attempt_at,
                    outbox_t.c.locked_until,
                    outbox_t.c.last_error,
                )
                .select_from(outbox_t.outerjoin(cases_t, cases_t.c.id == outbox_t.c.case_id))
                .where(where)
                .order_by(outbox_t.c.id)
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).all()
        return BacklogPage([self._row(r, now) for r in rows], total, page, pages)

    @staticmethod
    def _row(r: Any, now: datetime) -> BacklogRow:
        running = r.state == "running"
        return BacklogRow(
            id=int(r.id),
            kind=str(r.kind),
            state=str(r.state),
            folio=r.folio,
            attempts=int(r.attempts),
            created_at=r.created_at,
            next_attempt_at=None if running or r.state == "dead" else r.next_attempt_at,
            locked_until=r.locked_until if running else None,
            lease_expired=bool(running and r.locked_until is not None and r.locked_until < now),
            last_error=scrub(r.last_error) if r.last_error else None,
        )
