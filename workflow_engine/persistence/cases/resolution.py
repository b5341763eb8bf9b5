"""How long the municipality takes to resolve a case, one rule for every report (the public
transparency page, the management dashboards).

A case counts as *filed* once submitted and as *resolved* once closed with a decision (a
withdrawal is not a resolution). Resolution time is the number of business days, on the
municipality's calendar (weekends and declared holidays), from the local day of submission to
the local day of closing; a resolved case met its deadline when that number is not above its
version's `catalog.max_response_days`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from statistics import median
from typing import Any

from sqlalchemy import Connection, select

from workflow_engine.calendar import BusinessCalendar
from workflow_engine.persistence.models import ProcedureVersion, table
from workflow_engine.persistence.platform.holidays import holiday_days

NOT_RESOLVED = frozenset({"cancelled"})
versions_t = table(ProcedureVersion)


def is_resolved(outcome: str | None, closed_at: datetime | None) -> bool:
    """Closed with a decision (approved, rejected, ...), not withdrawn."""
    return closed_at is not None and outcome not in NOT_RESOLVED


def local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def response_limits(conn: Connection, version_ids: Iterable[int]) -> dict[int, int | None]:
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


class ResolutionClock:
    """Business days from submission to closing, on the municipality's calendar."""

    def __init__(self, calendar: BusinessCalendar, tz: tzinfo) -> None:
        self.calendar = calendar
        self.tz = tz

    @classmethod
    def of(cls, conn: Connection, tz: tzinfo) -> ResolutionClock:
        return cls(BusinessCalendar.with_holidays(holiday_days(conn)), tz)

    def days(self, submitted_at: datetime, closed_at: datetime) -> int:
        return self.calendar.business_days_between(
            local_day(submitted_at, self.tz), local_day(closed_at, self.tz)
        )


def percentile(values: Sequence[int], pct: int) -> float:
    """The nearest-rank percentile (p90 of 10 values is the 9th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


@dataclass
class Tally:
    """Filed and resolved cases of a group, the resolution times, deadlines met."""

    filed: int = 0
    days: list[int] = field(default_factory=list)
    on_time: int = 0
    with_deadline: int = 0

    def resolve(self, days: int, limit: int | None) -> None:
        """One resolved case: `days` business days, `limit` its version's maximum."""
        self.days.append(days)
        if limit is not None:
            self.with_deadline += 1
            self.on_time += days <= limit

    def add(self, other: Tally) -> None:
        self.filed += other.filed
        self.days.extend(other.days)
        self.on_time += other.on_time
        self.with_deadline += other.with_deadline

    @property
    def resolved(self) -> int:
        return len(self.days)

    def median_days(self) -> float | None:
        return float(median(self.days)) if self.days else None

    def p90_days(self) -> float | None:
        return percentile(self.days, 90) if self.days else None

    def compliance_pct(self) -> float | None:
        if not self.with_deadline:
            return None
        return round(100 * self.on_time / self.with_deadline, 1)
