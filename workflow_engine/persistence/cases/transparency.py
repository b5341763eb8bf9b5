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

from sqlalchemy import Connection, func, select

from workflow_engine.persistence.cases.resolution import Summary, summaries
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
    def of(cls, filed: int, summary: Summary) -> Figures:
        enough = summary.resolved >= MIN_CASES
        timed = summary.with_deadline >= MIN_CASES
        return cls(
            filed=filed if filed >= MIN_CASES else None,
            resolved=summary.resolved if enough else None,
            median_days=summary.median_days if enough else None,
            compliance_pct=summary.compliance_pct() if timed else None,
        )


@dataclass(frozen=True)
class TransparencyReport:
    procedures: dict[str, Figures]  # by procedure key
    departments: dict[str, Figures]  # by department key
    total: Figures


def transparency_report(conn: Connection, tz: tzinfo) -> TransparencyReport:
    """The figures of every procedure that has filed cases, its department's and the total
    (`tz` is the municipality's: resolution times were counted in it when cases closed)."""
    c, t = cases_t.c, templates_t.c
    filed_cases = (
        select(c.id).join(templates_t, t.key == c.procedure_key).where(c.submitted_at.is_not(None))
    )
    filed: dict[str, int] = {}
    department_of: dict[str, str] = {}
    for key, department, count in conn.execute(
        filed_cases.with_only_columns(
            c.procedure_key, t.department_key, func.count(), maintain_column_froms=True
        ).group_by(c.procedure_key, t.department_key)
    ):
        filed[key] = filed.get(key, 0) + int(count)
        department_of[key] = department
    by_procedure = summaries(conn, filed_cases, c.procedure_key)
    by_department = summaries(conn, filed_cases, t.department_key)
    total = summaries(conn, filed_cases).get(None, Summary())
    department_filed: dict[str, int] = {}
    for key, count in filed.items():
        department_filed[department_of[key]] = department_filed.get(department_of[key], 0) + count
    return TransparencyReport(
        procedures={k: Figures.of(n, by_procedure.get(k, Summary())) for k, n in filed.items()},
        departments={
            k: Figures.of(n, by_department.get(k, Summary())) for k, n in department_filed.items()
        },
        total=Figures.of(sum(filed.values()), total),
    )
