"""Public transparency figures: volumes, median resolution time in business days and deadline
compliance, per procedure, per department and for the whole municipality.

Aggregates only, and never a figure computed from fewer than `MIN_CASES` cases: such a figure
is `None` (the page shows «—»), so no single applicant can be singled out.

A case counts as *filed* once submitted and as *resolved* once closed with a decision (a
withdrawal is not a resolution). Resolution time is the number of business days, on the
municipality's calendar (weekends and declared holidays), from the local day of submission to
the local day of closing; a resolved case met its deadline when that number is not above its
version's `catalog.max_response_days`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from statistics import median
from typing import Any

from sqlalchemy import Connection, select

from workflow_engine.calendar import BusinessCalendar
from workflow_engine.persistence.models import Case, ProcedureTemplate, ProcedureVersion, table
from workflow_engine.persistence.platform.holidays import holiday_days

MIN_CASES = 5
NOT_RESOLVED = frozenset({"cancelled"})

cases_t = table(Case)
templates_t = table(ProcedureTemplate)
versions_t = table(ProcedureVersion)


@dataclass
class _Tally:
    filed: int = 0
    days: list[int] = field(default_factory=list)
    on_time: int = 0
    with_deadline: int = 0

    def add(self, other: _Tally) -> None:
        self.filed += other.filed
        self.days.extend(other.days)
        self.on_time += other.on_time
        self.with_deadline += other.with_deadline


@dataclass(frozen=True)
class Figures:
    """One row of the public tables; `None` where fewer than `MIN_CASES` cases count."""

    filed: int | None
    resolved: int | None
    median_days: float | None
    compliance_pct: float | None

    @classmethod
    def of(cls, tally: _Tally) -> Figures:
        resolved = len(tally.days)
        enough = resolved >= MIN_CASES
        timed = tally.with_deadline >= MIN_CASES
        return cls(
            filed=tally.filed if tally.filed >= MIN_CASES else None,
            resolved=resolved if enough else None,
            median_days=float(median(tally.days)) if enough else None,
            compliance_pct=(round(100 * tally.on_time / tally.with_deadline, 1) if timed else None),
        )


@dataclass(frozen=True)
class TransparencyReport:
    procedures: dict[str, Figures]  # by procedure key
    departments: dict[str, Figures]  # by department key
    total: Figures


def _local(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _deadlines(conn: Connection, version_ids: Iterable[int]) -> dict[int, int | None]:
    """Each version's maximum response time in business days (None when it has none)."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(versions_t.c.id, versions_t.c.definition).where(versions_t.c.id.in_(ids))
    )
    out: dict[int, int | None] = {}
    for version_id, definition in rows:
        catalog: Any = (definition or {}).get("catalog") or {}
        days = catalog.get("max_response_days") if isinstance(catalog, Mapping) else None
        out[version_id] = days if isinstance(days, int) and days >= 0 else None
    return out


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
    calendar = BusinessCalendar.with_holidays(holiday_days(conn))
    deadlines = _deadlines(conn, (r.version_id for r in rows))
    by_procedure: dict[str, _Tally] = {}
    department_of: dict[str, str] = {}
    for r in rows:
        tally = by_procedure.setdefault(r.procedure_key, _Tally())
        department_of[r.procedure_key] = r.department_key
        tally.filed += 1
        if r.closed_at is None or r.outcome in NOT_RESOLVED:
            continue
        days = calendar.business_days_between(_local(r.submitted_at, tz), _local(r.closed_at, tz))
        tally.days.append(days)
        limit = deadlines.get(r.version_id)
        if limit is not None:
            tally.with_deadline += 1
            tally.on_time += days <= limit
    by_department: dict[str, _Tally] = {}
    total = _Tally()
    for key, tally in by_procedure.items():
        by_department.setdefault(department_of[key], _Tally()).add(tally)
        total.add(tally)
    return TransparencyReport(
        procedures={k: Figures.of(t) for k, t in by_procedure.items()},
        departments={k: Figures.of(t) for k, t in by_department.items()},
        total=Figures.of(total),
    )
