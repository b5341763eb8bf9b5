"""A small municipality's month of cases for the dashboards' tests, written straight into the
tables with chosen moments (the dashboards read only rows), so every figure can be counted by
hand. «Today» is Friday 20 March 2026 (`TODAY`, `NOW`); Monday 16 March is a holiday.

Constancia de residencia (Secretaría del Ayuntamiento; answer within 1 business day, no ficta):
  A filed Mon 2, approved Tue 3 (1 business day)     B filed Mon 2, approved Thu 5 (3)
  C filed Mon 9, rejected Tue 17 (5: 10-13, 17)     D filed Tue 10, withdrawn the same day
  E started Wed 11, a draft
Licencia de funcionamiento (Desarrollo Económico; 10 business days, afirmativa ficta):
  F filed Tue 3, approved Fri 13 (8), paid, licence issued
  G filed Wed 4, approved Thu 19 (10), paid      J filed Fri 6, rejected Fri 20 (9)
  H filed Thu 5, in review, legal deadline Tue 24; task held by funcionario@, due Thu 19
  I filed Thu 12, in review, legal deadline Tue 31; task nobody took, due Mon 30
  K started Wed 11, only its first wizard step sent   L started Thu 12, nothing sent
Every filed licence sent its three wizard steps (solicitante, negocio, documentos).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import insert, select

from workflow_engine.persistence.cases.dashboards import fill_funnel_marks, rebuild_day_counts
from workflow_engine.persistence.cases.resolution import fill_resolutions
from workflow_engine.persistence.models import (
    Case,
    CaseEvent,
    Holiday,
    ProcedureTemplate,
    ProcedureVersion,
    Task,
    table,
)
from workflow_engine.persistence.platform.accounts import Accounts

CONSTANCIA = "constancia-residencia"
LICENCIA = "licencia-funcionamiento"
TODAY = date(2026, 3, 20)
NOW = datetime(2026, 3, 20, 22, 0, tzinfo=UTC)  # 16:00 in Mexico City
LICENCE_STEPS = ("solicitante", "negocio", "documentos")
RANGE = {"desde": "02/03/2026", "hasta": "20/03/2026"}


def at(day: int, hour: int = 18) -> datetime:
    """March `day` 2026 at `hour` UTC (noon in Mexico City at 18)."""
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


def _version(conn: Any, key: str) -> int:
    versions, templates = table(ProcedureVersion), table(ProcedureTemplate)
    return int(
        conn.execute(
            select(versions.c.id)
            .join(templates, templates.c.id == versions.c.template_id)
            .where(templates.c.key == key)
            .order_by(versions.c.number.desc())
        )
        .scalars()
        .first()
    )


def _case(
    conn: Any,
    key: str,
    folio: str,
    started: int,
    *,
    submitted: int | None = None,
    closed: int | None = None,
    outcome: str | None = None,
    status: str | None = None,
    state: dict[str, Any] | None = None,
    events: tuple[tuple[str, dict[str, Any]], ...] = (),
) -> int:
    status = status or ("closed" if closed else "in_review" if submitted else "draft")
    case_id = conn.execute(
        insert(table(Case))
        .values(
            folio=folio,
            version_id=_version(conn, key),
            procedure_key=key,
            applicant_id="1",
            status=status,
            position="end" if closed else "revision",
            outcome=outcome,
            state=state or {},
            created_at=at(started, 15),
            updated_at=at(closed or submitted or started),
            submitted_at=at(submitted) if submitted else None,
            closed_at=at(closed) if closed else None,
            response_due=date.fromisoformat(state["response_due"])
            if state and "response_due" in state
            else None,
        )
        .returning(table(Case).c.id)
    ).scalar_one()
    for seq, (kind, data) in enumerate(events, start=1):
        conn.execute(
            insert(table(CaseEvent)).values(
                case_id=case_id,
                seq=seq,
                type=kind,
                data=data,
                actor_id="1",
                created_at=at(started, 16),
                prev_hash="",
                hash=f"{folio}-{seq}",
            )
        )
    return int(case_id)


def _steps(*steps: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    return tuple(("step.submitted", {"step": s, "values": {}}) for s in steps)


def _task(conn: Any, case_id: int, folio: str, assignee: str | None, due: date) -> None:
    conn.execute(
        insert(table(Task)).values(
            case_id=case_id,
            task_key=f"{folio}:revision",
            step_id="revision",
            department="desarrollo-economico",
            role="revisor",
            status="open",
            assignee_id=assignee,
            due_on=due,
            opened_at=at(5),
            procedure_key=LICENCIA,
            folio=folio,
        )
    )


def seed_month(app: Flask) -> None:
    """The cases above (the demo municipality must be seeded, without its cases); once."""
    engine = app.extensions["tramita"].engine
    with engine.connect() as conn:
        if conn.execute(select(table(Case).c.id).where(table(Case).c.folio == "T-A")).first():
            return
    official = Accounts(engine, demo_mode=True).by_email("funcionario@demo.gob.mx")
    assert official is not None
    all_steps = _steps(*LICENCE_STEPS)
    with engine.begin() as conn:
        holidays = table(Holiday)
        if not conn.execute(
            select(holidays.c.day).where(holidays.c.day == date(2026, 3, 16))
        ).first():
            conn.execute(insert(holidays).values(day=date(2026, 3, 16), name="Benito Juárez"))
        _case(conn, CONSTANCIA, "T-A", 2, submitted=2, closed=3, outcome="approved")
        _case(conn, CONSTANCIA, "T-B", 2, submitted=2, closed=5, outcome="approved")
        _case(conn, CONSTANCIA, "T-C", 9, submitted=9, closed=17, outcome="rejected")
        _case(conn, CONSTANCIA, "T-D", 10, submitted=10, closed=10, outcome="cancelled")
        _case(conn, CONSTANCIA, "T-E", 11)
        paid = (("payment.order_created", {}), ("payment.confirmed", {}))
        issued = (("document.requested", {}), ("document.issued", {"step": "emision"}))
        _case(conn, LICENCIA, "T-F", 3, submitted=3, closed=13, outcome="approved",
              events=all_steps + paid + issued)  # fmt: skip
        _case(conn, LICENCIA, "T-G", 4, submitted=4, closed=19, outcome="approved",
              events=all_steps + paid)  # fmt: skip
        _case(conn, LICENCIA, "T-J", 6, submitted=6, closed=20, outcome="rejected",
              events=all_steps)  # fmt: skip
        h = _case(conn, LICENCIA, "T-H", 5, submitted=5, state={"response_due": "2026-03-24"},
                  events=all_steps)  # fmt: skip
        i = _case(conn, LICENCIA, "T-I", 12, submitted=12, state={"response_due": "2026-03-31"},
                  events=all_steps)  # fmt: skip
        _case(conn, LICENCIA, "T-K", 11, events=_steps("solicitante"))
        _case(conn, LICENCIA, "T-L", 12)
        _task(conn, h, "T-H", str(official.id), date(2026, 3, 19))
        _task(conn, i, "T-I", None, date(2026, 3, 30))
        fill_resolutions(conn, ZoneInfo(app.extensions["tramita"].settings.timezone))
        fill_funnel_marks(conn)
        rebuild_day_counts(conn, ZoneInfo(app.extensions["tramita"].settings.timezone))
