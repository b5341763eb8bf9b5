"""The demo municipality's cases: a few dozen, in every state, spread over recent months.

Each case is replayed through the real engine (the walkthrough's loop) with the demo
accounts as actors and moments in the past: the clock every command, effect and ledger row
reads (:func:`workflow_engine.persistence.types.replaying`) is moved along the case's
story, so the hash-chained history, payment orders, ledger and documents agree with each
other. Idempotent: once the demo neighbours have cases, nothing is added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from workflow_engine.engine import Actor, ClaimTask, Command, Decide
from workflow_engine.engine import state as case_state
from workflow_engine.engine.state import CaseState, TaskState
from workflow_engine.persistence.cases.outbox import OutboxProcessor
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.cases.timers import fire_due_timers
from workflow_engine.persistence.cases.walkthrough import Reviewer, run_walkthrough
from workflow_engine.persistence.models import Case, table
from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD, Account, Accounts
from workflow_engine.persistence.types import replaying, utcnow
from workflow_engine.templates.step_types.review import decision_fields

# The neighbours who file the demo cases (their own accounts, so the seed can tell whether
# it already ran: once they have cases, it adds none).
DEMO_NEIGHBOURS = [
    ("vecina1@demo.gob.mx", "Ana García Martínez"),
    ("vecino2@demo.gob.mx", "José Hernández Ruiz"),
    ("vecina3@demo.gob.mx", "Lucía Ramírez Torres"),
    ("vecino4@demo.gob.mx", "Carlos Mendoza Flores"),
    ("vecina5@demo.gob.mx", "Guadalupe Sánchez Cruz"),
    ("vecino6@demo.gob.mx", "Miguel Ángel Reyes Ortiz"),
]

# (what the case shows, days ago it was started); each procedure gets all of them, those
# older than `UNSHIFTED_DAYS` shifted by a week per procedure so the months fill up.
SCENES: tuple[tuple[str, int], ...] = (
    ("draft", 2),
    ("submitted", 1),
    ("claimed", 2),
    ("returned", 3),
    ("awaiting_payment", 2),
    ("approved", 20),
    ("approved", 85),
    ("rejected", 45),
    ("lapsed", 60),
    ("overdue", 28),
    # Months of history for the dashboards (/tableros): resolutions that took days, wizards
    # left half-way, and a case whose legal deadline (and ficta) is days away.
    ("submitted", 8),
    ("ready", 12),
    ("draft", 35),
    ("approved", 55),
    ("approved", 120),
    ("rejected", 130),
    ("approved", 150),
)
UNSHIFTED_DAYS = 10
STEP = timedelta(hours=2)  # between two commands of one case's story
REVIEWED_SCENES = ("approved", "rejected")  # decided some days after filing (review_delay)


def review_delay(days_ago: int, p_index: int) -> timedelta:
    """How long the officials take to decide a demo case: 1 to 12 days, varied by age and
    procedure (deterministic), so resolution times and deadline compliance differ."""
    return timedelta(days=1 + (days_ago + 3 * p_index) % 12)


@dataclass
class DemoCasesReport:
    created: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    skipped: bool = False


class ReplayClock:
    """The moment a replayed case is at: `tick()` moves it on (never past the present)."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def tick(self) -> datetime:
        self.moment = min(self.moment + STEP, datetime.now(UTC) - timedelta(minutes=1))
        return self.moment


class _Officials:
    """The demo officials by department, so each inbox gets its own cases."""

    def __init__(self, accounts: list[Account]) -> None:
        self.accounts = [a for a in accounts if a.role == "official" and a.department_key]

    def for_task(self, task: TaskState) -> Actor:
        for account in self.accounts:
            if account.department_key == task.department and task.role in account.role_tags:
                return account.actor()
        for account in self.accounts:
            if account.department_key == task.department:
                return account.actor()
        return Actor(
            id=f"demo-{task.department}",
            kind="official",
            departments=frozenset([task.department]),
            roles=frozenset([task.role]),
            name=f"Revisión {task.department}",
        )


def _until(scene: str) -> Callable[[CaseState], bool] | None:
    if scene == "draft":
        return lambda s: s.status == case_state.DRAFT and len(s.form_path) >= 1
    if scene == "ready":  # every form step sent, never filed
        return lambda s: s.status == case_state.READY
    if scene in ("submitted", "claimed", "overdue"):
        return lambda s: s.status == case_state.IN_REVIEW
    if scene in ("returned", "lapsed"):
        return lambda s: s.status == case_state.AWAITING_CORRECTION
    if scene == "awaiting_payment":
        return lambda s: (
            s.status == case_state.AWAITING_PAYMENT
            and s.payment is not None
            and bool(s.payment.reference)
        )
    return None


REASONS = {
    "return": "Falta la identificación oficial vigente; adjúntela legible.",
    "reject": "No cumple los requisitos del reglamento municipal.",
}


