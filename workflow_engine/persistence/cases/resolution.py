"""How long the municipality takes to resolve a case, one rule for every report (the public
transparency page, the management dashboards).

A case counts as *filed* once submitted and as *resolved* once closed with a decision (a
withdrawal is not a resolution). Resolution time is the number of business days, on the
municipality's calendar (weekends and declared holidays), from the local day of submission to
the local day of closing; a resolved case met its deadline when that number is not above its
version's `catalog.max_response_days`.

Both are worked out once, when the case closes, and kept on its row (`cases.resolution_days`,
`cases.met_deadline`: `resolution_of`, called where the case row is written as events are
applied; `fill_resolutions` for rows written otherwise, and migration 0018 for the rows that
were there before): the reports aggregate those columns in SQL (`summaries`). Like the
response deadline, a resolution time counts the holidays declared when the case closed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select, tuple_, update

from workflow_engine.calendar import BusinessCalendar
from workflow_engine.persistence.models import Case, ProcedureVersion, table
from workflow_engine.persistence.platform.holidays import holiday_days

NOT_RESOLVED = frozenset({"cancelled"})
cases_t = table(Case)
versions_t = table(ProcedureVersion)


def is_resolved(outcome: str | None, closed_at: datetime | None) -> bool:
    """Closed with a decision (approved, rejected, ...), not withdrawn."""
    return closed_at is not None and outcome not in NOT_RESOLVED


def local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def max_response_days(definition: Mapping[str, Any] | None) -> int | None:
    """A version's maximum response time in business days (None when it has none)."""
    catalog: Any = (definition or {}).get("catalog") or {}
    days = catalog.get("max_response_days") if isinstance(catalog, Mapping) else None
    return days if isinstance(days, int) and not isinstance(days, bool) and days >= 0 else None


def response_limits(conn: Connection, version_ids: Iterable[int]) -> dict[int, int | None]:
    """Each version's maximum response time in business days (None when it has none)."""
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(versions_t.c.id, versions_t.c.definition).where(versions_t.c.id.in_(ids))
    )
    return {int(version_id): max_response_days(definition) for version_id, definition in rows}


class ResolutionClock:
    """Business days from submission to closing, on the municipality's calendar."""

    def __init__(self, calendar: BusinessCalendar, tz: tzinfo) -> None:
        self.calendar = calendar
        self.tz = tz
        self._spans: dict[tuple[date, date], int] = {}

    @classmethod
    def of(cls, conn: Connection, tz: tzinfo) -> ResolutionClock:
        return cls(BusinessCalendar.with_holidays(holiday_days(conn)), tz)

    def days(self, submitted_at: datetime, closed_at: datetime) -> int:
        span = (local_day(submitted_at, self.tz), local_day(closed_at, self.tz))
        found = self._spans.get(span)
        if found is None:
            found = self._spans[span] = self.calendar.business_days_between(*span)
        return found


@dataclass(frozen=True)
class Resolution:
    """What a case's row keeps about its resolution: `days` None while not resolved,
    `met_deadline` None while not resolved or when its version has no maximum."""

    days: int | None = None
    met_deadline: bool | None = None


def resolution_of(
    submitted_at: datetime | None,
    closed_at: datetime | None,
    outcome: str | None,
    limit: int | None,
    clock: ResolutionClock,
) -> Resolution:
    """The resolution of a case filed at `submitted_at` and closed at `closed_at` with
    `outcome`, against its version's maximum `limit` (the one rule)."""
    if submitted_at is None or not is_resolved(outcome, closed_at):
        return Resolution()
    assert closed_at is not None
    days = clock.days(submitted_at, closed_at)
    return Resolution(days, None if limit is None else days <= limit)


def fill_resolutions(conn: Connection, tz: tzinfo, batch: int = 20000) -> int:
    """Work out the resolution of resolved cases whose row does not have it (rows written
    straight into the table: imports, the benchmark, tests); how many were filled."""
    c = cases_t.c
    clock = ResolutionClock.of(conn, tz)
    limits: dict[int, int | None] = {}
    filled = 0
    after = 0
    while True:
        rows = conn.execute(
            select(c.id, c.version_id, c.outcome, c.submitted_at, c.closed_at)
            .where(
                c.id > after,
                c.resolution_days.is_(None),
                c.submitted_at.is_not(None),
                c.closed_at.is_not(None),
                c.outcome.is_(None) | c.outcome.not_in(sorted(NOT_RESOLVED)),
            )
            .order_by(c.id)
            .limit(batch)
        ).all()
        if not rows:
            return filled
        after = int(rows[-1].id)
        missing = {r.version_id for r in rows} - limits.keys()
        limits.update(response_limits(conn, missing))
        same: dict[Resolution, list[int]] = defaultdict(list)
        for r in rows:
            found = resolution_of(
                r.submitted_at, r.closed_at, r.outcome, limits.get(r.version_id), clock
            )
            same[found].append(int(r.id))
        for found, ids in same.items():
            for index in range(0, len(ids), 5000):
                conn.execute(
                    update(cases_t)
                    .where(c.id.in_(ids[index : index + 5000]))
                    .values(resolution_days=found.days, met_deadline=found.met_deadline)
                )
        filled += len(rows)


