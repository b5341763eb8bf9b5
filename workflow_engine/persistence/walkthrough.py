"""Run one case of a procedure from start to end with its example data, through the real
engine: the CLI's `demo walkthrough`, and the suite's proof that every example works."""

from __future__ import annotations

from collections.abc import Callable
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
from workflow_engine.engine import state as S
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.models import Document, table
from workflow_engine.persistence.outbox import OutboxProcessor
from workflow_engine.persistence.service import CaseService
from workflow_engine.persistence.types import utcnow

MAX_COMMANDS = 200


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
) -> WalkthroughResult:
    """Start a case, fill every form step with the example data, file it, approve every task,
    confirm every payment, and let the outbox issue every document.

    `settle(reference)` records the payment in the collection system and returns the
    confirmation command; without it the confirmation is sent to the engine directly.
    """
    started = cases.start(procedure_key, StartCase(at=clock(), actor=applicant))
    case_id = started.case_id
    commands = 1
    for _ in range(MAX_COMMANDS):
        outbox.run_due()
        state, definition, _version = cases.load(case_id)
        if state.status == S.CLOSED:
            break
        example = dict(definition.example_data())
        example.update(data_override or {})
        at = clock()
        if state.status in (S.DRAFT, S.AWAITING_APPLICANT):
            values = dict(example.get(state.position, {}))
            cases.execute(
                case_id, SubmitStep(at=at, actor=applicant, step_id=state.position, values=values)
            )
        elif state.status == S.READY:
            cases.execute(case_id, SubmitCase(at=at, actor=applicant, declaration=True))
        elif state.status == S.IN_REVIEW:
            for task in state.open_tasks():
                official = Actor(
                    id=f"demo-{task.department}",
                    kind="official",
                    departments=frozenset([task.department]),
                    roles=frozenset([task.role]),
                    name=f"Revisión {task.department}",
                )
                cases.execute(
                    case_id,
                    Decide(
                        at=at,
                        actor=official,
                        task_id=task.id,
                        decision="approve",
                        comment="Aprobado en recorrido de demostración.",
                    ),
                )
                commands += 1
            continue
        elif state.status == S.AWAITING_PAYMENT and state.payment and state.payment.reference:
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
            if not outbox.run_due():
                raise WalkthroughError(
                    f"El expediente quedó detenido en «{state.position}» ({state.status}).",
                    f"The case is stuck at '{state.position}' ({state.status}).",
                )
            continue
        commands += 1
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
