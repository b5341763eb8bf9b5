"""The management dashboards' figures about cases (/tableros): activity over time, resolution
times, deadline compliance, cases about to be decided by afirmativa/negativa ficta, backlog by
age, officials' workload, and the funnel of one procedure.

Every query takes a `DashboardScope` (which departments the viewer may see: who gets which is
`app.guards.dashboard_scope`), a `CaseFilter` (local days, department, procedure) and, where
the answer depends on the present, `today`, so tests control time. What counts as resolved and
how resolution time and deadlines are measured: `resolution` (the transparency page's rules).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from workflow_engine.calendar import BusinessCalendar
from workflow_engine.engine import state as case_state
from workflow_engine.engine.state import CaseState
from workflow_engine.engine.transition import response_lapse_rule
from workflow_engine.persistence.cases.inbox import deadline_state
from workflow_engine.persistence.cases.resolution import Resolution, Summary, histogram_summary
from workflow_engine.persistence.models import (
    Case,
    CaseDayCount,
    CaseEvent,
    ProcedureTemplate,
    ProcedureVersion,
    Task,
    User,
    table,
)
from workflow_engine.templates import model as template_model

cases_t = table(Case)
day_counts_t = table(CaseDayCount)
events_t = table(CaseEvent)
templates_t = table(ProcedureTemplate)
versions_t = table(ProcedureVersion)
tasks_t = table(Task)
users_t = table(User)

WEEKLY_UP_TO_DAYS = 92  # a range up to about three months is shown week by week
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 5), (6, 10), (11, 20), (21, 40), (41, None))
OUTCOMES = ("approved", "rejected", "cancelled")


@dataclass(frozen=True)
class DashboardScope:
    """What one viewer may see: `departments` None for every department (administrators, the
    mayor's office), else those departments' procedures (a director's own; none for a
    treasury official who is no director); `money` for the revenue and taxpayer dashboards."""

    departments: frozenset[str] | None
    money: bool = False

    @property
    def sees_cases(self) -> bool:
        return self.departments is None or bool(self.departments)

    @property
    def sees_everything(self) -> bool:
        return self.departments is None

    def allows(self, department_key: str) -> bool:
        return self.departments is None or department_key in self.departments


@dataclass(frozen=True)
class CaseFilter:
    """Local days `start`..`end` (both included) and, optionally, one department or one
    procedure."""

    start: date
    end: date
    department: str | None = None
    procedure: str | None = None


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included
    kind: str  # week | month


def periods(start: date, end: date) -> list[Period]:
    """The weeks (Monday to Sunday) or months covering start..end, cut to the range: weeks up
    to `WEEKLY_UP_TO_DAYS` days, months beyond."""
    out: list[Period] = []
    if (end - start).days < WEEKLY_UP_TO_DAYS:
        day = start - timedelta(days=start.weekday())
        while day <= end:
            out.append(Period(max(day, start), min(day + timedelta(days=6), end), "week"))
            day += timedelta(days=7)
        return out
    day = start.replace(day=1)
    while day <= end:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(Period(max(day, start), min(following - timedelta(days=1), end), "month"))
        day = following
    return out


def _utc_bounds(flt: CaseFilter, tz: tzinfo) -> tuple[datetime, datetime]:
    """The UTC moments where the first local day starts and the day after the last starts."""
    low = datetime.combine(flt.start, time(0), tzinfo=tz).astimezone(UTC)
    high = datetime.combine(flt.end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return low, high


def _procedures(conn: Connection, scope: DashboardScope, flt: CaseFilter) -> list[str] | None:
    """The procedures whose cases the viewer may see within the filter; None for every one
    (no condition: the queries then read the cases' indexes alone)."""
    if scope.departments is None and not flt.department:
        return [flt.procedure] if flt.procedure else None
    t = templates_t.c
    query = select(t.key)
    if scope.departments is not None:
        query = query.where(t.department_key.in_(sorted(scope.departments)))
    if flt.department:
        query = query.where(t.department_key == flt.department)
    if flt.procedure:
        query = query.where(t.key == flt.procedure)
    return sorted(conn.execute(query).scalars())


def _scoped(
    conn: Connection, query: Select[Any], scope: DashboardScope, flt: CaseFilter
) -> Select[Any]:
    """The query (over cases) restricted to the viewer's departments and the filter's."""
    keys = _procedures(conn, scope, flt)
    return query if keys is None else query.where(cases_t.c.procedure_key.in_(keys))


def _within(column: Any, low: datetime, high: datetime) -> ColumnElement[bool]:
    return and_(column >= low, column < high)


def _day_start(day: date, tz: tzinfo) -> datetime:
    """The UTC moment where local `day` starts."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


# -- the daily pre-aggregate ------------------------------------------------------------------


def day_counts(
    old: CaseState | None, new: CaseState, resolution: Resolution, tz: tzinfo
) -> list[tuple[date, str, int]]:
    """What one write of a case adds to `case_day_counts` (day, measure, value), each +1: the
    case started (no old state), filed, closed (its outcome; resolved in so many business
    days; within its maximum or not), on the local days those happened. The one rule: the
    engine's writes, `rebuild_day_counts` and migration 0018 use it."""
    out: list[tuple[date, str, int]] = []

    def day(moment: str) -> date:
        return datetime.fromisoformat(moment).astimezone(tz).date()

    if old is None:
        out.append((day(new.created_at), "started", 0))
    if new.submitted_at and (old is None or not old.submitted_at):
        out.append((day(new.submitted_at), "submitted", 0))
    if new.closed_at and (old is None or not old.closed_at):
        closed = day(new.closed_at)
        if new.outcome in OUTCOMES:
            out.append((closed, str(new.outcome), 0))
        if resolution.days is not None:
            out.append((closed, "resolved", resolution.days))
        if resolution.met_deadline is not None:
            out.append((closed, "met", int(resolution.met_deadline)))
    return out


def rebuild_day_counts(conn: Connection, tz: tzinfo, batch: int = 20000) -> int:
    """`case_day_counts` worked out again from the cases' rows (after rows were written
    straight into the tables: the benchmark, tests); how many rows it has."""
    c = cases_t.c
    counts: Counter[tuple[date, str, str, int]] = Counter()
    after = 0
    while True:
        rows = conn.execute(
            select(
                c.id,
                c.procedure_key,
                c.created_at,
                c.submitted_at,
                c.closed_at,
                c.outcome,
                c.resolution_days,
                c.met_deadline,
            )
            .where(c.id > after)
            .order_by(c.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        after = int(rows[-1].id)
        for r in rows:
            new = CaseState(
                case_id="",
                folio="",
                applicant_id="",
                status="",
                position="",
                created_at=r.created_at.isoformat(),
                submitted_at=r.submitted_at.isoformat() if r.submitted_at else None,
                closed_at=r.closed_at.isoformat() if r.closed_at else None,
                outcome=r.outcome,
            )
            met = None if r.met_deadline is None else bool(r.met_deadline)
            for day, measure, value in day_counts(
                None, new, Resolution(r.resolution_days, met), tz
            ):
                counts[(day, str(r.procedure_key), measure, value)] += 1
    conn.execute(delete(day_counts_t))
    items = [
        {"day": k[0], "procedure_key": k[1], "measure": k[2], "value": k[3], "n": n}
        for k, n in counts.items()
    ]
    for index in range(0, len(items), 5000):
        conn.execute(insert(day_counts_t), items[index : index + 5000])
    return len(items)


def _day_totals(
    conn: Connection,
    scope: DashboardScope,
    flt: CaseFilter,
    measures: Sequence[str],
    *by: Any,
) -> list[Any]:
    """Sums of `case_day_counts` over the filter's days and procedures, per `by` columns."""
    d = day_counts_t.c
    query = (
        select(*by, d.measure, d.value, func.sum(d.n).label("n"))
        .where(d.day >= flt.start, d.day <= flt.end, d.measure.in_(measures))
        .group_by(*by, d.measure, d.value)
    )
    keys = _procedures(conn, scope, flt)
    if keys is not None:
        query = query.where(d.procedure_key.in_(keys))
    return list(conn.execute(query))


# -- activity over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityRow:
    period: Period
    started: int
    submitted: int
    approved: int
    rejected: int
    cancelled: int


def activity(
    conn: Connection, scope: DashboardScope, flt: CaseFilter, tz: tzinfo
) -> list[ActivityRow]:
    """Per week or month: cases started, submitted, and closed by outcome (read from the
    daily pre-aggregate)."""
    spans = periods(flt.start, flt.end)
    firsts = [span.start for span in spans]
    counts: list[Counter[str]] = [Counter() for _ in spans]
    d = day_counts_t.c
    for r in _day_totals(conn, scope, flt, ("started", "submitted", *OUTCOMES), d.day):
        counts[bisect_right(firsts, r.day) - 1][r.measure] += int(r.n)
    return [
        ActivityRow(
            span, n["started"], n["submitted"], n["approved"], n["rejected"], n["cancelled"]
        )
        for span, n in zip(spans, counts, strict=True)
    ]


# -- resolution times -----------------------------------------------------------------------


@dataclass(frozen=True)
class ResolutionRow:
    procedure_key: str  # "" for the total
    resolved: int
    median_days: float | None
    p90_days: float | None
    compliance_pct: float | None
    with_deadline: int


def _resolution_row(key: str, summary: Summary) -> ResolutionRow:
    return ResolutionRow(
        key,
        summary.resolved,
        summary.median_days,
        summary.p90_days,
        summary.compliance_pct(),
        summary.with_deadline,
    )


def resolution_times(
    conn: Connection, scope: DashboardScope, flt: CaseFilter, tz: tzinfo
) -> tuple[list[ResolutionRow], ResolutionRow]:
    """Per procedure and in total, the cases resolved in the range: how many, the median and
    90th percentile of business days from filing to resolution, and the % resolved within
    the procedure's maximum response time (of those that have one); read from the daily
    pre-aggregate's histogram of resolution days."""
    d = day_counts_t.c
    days: dict[str, Counter[int]] = defaultdict(Counter)
    met: dict[str, Counter[int]] = defaultdict(Counter)
    for r in _day_totals(conn, scope, flt, ("resolved", "met"), d.procedure_key):
        for key in (r.procedure_key, ""):
            (days if r.measure == "resolved" else met)[key][int(r.value)] += int(r.n)

    def row(key: str) -> ResolutionRow:
        return _resolution_row(key, histogram_summary(days[key], met[key][1], met[key][0]))

    return [row(k) for k in sorted(days) if k], row("")


# -- cases about to be decided by ficta -----------------------------------------------------


@dataclass(frozen=True)
class AtRiskCase:
    folio: str
    procedure_key: str
    due_on: date
    rule: str  # afirmativa_ficta | negativa_ficta
    business_days_left: int


def at_risk_of_ficta(
    conn: Connection,
    scope: DashboardScope,
    flt: CaseFilter,
    today: date,
    calendar: BusinessCalendar,
    within_days: int,
) -> list[AtRiskCase]:
    """Cases in review whose maximum response time ends within `within_days` business days
    of `today` (today included) and whose template turns that lapse into an afirmativa or
    negativa ficta: the inbox's «due soon» rule with that horizon. Not bound to the date range
    (it is about the days ahead)."""
    c = cases_t.c
    horizon = calendar.add_business_days(today, within_days)
    rules = _ficta_versions(conn)
    if not rules:
        return []
    rows = conn.execute(
        _scoped(
            conn, select(c.folio, c.procedure_key, c.version_id, c.response_due), scope, flt
        ).where(
            c.status == case_state.IN_REVIEW,
            c.response_due >= today,
            c.response_due <= horizon,
            c.version_id.in_(sorted(rules)),
        )
    ).all()
    found = []
    for r in rows:
        due = r.response_due
        if deadline_state(due, today, horizon) != "due_soon":
            continue
        left = calendar.business_days_between(today, due)
        found.append(AtRiskCase(r.folio, r.procedure_key, due, rules[r.version_id], left))
    return sorted(found, key=lambda a: (a.due_on, a.folio))


def _ficta_versions(conn: Connection) -> dict[int, str]:
    """The versions whose response deadline lapses into a ficta, with that ficta (the
    others escalate: no case of theirs is at risk)."""
    v = versions_t.c
    on_lapse = v.definition["response_deadline"]["on_lapse"].as_string()
    rows = conn.execute(select(v.id, v.definition).where(on_lapse == "ficta"))
    rules = {int(r.id): response_lapse_rule(r.definition or {}) for r in rows}
    return {k: rule for k, rule in rules.items() if rule != "escalate"}


# -- backlog by age ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    low: int
    high: int | None  # None: and more
    cases: int


def backlog_by_age(
    conn: Connection,
    scope: DashboardScope,
    flt: CaseFilter,
    tz: tzinfo,
    today: date,
    calendar: BusinessCalendar,
) -> list[AgeBucket]:
    """Filed cases still open on `today`, by business days since filing (`AGE_BUCKETS`).
    Not bound to the date range: it is the backlog now."""
    c = cases_t.c
    counts: list[Any] = [
        func.count().filter(
            c.submitted_at < _day_start(newest + timedelta(days=1), tz),
            *(() if oldest is None else (c.submitted_at >= _day_start(oldest, tz),)),
        )
        for oldest, newest in _age_days(today, calendar)
    ]
    query: Select[Any] = select(*counts)
    row = conn.execute(
        _scoped(conn, query, scope, flt).where(c.submitted_at.is_not(None), c.closed_at.is_(None))
    ).one()
    return [
        AgeBucket(low, high, int(row[index] or 0)) for index, (low, high) in enumerate(AGE_BUCKETS)
    ]


def _age_days(today: date, calendar: BusinessCalendar) -> list[tuple[date | None, date]]:
    """For each of `AGE_BUCKETS`, the oldest (None: no limit) and newest local day of filing
    whose business days up to `today` fall in it (a later filing day is no age at all)."""
    top = max(b[0] for b in AGE_BUCKETS)
    newest: dict[int, date] = {}
    oldest: dict[int, date | None] = {}
    day, age = today, 0  # age: business days after `day` up to today
    while age <= top:
        for index, (low, high) in enumerate(AGE_BUCKETS):
            if age >= low and (high is None or age <= high):
                newest.setdefault(index, day)
                oldest[index] = None if high is None else day
        age += calendar.is_business_day(day)
        day -= timedelta(days=1)
    return [(oldest[i], newest[i]) for i in range(len(AGE_BUCKETS))]


# -- workload per official --------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    assignee_id: str | None  # None: open tasks nobody has taken
    name: str
    open_tasks: int
    overdue: int


def workload(
    conn: Connection, scope: DashboardScope, flt: CaseFilter, today: date
) -> list[Workload]:
    """Open review tasks now, per official who took or was given them (most loaded first),
    then those nobody has taken; `overdue` past their due day."""
    t = tasks_t.c
    query = (
        select(
            t.assignee_id,
            func.count().label("open_tasks"),
            func.count().filter(t.due_on < today).label("overdue"),
        )
        .where(t.status == "open")
        .group_by(t.assignee_id)
    )
    if scope.departments is not None:
        query = query.where(t.department.in_(sorted(scope.departments)))
    if flt.department:
        query = query.where(t.department == flt.department)
    if flt.procedure:
        query = query.where(t.procedure_key == flt.procedure)
    rows = conn.execute(query).all()
    ids = [int(r.assignee_id) for r in rows if r.assignee_id and r.assignee_id.isdigit()]
    names = dict(
        conn.execute(select(users_t.c.id, users_t.c.name).where(users_t.c.id.in_(ids))).all()
        if ids
        else []
    )
    people = [
        Workload(
            r.assignee_id,
            str(names.get(int(r.assignee_id)) or r.assignee_id)
            if r.assignee_id.isdigit()
            else r.assignee_id,
            int(r.open_tasks),
            int(r.overdue),
        )
        for r in rows
        if r.assignee_id
    ]
    people.sort(key=lambda w: (-w.open_tasks, w.name))
    nobody = [
        Workload(None, "", int(r.open_tasks), int(r.overdue)) for r in rows if not r.assignee_id
    ]
    return people + nobody


# -- the funnel of one procedure --------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStage:
    key: str  # started | step:<id> | submitted | approved | paid | issued
    step_id: str | None  # the wizard step, for step stages
    title: dict[str, str] | None  # the wizard step's {es, en} title
    cases: int
    dropped: int  # cases of the previous stage that did not reach this one


PAID_EVENTS = ("payment.confirmed", "payment.waived")
APPROVED_EVENTS = (*PAID_EVENTS, "payment.order_created", "document.requested", "document.issued")


def funnel_marks(events: Iterable[tuple[str, Mapping[str, Any] | None]]) -> str:
    """The funnel stages events reach, as the case row keeps them (`cases.funnel_marks`, each
    mark after a space, appended as events are applied): `step:<id>` for a wizard step's form
    sent, `approved` past the review (a payment order, a payment, a document), `paid` (or
    exempted), `issued`. The one rule: the engine's writes, `fill_funnel_marks` and migration
    0018 use it."""
    marks: list[str] = []
    for kind, data in events:
        if kind == "step.submitted":
            step = (data or {}).get("step")
            if step:
                marks.append(f"step:{step}")
        if kind in APPROVED_EVENTS:
            marks.append("approved")
        if kind in PAID_EVENTS:
            marks.append("paid")
        if kind == "document.issued":
            marks.append("issued")
    return "".join(f" {m}" for m in dict.fromkeys(marks))


def fill_funnel_marks(conn: Connection, batch: int = 5000) -> int:
    """The funnel marks of cases whose events were written straight into the tables (the
    benchmark, tests): every case with such events and no marks yet; how many were filled."""
    c, e = cases_t.c, events_t.c
    wanted = ("step.submitted", *APPROVED_EVENTS)
    filled = 0
    after = 0
    while True:
        ids = list(
            conn.execute(
                select(c.id).where(c.id > after, c.funnel_marks == "").order_by(c.id).limit(batch)
            ).scalars()
        )
        if not ids:
            return filled
        after = ids[-1]
        events: dict[int, list[tuple[str, Any]]] = {}
        for case_id, kind, step in conn.execute(
            select(e.case_id, e.type, e.data["step"].as_string())
            .where(e.case_id.in_(ids), e.type.in_(wanted))
            .order_by(e.case_id, e.seq)
        ):
            events.setdefault(int(case_id), []).append((str(kind), {"step": step}))
        same: dict[str, list[int]] = {}
        for case_id, found in events.items():
            marks = funnel_marks(found)
            if marks:
                same.setdefault(marks, []).append(case_id)
        for marks, chunk in same.items():
            conn.execute(update(cases_t).where(c.id.in_(chunk)).values(funnel_marks=marks))
            filled += len(chunk)


def live_definition(conn: Connection, procedure_key: str) -> dict[str, Any] | None:
    """The procedure's newest published version's document (its wizard for the funnel)."""
    row = conn.execute(
        select(versions_t.c.definition)
        .join(templates_t, templates_t.c.id == versions_t.c.template_id)
        .where(templates_t.c.key == procedure_key)
        .order_by(versions_t.c.number.desc())
        .limit(1)
    ).first()
    return dict(row.definition) if row is not None else None


def funnel(
    conn: Connection, scope: DashboardScope, flt: CaseFilter, tz: tzinfo
) -> list[FunnelStage]:
    """The cases of `flt.procedure` started in the range, stage by stage: started, each step
    of the wizard (its form sent: a `step.submitted` event), filed, approved (closed as
    approved, or past the review: a payment order, a payment or a document), paid (or
    exempted) and document issued — the last two only when the procedure has such steps.
    `dropped` is how many of the previous stage got no further."""
    if not flt.procedure:
        raise ValueError("the funnel is per procedure")
    doc = live_definition(conn, flt.procedure)
    if doc is None:
        return []
    procedure = template_model.of(doc)
    low, high = _utc_bounds(flt, tz)
    c = cases_t.c
    approved_row = or_(
        c.outcome == "approved",
        c.status.in_((case_state.AWAITING_PAYMENT, case_state.AWAITING_DOCUMENT)),
    )
    submitted = c.submitted_at.is_not(None)
    groups = conn.execute(
        _scoped(
            conn,
            select(
                c.funnel_marks,
                case((submitted, 1), else_=0).label("submitted"),
                case((approved_row, 1), else_=0).label("approved"),
                func.count().label("n"),
            ),
            scope,
            flt,
        )
        .where(_within(c.created_at, low, high))
        .group_by(c.funnel_marks, submitted, approved_row)
    ).all()
    stages: list[tuple[str, str | None, dict[str, str] | None, str]] = [
        ("started", None, None, "started")
    ]
    for step in procedure.form_steps():
        stages.append((f"step:{step.id}", step.id, dict(step.title), f"step:{step.id}"))
    stages.append(("submitted", None, None, "submitted"))
    stages.append(("approved", None, None, "approved"))
    types = {s.type for s in procedure.steps}
    if "payment" in types:
        stages.append(("paid", None, None, "paid"))
    if "document" in types:
        stages.append(("issued", None, None, "issued"))
    reached = [0] * len(stages)
    dropped = [0] * len(stages)
    for g in groups:
        marks = set((g.funnel_marks or "").split()) | {"started"}
        if g.submitted:
            marks.add("submitted")
        if g.approved:
            marks.add("approved")
        for index, (_, _, _, mark) in enumerate(stages):
            if mark in marks:
                reached[index] += g.n
            elif index and stages[index - 1][3] in marks:
                dropped[index] += g.n
    return [
        FunnelStage(key, step_id, title, reached[i], dropped[i])
        for i, (key, step_id, title, _) in enumerate(stages)
    ]


__all__ = [
    "AGE_BUCKETS",
    "ActivityRow",
    "AgeBucket",
    "AtRiskCase",
    "CaseFilter",
    "DashboardScope",
    "FunnelStage",
    "Period",
    "ResolutionRow",
    "Workload",
    "activity",
    "at_risk_of_ficta",
    "backlog_by_age",
    "day_counts",
    "fill_funnel_marks",
    "funnel",
    "funnel_marks",
    "live_definition",
    "periods",
    "rebuild_day_counts",
    "resolution_times",
    "workload",
]