def percentile(values: Sequence[int], pct: int) -> float:
    """The nearest-rank percentile (p90 of 10 values is the 9th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return float(ordered[rank - 1])


@dataclass
class Tally:
    """Resolution times and deadlines met of a group, counted in Python."""

    days: list[int] = field(default_factory=list)
    on_time: int = 0
    with_deadline: int = 0

    def resolve(self, days: int, met_deadline: bool | None) -> None:
        """One resolved case: `days` business days, whether within its version's maximum."""
        self.days.append(days)
        if met_deadline is not None:
            self.with_deadline += 1
            self.on_time += met_deadline

    def summary(self) -> Summary:
        return Summary(
            len(self.days),
            float(median(self.days)) if self.days else None,
            percentile(self.days, 90) if self.days else None,
            self.on_time,
            self.with_deadline,
        )


@dataclass(frozen=True)
class Summary:
    """The resolved cases of a group: how many, the median and 90th percentile (nearest
    rank) of their business days, and how many of those with a maximum met it."""

    resolved: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    on_time: int = 0
    with_deadline: int = 0

    def compliance_pct(self) -> float | None:
        if not self.with_deadline:
            return None
        return round(100 * self.on_time / self.with_deadline, 1)


def histogram_summary(days: Mapping[int, int], on_time: int, late: int) -> Summary:
    """The `Summary` of resolved cases given as how many took each number of days (and how
    many of those with a maximum met it or not): the same median and nearest-rank p90."""
    ordered = sorted((d, n) for d, n in days.items() if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return Summary(0, None, None, on_time, on_time + late)

    def nth(rank: int) -> int:  # the rank-th smallest (from 1)
        seen = 0
        for value, n in ordered:
            seen += n
            if seen >= rank:
                return value
        return ordered[-1][0]

    middle = (nth((total + 1) // 2) + nth(total // 2 + 1)) / 2
    return Summary(
        total,
        float(middle),
        float(nth(max(1, math.ceil(0.9 * total)))),
        on_time,
        on_time + late,
    )


def summaries(
    conn: Connection,
    cases: Select[Any],
    key: ColumnElement[Any] | None = None,
    *,
    total: bool = False,
) -> dict[Any, Summary]:
    """The `Summary` of the resolved cases `cases` selects (a query over the cases table with
    its joins and conditions), per value of `key` (one group, keyed None, without; with
    `total`, the whole as well, keyed None: `key` must then never be null).
    PostgreSQL aggregates in SQL; elsewhere only the days are read, sorted in Python."""
    c = cases_t.c
    resolved = cases.where(c.resolution_days.is_not(None))
    keys = [key.label("k")] if key is not None else []
    if conn.dialect.name == "postgresql":
        query = resolved.with_only_columns(
            *keys,
            func.count(c.resolution_days).label("resolved"),
            func.percentile_cont(0.5).within_group(c.resolution_days).label("median"),
            func.percentile_disc(0.9).within_group(c.resolution_days).label("p90"),
            func.count().filter(c.met_deadline.is_(True)).label("on_time"),
            func.count(c.met_deadline).label("with_deadline"),
            maintain_column_froms=True,
        )
        if key is not None:
            query = query.group_by(func.grouping_sets(key, tuple_()) if total else key)
        return {
            (r.k if key is not None else None): Summary(
                int(r.resolved),
                None if r.median is None else float(r.median),
                None if r.p90 is None else float(r.p90),
                int(r.on_time),
                int(r.with_deadline),
            )
            for r in conn.execute(query)
            if r.resolved
        }
    query = resolved.with_only_columns(
        *keys, c.resolution_days, c.met_deadline, maintain_column_froms=True
    )
    tallies: dict[Any, Tally] = defaultdict(Tally)
    for r in conn.execute(query):
        met = None if r.met_deadline is None else bool(r.met_deadline)
        tallies[r.k if key is not None else None].resolve(int(r.resolution_days), met)
        if total and key is not None:
            tallies[None].resolve(int(r.resolution_days), met)
    return {k: t.summary() for k, t in tallies.items()}
