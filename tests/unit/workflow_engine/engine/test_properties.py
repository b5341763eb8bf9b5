"""Property tests: random sequences of valid (and some invalid) commands never leave a case in
an inconsistent state; every case is closed at an end step or waits on something definite."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.engine import CITIZEN, CTX, MINI, SYSTEM, T0
from tests.helpers.paths import EXAMPLES
from workflow_engine.engine import (
    Actor,
    CancelCase,
    CaseState,
    ConnectorCompleted,
    Decide,
    DocumentIssued,
    EngineError,
    PaymentConfirmed,
    PaymentExpired,
    PaymentFailed,
    PaymentOrderCreated,
    ProcedureDefinition,
    SaveDraft,
    StartCase,
    SubmitCase,
    SubmitStep,
    TimerFired,
    apply_command,
    start_case,
)
from workflow_engine.engine import state as case_state


def _definitions() -> list[ProcedureDefinition]:
    docs = [MINI] + [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]
    return [ProcedureDefinition(doc) for doc in docs]


DEFINITIONS = _definitions()


def official_for(department: str, role: str) -> Actor:
    return Actor(
        id=f"of-{department}",
        kind="official",
        departments=frozenset({department}),
        roles=frozenset({role}),
    )


def connector_result(d: ProcedureDefinition, step_id: str) -> dict[str, Any]:
    """A plausible answer: reuse example values for the mapped fields."""
    step = d.step(step_id)
    example: dict[str, Any] = {}
    for values in d.example_data().values():
        example.update(values)
    result = {}
    for source, target in step.get("result_map", {}).items():
        result[source] = example.get(target, "A")
    return result


def candidate_commands(d: ProcedureDefinition, state: CaseState, at: datetime) -> list[Any]:
    """Commands that make sense now, plus a few that should be refused or ignored."""
    example = d.example_data()
    out: list[Any] = [
        CancelCase(at=at, actor=CITIZEN, reason="prueba"),
        TimerFired(at=at, actor=SYSTEM, timer_id="no-such-timer"),
    ]
    status = state.status
    if status in (case_state.DRAFT, case_state.READY, case_state.AWAITING_APPLICANT):
        for step_id in (
            state.form_path if status != case_state.AWAITING_APPLICANT else (state.position,)
        ):
            out.append(
                SubmitStep(
                    at=at, actor=CITIZEN, step_id=step_id, values=dict(example.get(step_id, {}))
                )
            )
            out.append(SubmitStep(at=at, actor=CITIZEN, step_id=step_id, values={"x": 1}))
            out.append(SaveDraft(at=at, actor=CITIZEN, step_id=step_id, values={"a": "b"}))
    if status == case_state.READY:
        out += [SubmitCase(at=at, actor=CITIZEN, declaration=True)] * 3
    if status == case_state.AWAITING_CORRECTION:
        for step_id in state.editable_steps:
            out.append(
                SubmitStep(
                    at=at, actor=CITIZEN, step_id=step_id, values=dict(example.get(step_id, {}))
                )
            )
        out.append(SubmitCase(at=at, actor=CITIZEN, declaration=True))
    for task in state.tasks.values():
        who = official_for(task.department, task.role)
        out += [
            Decide(  # with what the example says the official writes (decision fields)
                at=at,
                actor=who,
                task_id=task.id,
                decision="approve",
                fields=dict(example.get(task.step_id, {})),
            ),
            Decide(at=at, actor=who, task_id=task.id, decision="approve"),
            Decide(at=at, actor=who, task_id=task.id, decision="reject", comment="No procede"),
            Decide(
                at=at,
                actor=who,
                task_id=task.id,
                decision="return",
                comment="Corrija",
                reason="incomplete",
            ),
        ]
    for timer in state.timers.values():
        fires = datetime.fromisoformat(timer.fires_at)
        out.append(
            TimerFired(at=max(at, fires + timedelta(seconds=1)), actor=SYSTEM, timer_id=timer.id)
        )
    payment = state.payment
    if payment is not None:
        if payment.status == "requested":
            out.append(
                PaymentOrderCreated(
                    at=at,
                    actor=SYSTEM,
                    step_id=payment.step_id,
                    attempt=payment.attempt,
                    reference=f"REF{payment.attempt}",
                )
            )
        if payment.reference:
            ref = payment.reference
            out += [
                PaymentConfirmed(
                    at=at,
                    actor=SYSTEM,
                    reference=ref,
                    amount_cents=payment.total_cents,
                    currency=payment.currency,
                ),
                PaymentConfirmed(
                    at=at, actor=SYSTEM, reference=ref, amount_cents=1, currency=payment.currency
                ),
                PaymentFailed(at=at, actor=SYSTEM, reference=ref, reason="tarjeta rechazada"),
                PaymentExpired(at=at, actor=SYSTEM, reference=ref),
            ]
    if status == case_state.AWAITING_DOCUMENT:
        attempt = state.attempts.get(state.position, 1)
        out += [
            DocumentIssued(
                at=at, actor=SYSTEM, step_id=state.position, attempt=attempt, document_id="1"
            )
        ] * 2
    if status == case_state.AWAITING_CONNECTOR:
        attempt = state.attempts.get(state.position, 1)
        out.append(
            ConnectorCompleted(
                at=at,
                actor=SYSTEM,
                step_id=state.position,
                attempt=attempt,
                result=connector_result(d, state.position),
            )
        )
    return out


def check_invariants(d: ProcedureDefinition, state: CaseState) -> None:
    assert state.status in case_state.STATUSES
    assert state.position in d.steps
    open_tasks = state.open_tasks()
    if state.status == case_state.CLOSED:
        assert state.outcome in ("approved", "rejected", "cancelled")
        assert not open_tasks and not state.timers
        assert state.closed_at is not None
        return
    assert state.outcome is None
    if state.status == case_state.IN_REVIEW:
        assert open_tasks, "in review without an open task"
        assert {t.step_id for t in open_tasks} == {state.position}
        assert d.step_type(state.position) in ("approval", "parallel")
    elif state.status == case_state.AWAITING_CORRECTION and open_tasks:
        # a return by one branch of a parallel review leaves the others' tasks open
        assert {t.step_id for t in open_tasks} == {state.pending_step}
        assert d.step_type(str(state.pending_step)) == "parallel"
    else:
        assert not open_tasks, f"open tasks while {state.status}"
    if state.status in (case_state.DRAFT, case_state.READY):
        assert state.submitted_at is None
        assert d.is_form(state.position)
    else:
        assert state.submitted_at is not None
    if state.status == case_state.READY:
        assert state.pending_step in d.steps and not d.is_form(state.pending_step)
    if state.status == case_state.AWAITING_PAYMENT:
        assert state.payment is not None and state.payment.step_id == state.position
        assert state.payment.total_cents > 0
    if state.status == case_state.AWAITING_CORRECTION:
        assert state.editable_steps and all(d.is_form(s) for s in state.editable_steps)
        assert any(t.kind == "correction_deadline" for t in state.timers.values())
    if state.status in (case_state.AWAITING_DOCUMENT, case_state.AWAITING_CONNECTOR):
        assert d.step_type(state.position) in ("document", "connector")
    for timer in state.timers.values():
        if timer.kind in ("task_deadline", "task_reminder"):
            assert state.tasks[timer.ref].is_open
        elif timer.kind == "response_deadline":
            assert state.submitted_at is not None and state.response_due is not None
        elif timer.kind == "step_deadline":
            assert timer.ref == state.position
            assert state.status in (case_state.AWAITING_APPLICANT, case_state.AWAITING_PAYMENT)
        else:
            assert state.status == case_state.AWAITING_CORRECTION
    # The state survives the trip through the database's JSON column.
    assert CaseState.from_json(json.loads(json.dumps(state.to_json()))) == state


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_command_sequences_keep_every_case_consistent(data: st.DataObject) -> None:
    d = data.draw(st.sampled_from(DEFINITIONS), label="procedure")
    now = T0
    state = start_case(
        d, case_id="1", folio="CHO-2026-AAAAA0", command=StartCase(at=now, actor=CITIZEN)
    ).state
    for _ in range(40):
        check_invariants(d, state)
        if state.status == case_state.CLOSED:
            break
        now += timedelta(minutes=5)
        commands = candidate_commands(d, state, now)
        command = data.draw(st.sampled_from(commands))
        now = max(now, command.at)
        try:
            result = apply_command(d, state, command, CTX)
        except EngineError:
            continue  # refused: nothing changed
        state = result.state
    check_invariants(d, state)


def test_the_happy_path_of_every_example_reaches_an_approved_end() -> None:
    for d in DEFINITIONS:
        now = T0
        state = start_case(
            d, case_id="1", folio="CHO-2026-AAAAA0", command=StartCase(at=now, actor=CITIZEN)
        ).state
        for _ in range(60):
            if state.status == case_state.CLOSED:
                break
            now += timedelta(minutes=1)
            commands = [
                c
                for c in candidate_commands(d, state, now)
                if not isinstance(
                    c, CancelCase | TimerFired | PaymentFailed | PaymentExpired | SaveDraft
                )
                and not (
                    isinstance(c, Decide)
                    and (c.decision != "approve" or not state.tasks[c.task_id].is_open)
                )
                and not (isinstance(c, SubmitStep) and "x" in c.values)
                and not (isinstance(c, PaymentConfirmed) and c.amount_cents == 1)
            ]
            if state.status == case_state.READY:
                commands = [c for c in commands if isinstance(c, SubmitCase)]
            if state.status in (case_state.DRAFT, case_state.AWAITING_APPLICANT):
                commands = [
                    c for c in commands if isinstance(c, SubmitStep) and c.step_id == state.position
                ]
            state = apply_command(d, state, commands[0], CTX).state
            check_invariants(d, state)
        assert state.outcome == "approved", (d.key, state.status, state.position)
