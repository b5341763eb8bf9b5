"""Every case, for administrators: filtered by procedure, state, department and a search
(folio, CURP/RFC or the applicant's name, as the inbox searches), newest first, in pages.

Not the inbox: no department scoping (administrators see everything) and plain numbered
pages (the list is for looking things up, not for working through)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from workflow_engine.persistence.cases.inbox import case_search
from workflow_engine.persistence.models import Case, ProcedureTemplate, table

cases_t = table(Case)
templates_t = table(ProcedureTemplate)
PER_PAGE = 25
MAX_PAGE = 10_000


@dataclass(frozen=True)
class CaseFilter:
    procedure_key: str = ""
    status: str = ""
    department: str = ""
    q: str = ""


@dataclass(frozen=True)
class CaseSummary:
    folio: str
    procedure_key: str
    department: str
    applicant_name: str
    status: str
    outcome: str | None
    created_at: datetime
    submitted_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseSummary]
    total: int
    page: int
    pages: int


def _where(flt: CaseFilter) -> list[ColumnElement[bool]]:
    c = cases_t.c
    where: list[ColumnElement[bool]] = []
    if flt.procedure_key:
        where.append(c.procedure_key == flt.procedure_key)
    if flt.status:
        where.append(c.status == flt.status)
    if flt.department:
        where.append(templates_t.c.department_key == flt.department)
    search = case_search(flt.q, c.folio, c.applicant_ref, c.applicant_search)
    if search is not None:
        where.append(search)
    return where


def list_cases(
    conn: Connection, flt: CaseFilter, page: int = 1, per_page: int = PER_PAGE
) -> CasePage:
    """One page of the cases that match, newest first, with the total count."""
    page = max(1, min(int(page), MAX_PAGE))
    joined: Any = cases_t.outerjoin(templates_t, templates_t.c.key == cases_t.c.procedure_key)
    where = _where(flt)
    total = int(conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one())
    rows = conn.execute(
        select(
            cases_t.c.folio,
            cases_t.c.procedure_key,
            templates_t.c.department_key,
            cases_t.c.applicant_name,
            cases_t.c.status,
            cases_t.c.outcome,
            cases_t.c.created_at,
            cases_t.c.submitted_at,
            cases_t.c.updated_at,
        )
        .select_from(joined)
        .where(*where)
        .order_by(cases_t.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return CasePage(
        [
            CaseSummary(
                r.folio,
                r.procedure_key,
                r.department_key or "",
                r.applicant_name or "",
                r.status,
                r.outcome,
                r.created_at,
                r.submitted_at,
                r.updated_at,
            )
            for r in rows
        ],
        total,
        page,
        max(1, -(-total // per_page)),
    )


def case_by_folio(conn: Connection, folio: str) -> Any | None:
    """The case row (any case: the caller is an administrator)."""
    return conn.execute(select(cases_t).where(cases_t.c.folio == folio)).one_or_none()
