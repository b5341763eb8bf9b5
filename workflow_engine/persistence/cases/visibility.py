"""Who may see a case, its files and its documents: one rule for every page, file and API.

The applicant, or an official of a department that has (or had) a task in the case.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from workflow_engine.engine import Actor
from workflow_engine.persistence.models import Task, table

tasks_t = table(Task)


def official_handles_case(conn: Connection, actor: Actor, case_id: int) -> bool:
    """True when one of the actor's departments has or had a task in the case."""
    if actor.kind != "official" or not actor.departments:
        return False
    found = conn.execute(
        select(tasks_t.c.id)
        .where(
            tasks_t.c.case_id == case_id,
            tasks_t.c.department.in_(sorted(actor.departments)),
        )
        .limit(1)
    ).scalar_one_or_none()
    return found is not None


def may_see_case(conn: Connection, actor: Actor, case_id: int, applicant_id: str) -> bool:
    return actor.id == applicant_id or official_handles_case(conn, actor, case_id)
