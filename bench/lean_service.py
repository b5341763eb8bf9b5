"""An experiment, not production code: CaseService with the persistence changes suggested in
docs/performance.md, so `bench/engine.py --service lean` can measure what they are worth.

Same rows, same hashes, same outcome as `CaseService`; only how they are written changes:

1. statements are built once with bind parameters (no per-call SQLAlchemy construction,
   coercion and cache-key generation);
2. all outbox rows of a command go in one multi-row INSERT ... RETURNING (was one round
   trip per effect); task rows likewise;
3. the case state is turned into JSON without `dataclasses.asdict` (which deep-copies every
   value) and without the `_plain` dumps/loads round trip; it is serialised once, by us, and
   bound as text (the JSON column type would serialise it a second time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, delete, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import type_coerce

from workflow_engine.engine import Command
from workflow_engine.engine.errors import ConflictError
from workflow_engine.engine.results import Effect, Event
from workflow_engine.engine.state import CaseState, PaymentState, TaskState, TimerState
from workflow_engine.persistence.hashing import event_hash
from workflow_engine.persistence.service import (
    CaseService,
    CommandOutcome,
    NotFoundError,
    _json_default,
    _plain,
    apply_command,
    cases_t,
    events_t,
    outbox_t,
    tasks_t,
    timers_t,
)

_STATE_FIELDS = tuple(f.name for f in fields(CaseState))
_TASK_FIELDS = tuple(f.name for f in fields(TaskState))
_TIMER_FIELDS = tuple(f.name for f in fields(TimerState))
_PAYMENT_FIELDS = tuple(f.name for f in fields(PaymentState))


def state_json(state: CaseState) -> str:
    """The case state as JSON text: what `CaseState.to_json` + `_plain` give, one pass."""
    raw: dict[str, Any] = {name: getattr(state, name) for name in _STATE_FIELDS}
    raw["data"] = dict(state.data)
    raw["drafts"] = {k: dict(v) for k, v in state.drafts.items()}
    raw["results"] = {k: dict(v) for k, v in state.results.items()}
    raw["attempts"] = dict(state.attempts)
    raw["tasks"] = {k: {n: getattr(t, n) for n in _TASK_FIELDS} for k, t in state.tasks.items()}
    raw["timers"] = {k: {n: getattr(t, n) for n in _TIMER_FIELDS} for k, t in state.timers.items()}
    if state.payment is not None:
        raw["payment"] = {n: getattr(state.payment, n) for n in _PAYMENT_FIELDS}
    return json.dumps(raw, default=_json_default, ensure_ascii=False, separators=(",", ":"))


_LOAD = select(
    cases_t.c.folio,
    cases_t.c.version_id,
    cases_t.c.state,
    cases_t.c.lock_version,
    cases_t.c.event_count,
    cases_t.c.last_event_hash,
).where(cases_t.c.id == bindparam("p_case_id"))

_INSERT_EVENTS = insert(events_t)
_INSERT_OUTBOX = insert(outbox_t).returning(outbox_t.c.id, sort_by_parameter_order=True)
_INSERT_TASKS = insert(tasks_t)
_UPDATE_TASK = (
    update(tasks_t)
    .where(tasks_t.c.case_id == bindparam("p_case_id"), tasks_t.c.task_key == bindparam("p_key"))
    .values(
        {
            name: bindparam(f"p_{name}")
            for name in (
                "step_id",
                "branch_id",
                "department",
                "role",
                "status",
                "due_on",
                "escalated",
                "opened_at",
                "decided_at",
                "decided_by",
            )
        }
    )
)
_INSERT_TIMERS = insert(timers_t)
_DELETE_TIMERS = delete(timers_t).where(
    timers_t.c.case_id == bindparam("p_case_id"),
    timers_t.c.timer_key.in_(bindparam("p_keys", expanding=True)),
)


def _update_case(dialect: str) -> Any:
    state = bindparam("p_state", type_=Text)
    state_value = cast(state, JSONB) if dialect == "postgresql" else type_coerce(state, Text)
    return (
        update(cases_t)
        .where(cases_t.c.id == bindparam("p_id"), cases_t.c.lock_version == bindparam("p_lock"))
        .values(
            state=state_value,
            status=bindparam("p_status"),
            position=bindparam("p_position"),
            outcome=bindparam("p_outcome"),
            lock_version=bindparam("p_new_lock"),
            event_count=bindparam("p_event_count"),
            last_event_hash=bindparam("p_hash"),
            updated_at=bindparam("p_at", type_=cases_t.c.updated_at.type),
            submitted_at=bindparam("p_submitted_at", type_=cases_t.c.submitted_at.type),
            closed_at=bindparam("p_closed_at", type_=cases_t.c.closed_at.type),
        )
    )


def _task_values(task: TaskState) -> dict[str, Any]:
    return {
        "step_id": task.step_id,
        "branch_id": task.branch_id,
        "department": task.department,
        "role": task.role,
        "status": task.status,
        "due_on": date.fromisoformat(task.due_on) if task.due_on else None,
        "escalated": task.escalated,
        "opened_at": datetime.fromisoformat(task.opened_at),
        "decided_at": datetime.fromisoformat(task.decided_at) if task.decided_at else None,
        "decided_by": task.decided_by,
    }


class LeanCaseService(CaseService):
    """CaseService with prepared statements, batched inserts and one-pass state JSON."""

    _update_stmt: Any = None

    def execute(
        self, case_id: int, command: Command, *, expected_version: int | None = None
    ) -> CommandOutcome:
        with self.engine.begin() as conn:
            row = conn.execute(_LOAD, {"p_case_id": case_id}).one_or_none()
            if row is None:
                raise NotFoundError("El expediente no existe.", "No such case.", case=case_id)
            if expected_version is not None and expected_version != row.lock_version:
                raise ConflictError(
                    "El expediente cambió mientras lo consultaba; recárguelo e intente de nuevo.",
                    "The case changed while you were looking at it; reload and try again.",
                    expected=expected_version,
                    actual=row.lock_version,
                )
            definition = self.definition(conn, row.version_id)
            state = CaseState.from_json(row.state)
            result = apply_command(definition, state, command, self.context(conn))
            if not result.events and not result.effects:
                return CommandOutcome(case_id, row.folio, state, (), row.lock_version, ())
            outcome = self._persist(
                conn,
                case_id,
                row.folio,
                row.lock_version,
                row.event_count,
                row.last_event_hash,
                result.state,
                state,
                result.events,
                result.effects,
                command,
            )
        self._dispatch(outcome.outbox_ids)
        return outcome

    def _persist(
        self,
        conn: Connection,
        case_id: int,
        folio: str,
        lock_version: int,
        event_count: int,
        last_hash: str,
        new: CaseState,
        old: CaseState | None,
        events: Iterable[Event],
        effects: Iterable[Effect],
        command: Command,
    ) -> CommandOutcome:
        if self._update_stmt is None:
            self._update_stmt = _update_case(conn.dialect.name)
        at = command.at
        actor = command.actor
        event_rows = []
        prev = last_hash
        seq = event_count
        for ev in events:
            seq += 1
            data = _plain(ev.data)
            digest = event_hash(prev, case_id, seq, ev.type, data, actor.id, at)
            event_rows.append(
                {
                    "case_id": case_id,
                    "seq": seq,
                    "type": ev.type,
                    "data": data,
                    "actor_id": actor.id,
                    "actor_name": actor.name,
                    "created_at": at,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        submitted = datetime.fromisoformat(new.submitted_at) if new.submitted_at else None
        closed = datetime.fromisoformat(new.closed_at) if new.closed_at else None
        updated = conn.execute(
            self._update_stmt,
            {
                "p_id": case_id,
                "p_lock": lock_version,
                "p_state": state_json(new),
                "p_status": new.status,
                "p_position": new.position,
                "p_outcome": new.outcome,
                "p_new_lock": lock_version + 1,
                "p_event_count": seq,
                "p_hash": prev,
                "p_at": at,
                "p_submitted_at": submitted,
                "p_closed_at": closed,
            },
        )
        if updated.rowcount != 1:
            raise ConflictError(
                "Otra persona modificó el expediente al mismo tiempo; recárguelo.",
                "Someone else changed the case at the same time; reload it.",
            )
        if event_rows:
            conn.execute(_INSERT_EVENTS, event_rows)
        self._sync_tasks(conn, case_id, old.tasks if old else {}, new.tasks)
        self._sync_timers(conn, case_id, old.timers if old else {}, new.timers)
        outbox_rows = [
            {
                "case_id": case_id,
                "kind": eff.kind,
                "idempotency_key": eff.key,
                "payload": _plain(eff.payload),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for eff in effects
        ]
        outbox_ids: tuple[int, ...] = ()
        if outbox_rows:
            outbox_ids = tuple(conn.execute(_INSERT_OUTBOX, outbox_rows).scalars().all())
        return CommandOutcome(case_id, folio, new, tuple(events), lock_version + 1, outbox_ids)

    @staticmethod
    def _sync_tasks(conn: Connection, case_id: int, old: Any, new: Any) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for key, task in new.items():
            before: TaskState | None = old.get(key)
            if before == task:
                continue
            values = _task_values(task)
            if before is None:
                inserts.append({"case_id": case_id, "task_key": key, **values})
            else:
                updates.append(
                    {"p_case_id": case_id, "p_key": key, **{f"p_{k}": v for k, v in values.items()}}
                )
        if inserts:
            conn.execute(_INSERT_TASKS, inserts)
        if updates:
            conn.execute(_UPDATE_TASK, updates)

    @staticmethod
    def _sync_timers(conn: Connection, case_id: int, old: Mapping[str, Any], new: Any) -> None:
        removed = [k for k in old if k not in new]
        if removed:
            conn.execute(_DELETE_TIMERS, {"p_case_id": case_id, "p_keys": removed})
        added: list[TimerState] = [t for k, t in new.items() if k not in old]
        if added:
            conn.execute(
                _INSERT_TIMERS,
                [
                    {
                        "case_id": case_id,
                        "timer_key": t.id,
                        "kind": t.kind,
                        "fires_at": datetime.fromisoformat(t.fires_at),
                    }
                    for t in added
                ],
            )


# -- a second experiment: the same writes through the DBAPI cursor -----------------------------


def _sqlite_datetime(value: datetime | None) -> str | None:
    """What SQLAlchemy's UTCDateTime + SQLite DATETIME store: naive UTC, microseconds."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Sql:
    """The hot-path statements as text, in the driver's parameter style."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"
        jsonb = "CAST({} AS JSONB)" if self.pg else "{}"
        self.load = self._named(
            "SELECT folio, version_id, state, lock_version, event_count, last_event_hash "
            "FROM cases WHERE id = :id"
        )
        self.update_case = self._named(
            "UPDATE cases SET state = "
            + jsonb.format(":state")
            + ", status = :status, position = :position, outcome = :outcome, "
            "lock_version = :new_lock, event_count = :event_count, last_event_hash = :hash, "
            "updated_at = :at, submitted_at = :submitted_at, closed_at = :closed_at "
            "WHERE id = :id AND lock_version = :lock"
        )
        self.insert_event = self._named(
            "INSERT INTO case_events (case_id, seq, type, data, actor_id, actor_name, "
            "created_at, prev_hash, hash) VALUES (:case_id, :seq, :type, "
            + jsonb.format(":data")
            + ", :actor_id, :actor_name, :created_at, :prev_hash, :hash)"
        )
        self.outbox_columns = (
            "case_id",
            "kind",
            "idempotency_key",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
        )
        self.insert_task = self._named(
            "INSERT INTO tasks (case_id, task_key, step_id, branch_id, department, role, status, "
            "due_on, escalated, opened_at, decided_at, decided_by) VALUES (:case_id, :task_key, "
            ":step_id, :branch_id, :department, :role, :status, :due_on, :escalated, "
            ":opened_at, :decided_at, :decided_by)"
        )
        self.update_task = self._named(
            "UPDATE tasks SET step_id = :step_id, branch_id = :branch_id, "
            "department = :department, role = :role, status = :status, due_on = :due_on, "
            "escalated = :escalated, opened_at = :opened_at, decided_at = :decided_at, "
            "decided_by = :decided_by WHERE case_id = :case_id AND task_key = :task_key"
        )
        self.insert_timer = self._named(
            "INSERT INTO timers (case_id, timer_key, kind, fires_at) "
            "VALUES (:case_id, :timer_key, :kind, :fires_at)"
        )

    def _named(self, sql: str) -> str:
        """`:name` (sqlite3) or `%(name)s` (psycopg)."""
        if not self.pg:
            return sql
        return re.sub(r":(\w+)", r"%(\1)s", sql)

    def insert_outbox(self, count: int) -> str:
        marker = "%s" if self.pg else "?"
        payload = f"CAST({marker} AS JSONB)" if self.pg else marker
        one = "(" + ", ".join(payload if c == "payload" else marker for c in self.outbox_columns)
        values = ", ".join([one + ")"] * count)
        return f"INSERT INTO outbox ({', '.join(self.outbox_columns)}) VALUES {values} RETURNING id"

    def delete_timers(self, count: int) -> str:
        marker = "%s" if self.pg else "?"
        keys = ", ".join([marker] * count)
        return f"DELETE FROM timers WHERE case_id = {marker} AND timer_key IN ({keys})"

    def when(self, value: datetime | None) -> Any:
        return value if self.pg or value is None else _sqlite_datetime(value)

    def day(self, value: str | None) -> Any:
        if value is None:
            return None
        return date.fromisoformat(value) if self.pg else value


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


class RawCaseService(LeanCaseService):
    """LeanCaseService writing through the DBAPI cursor of the same SQLAlchemy transaction:
    measures what SQLAlchemy Core's per-statement machinery costs on the hot path."""

    _sql: _Sql | None = None

    def _statements(self, conn: Connection) -> _Sql:
        if self._sql is None:
            self._sql = _Sql(conn.dialect.name)
        return self._sql

    def execute(
        self, case_id: int, command: Command, *, expected_version: int | None = None
    ) -> CommandOutcome:
        with self.engine.begin() as conn:
            sql = self._statements(conn)
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(sql.load, {"id": case_id})
            row = cursor.fetchone()
            if row is None:
                raise NotFoundError("El expediente no existe.", "No such case.", case=case_id)
            folio, version_id, raw_state, lock_version, event_count, last_hash = row
            if expected_version is not None and expected_version != lock_version:
                raise ConflictError(
                    "El expediente cambió mientras lo consultaba; recárguelo e intente de nuevo.",
                    "The case changed while you were looking at it; reload and try again.",
                    expected=expected_version,
                    actual=lock_version,
                )
            if isinstance(raw_state, str):
                raw_state = json.loads(raw_state)
            definition = self.definition(conn, version_id)
            state = CaseState.from_json(raw_state)
            result = apply_command(definition, state, command, self.context(conn))
            if not result.events and not result.effects:
                return CommandOutcome(case_id, folio, state, (), lock_version, ())
            outcome = self._persist(
                conn,
                case_id,
                folio,
                lock_version,
                event_count,
                last_hash,
                result.state,
                state,
                result.events,
                result.effects,
                command,
            )
        self._dispatch(outcome.outbox_ids)
        return outcome

    def _persist(
        self,
        conn: Connection,
        case_id: int,
        folio: str,
        lock_version: int,
        event_count: int,
        last_hash: str,
        new: CaseState,
        old: CaseState | None,
        events: Iterable[Event],
        effects: Iterable[Effect],
        command: Command,
    ) -> CommandOutcome:
        sql = self._statements(conn)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        at = command.at
        when = sql.when(at)
        actor = command.actor
        event_rows = []
        prev = last_hash
        seq = event_count
        for ev in events:
            seq += 1
            data = _plain(ev.data)
            digest = event_hash(prev, case_id, seq, ev.type, data, actor.id, at)
            event_rows.append(
                {
                    "case_id": case_id,
                    "seq": seq,
                    "type": ev.type,
                    "data": _dumps(data),
                    "actor_id": actor.id,
                    "actor_name": actor.name,
                    "created_at": when,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
        cursor.execute(
            sql.update_case,
            {
                "id": case_id,
                "lock": lock_version,
                "state": state_json(new),
                "status": new.status,
                "position": new.position,
                "outcome": new.outcome,
                "new_lock": lock_version + 1,
                "event_count": seq,
                "hash": prev,
                "at": when,
                "submitted_at": sql.when(
                    datetime.fromisoformat(new.submitted_at) if new.submitted_at else None
                ),
                "closed_at": sql.when(
                    datetime.fromisoformat(new.closed_at) if new.closed_at else None
                ),
            },
        )
        if cursor.rowcount != 1:
            raise ConflictError(
                "Otra persona modificó el expediente al mismo tiempo; recárguelo.",
                "Someone else changed the case at the same time; reload it.",
            )
        if event_rows:
            cursor.executemany(sql.insert_event, event_rows)
        self._raw_tasks(cursor, sql, case_id, old.tasks if old else {}, new.tasks)
        self._raw_timers(cursor, sql, case_id, old.timers if old else {}, new.timers)
        params: list[Any] = []
        count = 0
        for eff in effects:
            count += 1
            params += [
                case_id,
                eff.kind,
                eff.key,
                _dumps(eff.payload),
                "pending",
                0,
                when,
                when,
            ]
        outbox_ids: tuple[int, ...] = ()
        if count:
            cursor.execute(sql.insert_outbox(count), params)
            outbox_ids = tuple(sorted(int(r[0]) for r in cursor.fetchall()))
        return CommandOutcome(case_id, folio, new, tuple(events), lock_version + 1, outbox_ids)

    @staticmethod
    def _raw_tasks(cursor: Any, sql: _Sql, case_id: int, old: Any, new: Any) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for key, task in new.items():
            before: TaskState | None = old.get(key)
            if before == task:
                continue
            values = {
                "case_id": case_id,
                "task_key": key,
                "step_id": task.step_id,
                "branch_id": task.branch_id,
                "department": task.department,
                "role": task.role,
                "status": task.status,
                "due_on": sql.day(task.due_on),
                "escalated": task.escalated if sql.pg else int(task.escalated),
                "opened_at": sql.when(datetime.fromisoformat(task.opened_at)),
                "decided_at": sql.when(
                    datetime.fromisoformat(task.decided_at) if task.decided_at else None
                ),
                "decided_by": task.decided_by,
            }
            (inserts if before is None else updates).append(values)
        if inserts:
            cursor.executemany(sql.insert_task, inserts)
        if updates:
            cursor.executemany(sql.update_task, updates)

    @staticmethod
    def _raw_timers(cursor: Any, sql: _Sql, case_id: int, old: Any, new: Any) -> None:
        removed = [k for k in old if k not in new]
        if removed:
            cursor.execute(sql.delete_timers(len(removed)), [case_id, *removed])
        added: list[TimerState] = [t for k, t in new.items() if k not in old]
        if added:
            cursor.executemany(
                sql.insert_timer,
                [
                    {
                        "case_id": case_id,
                        "timer_key": t.id,
                        "kind": t.kind,
                        "fires_at": sql.when(datetime.fromisoformat(t.fires_at)),
                    }
                    for t in added
                ],
            )
