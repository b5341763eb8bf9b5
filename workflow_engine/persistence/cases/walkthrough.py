"""Run one case of a procedure from start to end with its example data, through the real
engine: the CLI's `demo walkthrough`, and the suite's proof that every example works."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflow_engine.engine import (
    Actor,
    Command,
    Decide,
    PaymentConfirmed,
    StartCase,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.engine import state as case_state
from workflow_engine.engine.errors import EngineError
from workflow_engine.engine.state import CaseState, TaskState
from workflow_engine.persistence.cases.outbox import OutboxProcessor
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import Document, OutboxMessage, table
from workflow_engine.persistence.types import utcnow

MAX_COMMANDS = 200
Reviewer = Callable[[CaseState, TaskState, datetime, Mapping[str, Mapping[str, Any]]], Decide]
POLL_SECONDS = 0.2


class WalkthroughError(EngineError):
    code = "walkthrough_stuck"


@dataclass
class WalkthroughResult:
    case_id: int
    folio: str
    outcome: str | None
    path: list[str]
    documents: list[dict[str, Any]] = field(default_factory=list)
    commands: int = 0


def run_walkthrough(
    cases: CaseService,
    outbox: OutboxProcessor,
    procedure_key: str,
    applicant: Actor,
    *,
    data_override: dict[str, dict[str, Any]] | None = None,
    clock: Callable[[], datetime] = utcnow,
    settle: Callable[[str], Command] | None = None,
    wait_seconds: float = 0.0,
    until: Callable[[CaseState], bool] | None = None,
    review: Reviewer | None = None,
) -> WalkthroughResult:
    """Start a case, fill every form step with the example data, file it, approve every task,
    confirm every payment, and let the outbox issue every document.

    `settle(reference)` records the payment in the collection system and returns the
    confirmation command; without it the confirmation is sent to the engine directly.
    With `wait_seconds`, effects a Celery worker claimed (or that wait for a retry) are
    waited for up to that long, and the walk ends only when none of its effects is left
    unfinished: with a broker the worker and this walk share the work (each effect's claim
    makes it run once) and neither leaves a half-finished case.

    `until(state)`: stop as soon as it holds (the demo seed leaves cases half-way);
    `review(state, task, at, example)`: the decision on each open task (default: approve).
    """
    review = review or approve_all
    started = cases.start(procedure_key, StartCase(at=clock(), actor=applicant))
    case_id = started.case_id
    commands = 1
    for _ in range(MAX_COMMANDS):
        outbox.run_due()
        state, definition, _version = cases.load(case_id)
        if state.status == case_state.CLOSED or (until is not None and until(state)):
            break
        example = dict(definition.example_data())
        example.update(data_override or {})
        at = clock()
        if state.status in (case_state.DRAFT, case_state.AWAITING_APPLICANT):
            values = dict(example.get(state.position, {}))
            cases.execute(
                case_id, SubmitStep(at=at, actor=applicant, step_id=state.position, values=values)
            )
        elif state.status == case_state.READY:
            cases.execute(case_id, SubmitCase(at=at, actor=applicant, declaration=True))
        elif state.status == case_state.IN_REVIEW:
            for task in state.open_tasks():
                decision = review(state, task, at, example)
                cases.execute(case_id, decision)
                commands += 1
                if decision.decision != "approve":
                    break  # the other branches' tasks are closed with it
            continue
        elif (
            state.status == case_state.AWAITING_PAYMENT
            and state.payment
            and state.payment.reference
        ):
            payment = state.payment
            assert payment.reference is not None
            confirmation: Command = (
                settle(payment.reference)
                if settle is not None
                else PaymentConfirmed(
                    at=at,
                    actor=Actor.system(),
                    reference=payment.reference,
                    amount_cents=payment.total_cents,
                    currency=payment.currency,
                    provider_id="demo-walkthrough",
                )
            )
            cases.execute(case_id, confirmation)
        else:
            if not outbox.run_due() and not _await_effects(outbox, case_id, wait_seconds):
                raise WalkthroughError(
                    f"El expediente quedó detenido en «{state.position}» ({state.status}).",
                    f"The case is stuck at '{state.position}' ({state.status}).",
                )
            continue
        commands += 1
    if wait_seconds:
        _finish_effects(outbox, case_id, wait_seconds)
    state, _definition, _version = cases.load(case_id)
    path: list[str] = []
    for event in cases.history(case_id):
        if event["type"] == "case.started" or (
            event["type"] == "step.entered" and (not path or path[-1] != event["data"]["step"])
        ):
            path.append(str(event["data"]["step"]))
    with cases.engine.connect() as conn:
        docs = [
            dict(r)
            for r in conn.execute(
                select(table(Document)).where(table(Document).c.case_id == case_id)
            ).mappings()
        ]
    return WalkthroughResult(case_id, state.folio, state.outcome, path, docs, commands)


def approve_all(
    _state: CaseState, task: TaskState, at: datetime, example: Mapping[str, Mapping[str, Any]]
) -> Decide:
    """The walkthrough's reviewer: an official of the task's department approves it with the
    example's answers to the step's fields."""
    official = Actor(
        id=f"demo-{task.department}",
        kind="official",
        departments=frozenset([task.department]),
        roles=frozenset([task.role]),
        name=f"Revisión {task.department}",
    )
    return Decide(
        at=at,
        actor=official,
        task_id=task.id,
        decision="approve",
        comment="Aprobado en recorrido de demostración.",
        fields=dict(example.get(task.step_id, {})),
    )


def _unfinished(outbox: OutboxProcessor, case_id: int) -> list[str]:
    """Kinds of the case's effects still pending or running (dead letters are finished)."""
    t = table(OutboxMessage)
    with outbox.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.kind).where(t.c.case_id == case_id, t.c.status.in_(("pending", "running")))
        )
        return [str(r.kind) for r in rows]


def _await_effects(outbox: OutboxProcessor, case_id: int, wait_seconds: float) -> bool:
    """Wait (running the due ones here) until an unfinished effect of the case finishes:
    True when one did, False when there was none or the time ran out."""
    before = len(_unfinished(outbox, case_id))
    deadline = time.monotonic() + wait_seconds
    while before and time.monotonic() < deadline:
        if outbox.run_due() or len(_unfinished(outbox, case_id)) < before:
            return True
        time.sleep(POLL_SECONDS)
    return False


def _finish_effects(outbox: OutboxProcessor, case_id: int, wait_seconds: float) -> None:
    """The closed case's last effects (notices, ledger registration) done before returning."""
    deadline = time.monotonic() + wait_seconds
    while left := _unfinished(outbox, case_id):
        if not outbox.run_due():
            if time.monotonic() >= deadline:
                raise WalkthroughError(
                    f"Efectos sin terminar: {', '.join(sorted(set(left)))}.",
                    f"Effects not finished: {', '.join(sorted(set(left)))}.",
                )
            time.sleep(POLL_SECONDS)
