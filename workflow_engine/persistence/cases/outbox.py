"""The outbox processor: runs effects after commit, at least once, with back-off.

A message is claimed with a short lease (status `running`, `locked_until`) that a heartbeat
renews while its handler runs. If the worker dies, the lease expires within
`lease_seconds` and a sweep (or the database worker, `run_due`) hands the message out again;
handlers are idempotent by the message's key, and the engine ignores repeated results, so a
retry is harmless. Failures are classified in `outbox_errors`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, insert, or_, select, update

from workflow_engine.engine import Command, ConflictError
from workflow_engine.persistence.cases.outbox_errors import (
    PermanentEffectError,
    TransientEffectError,
    classify,
)
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import Case, OutboxMessage, table
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
# The heartbeat: extend a lease this worker still holds (same attempt: nobody took it since).
_RENEW = (
    update(outbox_t)
    .where(
        outbox_t.c.id == bindparam("message_id"),
        outbox_t.c.attempts == bindparam("claimed_attempt"),
        outbox_t.c.status == "running",
    )
    .values(locked_until=bindparam("lease_until"))
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


# The name handlers have always raised; the hierarchy lives in `outbox_errors`.
PermanentError = PermanentEffectError
TransientError = TransientEffectError


@dataclass(frozen=True)
class ProcessResult:
    # done, retry, dead, skipped (done already, or not due), busy (another worker holds a
    # live lease: look again in `retry_in` seconds, when it would have expired)
    status: str
    retry_in: float | None = None


class _Heartbeat:
    """Renews the leases of the messages a worker is running, every quarter lease, so a
    long effect keeps its claim while a dead worker's claim runs out quickly."""

    def __init__(self, processor: OutboxProcessor, claims: Mapping[int, int]) -> None:
        self.processor = processor
        self.claims = dict(claims)  # message id -> the attempt number this worker claimed
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        interval = self.processor.renew_every
        if self.claims and interval > 0:
            self.thread = threading.Thread(
                target=self._run, args=(interval,), name="tramita-outbox-lease", daemon=True
            )
            self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _run(self, interval: float) -> None:
        while not self.stop.wait(interval):
            try:
                self.processor.renew(self.claims)
            except Exception as exc:  # the database is away: the lease just runs out
                log.warning("outbox lease renewal failed: %s", classify(exc).reason)


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
        lease_seconds: float = 30.0,
        renew_every: float | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.service = service
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.lease_seconds = lease_seconds
        self.renew_every = lease_seconds / 4 if renew_every is None else renew_every
        self.clock = clock

    def backoff(self, attempts: int) -> float:
        """Exponential back-off with jitter: 5 s, 10 s, 20 s ... never more than `max_delay`
        (the cap applies after the jitter)."""
        delay = self.base_delay * (2 ** min(max(attempts - 1, 0), 60))
        return float(min(self.max_delay, delay * random.uniform(0.8, 1.2)))

    def renew(self, claims: Mapping[int, int]) -> None:
        """Extend the leases of these messages if this worker still holds them."""
        lease_until = self.clock() + timedelta(seconds=self.lease_seconds)
        with self.engine.begin() as conn:
            conn.execute(
                _RENEW,
                [
                    {"message_id": mid, "claimed_attempt": attempt, "lease_until": lease_until}
                    for mid, attempt in claims.items()
                ],
            )

    def _held(self, message_ids: Sequence[int]) -> dict[int, float]:
        """Of these messages, those another worker is running under a live lease, with the
        seconds left on it."""
        now = self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox_t.c.id, outbox_t.c.locked_until).where(
                    outbox_t.c.id.in_(list(message_ids)),
                    outbox_t.c.status == "running",
                    outbox_t.c.locked_until >= now,
                )
            ).all()
        return {int(r.id): max((r.locked_until - now).total_seconds(), 0.0) + 1.0 for r in rows}

    def _skipped(self, message_ids: Sequence[int]) -> dict[int, ProcessResult]:
        held = self._held(message_ids)
        return {
            mid: ProcessResult("busy", held[mid]) if mid in held else ProcessResult("skipped")
            for mid in message_ids
        }

    def _bookkeep(self, statement: Any, params: Mapping[str, Any]) -> None:
        """Write a message's outcome; a database that blinks gets a few seconds. If it
        stays away, the lease runs out and the message is handed out again."""
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    conn.execute(statement, dict(params))
                return
            except Exception as exc:
                if attempt == 2 or classify(exc).permanent:
                    raise
                time.sleep(1.0 + attempt)

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
            return self._skipped([message_id])[message_id]
        with _Heartbeat(self, {item.id: item.attempts}):
            failed = self._run(item)
        if failed is not None:
            return failed
        self._bookkeep(_DONE, {"message_id": item.id, "finished_at": self.clock()})
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
        items = [
            OutboxItem(r.id, r.case_id, r.kind, r.idempotency_key, r.payload, r.attempts)
            for r in sorted(rows, key=lambda r: int(r.id))
        ]
        claimed = {item.id for item in items}
        if len(claimed) < len(ids):
            results.update(self._skipped([mid for mid in ids if mid not in claimed]))
        done: list[int] = []
        with _Heartbeat(self, {item.id: item.attempts for item in items}):
            for item in items:
                failed = self._run(item)
                if failed is None:
                    done.append(item.id)
                else:
                    results[item.id] = failed
        if done:
            self._bookkeep(_DONE_MANY, {"message_ids": done, "finished_at": self.clock()})
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
        failure = classify(exc)
        reason = scrub(failure.reason)[:2000]
        dead = failure.permanent or item.attempts >= self.max_attempts
        delay = None if dead else self.backoff(item.attempts)
        log.warning("outbox message %s (%s) failed: %s", item.id, item.kind, reason)
        values: dict[str, Any] = {"last_error": reason, "locked_until": None}
        if dead:
            values["status"] = "dead"
        else:
            values["status"] = "pending"
            values["next_attempt_at"] = self.clock() + timedelta(seconds=delay or 0)
        self._bookkeep(
            update(outbox_t)
            .where(outbox_t.c.id == item.id, outbox_t.c.attempts == item.attempts)
            .values(**values),
            {},
        )
        return ProcessResult("dead" if dead else "retry", delay)

    def due(self, limit: int = 200, grace: float = 0.0) -> list[int]:
        """Messages to hand out again: pending and due (for at least `grace` seconds), or
        running with an expired lease."""
        now = self.clock()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox_t.c.id)
                .where(
                    or_(
                        and_(
                            outbox_t.c.status == "pending",
                            outbox_t.c.next_attempt_at <= now - timedelta(seconds=grace),
                        ),
                        and_(outbox_t.c.status == "running", outbox_t.c.locked_until < now),
                    )
                )
                .order_by(outbox_t.c.id)
                .limit(limit)
            ).scalars()
            return [int(r) for r in rows]

    def run_due(self, limit: int = 200, grace: float = 0.0, batch: int = 20) -> int:
        """Run due messages in this process, from the database alone (no broker): the
        in-process mode, `outbox run` and `outbox work`. Claims are atomic, so several
        processes (and Celery workers) may do this at once. `grace`: leave messages due for
        less than that to the broker's workers. Returns how many were done."""
        ids = self.due(limit, grace)
        done = 0
        for start in range(0, len(ids), batch):
            results = self.process_many(ids[start : start + batch])
            done += sum(1 for r in results.values() if r.status == "done")
        return done

    def work(
        self,
        stop: threading.Event,
        *,
        interval: float = 2.0,
        grace: float = 0.0,
        limit: int = 200,
    ) -> int:
        """Run due messages until `stop` is set, resting `interval` seconds when there is
        nothing to do; a database that is away is waited for. Returns how many were done."""
        done = 0
        warned_at = 0.0
        while not stop.is_set():
            try:
                count = self.run_due(limit, grace)
            except Exception as exc:
                if time.monotonic() - warned_at > 60:
                    log.warning("outbox worker: database unavailable: %s", classify(exc).reason)
                    warned_at = time.monotonic()
                count = 0
            done += count
            if count == 0:
                stop.wait(interval)
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
