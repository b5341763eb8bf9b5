"""The writes of one command, and the case read of every wizard page, sent through the
database driver's own cursor.

Every transition runs these few statements, and SQLAlchemy's per-statement machinery
(compilation cache look-ups, type coercion, result set-up) cost more than the database work
itself (see docs/performance.md). So the hot path speaks the driver's SQL directly, in the
same transaction SQLAlchemy opened; everything else in the project uses SQLAlchemy.

On PostgreSQL the writes of a command go out in one psycopg pipeline: one network round trip
instead of one per statement. A lost optimistic-lock race is then seen after the batch (the
UPDATE touched no row, or an INSERT met a unique key the winner wrote) and reported as a
ConflictError; the transaction is rolled back either way.

Raw driver SQL for the cases, measured: the writes by bench/engine.py (docs/performance.md,
"Engine": 1 430–1 650 commands/s with it), the wizard's case read (`case_by_folio`) by
bench/wizard_cpu.py ("CPU per request", item 4).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from workflow_engine import strict_json
from workflow_engine.engine.errors import ConflictError
from workflow_engine.engine.results import Effect
from workflow_engine.engine.state import CaseState, TaskState, TimerState
from workflow_engine.persistence.cases.dashboards import funnel_marks
from workflow_engine.persistence.cases.resolution import Resolution
from workflow_engine.persistence.db import driver_row
from workflow_engine.persistence.models import Case, ProcedureVersion, table

OUTBOX_COLUMNS = (
    "case_id",
    "kind",
    "idempotency_key",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def dumps(value: Any) -> str:
    return strict_json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":"))


def lost_race() -> ConflictError:
    return ConflictError(
        "Otra persona modificó el expediente al mismo tiempo; recárguelo.",
        "Someone else changed the case at the same time; reload it.",
    )


def _is_integrity_error(exc: BaseException) -> bool:
    """A unique or foreign key violation, on either driver (their own exception classes)."""
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.IntegrityError)


@dataclass(frozen=True)
class CaseCopy:
    """Case columns copied onto every task row so the inbox never joins (see inbox.py)."""

    folio: str
    procedure_key: str
    applicant_name: str = ""
    applicant_ref: str | None = None
    applicant_search: str = ""


@dataclass(frozen=True)
class LoadedCase:
    folio: str
    version_id: int
    state: dict[str, Any]
    lock_version: int
    event_count: int
    last_event_hash: str
    procedure_key: str = ""
    applicant_name: str = ""
    applicant_ref: str | None = None
    # the holidays table's fingerprint read with the case (`HOLIDAYS_COLUMNS`), or None
    holidays: tuple[Any, ...] | None = None

    @classmethod
    def from_row(cls, row: Any) -> LoadedCase:
        """From a row of the cases table read elsewhere in the request (any driver)."""
        state = row.state
        return cls(
            row.folio,
            int(row.version_id),
            json.loads(state) if isinstance(state, str) else state,
            int(row.lock_version),
            int(row.event_count),
            row.last_event_hash,
            row.procedure_key,
            row.applicant_name or "",
            row.applicant_ref,
            holidays_of(row),
        )


# The holidays table's fingerprint (`platform.holidays.holidays_stamp`: how many, first, last,
# sum of their days), in PostgreSQL's SQL, as four columns joined to a case read: the command
# that follows checks its cached business calendar against it without a round trip of its own
# (the wizard's step, the payment webhook). `holidays_of` reads them back as the same tuple.
HOLIDAYS_COLUMNS = ", h.h_count, h.h_first, h.h_last, h.h_sum"
HOLIDAYS_JOIN = (
    " CROSS JOIN (SELECT count(*) AS h_count, min(day) AS h_first, max(day) AS h_last, "
    "sum(extract(epoch FROM day)) AS h_sum FROM holidays) h"
)


def holidays_of(row: Any) -> tuple[Any, ...] | None:
    """The fingerprint a row read with `HOLIDAYS_COLUMNS` carries (None without them)."""
    count = getattr(row, "h_count", None)
    if count is None:
        return None
    return (count, row.h_first, row.h_last, row.h_sum)


NOT_RESOLVED = Resolution()
cases_t = table(Case)
versions_t = table(ProcedureVersion)

# The case row, its version number and everything `LoadedCase` needs, in one statement.
_CASE_BY_FOLIO = (
    select(
        cases_t.c.id,
        cases_t.c.folio,
        cases_t.c.procedure_key,
        versions_t.c.number,
        cases_t.c.applicant_id,
        cases_t.c.created_at,
        cases_t.c.updated_at,
        cases_t.c.version_id,
        cases_t.c.state,
        cases_t.c.lock_version,
        cases_t.c.event_count,
        cases_t.c.last_event_hash,
        cases_t.c.applicant_name,
        cases_t.c.applicant_ref,
    )
    .join(versions_t, versions_t.c.id == cases_t.c.version_id)
    .where(cases_t.c.folio == bindparam("folio"))
)
_PG_CASE_BY_FOLIO = (
    "SELECT c.id, c.folio, c.procedure_key, v.number, c.applicant_id, c.created_at, "
    "c.updated_at, c.version_id, c.state, c.lock_version, c.event_count, c.last_event_hash, "
    "c.applicant_name, c.applicant_ref" + HOLIDAYS_COLUMNS + " FROM cases c "
    "JOIN procedure_versions v ON v.id = c.version_id" + HOLIDAYS_JOIN + " WHERE c.folio = %s"
)


def driver_of(conn: Connection) -> Any:
    """The driver connection inside SQLAlchemy's current transaction."""
    return conn.connection.dbapi_connection


