"""The pure transition function, step type by step type, as a citizen and officials see it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from tests.helpers.engine import (
    CITIZEN,
    CTX,
    INSPECTOR,
    MINI,
    OTHER_CITIZEN,
    REVIEWER,
    STRANGER,
    SYSTEM,
    Driver,
    lapse_task_deadline,
    mini,
    pay_and_issue,
)
from workflow_engine.engine import (
    CancelCase,
    CaseState,
    ConflictError,
    Decide,
    DocumentIssued,
    EligibilityError,
    ForbiddenError,
    InvalidCommandError,
    PaymentConfirmed,
    PaymentExpired,
    PaymentOrderCreated,
    SaveDraft,
    StepValidationError,
    SubmitCase,
    SubmitStep,
    TimerFired,
    apply_command,
)
from workflow_engine.engine import state as case_state

GOOD = MINI["example_data"]["datos"]


def filed(values: dict | None = None) -> Driver:
    d = Driver(mini())
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values or GOOD))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    return d


def test_start_positions_the_case_at_the_first_form_step() -> None:
    d = Driver(mini())
    assert d.state.status == case_state.DRAFT
    assert d.state.position == "datos"
    assert d.types() == ["case.started"]


def test_invalid_data_is_refused_with_field_errors_and_changes_nothing() -> None:
    d = Driver(mini())
    before = d.state
    with pytest.raises(StepValidationError) as info:
        d.apply(
            lambda at: SubmitStep(
                at=at, actor=CITIZEN, step_id="datos", values={"nombre": "", "edad": "abc"}
            )
        )
    fields = {e.field for e in info.value.details["errors"]}
    assert {"nombre", "edad", "giro"} <= fields
    assert d.state == before


def test_eligibility_rule_stops_the_submission_with_its_message() -> None:
    d = Driver(mini())
    with pytest.raises(EligibilityError) as info:
        d.apply(
            lambda at: SubmitStep(
                at=at, actor=CITIZEN, step_id="datos", values={**GOOD, "edad": 15}
            )
        )
    assert info.value.message_es == "Debe ser mayor de edad."
    assert info.value.message("en") == "Must be an adult."


def test_only_the_applicant_can_fill_in_the_case() -> None:
    d = Driver(mini())
    with pytest.raises(ForbiddenError):
        d.apply(lambda at: SubmitStep(at=at, actor=OTHER_CITIZEN, step_id="datos", values=GOOD))


def test_draft_is_saved_without_validation() -> None:
    d = Driver(mini())
    d.apply(lambda at: SaveDraft(at=at, actor=CITIZEN, step_id="datos", values={"nombre": "M"}))
    assert d.state.drafts["datos"] == {"nombre": "M"}
    assert d.types()[-1] == "step.draft_saved"


def test_filing_needs_the_declaration_then_opens_a_review_task_with_deadline() -> None:
    d = Driver(mini())
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=GOOD))
    assert d.state.status == case_state.READY
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=False))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    assert d.state.status == case_state.IN_REVIEW
    (task,) = d.state.open_tasks()
    assert task.department == "desarrollo-economico"
    assert task.due_on == "2026-11-30"  # 5 business days after Monday 23 Nov
    assert {t.kind for t in d.state.timers.values()} == {"task_deadline", "task_reminder"}
    kinds = [(e.kind, e.payload.get("template")) for e in d.effects]
    assert ("notify", "case_submitted") in kinds


def test_full_journey_to_an_approved_case_with_fees_payment_and_document() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    assert d.state.status == case_state.AWAITING_PAYMENT
    payment = d.state.payment
    assert payment is not None
    # 500.00 by business type + 80 m² x 1.15 = 592.00
    assert payment.total_cents == 59200
    assert [line["amount_cents"] for line in payment.lines] == [50000, 9200]
    pay_and_issue(d)
    assert d.state.status == case_state.CLOSED
    assert d.state.outcome == "approved"
    assert d.state.documents[0]["document_id"] == "9"
    assert "notification.requested" in d.types()
    assert d.state.timers == {}


def test_wrong_amount_is_refused_and_the_case_keeps_waiting() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    d.apply(
        lambda at: PaymentOrderCreated(
            at=at, actor=SYSTEM, step_id="pago", attempt=1, reference="REF1"
        )
    )
    d.apply(
        lambda at: PaymentConfirmed(
            at=at, actor=SYSTEM, reference="REF1", amount_cents=1, currency="MXN"
        )
    )
    assert d.types()[-1] == "payment.refused"
    assert d.state.status == case_state.AWAITING_PAYMENT
    d.apply(
        lambda at: PaymentConfirmed(
            at=at, actor=SYSTEM, reference="REF1", amount_cents=59200, currency="USD"
        )
    )
    assert d.state.status == case_state.AWAITING_PAYMENT


def test_repeated_payment_and_document_results_are_ignored() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    pay_and_issue(d)
    count = len(d.events)
    result = d.apply(
        lambda at: PaymentConfirmed(
            at=at, actor=SYSTEM, reference="REF1", amount_cents=59200, currency="MXN"
        )
    )
    assert result.events == ()
    result = d.apply(
        lambda at: DocumentIssued(
            at=at, actor=SYSTEM, step_id="emision", attempt=1, document_id="9"
        )
    )
    assert result.events == () and len(d.events) == count


def test_expired_payment_order_requests_a_new_one() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    d.apply(
        lambda at: PaymentOrderCreated(
            at=at, actor=SYSTEM, step_id="pago", attempt=1, reference="REF1"
        )
    )
    d.apply(lambda at: PaymentExpired(at=at, actor=SYSTEM, reference="REF1"))
    assert d.state.payment is not None and d.state.payment.attempt == 2
    orders = [e for e in d.effects if e.kind == "payment.create_order"]
    assert len(orders) == 2 and orders[0].key != orders[1].key


def test_officials_of_other_departments_cannot_decide() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    with pytest.raises(ForbiddenError):
        d.apply(lambda at: Decide(at=at, actor=STRANGER, task_id=task.id, decision="approve"))
    with pytest.raises(ForbiddenError):
        d.apply(lambda at: Decide(at=at, actor=CITIZEN, task_id=task.id, decision="approve"))


def test_a_stale_decision_is_a_conflict() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    stale = d.state
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    with pytest.raises(ConflictError) as info:
        apply_command(
            d.d,
            d.state,
            Decide(at=d.tick(), actor=REVIEWER, task_id=task.id, decision="reject", comment="no"),
            CTX,
        )
    assert "ya resolvió" in info.value.message_es
    assert stale.tasks[task.id].is_open


def test_reject_needs_a_reason_and_closes_rejected() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="reject"))
    d.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=task.id,
            decision="reject",
            comment="Uso de suelo incompatible.",
        )
    )
    assert d.state.outcome == "rejected"
    assert d.state.position == "rechazada"


def test_return_for_correction_then_resubmission_opens_a_new_review_round() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    with pytest.raises(InvalidCommandError):
        d.apply(
            lambda at: Decide(
                at=at,
                actor=REVIEWER,
                task_id=task.id,
                decision="return",
                comment="Falta el nombre completo.",
                reason="bogus",
            )
        )
    d.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=task.id,
            decision="return",
            comment="Falta el nombre completo.",
            reason="incomplete",
        )
    )
    assert d.state.status == case_state.AWAITING_CORRECTION
    assert d.state.editable_steps == ("datos",)
    assert [t.kind for t in d.state.timers.values()] == ["correction_deadline"]
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    d.apply(
        lambda at: SubmitStep(
            at=at,
            actor=CITIZEN,
            step_id="datos",
            values={**GOOD, "nombre": "María López Hernández"},
        )
    )
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    assert d.state.status == case_state.IN_REVIEW
    (second,) = d.state.open_tasks()
    assert second.id != task.id and second.round == 2
    submitted = [e.data["values"]["nombre"] for e in d.events if e.type == "step.submitted"]
    assert submitted == ["María López", "María López Hernández"]  # history keeps both


def test_unanswered_prevencion_discards_the_case() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    d.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=task.id,
            decision="return",
            comment="Falta el nombre.",
            reason="incomplete",
        )
    )
    (timer,) = d.state.timers.values()
    d.now = datetime.fromisoformat(timer.fires_at)
    d.apply(lambda at: TimerFired(at=at, actor=SYSTEM, timer_id=timer.id))
    assert d.state.outcome == "cancelled"
    assert d.state.position == "desechada"
    assert "case.correction_lapsed" in d.types()


def test_afirmativa_ficta_approves_when_the_deadline_lapses() -> None:
    d = filed()
    lapse_task_deadline(d)
    assert "case.afirmativa_ficta" in d.types()
    assert d.state.status == case_state.AWAITING_PAYMENT


def test_negativa_ficta_rejects_when_the_deadline_lapses() -> None:
    d = filed({**GOOD, "superficie": 180})
    lapse_task_deadline(d)
    assert "case.negativa_ficta" in d.types()
    assert d.state.outcome == "rejected"


def test_escalation_keeps_the_task_open_and_tells_the_director() -> None:
    steps = [{**s, "on_lapse": "escalate"} if s["id"] == "revision" else s for s in MINI["steps"]]
    d = Driver(mini(steps=steps))
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=GOOD))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    lapse_task_deadline(d)
    (task,) = d.state.open_tasks()
    assert task.escalated
    assert d.effects[-1].payload["to"] == "director:desarrollo-economico"


def test_an_early_or_repeated_timer_does_nothing() -> None:
    d = filed()
    deadline = next(t for t in d.state.timers.values() if t.kind == "task_deadline")
    result = d.apply(lambda at: TimerFired(at=at, actor=SYSTEM, timer_id=deadline.id))
    assert result.events == () and deadline.id in d.state.timers
    result = d.apply(lambda at: TimerFired(at=at, actor=SYSTEM, timer_id="nope"))
    assert result.events == ()


def test_parallel_review_needs_every_department() -> None:
    d = filed({**GOOD, "superficie": 180})
    tasks = {t.department: t for t in d.state.open_tasks()}
    assert set(tasks) == {"desarrollo-economico", "proteccion-civil"}
    d.apply(
        lambda at: Decide(
            at=at, actor=REVIEWER, task_id=tasks["desarrollo-economico"].id, decision="approve"
        )
    )
    assert d.state.status == case_state.IN_REVIEW
    d.apply(
        lambda at: Decide(
            at=at, actor=INSPECTOR, task_id=tasks["proteccion-civil"].id, decision="approve"
        )
    )
    assert d.state.status == case_state.AWAITING_PAYMENT


def test_parallel_review_one_rejection_rejects_and_cancels_the_other_task() -> None:
    d = filed({**GOOD, "superficie": 180})
    tasks = {t.department: t for t in d.state.open_tasks()}
    d.apply(
        lambda at: Decide(
            at=at,
            actor=INSPECTOR,
            task_id=tasks["proteccion-civil"].id,
            decision="reject",
            comment="Sin salidas de emergencia.",
        )
    )
    assert d.state.outcome == "rejected"
    assert d.state.tasks[tasks["desarrollo-economico"].id].status == "cancelled"


def test_declarative_procedure_is_approved_automatically_with_its_explanation() -> None:
    d = Driver(mini(declarative={"explanation": {"es": "Trámite declarativo."}}))
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=GOOD))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    auto = [e for e in d.events if e.type == "case.auto_approved"]
    assert auto[0].data["explanation"] == {"es": "Trámite declarativo."}
    assert d.state.status == case_state.AWAITING_PAYMENT


def test_applicant_can_cancel_and_nothing_is_left_open() -> None:
    d = filed()
    d.apply(lambda at: CancelCase(at=at, actor=CITIZEN, reason="Ya no lo necesito"))
    assert d.state.outcome == "cancelled"
    assert d.state.open_tasks() == [] and d.state.timers == {}
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: CancelCase(at=at, actor=CITIZEN))


def test_going_back_in_the_wizard_recomputes_the_branch() -> None:
    d = Driver(mini())
    d.apply(
        lambda at: SubmitStep(
            at=at, actor=CITIZEN, step_id="datos", values={**GOOD, "superficie": 180}
        )
    )
    assert d.state.pending_step == "conjunta"
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=GOOD))
    assert d.state.pending_step == "revision"


def test_the_function_is_pure_and_the_state_round_trips_through_json() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    command = Decide(at=d.tick(), actor=REVIEWER, task_id=task.id, decision="approve")
    first = apply_command(d.d, d.state, command, CTX)
    second = apply_command(d.d, d.state, command, CTX)
    assert first == second
    assert CaseState.from_json(first.state.to_json()) == first.state
    assert replace(first.state) == first.state
