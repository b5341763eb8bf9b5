"""The outbox processor: runs effects after commit, at least once, with back-off.

A message is claimed with a lease (status `running`, `locked_until`). If the worker dies, the
lease expires and a sweep hands the message out again; handlers are idempotent by the
message's key, and the engine ignores repeated results, so a retry is harmless.
"""

from __future__ import annotations

import logging
import random
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, insert, or_, select, update

from workflow_engine.engine import Command, ConflictError
from workflow_engine.persistence.models import Case, OutboxMessage, table
from workflow_engine.persistence.service import CaseService
from workflow_engine.persistence.types import utcnow
from workflow_engine.redact import scrub

log = logging.getLogger(__name__)
outbox_t = table(OutboxMessage)
cases_t = table(Case)


# Built once: the statements every message runs (constructing them per call cost more CPU
# than sending them; see docs/performance.md).
_DUE = or_(
    and_(outbox_t.c.status == "pending", outbox_t.c.next_attempt_at <= bindparam("now")),
    and_(outbox_t.c.status == "running", outbox_t.c.locked_until < bindparam("now")),
)
_CLAIM = (
    update(outbox_t)
    .where(outbox_t.c.id == bindparam("message_id"), _DUE)
    .values(
        status="running",
        attempts=outbox_t.c.attempts + 1,
        locked_until=bindparam("lease_until"),
    )
    .returning(
        outbox_t.c.id,
        outbox_t.c.case_id,
        outbox_t.c.kind,
        outbox_t.c.idempotency_key,
        outbox_t.c.payload,
        outbox_t.c.attempts,
    )
)
_CLAIM_MANY = (
    update(outbox_t)
    .where(outbox_t.c.id.in_(bindparam("message_ids", expanding=True)), _DUE)
    .values(
        status="running",
        attempts=outbox_t.c.attempts + 1,
        locked_until=bindparam("lease_until"),
    )
    .returning(*_CLAIM.exported_columns)
)
_DONE = (
    update(outbox_t)
    .where(outbox_t.c.id == bindparam("message_id"))
    .values(status="done", done_at=bindparam("finished_at"), locked_until=None, last_error=None)
)
_DONE_MANY = (
    update(outbox_t)
    .where(outbox_t.c.id.in_(bindparam("message_ids", expanding=True)))
    .values(status="done", done_at=bindparam("finished_at"), locked_until=None, last_error=None)
)


@dataclass(frozen=True)
class OutboxItem:
    """What a handler sees of a message."""

    id: int
    case_id: int | None
    kind: str
    key: str
    payload: Mapping[str, Any]
    attempts: int


Handler = Callable[[OutboxItem], Sequence[Command] | None]


