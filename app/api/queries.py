"""Read-only queries the API needs besides the case service (lists, ids, visibility)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, select

from workflow_engine.engine import Actor
from workflow_engine.persistence.cases import visibility
from workflow_engine.persistence.models import Case, ProcedureVersion, Task

cases_t = Case.__table__
tasks_t = Task.__table__
versions_t = ProcedureVersion.__table__

TASK_STATUSES = ("open", "approved", "rejected", "returned", "cancelled")


@dataclass(frozen=True)
class CaseRow:
    id: int
    folio: str
    procedure_key: str
    version_number: int
    applicant_id: str
    created_at: Any
    updated_at: Any


def case_row(engine: Engine, folio: str) -> CaseRow | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(
                cases_t.c.id,
                cases_t.c.folio,
                cases_t.c.procedure_key,
                versions_t.c.number,
                cases_t.c.applicant_id,
                cases_t.c.created_at,
                cases_t.c.updated_at,
            )
            .join(versions_t, versions_t.c.id == cases_t.c.version_id)
            .where(cases_t.c.folio == folio)
        ).one_or_none()
    if row is None:
        return None
    return CaseRow(
        int(row.id),
        row.folio,
        row.procedure_key,
        int(row.number),
        row.applicant_id,
        row.created_at,
        row.updated_at,
    )


def may_see_case(engine: Engine, actor: Actor, case: CaseRow) -> bool:
    """The applicant, or an official of a department that has (or had) a task in the case."""
    with engine.connect() as conn:
        return visibility.may_see_case(conn, actor, case.id, case.applicant_id)


def task_ids(engine: Engine, case_id: int) -> dict[str, int]:
    """Task key (engine id) -> tasks table id, for the decision endpoint's URL."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(tasks_t.c.task_key, tasks_t.c.id).where(tasks_t.c.case_id == case_id)
        ).all()
    return {r.task_key: int(r.id) for r in rows}


def my_cases(engine: Engine, applicant_id: str, *, limit: int, after: int | None) -> list[Any]:
    """The applicant's cases, newest first; `after` is the last id of the previous page."""
    query = (
        select(
            cases_t.c.id,
            cases_t.c.folio,
            cases_t.c.procedure_key,
            versions_t.c.number.label("version"),
            cases_t.c.status,
            cases_t.c.position,
            cases_t.c.outcome,
            cases_t.c.lock_version,
            cases_t.c.created_at,
            cases_t.c.updated_at,
            cases_t.c.submitted_at,
            cases_t.c.closed_at,
        )
        .join(versions_t, versions_t.c.id == cases_t.c.version_id)
        .where(cases_t.c.applicant_id == applicant_id)
        .order_by(cases_t.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(cases_t.c.id < after)
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def my_tasks(
    engine: Engine, actor: Actor, *, status: str | None, limit: int, after: int | None
) -> list[Any]:
    """Tasks of the actor's departments and roles (every role for a director), by id."""
    if not actor.departments or actor.kind != "official":
        return []
    query = (
        select(
            tasks_t.c.id,
            tasks_t.c.task_key,
            tasks_t.c.step_id,
            tasks_t.c.branch_id,
            tasks_t.c.department,
            tasks_t.c.role,
            tasks_t.c.status,
            tasks_t.c.escalated,
            tasks_t.c.due_on,
            tasks_t.c.opened_at,
            tasks_t.c.decided_at,
            tasks_t.c.assignee_id,
            cases_t.c.folio,
            cases_t.c.procedure_key,
            cases_t.c.status.label("case_status"),
        )
        .join(cases_t, cases_t.c.id == tasks_t.c.case_id)
        .where(tasks_t.c.department.in_(sorted(actor.departments)))
        .order_by(tasks_t.c.id)
        .limit(limit)
    )
    if "director" not in actor.roles:
        query = query.where(tasks_t.c.role.in_(sorted(actor.roles)))
    if status is not None:
        query = query.where(tasks_t.c.status == status)
    if after is not None:
        query = query.where(tasks_t.c.id > after)
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def task_row(engine: Engine, task_id: int) -> Row[Any, Any, Any] | None:
    with engine.connect() as conn:
        return conn.execute(
            select(tasks_t.c.case_id, tasks_t.c.task_key, tasks_t.c.department).where(
                tasks_t.c.id == task_id
            )
        ).one_or_none()
