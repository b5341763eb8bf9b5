"""The management dashboards' figures about cases (/tableros): activity over time, resolution
times, deadline compliance, cases about to be decided by afirmativa/negativa ficta, backlog by
age, officials' workload, and the funnel of one procedure.

Every query takes a `DashboardScope` (which departments the viewer may see: who gets which is
`app.guards.dashboard_scope`), a `CaseFilter` (local days, department, procedure) and, where
the answer depends on the present, `today`, so tests control time. What counts as resolved and
how resolution time and deadlines are measured: `resolution` (the transparency page's rules).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, func, or_, select

from workflow_engine.calendar import BusinessCalendar
from workflow_engine.engine import state as case_state
from workflow_engine.engine.transition import response_lapse_rule
from workflow_engine.persistence.cases.inbox import deadline_state
from workflow_engine.persistence.cases.resolution import (
    ResolutionClock,
    Tally,
    is_resolved,
    response_limits,
)
from workflow_engine.persistence.models import (
    Case,
    CaseEvent,
    ProcedureTemplate,
    ProcedureVersion,
    Task,
    User,
    table,
)
from workflow_engine.templates import model as template_model

cases_t = table(Case)
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


def _scoped(query: Select[Any], scope: DashboardScope, flt: CaseFilter) -> Select[Any]:
    """The query (over cases) restricted to the viewer's departments and the filter's."""
    query = query.join(templates_t, templates_t.c.key == cases_t.c.procedure_key)
    if scope.departments is not None:
        query = query.where(templates_t.c.department_key.in_(sorted(scope.departments)))
    if flt.department:
        query = query.where(templates_t.c.department_key == flt.department)
    if flt.procedure:
        query = query.where(cases_t.c.procedure_key == flt.procedure)
    return query


def _within(column: Any, low: datetime, high: datetime) -> ColumnElement[bool]:
    return and_(column >= low, column < high)


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
    """Per week or month: cases started, submitted, and closed by outcome."""
    low, high = _utc_bounds(flt, tz)
    c = cases_t.c
    rows = conn.execute(
        _scoped(select(c.created_at, c.submitted_at, c.closed_at, c.outcome), scope, flt).where(
            or_(
                _within(c.created_at, low, high),
                _within(c.submitted_at, low, high),
                _within(c.closed_at, low, high),
            )
        )
    ).all()
    spans = periods(flt.start, flt.end)
    counts: list[Counter[str]] = [Counter() for _ in spans]

    def count(moment: datetime | None, what: str) -> None:
        if moment is None or not low <= moment < high:
            return
        day = moment.astimezone(tz).date()
        for index, span in enumerate(spans):
            if span.start <= day <= span.end:
                counts[index][what] += 1
                return

    for r in rows:
        count(r.created_at, "started")
        count(r.submitted_at, "submitted")
        if r.outcome in OUTCOMES:
            count(r.closed_at, str(r.outcome))
    return [
        ActivityRow(
            span,
            n["started"],
            n["submitted"],
            n["approved"],
            n["rejected"],
            n["cancelled"],
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


def _resolution_row(key: str, tally: Tally) -> ResolutionRow:
    return ResolutionRow(
        key,
        tally.resolved,
        tally.median_days(),
        tally.p90_days(),
        tally.compliance_pct(),
        tally.with_deadline,
    )


def resolution_times(
    conn: Connection, scope: DashboardScope, flt: CaseFilter, tz: tzinfo
) -> tuple[list[ResolutionRow], ResolutionRow]:
    """Per procedure and in total, the cases resolved in the range: how many, the median and
    90th percentile of business days from filing to resolution, and the % resolved within
    the procedure's maximum response time (of those that have one)."""
    low, high = _utc_bounds(flt, tz)
    c = cases_t.c
    rows = conn.execute(
        _scoped(
            select(c.procedure_key, c.version_id, c.outcome, c.submitted_at, c.closed_at),
            scope,
            flt,
        ).where(c.submitted_at.is_not(None), _within(c.closed_at, low, high))
    ).all()
    clock = ResolutionClock.of(conn, tz)
    limits = response_limits(conn, (r.version_id for r in rows))
    by_procedure: dict[str, Tally] = {}
    total = Tally()
    for r in rows:
        if not is_resolved(r.outcome, r.closed_at):
            continue
        tally = by_procedure.setdefault(r.procedure_key, Tally())
        tally.resolve(clock.days(r.submitted_at, r.closed_at), limits.get(r.version_id))
    for tally in by_procedure.values():
        total.add(tally)
    return (
        [_resolution_row(k, t) for k, t in sorted(by_procedure.items())],
        _resolution_row("", total),
    )


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
    due_col = c.state["response_due"].as_string()
    rows = conn.execute(
        _scoped(
            select(c.folio, c.procedure_key, c.version_id, due_col.label("due")), scope, flt
        ).where(c.status == case_state.IN_REVIEW, due_col.is_not(None))
    ).all()
    rules = _lapse_rules(conn, (r.version_id for r in rows))
    horizon = calendar.add_business_days(today, within_days)
    found = []
    for r in rows:
        rule = rules.get(r.version_id, "escalate")
        due = date.fromisoformat(r.due)
        if rule == "escalate" or deadline_state(due, today, horizon) != "due_soon":
            continue
        left = calendar.business_days_between(today, due)
        found.append(AtRiskCase(r.folio, r.procedure_key, due, rule, left))
    return sorted(found, key=lambda a: (a.due_on, a.folio))


