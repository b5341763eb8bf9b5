"""What the staff side needs around a case besides commands: finding a case an official may
open, logging each look at it (who saw whose personal data, when), and the colleagues a
director can hand a task to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from workflow_engine.engine import Actor, ReleaseTask
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.cases.visibility import official_handles_case
from workflow_engine.persistence.models import Case, CaseAccess, Task, User, table
from workflow_engine.persistence.types import utcnow

cases_t = table(Case)
tasks_t = table(Task)
users_t = table(User)
access_t = table(CaseAccess)


@dataclass(frozen=True)
class Colleague:
    id: str
    name: str
    email: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class AccessEntry:
    user_id: str
    user_name: str
    what: str
    ip: str
    at: datetime


def case_for_staff(conn: Connection, actor: Actor, folio: str) -> Any | None:
    """The case row, if one of the official's departments has or had a task in it."""
    row = conn.execute(select(cases_t).where(cases_t.c.folio == folio)).one_or_none()
    if row is None or not official_handles_case(conn, actor, int(row.id)):
        return None
    return row


def case_tasks(conn: Connection, case_id: int) -> Sequence[Any]:
    return conn.execute(
        select(tasks_t).where(tasks_t.c.case_id == case_id).order_by(tasks_t.c.id)
    ).all()


def log_access(engine: Engine, case_id: int, actor: Actor, what: str, ip: str = "") -> None:
    """Record one look by staff. Its own short transaction: a page view must leave a trace
    even when nothing else is written."""
    with engine.begin() as conn:
        conn.execute(
            insert(access_t).values(
                case_id=case_id,
                user_id=actor.id,
                user_name=actor.name[:200],
                what=what[:120],
                ip=ip[:64],
                created_at=utcnow(),
            )
        )


def access_log(conn: Connection, case_id: int, limit: int = 50) -> list[AccessEntry]:
    rows = conn.execute(
        select(access_t)
        .where(access_t.c.case_id == case_id)
        .order_by(access_t.c.id.desc())
        .limit(limit)
    ).all()
    return [AccessEntry(r.user_id, r.user_name, r.what, r.ip, r.created_at) for r in rows]


def colleagues(conn: Connection, department: str) -> list[Colleague]:
    """Active officials of a department, by name: the people a director may assign to."""
    rows = conn.execute(
        select(users_t.c.id, users_t.c.name, users_t.c.email, users_t.c.role_tags)
        .where(
            users_t.c.role == "official",
            users_t.c.department_key == department,
            users_t.c.is_active.is_(True),
        )
        .order_by(users_t.c.name, users_t.c.id)
    ).all()
    return [
        Colleague(str(r.id), r.name or r.email, r.email, tuple(r.role_tags or ())) for r in rows
    ]


def colleague(conn: Connection, department: str, user_id: str) -> Colleague | None:
    return next((c for c in colleagues(conn, department) if c.id == user_id), None)


def release_tasks_of(cases: CaseService, user_id: str) -> int:
    """Put back in their departments' queues the open tasks a person held (their account was
    deactivated: nobody else could take them otherwise). Returns how many were released."""
    with cases.engine.connect() as conn:
        held = conn.execute(
            select(tasks_t.c.case_id, tasks_t.c.task_key).where(
                tasks_t.c.assignee_id == user_id, tasks_t.c.status == "open"
            )
        ).all()
    for case_id, task_key in held:
        cases.execute(
            int(case_id),
            ReleaseTask(at=utcnow(), actor=Actor.system("baja de la cuenta"), task_id=task_key),
        )
    return len(held)
