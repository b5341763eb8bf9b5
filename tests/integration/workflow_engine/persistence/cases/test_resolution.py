"""What a case's row keeps for the reports (`resolution_days`, `met_deadline`,
`response_due`, `funnel_marks`), on SQLite and PostgreSQL: written with the row as the engine
applies events, filled by migration 0018 for the cases there before it, and by
`fill_resolutions` for rows written straight into the table."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, insert, select

from tests.helpers.engine import CITIZEN, MINI, REVIEWER, T0
from workflow_engine.engine import Decide, StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.cases.resolution import fill_resolutions
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import Case, CaseDayCount, CaseEvent, Task, table
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.platform.holidays import add_holiday
from workflow_engine.persistence.types import UTCDateTime

GOOD = MINI["example_data"]["datos"]
TIMED = {**copy.deepcopy(MINI), "response_deadline": {"on_lapse": "ficta"}}
MEXICO = ZoneInfo("America/Mexico_City")
cases_t = table(Case)


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def service(engine: Engine) -> CaseService:
    Catalog(engine).save_draft(copy.deepcopy(TIMED))
    Catalog(engine).publish("mini")
    return CaseService(engine)


def _filed(service: CaseService) -> int:
    """A case of «mini» (5 business days to answer) filed on Monday 23 November 2026."""
    case = service.start("mini", StartCase(at=T0, actor=CITIZEN))
    service.execute(case.case_id, SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=GOOD))
    service.execute(case.case_id, SubmitCase(at=T0, actor=CITIZEN, declaration=True))
    return case.case_id


def _reject(service: CaseService, engine: Engine, case_id: int, days_later: int) -> None:
    with engine.connect() as conn:
        task = conn.execute(
            select(table(Task).c.task_key).where(table(Task).c.case_id == case_id)
        ).scalar_one()
    at = T0 + timedelta(days=days_later)
    service.execute(
        case_id,
        Decide(at=at, actor=REVIEWER, task_id=task, decision="reject", comment="No procede."),
    )


def _row(engine: Engine, case_id: int) -> sa.Row[tuple[object, ...]]:
    with engine.connect() as conn:
        return conn.execute(
            select(
                cases_t.c.closed_at,
                cases_t.c.response_due,
                cases_t.c.resolution_days,
                cases_t.c.met_deadline,
            ).where(cases_t.c.id == case_id)
        ).one()


def test_a_case_closed_through_the_engine_keeps_its_resolution(
    service: CaseService, engine: Engine
) -> None:
    on_time, late, open_case = _filed(service), _filed(service), _filed(service)
    filed = _row(engine, open_case)
    # filed Monday 23: 5 business days end Monday 30; nothing resolved yet
    assert (filed.response_due, filed.resolution_days, filed.met_deadline) == (
        date(2026, 11, 30),
        None,
        None,
    )
    add_holiday(engine, date(2026, 11, 25), "Día inhábil")  # counted from now on
    with engine.connect() as conn:
        marks = conn.execute(
            select(cases_t.c.funnel_marks).where(cases_t.c.id == open_case)
        ).scalar_one()
    assert marks.split() == ["step:datos"]  # the funnel's stages, written as events apply
    _reject(service, engine, on_time, 3)  # Thursday 26: Tue 24, Thu 26
    _reject(service, engine, late, 9)  # Wednesday 2 December: 6 business days
    assert _row(engine, on_time)[2:] == (2, True)
    assert _row(engine, late)[2:] == (6, False)
    assert _row(engine, late).closed_at is not None
    assert _row(engine, open_case)[2:] == (None, None)
    # the dashboards' daily pre-aggregate, counted by the same writes
    assert _day_counts(engine) == {
        (date(2026, 11, 23), "started", 0): 3,
        (date(2026, 11, 23), "submitted", 0): 3,
        (date(2026, 11, 26), "rejected", 0): 1,
        (date(2026, 11, 26), "resolved", 2): 1,
        (date(2026, 11, 26), "met", 1): 1,
        (date(2026, 12, 2), "rejected", 0): 1,
        (date(2026, 12, 2), "resolved", 6): 1,
        (date(2026, 12, 2), "met", 0): 1,
    }


def _day_counts(engine: Engine) -> dict[tuple[date, str, int], int]:
    d = table(CaseDayCount).c
    with engine.connect() as conn:
        rows = conn.execute(select(d.day, d.measure, d.value, d.n).where(d.procedure_key == "mini"))
        return {(r.day, r.measure, r.value): r.n for r in rows}


def test_fill_resolutions_completes_rows_written_straight_into_the_table(
    service: CaseService, engine: Engine
) -> None:
    decided = _filed(service)
    _reject(service, engine, decided, 3)
    with engine.begin() as conn:
        version_id = conn.execute(select(cases_t.c.version_id)).scalars().first()
        values = {"version_id": version_id, "procedure_key": "mini", "applicant_id": "7"}
        values |= {"position": "end", "state": {}, "created_at": T0, "submitted_at": T0}
        for folio, outcome in (("X-1", "approved"), ("X-2", "cancelled")):
            conn.execute(
                insert(cases_t).values(
                    folio=folio,
                    status="closed",
                    outcome=outcome,
                    closed_at=T0 + timedelta(days=7),  # Monday 30: 5 business days
                    **values,
                )
            )
        assert fill_resolutions(conn, MEXICO) == 1
        found = dict(
            conn.execute(
                select(cases_t.c.folio, cases_t.c.resolution_days).where(
                    cases_t.c.folio.in_(("X-1", "X-2"))
                )
            ).all()
        )
        assert fill_resolutions(conn, MEXICO) == 0
    assert found == {"X-1": 5, "X-2": None}
    assert _row(engine, decided)[2:] == (3, True)


def _alembic(db_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import migrations

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).resolve().parent))
    config.attributes["database_url"] = db_url
    before = ScriptDirectory.from_config(config).get_revision("0018_case_resolution")
    return config, before.down_revision


def test_the_migration_fills_the_cases_closed_before_it(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    Catalog(engine).save_draft(copy.deepcopy(MINI))
    Catalog(engine).publish("mini")
    monkeypatch.delenv("TIMEZONE", raising=False)
    monkeypatch.delenv("DEMO_MUNICIPALITY", raising=False)
    config, previous = _alembic(db_url)
    command.downgrade(config, previous)
    # the cases table as the previous revision left it
    old = sa.table(
        "cases",
        sa.column("folio"),
        sa.column("version_id"),
        sa.column("procedure_key"),
        sa.column("applicant_id"),
        sa.column("status"),
        sa.column("position"),
        sa.column("outcome"),
        sa.column("state", sa.JSON),
        sa.column("lock_version"),
        sa.column("event_count"),
        sa.column("last_event_hash"),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
        sa.column("submitted_at", UTCDateTime()),
        sa.column("closed_at", UTCDateTime()),
    )
    try:
        with engine.begin() as conn:
            version_id = conn.execute(sa.text("SELECT max(id) FROM procedure_versions")).scalar()
            conn.execute(sa.text("INSERT INTO holidays (day, name) VALUES ('2026-11-25', 'X')"))
            common = {"version_id": version_id, "procedure_key": "mini", "applicant_id": "7"}
            common |= {"lock_version": 1, "event_count": 0, "last_event_hash": ""}
            common |= {"created_at": T0, "updated_at": T0, "submitted_at": T0}
            rows = (
                ("M-1", "closed", "approved", T0 + timedelta(days=3), {}),  # 2 (holiday)
                ("M-2", "closed", "rejected", T0 + timedelta(days=14), {}),  # 9
                ("M-3", "closed", "cancelled", T0 + timedelta(days=1), {}),
                ("M-4", "in_review", None, None, {"response_due": "2026-11-30"}),
            )
            for folio, status, outcome, closed_at, state in rows:
                conn.execute(
                    insert(old).values(
                        folio=folio,
                        status=status,
                        position="end",
                        outcome=outcome,
                        closed_at=closed_at,
                        state=state,
                        **common,
                    )
                )
            ids = dict(conn.execute(sa.text("SELECT folio, id FROM cases")).all())
            events = (
                ("M-1", 1, "step.submitted", {"step": "datos", "values": {}}),
                ("M-1", 2, "payment.confirmed", {}),
                ("M-4", 1, "step.submitted", {"step": "datos", "values": {}}),
                ("M-4", 2, "task.opened", {}),
            )
            for folio, seq, kind, data in events:
                conn.execute(
                    insert(table(CaseEvent)).values(
                        case_id=ids[folio],
                        seq=seq,
                        type=kind,
                        data=data,
                        actor_id="7",
                        created_at=T0,
                        prev_hash="",
                        hash=f"{folio}{seq}",
                    )
                )
    finally:
        command.upgrade(config, "head")
    engine.dispose()
    with engine.connect() as conn:
        found = {
            r.folio: (r.resolution_days, r.met_deadline, r.response_due, r.funnel_marks.split())
            for r in conn.execute(
                select(
                    cases_t.c.folio,
                    cases_t.c.resolution_days,
                    cases_t.c.met_deadline,
                    cases_t.c.response_due,
                    cases_t.c.funnel_marks,
                )
            )
        }
    assert found == {
        "M-1": (2, True, None, ["step:datos", "approved", "paid"]),
        "M-2": (9, False, None, []),
        "M-3": (None, None, None, []),
        "M-4": (None, None, date(2026, 11, 30), ["step:datos"]),
    }
    assert _day_counts(engine) == {
        (date(2026, 11, 23), "started", 0): 4,
        (date(2026, 11, 23), "submitted", 0): 4,
        (date(2026, 11, 24), "cancelled", 0): 1,
        (date(2026, 11, 26), "approved", 0): 1,
        (date(2026, 11, 26), "resolved", 2): 1,
        (date(2026, 11, 26), "met", 1): 1,
        (date(2026, 12, 7), "rejected", 0): 1,
        (date(2026, 12, 7), "resolved", 9): 1,
        (date(2026, 12, 7), "met", 0): 1,
    }