def case_by_folio(conn: Connection, folio: str) -> Any | None:
    """The case with its version number, read whole (`LoadedCase.from_row` takes it): the
    applicant's pages read it once per request. PostgreSQL: through the driver's cursor."""
    if conn.dialect.name == "postgresql":
        return driver_row(conn, _PG_CASE_BY_FOLIO, (folio,))
    return conn.execute(_CASE_BY_FOLIO, {"folio": folio}).one_or_none()


class HotPath:
    """The hot-path statements in one dialect's SQL and parameter style."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"
        jsonb = "CAST({} AS JSONB)" if self.pg else "{}"
        self.marker = "%s" if self.pg else "?"
        load = (
            "SELECT c.folio, c.version_id, c.state, c.lock_version, c.event_count, "
            "c.last_event_hash, c.procedure_key, c.applicant_name, c.applicant_ref{} "
            "FROM cases c{} WHERE c.id = :id"
        )
        # PostgreSQL: with the holidays' fingerprint (SQLite's `CaseService.context` asks)
        self.load_sql = self._named(
            load.format(HOLIDAYS_COLUMNS, HOLIDAYS_JOIN) if self.pg else load.format("", "")
        )
        self.update_case_sql = self._named(
            "UPDATE cases SET state = "
            + jsonb.format(":state")
            + ", status = :status, position = :position, outcome = :outcome, "
            "lock_version = :new_lock, event_count = :event_count, last_event_hash = :hash, "
            "updated_at = :at, submitted_at = :submitted_at, closed_at = :closed_at, "
            "response_due = :response_due, resolution_days = :resolution_days, "
            "met_deadline = :met_deadline, funnel_marks = funnel_marks || :marks "
            "WHERE id = :id AND lock_version = :lock"
        )
        self.insert_event_sql = self._named(
            "INSERT INTO case_events (case_id, seq, type, data, actor_id, actor_name, "
            "created_at, prev_hash, hash) VALUES (:case_id, :seq, :type, "
            + jsonb.format(":data")
            + ", :actor_id, :actor_name, :created_at, :prev_hash, :hash)"
        )
        self.insert_task_sql = self._named(
            "INSERT INTO tasks (case_id, task_key, step_id, branch_id, department, role, status, "
            "due_on, escalated, opened_at, decided_at, decided_by, assignee_id, folio, "
            "procedure_key, submitted_at, applicant_name, applicant_ref, applicant_search) "
            "VALUES (:case_id, :task_key, :step_id, :branch_id, :department, :role, :status, "
            ":due_on, :escalated, :opened_at, :decided_at, :decided_by, :assignee_id, :folio, "
            ":procedure_key, :submitted_at, :applicant_name, :applicant_ref, :applicant_search)"
        )
        self.update_task_sql = self._named(
            "UPDATE tasks SET step_id = :step_id, branch_id = :branch_id, "
            "department = :department, role = :role, status = :status, due_on = :due_on, "
            "escalated = :escalated, opened_at = :opened_at, decided_at = :decided_at, "
            "decided_by = :decided_by, assignee_id = :assignee_id, folio = :folio, "
            "procedure_key = :procedure_key, submitted_at = :submitted_at, "
            "applicant_name = :applicant_name, applicant_ref = :applicant_ref, "
            "applicant_search = :applicant_search "
            "WHERE case_id = :case_id AND task_key = :task_key"
        )
        self.count_day_sql = self._named(
            "INSERT INTO case_day_counts (day, procedure_key, measure, value, n) "
            "VALUES (:day, :key, :measure, :value, 1) "
            "ON CONFLICT (day, procedure_key, measure, value) "
            "DO UPDATE SET n = case_day_counts.n + 1"
        )
        self.insert_timer_sql = self._named(
            "INSERT INTO timers (case_id, timer_key, kind, fires_at) "
            "VALUES (:case_id, :timer_key, :kind, :fires_at)"
        )

    def _named(self, sql: str) -> str:
        """`:name` for sqlite3, `%(name)s` for psycopg."""
        return re.sub(r":(\w+)", r"%(\1)s", sql) if self.pg else sql

    # -- values as each driver stores them ---------------------------------------------
    def moment(self, value: datetime | str | None) -> Any:
        """A UTC instant: aware datetime for psycopg; SQLAlchemy's SQLite text format."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if self.pg:
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: str | None) -> Any:
        if value is None:
            return None
        return date.fromisoformat(value) if self.pg else value

    # -- statements ------------------------------------------------------------------------
    def load(self, dbapi: Any, case_id: int) -> LoadedCase | None:
        cursor = dbapi.cursor()
        cursor.execute(self.load_sql, {"id": case_id})
        row = cursor.fetchone()
        cursor.close()
        if row is None:
            return None
        folio, version_id, state, lock_version, event_count, last_hash, key, name, ref = row[:9]
        if isinstance(state, str):
            state = json.loads(state)
        holidays = tuple(row[9:]) if len(row) > 9 else None
        return LoadedCase(
            folio,
            version_id,
            state,
            lock_version,
            event_count,
            last_hash,
            key,
            name or "",
            ref,
            holidays,
        )

    def write(
        self,
        dbapi: Any,
        *,
        case_id: int,
        lock_version: int,
        new: CaseState,
        old_tasks: Mapping[str, TaskState],
        old_timers: Mapping[str, TimerState],
        event_rows: list[dict[str, Any]],
        event_count: int,
        last_hash: str,
        effects: Iterable[Effect],
        at: datetime,
        copy: CaseCopy | None = None,
        also: Sequence[tuple[str, Any]] = (),
        resolution: Resolution = NOT_RESOLVED,
        day_counts: Sequence[tuple[date, str, int]] = (),
    ) -> list[int]:
        """Write the case row, events, tasks, timers and outbox; return the outbox ids.

        The row's copies of the state (status, dates, outcome, response deadline) are written
        from `new`; `resolution` is the caller's `resolution.resolution_of` the new state,
        `day_counts` its `dashboards.day_counts` (each adds one to the daily pre-aggregate).

        `also`: the caller's own statements (driver SQL and parameters) for the same
        transaction, sent in the same pipeline (a payment's ledger rows: no extra round trip)."""
        when = self.moment(at)
        marks = funnel_marks((row["type"], row["data"]) for row in event_rows)
        for row in event_rows:
            row["data"] = dumps(row["data"])
            row["created_at"] = when
        outbox_params: list[Any] = []
        count = 0
        for eff in effects:
            count += 1
            outbox_params += [
                case_id,
                eff.kind,
                eff.key,
                dumps(eff.payload),
                "pending",
                0,
                when,
                when,
            ]
        batch = dbapi.pipeline() if self.pg else contextlib.nullcontext()
        update_cursor = dbapi.cursor()
        outbox_cursor = dbapi.cursor()
        try:
            with batch:
                update_cursor.execute(
                    self.update_case_sql,
                    {
                        "id": case_id,
                        "lock": lock_version,
                        "state": dumps(new.to_json()),
                        "status": new.status,
                        "position": new.position,
                        "outcome": new.outcome,
                        "new_lock": lock_version + 1,
                        "event_count": event_count,
                        "hash": last_hash,
                        "at": when,
                        "submitted_at": self.moment(new.submitted_at),
                        "closed_at": self.moment(new.closed_at),
                        "response_due": self.day(new.response_due),
                        "resolution_days": resolution.days,
                        "met_deadline": resolution.met_deadline,
                        "marks": marks,
                    },
                )
                if not self.pg and update_cursor.rowcount != 1:
                    raise lost_race()
                cursor = dbapi.cursor()
                if event_rows:
                    cursor.executemany(self.insert_event_sql, event_rows)
                self._tasks(cursor, case_id, old_tasks, new, copy or CaseCopy(new.folio, ""))
                self._timers(cursor, case_id, old_timers, new.timers)
                if count:
                    outbox_cursor.execute(self._insert_outbox_sql(count), outbox_params)
                for day, measure, value in day_counts:
                    cursor.execute(
                        self.count_day_sql,
                        {
                            "day": day if self.pg else day.isoformat(),
                            "key": (copy.procedure_key if copy else ""),
                            "measure": measure,
                            "value": value,
                        },
                    )
                for sql, params in also:
                    cursor.execute(sql, params)
        except ConflictError:
            raise
        except UnicodeEncodeError:  # text the driver cannot encode is bad input, not a race
            raise strict_json.invalid_text() from None
        except Exception as exc:
            # Only a unique key the winner wrote first means we lost the race; anything else
            # (bad data, a dropped connection) is reported as what it is.
            if update_cursor.rowcount != 1 and _is_integrity_error(exc):
                raise lost_race() from None
            raise
        if update_cursor.rowcount != 1:
            raise lost_race()
        if not count:
            return []
        return sorted(int(r[0]) for r in outbox_cursor.fetchall())

    def run(self, dbapi: Any, statements: Sequence[tuple[str, Any]]) -> None:
        """The caller's statements alone (a command that changed nothing still writes them)."""
        if not statements:
            return
        cursor = dbapi.cursor()
        with dbapi.pipeline() if self.pg else contextlib.nullcontext():
            for sql, params in statements:
                cursor.execute(sql, params)
        cursor.close()

    def _insert_outbox_sql(self, count: int) -> str:
        m = self.marker
        payload = f"CAST({m} AS JSONB)" if self.pg else m
        one = "(" + ", ".join(payload if c == "payload" else m for c in OUTBOX_COLUMNS) + ")"
        values = ", ".join([one] * count)
        return f"INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES {values} RETURNING id"

    def _tasks(
        self,
        cursor: Any,
        case_id: int,
        old: Mapping[str, TaskState],
        case: CaseState,
        copy: CaseCopy,
    ) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        submitted_at = self.moment(case.submitted_at)
        for key, task in case.tasks.items():
            before = old.get(key)
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
                "due_on": self.day(task.due_on),
                "escalated": task.escalated if self.pg else int(task.escalated),
                "opened_at": self.moment(task.opened_at),
                "decided_at": self.moment(task.decided_at),
                "decided_by": task.decided_by,
                "assignee_id": task.assignee,
                "folio": copy.folio,
                "procedure_key": copy.procedure_key,
                "submitted_at": submitted_at,
                "applicant_name": copy.applicant_name,
                "applicant_ref": copy.applicant_ref,
                "applicant_search": copy.applicant_search,
            }
            (inserts if before is None else updates).append(values)
        if inserts:
            cursor.executemany(self.insert_task_sql, inserts)
        if updates:
            cursor.executemany(self.update_task_sql, updates)

    def _timers(
        self,
        cursor: Any,
        case_id: int,
        old: Mapping[str, TimerState],
        new: Mapping[str, TimerState],
    ) -> None:
        removed = [k for k in old if k not in new]
        if removed:
            keys = ", ".join([self.marker] * len(removed))
            cursor.execute(
                f"DELETE FROM timers WHERE case_id = {self.marker} AND timer_key IN ({keys})",
                [case_id, *removed],
            )
        added = [t for k, t in new.items() if k not in old]
        if added:
            cursor.executemany(
                self.insert_timer_sql,
                [
                    {
                        "case_id": case_id,
                        "timer_key": t.id,
                        "kind": t.kind,
                        "fires_at": self.moment(t.fires_at),
                    }
                    for t in added
                ],
            )