def _rejection_fields(step: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The example's answers plus a reason in every text or choice the step asks of a
    rejection."""
    fields = dict(given)
    for spec in decision_fields(step):
        if spec["id"] in fields:
            continue
        if spec.get("type") in ("text", "textarea"):
            fields[spec["id"]] = REASONS["reject"]
        elif spec.get("options"):
            fields[spec["id"]] = spec["options"][0]["value"]
    return fields


def _reviewer(
    scene: str,
    officials: _Officials,
    step_of: Callable[[str], Mapping[str, Any]],
    clock: ReplayClock,
    delay: timedelta = timedelta(0),
) -> Reviewer:
    """Approves, except the first task that can return (returned, lapsed) or reject; each
    decision `delay` after the moment the story is at (the clock moves there)."""
    wanted = {"returned": "return", "lapsed": "return", "rejected": "reject"}.get(scene)

    def review(
        state: CaseState, task: TaskState, at: datetime, example: Mapping[str, Mapping[str, Any]]
    ) -> Decide:
        if delay:
            at = max(at, min(at + delay, datetime.now(UTC) - timedelta(minutes=30)))
            clock.moment = max(clock.moment, at)
        actor = officials.for_task(task)
        step = step_of(task.step_id)
        spec = (step.get("outcomes") or {}).get(wanted or "")
        if wanted is not None and spec is not None and state.form_path:
            to_step = spec.get("to_step") if isinstance(spec, dict) else None
            back = to_step if to_step in state.form_path else state.form_path[0]
            return Decide(
                at=at,
                actor=actor,
                task_id=task.id,
                decision=wanted,  # type: ignore[arg-type]
                comment=REASONS[wanted],
                reason="incomplete" if wanted == "return" else None,
                return_steps=(back,) if wanted == "return" else (),
                fields=_rejection_fields(step, example.get(task.step_id, {}))
                if wanted == "reject"
                else {},
            )
        return Decide(
            at=at,
            actor=actor,
            task_id=task.id,
            decision="approve",
            comment="Cumple con los requisitos.",
            fields=dict(example.get(task.step_id, {})),
        )

    return review


def _neighbours(accounts: Accounts) -> list[Account]:
    found = []
    for email, name in DEMO_NEIGHBOURS:
        account = accounts.by_email(email)
        if account is None:
            account = accounts.create(
                email, DEMO_PASSWORD, role="citizen", name=name, verified=True
            )
        found.append(account)
    return found


def seed_demo_cases(
    cases: CaseService,
    outbox: OutboxProcessor,
    procedures: list[str],
    staff: list[Account],
    *,
    settle: Callable[[str], Command] | None = None,
    today: datetime | None = None,
) -> DemoCasesReport:
    """A case per scene and procedure, replayed in the past; nothing when already seeded."""
    accounts = Accounts(cases.engine, demo_mode=True)
    neighbours = _neighbours(accounts)
    cases_t = table(Case)
    ids = [n.actor().id for n in neighbours]
    with cases.engine.connect() as conn:
        if conn.execute(
            select(func.count()).select_from(cases_t).where(cases_t.c.applicant_id.in_(ids))
        ).scalar_one():
            return DemoCasesReport(skipped=True)
    officials = _Officials(staff)
    present = today or utcnow()
    report = DemoCasesReport()
    # Effects run here, in the replayed time (the walkthrough runs them), never in a worker
    # that would read the real clock.
    dispatcher, cases.dispatcher = cases.dispatcher, None
    try:
        for p_index, key in enumerate(procedures):
            for s_index, (scene, days_ago) in enumerate(SCENES):
                applicant = neighbours[(p_index + s_index) % len(neighbours)]
                shift = 7 * p_index if days_ago > UNSHIFTED_DAYS else 0
                started = _start_of_story(cases.tz, present, days_ago + shift)
                delay = (
                    review_delay(days_ago, p_index) if scene in REVIEWED_SCENES else timedelta(0)
                )
                _replay(
                    cases, outbox, key, scene, applicant.actor(), started, officials, settle, delay
                )
                report.created += 1
    finally:
        cases.dispatcher = dispatcher
    fire_due_timers(cases)  # what the scheduler would have done by now (overdue, ficta)
    outbox.run_due()
    with cases.engine.connect() as conn:
        rows = conn.execute(
            select(cases_t.c.status, func.count())
            .where(cases_t.c.applicant_id.in_(ids))
            .group_by(cases_t.c.status)
        ).all()
    report.by_status = Counter({str(r[0]): int(r[1]) for r in rows})
    return report


def _start_of_story(tz: ZoneInfo, present: datetime, days_ago: int) -> datetime:
    """Nine in the morning, local time, `days_ago` days before `present`."""
    day = present.astimezone(tz).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(9), tzinfo=tz).astimezone(UTC)


def _replay(
    cases: CaseService,
    outbox: OutboxProcessor,
    key: str,
    scene: str,
    applicant: Actor,
    started: datetime,
    officials: _Officials,
    settle: Callable[[str], Command] | None,
    delay: timedelta = timedelta(0),
) -> None:
    clock = ReplayClock(started)

    def step_of(step_id: str) -> Mapping[str, Any]:
        return definition.step_model(step_id).raw

    with cases.engine.connect() as conn:
        definition = cases.definition(conn, cases.live_version_id(conn, key))
    with replaying(clock.now):
        result = run_walkthrough(
            cases,
            outbox,
            key,
            applicant,
            clock=clock.tick,
            settle=settle,
            until=_until(scene),
            review=_reviewer(scene, officials, step_of, clock, delay),
        )
        state, _definition, _version = cases.load(result.case_id)
        if scene == "claimed":
            for task in state.open_tasks():
                actor = officials.for_task(task)
                cases.execute(
                    result.case_id, ClaimTask(at=clock.tick(), actor=actor, task_id=task.id)
                )
        if scene == "lapsed":
            for timer in state.timers.values():
                lapses = datetime.fromisoformat(timer.fires_at) + timedelta(hours=1)
                if timer.kind == "correction_deadline" and lapses < datetime.now(UTC):
                    clock.moment = lapses
                    fire_due_timers(cases, now=lapses)
                    outbox.run_due()
