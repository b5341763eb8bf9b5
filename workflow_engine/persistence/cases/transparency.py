"""Public transparency figures: volumes, median resolution time in business days and deadline
compliance, per procedure, per department and for the whole municipality.

Aggregates only, and never a figure computed from fewer than `MIN_CASES` cases: such a figure
is `None` (the page shows «—»), so no single applicant can be singled out.

What counts as filed and resolved, and how resolution time and deadlines are measured:
`workflow_engine.persistence.cases.resolution` (the dashboards use the same rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import Connection, select

from workflow_engine.persistence.cases.resolution import (
    ResolutionClock,
    Tally,
    is_resolved,
    response_limits,
)
from workflow_engine.persistence.models import Case, ProcedureTemplate, table

MIN_CASES = 5

cases_t = table(Case)
templates_t = table(ProcedureTemplate)


@dataclass(frozen=True)
class Figures:
    """One row of the public tables; `None` where fewer than `MIN_CASES` cases count."""

    filed: int | None
    resolved: int | None
    median_days: float | None
    compliance_pct: float | None

    @classmethod
    def of(cls, tally: Tally) -> Figures:
        resolved = tally.resolved
        enough = resolved >= MIN_CASES
        timed = tally.with_deadline >= MIN_CASES
        return cls(
            filed=tally.filed if tally.filed >= MIN_CASES else None,
            resolved=resolved if enough else None,
            median_days=tally.median_days() if enough else None,
            compliance_pct=tally.compliance_pct() if timed else None,
        )


@dataclass(frozen=True)
class TransparencyReport:
    procedures: dict[str, Figures]  # by procedure key
    departments: dict[str, Figures]  # by department key
    total: Figures


def transparency_report(conn: Connection, tz: tzinfo) -> TransparencyReport:
    """The figures of every procedure that has filed cases, its department's and the total."""
    c = cases_t.c
    rows = conn.execute(
        select(
            c.procedure_key,
            templates_t.c.department_key,
            c.version_id,
            c.outcome,
            c.submitted_at,
            c.closed_at,
        )
        .join(templates_t, templates_t.c.key == c.procedure_key)
        .where(c.submitted_at.is_not(None))
    ).all()
    clock = ResolutionClock.of(conn, tz)
    deadlines = response_limits(conn, (r.version_id for r in rows))
    by_procedure: dict[str, Tally] = {}
    department_of: dict[str, str] = {}
    for r in rows:
        tally = by_procedure.setdefault(r.procedure_key, Tally())
        department_of[r.procedure_key] = r.department_key
        tally.filed += 1
        if is_resolved(r.outcome, r.closed_at):
            tally.resolve(clock.days(r.submitted_at, r.closed_at), deadlines.get(r.version_id))
    by_department: dict[str, Tally] = {}
    total = Tally()
    for key, tally in by_procedure.items():
        by_department.setdefault(department_of[key], Tally()).add(tally)
        total.add(tally)
    return TransparencyReport(
        procedures={k: Figures.of(t) for k, t in by_procedure.items()},
        departments={k: Figures.of(t) for k, t in by_department.items()},
        total=Figures.of(total),
    )