def _lapse_rules(conn: Connection, version_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(version_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(versions_t.c.id, versions_t.c.definition).where(versions_t.c.id.in_(ids))
    )
    return {int(r.id): response_lapse_rule(r.definition or {}) for r in rows}


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
    rows = conn.execute(
        _scoped(select(c.submitted_at), scope, flt).where(
            c.submitted_at.is_not(None), c.closed_at.is_(None)
        )
    ).all()
    counts: Counter[int] = Counter()
    for r in rows:
        age = calendar.business_days_between(r.submitted_at.astimezone(tz).date(), today)
        for index, (low, high) in enumerate(AGE_BUCKETS):
            if age >= low and (high is None or age <= high):
                counts[index] += 1
                break
    return [AgeBucket(low, high, counts[i]) for i, (low, high) in enumerate(AGE_BUCKETS)]


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
    cases = conn.execute(
        _scoped(select(c.id, c.submitted_at, c.outcome, c.status), scope, flt).where(
            _within(c.created_at, low, high)
        )
    ).all()
    ids = [int(r.id) for r in cases]
    events = _events_of(conn, ids)
    steps_sent: dict[str, set[int]] = defaultdict(set)
    kinds: dict[str, set[int]] = defaultdict(set)
    for case_id, kind, step_id in events:
        if kind == "step.submitted" and step_id:
            steps_sent[step_id].add(case_id)
        else:
            kinds[kind].add(case_id)
    approved = {
        int(r.id)
        for r in cases
        if r.outcome == "approved"
        or r.status in (case_state.AWAITING_PAYMENT, case_state.AWAITING_DOCUMENT)
    }
    for kind in APPROVED_EVENTS:
        approved |= kinds[kind]
    stages: list[tuple[str, str | None, dict[str, str] | None, set[int]]] = [
        ("started", None, None, set(ids))
    ]
    for step in procedure.form_steps():
        stages.append((f"step:{step.id}", step.id, dict(step.title), steps_sent[step.id]))
    stages.append(("submitted", None, None, {int(r.id) for r in cases if r.submitted_at}))
    stages.append(("approved", None, None, approved))
    types = {s.type for s in procedure.steps}
    if "payment" in types:
        stages.append(("paid", None, None, kinds[PAID_EVENTS[0]] | kinds[PAID_EVENTS[1]]))
    if "document" in types:
        stages.append(("issued", None, None, kinds["document.issued"]))
    out: list[FunnelStage] = []
    previous: set[int] | None = None
    for key, stage_step, title, reached in stages:
        dropped = len(previous - reached) if previous is not None else 0
        out.append(FunnelStage(key, stage_step, title, len(reached), dropped))
        previous = reached
    return out


def _events_of(conn: Connection, case_ids: Sequence[int]) -> list[tuple[int, str, str]]:
    """(case id, event type, step id) of the events the funnel reads, for those cases."""
    wanted = ("step.submitted", *APPROVED_EVENTS)
    out: list[tuple[int, str, str]] = []
    step = events_t.c.data["step"].as_string()
    for index in range(0, len(case_ids), 500):
        chunk = case_ids[index : index + 500]
        rows = conn.execute(
            select(events_t.c.case_id, events_t.c.type, step.label("step")).where(
                events_t.c.case_id.in_(chunk), events_t.c.type.in_(wanted)
            )
        ).all()
        out.extend((int(r.case_id), str(r.type), str(r.step or "")) for r in rows)
    return out


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
    "funnel",
    "live_definition",
    "periods",
    "resolution_times",
    "workload",
]
