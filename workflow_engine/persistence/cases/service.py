"""The case service: load a case, apply a command, persist state + events + outbox in one
transaction with optimistic locking, then hand the outbox rows to the dispatcher."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from workflow_engine import strict_json
from workflow_engine.calendar import BusinessCalendar
from workflow_engine.engine import (
    Actor,
    Command,
    ConflictError,
    EngineContext,
    EngineError,
    ProcedureDefinition,
    StartCase,
    apply_command,
    start_case,
)
from workflow_engine.engine.errors import InvalidCommandError
from workflow_engine.engine.results import Effect, Event
from workflow_engine.engine.state import CaseState
from workflow_engine.folio import new_folio
from workflow_engine.persistence.cases.dashboards import day_counts
from workflow_engine.persistence.cases.hotpath import CaseCopy, HotPath, LoadedCase, driver_of
from workflow_engine.persistence.cases.inbox import normalize_ref
from workflow_engine.persistence.cases.officials import OfficialDirectory
from workflow_engine.persistence.cases.resolution import (
    Resolution,
    ResolutionClock,
    max_response_days,
    resolution_of,
)
from workflow_engine.persistence.hashing import event_hash
from workflow_engine.persistence.models import (
    Case,
    CaseEvent,
    OutboxMessage,
    ProcedureTemplate,
    ProcedureVersion,
    Task,
    Timer,
    User,
    table,
)
from workflow_engine.persistence.platform.catalogs import CatalogStore, EngineCatalogs
from workflow_engine.persistence.platform.holidays import holiday_days, holidays_stamp
from workflow_engine.persistence.types import utcnow
from workflow_engine.search import search_text

cases_t = table(Case)
events_t = table(CaseEvent)
tasks_t = table(Task)
timers_t = table(Timer)
outbox_t = table(OutboxMessage)
versions_t = table(ProcedureVersion)
templates_t = table(ProcedureTemplate)

users_t = table(User)

Dispatcher = Callable[[Sequence[int]], None]
# Told of every command applied: (command type, outcome, seconds). Outcomes: `applied`
# (events written), `unchanged`, `refused` (an EngineError), `conflict`, `error`. The web
# layer counts them for monitoring; the engine stays free of any metrics library.
CommandObserver = Callable[[str, str, float], None]


def _copy(folio: str, procedure_key: str, name: str, ref: str | None) -> CaseCopy:
    """What the hot path copies onto task rows for the inbox."""
    return CaseCopy(folio, procedure_key, name, ref, search_text(name))


class NotFoundError(EngineError):
    code = "not_found"
    http_status = 404


@dataclass(frozen=True)
class CommandOutcome:
    case_id: int
    folio: str
    state: CaseState
    events: tuple[Event, ...]
    lock_version: int
    outbox_ids: tuple[int, ...]


def _json_default(value: Any) -> Any:
    return str(value)


def _plain(value: Any) -> Any:
    """Round-trip through JSON so what we hash is exactly what the database returns."""
    return json.loads(strict_json.dumps(value, default=_json_default))


@contextmanager
def _storable_text() -> Iterator[None]:
    """Text a database cannot store (a lone surrogate) is bad input, not a lost race."""
    try:
        yield
    except UnicodeEncodeError:
        raise strict_json.invalid_text() from None


def applicant_copy(actor: Actor, name: str | None, curp: str | None) -> tuple[str, str | None]:
    """The applicant's name and CURP as a case keeps them (the inbox searches them): the
    account's name, else the actor's; the CURP normalized, None when blank."""
    return (name or actor.name or ""), normalize_ref(curp or None)


class CaseService:
    """Applies engine commands to stored cases. Pass the actor in every command."""

    def __init__(
        self,
        engine: Engine,
        *,
        folio_prefix: str = "CHO",
        timezone: str = "America/Mexico_City",
        dispatcher: Dispatcher | None = None,
        clock: Callable[[], datetime] = utcnow,
        observer: CommandObserver | None = None,
    ) -> None:
        from zoneinfo import ZoneInfo

        self.engine = engine
        self.folio_prefix = folio_prefix
        self.tz = ZoneInfo(timezone)
        self.dispatcher = dispatcher
        self.clock = clock
        self.observer = observer
        self._definitions: dict[int, ProcedureDefinition] = {}
        self._calendar: BusinessCalendar | None = None
        self._calendar_stamp: tuple[Any, ...] = ()
        self._hot: HotPath | None = None

    # -- helpers -----------------------------------------------------------------------
    def context(self, conn: Connection, holidays: tuple[Any, ...] | None = None) -> EngineContext:
        """The engine context. The calendar is cached per process but checked against the
        holidays table's fingerprint on every command, so a holiday declared in another
        process (the CLI, another worker) counts at once. `holidays`: the fingerprint as the
        case's read brought it (`LoadedCase.holidays`), else it is read here."""
        stamp = holidays if holidays is not None else holidays_stamp(conn)
        if self._calendar is None or stamp != self._calendar_stamp:
            self._calendar = BusinessCalendar.with_holidays(holiday_days(conn))
            self._calendar_stamp = stamp
        return EngineContext(
            calendar=self._calendar,
            tz=self.tz,
            catalogs=CatalogStore(conn),
            officials=OfficialDirectory(conn),
        )

    def detached_context(self) -> EngineContext:
        """The engine context for use after the connection closes (a simulation, the inbox):
        catalog look-ups open their own connection."""
        with self.engine.connect() as conn:
            ctx = self.context(conn)
        return dataclasses.replace(ctx, catalogs=EngineCatalogs(self.engine), officials=None)

    def refresh_calendar(self) -> None:
        self._calendar = None

    def definition(self, conn: Connection, version_id: int) -> ProcedureDefinition:
        cached = self._definitions.get(version_id)
        if cached is None:
            doc = conn.execute(
                select(versions_t.c.definition).where(versions_t.c.id == version_id)
            ).scalar_one()
            cached = ProcedureDefinition(doc, version_id=version_id)
            self._definitions[version_id] = cached
        return cached

    def live_version_id(self, conn: Connection, procedure_key: str) -> int:
        row = conn.execute(
            select(versions_t.c.id)
            .join(templates_t, templates_t.c.id == versions_t.c.template_id)
            .where(templates_t.c.key == procedure_key, templates_t.c.archived_at.is_(None))
            .order_by(versions_t.c.number.desc())
            .limit(1)
        ).scalar_one_or_none()
        if row is None:
            raise NotFoundError(
                "Ese trámite no existe o no está publicado.",
                "That procedure does not exist or is not published.",
                procedure=procedure_key,
            )
        return int(row)

    # -- commands ------------------------------------------------------------------------
    def start(
        self,
        procedure_key: str,
        command: StartCase,
        *,
        applicant: tuple[str, str | None] | None = None,
    ) -> CommandOutcome:
        """Open a new case on the live version of a procedure. `applicant`: the applicant's
        account name and CURP as the caller already read them (the wizard has the session's
        row); read from the users table otherwise."""
        with self._observed(command) as seen:
            outcome = self._start(procedure_key, command, applicant)
            seen.append(outcome)
        return outcome

    def _start(
        self, procedure_key: str, command: StartCase, applicant: tuple[str, str | None] | None
    ) -> CommandOutcome:
        for _ in range(5):
            folio = new_folio(self.folio_prefix, command.at.astimezone(self.tz).year)
            try:
                with self.engine.begin() as conn:
                    version_id = self.live_version_id(conn, procedure_key)
                    definition = self.definition(conn, version_id)
                    applicant_name, applicant_ref = (
                        applicant_copy(command.actor, *applicant)
                        if applicant is not None
                        else self._applicant(conn, command)
                    )
                    case_id = conn.execute(
                        insert(cases_t)
                        .values(
                            folio=folio,
                            version_id=version_id,
                            procedure_key=procedure_key,
                            applicant_id=command.actor.id,
                            applicant_name=applicant_name,
                            applicant_ref=applicant_ref,
                            status="draft",
                            position=definition.start,
                            state={},
                            lock_version=1,
                            event_count=0,
                            last_event_hash="",
                            created_at=command.at,
                            updated_at=command.at,
                        )
                        .returning(cases_t.c.id)
                    ).scalar_one()
                    result = start_case(
                        definition, case_id=str(case_id), folio=folio, command=command
                    )
                    outcome = self._persist(
                        conn,
                        case_id,
                        folio,
                        1,
                        0,
                        "",
                        result.state,
                        None,
                        result.events,
                        result.effects,
                        command,
                        _copy(folio, procedure_key, applicant_name, applicant_ref),
                    )
            except IntegrityError as exc:
                if "folio" in str(exc.orig).lower():
                    continue  # a folio collision: draw another
                raise
            self._dispatch(outcome.outbox_ids)
            return outcome
        raise ConflictError("No se pudo asignar un folio.", "Could not allocate a folio.")

    def execute(
        self,
        case_id: int,
        command: Command,
        *,
        expected_version: int | None = None,
        loaded: LoadedCase | None = None,
    ) -> CommandOutcome:
        """Apply one command in one transaction; ConflictError if someone else got there first.

        `loaded`: the case row as the caller read it earlier in the request, so it is not read
        twice; if the case changed since, the command is applied again on a fresh read."""
        try:
            with self.engine.begin() as conn:
                outcome = self.execute_in(
                    conn, case_id, command, expected_version=expected_version, loaded=loaded
                )
        except ConflictError:
            if loaded is None:
                raise
            with self.engine.begin() as conn:
                outcome = self.execute_in(conn, case_id, command, expected_version=expected_version)
        self._dispatch(outcome.outbox_ids)
        return outcome

    def execute_in(
        self,
        conn: Connection,
        case_id: int,
        command: Command,
        *,
        expected_version: int | None = None,
        loaded: LoadedCase | None = None,
        also: Sequence[tuple[str, Any]] = (),
    ) -> CommandOutcome:
        """Apply one command inside the caller's transaction (for callers that must write
        their own rows atomically with the case, like a payment webhook). The caller commits
        and then hands `outcome.outbox_ids` to `dispatch`.

        `loaded`: the case row as the caller already read it in this transaction (saves a
        round trip; the optimistic lock still refuses a stale one). `also`: the caller's own
        statements in the driver's SQL, written with the case's rows in the same pipeline
        (written too when the command changes nothing; not written when it is refused)."""
        with self._observed(command) as seen:
            outcome = self._execute_in(conn, case_id, command, expected_version, loaded, also)
            seen.append(outcome)
        return outcome

    def _execute_in(
        self,
        conn: Connection,
        case_id: int,
        command: Command,
        expected_version: int | None,
        loaded: LoadedCase | None,
        also: Sequence[tuple[str, Any]],
    ) -> CommandOutcome:
        row = loaded if loaded is not None else self._hotpath(conn).load(driver_of(conn), case_id)
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
        ctx = self.context(conn, row.holidays)
        result = apply_command(definition, state, command, ctx)
        if not result.events and not result.effects:
            self._hotpath(conn).run(driver_of(conn), also)
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
            _copy(row.folio, row.procedure_key, row.applicant_name, row.applicant_ref),
            also,
            self._resolution(definition, result.state, ctx),
        )
        return outcome

    @staticmethod
    def _resolution(
        definition: ProcedureDefinition, new: CaseState, ctx: EngineContext
    ) -> Resolution:
        """What the case's row keeps about its resolution (nothing until it is resolved)."""
        if new.closed_at is None:
            return Resolution()
        return resolution_of(
            datetime.fromisoformat(new.submitted_at) if new.submitted_at else None,
            datetime.fromisoformat(new.closed_at),
            new.outcome,
            max_response_days(definition.doc),
            ResolutionClock(ctx.calendar, ctx.tz),
        )

    def run_statements(self, conn: Connection, statements: Sequence[tuple[str, Any]]) -> None:
        """The caller's driver statements in its transaction (see `execute_in`'s `also`)."""
        self._hotpath(conn).run(driver_of(conn), statements)

    def dispatch(self, outbox_ids: Sequence[int]) -> None:
        """Hand committed outbox rows to the dispatcher (after `execute_in`'s commit)."""
        self._dispatch(outbox_ids)

    @staticmethod
    def _applicant(conn: Connection, command: StartCase) -> tuple[str, str | None]:
        """The applicant's name and CURP from their account (the actor's name otherwise)."""
        actor = command.actor
        if actor.id.isdigit():
            found = conn.execute(
                select(users_t.c.name, users_t.c.curp).where(users_t.c.id == int(actor.id))
            ).one_or_none()
            if found is not None:
                return applicant_copy(actor, found.name, found.curp)
        return actor.name or "", None

    @contextlib.contextmanager
    def _observed(self, command: Command) -> Iterator[list[CommandOutcome]]:
        """Tell the observer how a command went and how long it took (append the outcome)."""
        if self.observer is None:
            yield []
            return
        started = time.perf_counter()
        seen: list[CommandOutcome] = []
        result = "error"
        try:
            yield seen
            result = "applied" if seen and seen[0].events else "unchanged"
        except ConflictError:
            result = "conflict"
            raise
        except EngineError:
            result = "refused"
            raise
        finally:
            self.observer(type(command).__name__, result, time.perf_counter() - started)

    def _hotpath(self, conn: Connection) -> HotPath:
        if self._hot is None:
            self._hot = HotPath(conn.dialect.name)
        return self._hot

    def _dispatch(self, ids: Sequence[int]) -> None:
        if ids and self.dispatcher is not None:
            self.dispatcher(ids)

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
        copy: CaseCopy,
        also: Sequence[tuple[str, Any]] = (),
        resolution: Resolution | None = None,
    ) -> CommandOutcome:
        with _storable_text():
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
            outbox_ids = self._hotpath(conn).write(
                driver_of(conn),
                case_id=case_id,
                lock_version=lock_version,
                new=new,
                old_tasks=old.tasks if old else {},
                old_timers=old.timers if old else {},
                event_rows=event_rows,
                event_count=seq,
                last_hash=prev,
                effects=effects,
                at=at,
                copy=copy,
                also=also,
                resolution=resolution or Resolution(),
                day_counts=day_counts(old, new, resolution or Resolution(), self.tz),
            )
            return CommandOutcome(
                case_id, folio, new, tuple(events), lock_version + 1, tuple(outbox_ids)
            )

    # -- queries ------------------------------------------------------------------------
    def case_id_for_folio(self, folio: str) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(select(cases_t.c.id).where(cases_t.c.folio == folio)).scalar()
        if found is None:
            raise NotFoundError("El expediente no existe.", "No such case.", folio=folio)
        return int(found)

    def load(self, case_id: int) -> tuple[CaseState, ProcedureDefinition, int]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(cases_t.c.state, cases_t.c.version_id, cases_t.c.lock_version).where(
                    cases_t.c.id == case_id
                )
            ).one_or_none()
            if row is None:
                raise NotFoundError("El expediente no existe.", "No such case.", case=case_id)
            return (
                CaseState.from_json(row.state),
                self.definition(conn, row.version_id),
                int(row.lock_version),
            )

    def history(self, case_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(events_t).where(events_t.c.case_id == case_id).order_by(events_t.c.seq)
            ).mappings()
            return [dict(r) for r in rows]

    def verify_history(self, case_id: int) -> list[int]:
        """Sequence numbers whose hash does not match (empty when the chain is intact)."""
        broken: list[int] = []
        prev = ""
        for row in self.history(case_id):
            expected = event_hash(
                prev,
                case_id,
                row["seq"],
                row["type"],
                row["data"],
                row["actor_id"],
                row["created_at"],
            )
            if row["prev_hash"] != prev or row["hash"] != expected:
                broken.append(int(row["seq"]))
            prev = row["hash"]
        return broken

    def due_timers(self, now: datetime, limit: int = 500) -> list[tuple[int, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(timers_t.c.case_id, timers_t.c.timer_key)
                .where(timers_t.c.fires_at <= now)
                .order_by(timers_t.c.fires_at)
                .limit(limit)
            ).all()
        return [(int(r.case_id), str(r.timer_key)) for r in rows]


__all__ = ["CaseService", "CommandOutcome", "ConflictError", "InvalidCommandError", "NotFoundError"]
