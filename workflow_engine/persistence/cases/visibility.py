"""Who may see a case, its files and its documents: one rule for every page, file, export
and API.

The applicant, or an official of a department that has (or had) a task in the case.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, select

from workflow_engine.engine import Actor
from workflow_engine.persistence.models import Case, Task, table

tasks_t = table(Task)
cases_t = table(Case)


def handled_by(case_id: Any, departments: Iterable[str]) -> ColumnElement[bool]:
    """The rule as a query condition: one of `departments` has or had a task in the case
    whose id is `case_id` (a column, for lists and exports, or a value)."""
    return exists().where(
        tasks_t.c.case_id == case_id, tasks_t.c.department.in_(sorted(departments))
    )


def official_handles_case(conn: Connection, actor: Actor, case_id: int) -> bool:
    """True when one of the actor's departments has or had a task in the case."""
    if actor.kind != "official" or not actor.departments:
        return False
    return bool(conn.execute(select(handled_by(case_id, actor.departments))).scalar())


def may_see_case(conn: Connection, actor: Actor, case_id: int, applicant_id: str) -> bool:
    return actor.id == applicant_id or official_handles_case(conn, actor, case_id)


def folios_handled(conn: Connection, actor: Actor, folios: Iterable[str]) -> set[str]:
    """Which of these cases the official may open (the rule above), in one query."""
    wanted = sorted(set(folios))
    if actor.kind != "official" or not actor.departments or not wanted:
        return set()
    rows = conn.execute(
        select(cases_t.c.folio).where(
            cases_t.c.folio.in_(wanted), handled_by(cases_t.c.id, actor.departments)
        )
    ).scalars()
    return {str(f) for f in rows}