def add_message(
    conn: Connection,
    *,
    case_id: int | None,
    kind: str,
    key: str,
    payload: Mapping[str, Any],
    at: datetime,
) -> int:
    """Queue an effect outside a case command (account e-mails, draft warnings) in the
    caller's transaction; the idempotency key is unique, so a repeat raises IntegrityError."""
    message_id = conn.execute(
        insert(outbox_t)
        .values(
            case_id=case_id,
            kind=kind,
            idempotency_key=key,
            payload=dict(payload),
            status="pending",
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
        .returning(outbox_t.c.id)
    ).scalar_one()
    return int(message_id)


class PermanentError(Exception):
    """A handler failure that retrying cannot fix: dead-letter the message at once."""


@dataclass(frozen=True)
class ProcessResult:
    status: str  # done, retry, dead, skipped
    retry_in: float | None = None


class OutboxProcessor:
    def __init__(
        self,
        engine: Engine,
        service: CaseService,
        handlers: Mapping[str, Handler],
        *,
        max_attempts: int = 8,
        base_delay: float = 5.0,
        max_delay: float = 3600.0,
        lease_seconds: float = 300.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.service = service
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.lease_seconds = lease_seconds
        self.clock = clock

    def backoff(self, attempts: int) -> float:
        """Exponential back-off with jitter: 5 s, 10 s, 20 s ... capped at an hour."""
        delay = min(self.max_delay, self.base_delay * (2 ** max(attempts - 1, 0)))
        return float(delay * random.uniform(0.8, 1.2))

    def _claim(self, message_id: int) -> OutboxItem | None:
        """Take the lease on a due message and read it: one `UPDATE … RETURNING`."""
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(
                _CLAIM,
                {
                    "message_id": message_id,
                    "now": now,
                    "lease_until": now + timedelta(seconds=self.lease_seconds),
                },
            ).one_or_none()
        if row is None:
            return None
        return OutboxItem(
            row.id, row.case_id, row.kind, row.idempotency_key, row.payload, row.attempts
        )

    def process(self, message_id: int) -> ProcessResult:
        """Run one message if it is due and nobody else holds it."""
        item = self._claim(message_id)
        if item is None:
            return ProcessResult("skipped")
        failed = self._run(item)
        if failed is not None:
            return failed
        with self.engine.begin() as conn:
            conn.execute(_DONE, {"message_id": item.id, "finished_at": self.clock()})
        return ProcessResult("done")

    def process_many(self, message_ids: Sequence[int]) -> dict[int, ProcessResult]:
        """`process` for several messages (those one command queued, say) with one claim and
        one done-mark for all: two transactions for the batch instead of two per message.
        Each message still runs, fails, backs off and is dead-lettered on its own; a crash
        part-way leaves the claimed ones to the sweep when their lease expires, as for one."""
        ids = sorted(set(message_ids))
        if len(ids) == 1:
            return {ids[0]: self.process(ids[0])}
        results = {message_id: ProcessResult("skipped") for message_id in ids}
        if not ids:
            return results
        now = self.clock()
        with self.engine.begin() as conn:
            rows = conn.execute(
                _CLAIM_MANY,
                {
                    "message_ids": ids,
                    "now": now,
                    "lease_until": now + timedelta(seconds=self.lease_seconds),
                },
            ).all()
        done: list[int] = []
        for row in sorted(rows, key=lambda r: int(r.id)):
            item = OutboxItem(
                row.id, row.case_id, row.kind, row.idempotency_key, row.payload, row.attempts
            )
            failed = self._run(item)
            if failed is None:
                done.append(item.id)
            else:
                results[item.id] = failed
        if done:
            with self.engine.begin() as conn:
                conn.execute(_DONE_MANY, {"message_ids": done, "finished_at": self.clock()})
            results.update({message_id: ProcessResult("done") for message_id in done})
        return results

    def _run(self, item: OutboxItem) -> ProcessResult | None:
        """The handler and the commands it returns; None when it succeeded."""
        try:
            handler = self.handlers.get(item.kind)
            if handler is None:
                raise PermanentError(f"no handler for effect kind {item.kind!r}")
            commands = handler(item) or ()
            for command in commands:
                self._apply(item, command)
        except Exception as exc:
            return self._failed(item, exc)
        return None

    def _apply(self, item: OutboxItem, command: Command) -> None:
        if item.case_id is None:
            return
        for attempt in range(5):
            try:
                self.service.execute(item.case_id, command)
                return
            except ConflictError:
                if attempt == 4:
                    raise

    def _failed(self, item: OutboxItem, exc: Exception) -> ProcessResult:
        error = scrub("".join(traceback.format_exception_only(type(exc), exc)).strip())[:2000]
        permanent = isinstance(exc, PermanentError)
        dead = permanent or item.attempts >= self.max_attempts
        delay = None if dead else self.backoff(item.attempts)
        log.warning("outbox message %s (%s) failed: %s", item.id, item.kind, error)
        values: dict[str, Any] = {"last_error": error, "locked_until": None}
        if dead:
            values["status"] = "dead"
        else:
            values["status"] = "pending"
            values["next_attempt_at"] = self.clock() + timedelta(seconds=delay or 0)
        with self.engine.begin() as conn:
            conn.execute(update(outbox_t).where(outbox_t.c.id == item.id).values(**values))
        return ProcessResult("dead" if dead else "retry", delay)

    def due(self, limit: int = 200) -> list[int]:
        """Messages to hand out again: pending and due, or running with an expired lease."""
        now = self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox_t.c.id)
                .where(
                    or_(
                        and_(outbox_t.c.status == "pending", outbox_t.c.next_attempt_at <= now),
                        and_(outbox_t.c.status == "running", outbox_t.c.locked_until < now),
                    )
                )
                .order_by(outbox_t.c.id)
                .limit(limit)
            ).scalars()
            return [int(r) for r in rows]

    def run_due(self, limit: int = 200) -> int:
        """Process every due message in this process (in-process mode, CLI, tests)."""
        done = 0
        for message_id in self.due(limit):
            if self.process(message_id).status == "done":
                done += 1
        return done

    def dead_letters(self) -> list[dict[str, Any]]:
        """Messages that failed for good, each with its case's ``folio`` (None without one)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox_t, cases_t.c.folio)
                .outerjoin(cases_t, cases_t.c.id == outbox_t.c.case_id)
                .where(outbox_t.c.status == "dead")
                .order_by(outbox_t.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def retry_dead(self, ids: Sequence[int] | None = None) -> list[int]:
        """Put dead-lettered messages back in the queue with a fresh attempt budget."""
        with self.engine.begin() as conn:
            query = select(outbox_t.c.id).where(outbox_t.c.status == "dead")
            if ids:
                query = query.where(outbox_t.c.id.in_(list(ids)))
            found = [int(r) for r in conn.execute(query).scalars()]
            if found:
                conn.execute(
                    update(outbox_t)
                    .where(outbox_t.c.id.in_(found))
                    .values(status="pending", attempts=0, next_attempt_at=self.clock())
                )
        return found
