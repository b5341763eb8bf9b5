"""Legal deadlines beyond approval tasks: the procedure's maximum response time over the whole
case (ficta or escalation on lapse), a form or payment step's own deadline, and the rule for
holidays declared while a deadline runs (fixed at start)."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.helpers.engine import (
    CITIZEN,
    MINI,
    REVIEWER,
    SYSTEM,
    T0,
    Driver,
    mini,
    pay_and_issue,
)
from tests.helpers.engine import lapse_task_deadline as _lapse
from workflow_engine.calendar import BusinessCalendar
from workflow_engine.engine import EngineContext, ProcedureDefinition, apply_command
from workflow_engine.engine import state as case_state
from workflow_engine.engine.commands import (
    Command,
    Decide,
    PaymentOrderCreated,
    SubmitCase,
    SubmitStep,
    TimerFired,
)
from workflow_engine.engine.events import CATALOG, Words, citizen_line, staff_line
from workflow_engine.templates.validation import validate_template

GOOD = MINI["example_data"]["datos"]
TZ = ZoneInfo("America/Mexico_City")


def with_response(on_lapse: str = "ficta", ficta: str = "afirmativa", days: int = 3) -> Any:
    doc = copy.deepcopy(MINI)
    doc["catalog"].update(max_response_days=days, ficta=ficta)
    doc["response_deadline"] = {"on_lapse": on_lapse}
    # the task's own deadline is longer, so the whole case's one lapses first
    for step in doc["steps"]:
        if step["type"] in ("approval", "parallel"):
            step["deadline_days"] = 30
            step["on_lapse"] = "escalate"
    return doc


def filed(doc: Any, values: dict[str, Any] | None = None, ctx: EngineContext | None = None):
    d = Driver(ProcedureDefinition(doc))
    if ctx is not None:
        d.apply = _with_ctx(d, ctx)  # type: ignore[method-assign]
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values or GOOD))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    return d


def _with_ctx(d: Driver, ctx: EngineContext) -> Any:
    def apply(make: Any) -> Any:
        command: Command = make(d.tick())
        result = apply_command(d.d, d.state, command, ctx)
        d.state = result.state
        d.events.extend(result.events)
        d.effects.extend(result.effects)
        return result

    return apply


def fire(d: Driver, timer_id: str) -> None:
    timer = d.state.timers[timer_id]
    d.now = datetime.fromisoformat(timer.fires_at)
    d.apply(lambda at: TimerFired(at=at, actor=SYSTEM, timer_id=timer_id))


# -- the whole case's maximum response time -------------------------------------------------


def test_filing_starts_the_maximum_response_time_in_business_days() -> None:
    d = filed(with_response(days=3))  # filed on Monday 2026-11-23
    assert d.state.response_due == "2026-11-26"
    assert d.state.timers["response"].kind == "response_deadline"
    assert "case.response_due_set" in d.types()


def test_without_response_deadline_nothing_changes() -> None:
    d = Driver(mini())
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=GOOD))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    assert d.state.response_due is None and "response" not in d.state.timers


def test_lapse_of_the_whole_case_gives_afirmativa_ficta() -> None:
    d = filed(with_response(ficta="afirmativa"))
    fire(d, "response")
    types = d.types()
    assert types.index("case.response_lapsed") < types.index("case.afirmativa_ficta")
    assert d.state.status == case_state.AWAITING_PAYMENT  # approved: on to the payment


def test_lapse_of_the_whole_case_gives_negativa_ficta_on_every_branch() -> None:
    d = filed(with_response(ficta="negativa"), {**GOOD, "superficie": 180})  # parallel review
    assert len(d.state.open_tasks()) == 2
    fire(d, "response")
    assert "case.negativa_ficta" in d.types()
    assert d.state.outcome == "rejected" and d.state.is_closed


def test_lapse_of_the_whole_case_can_escalate() -> None:
    d = filed(with_response(on_lapse="escalate"))
    fire(d, "response")
    (task,) = d.state.open_tasks()
    assert task.escalated
    assert d.effects[-1].payload["to"] == "director:desarrollo-economico"


def test_a_lapse_while_the_applicant_has_the_case_is_only_recorded() -> None:
    doc = with_response()
    d = filed(doc)
    task = d.state.open_tasks()[0]
    d.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=task.id,
            decision="return",
            comment="Falta",
            reason="incomplete",
        )
    )
    assert d.state.status == case_state.AWAITING_CORRECTION
    fire(d, "response")
    lapsed = [e for e in d.events if e.type == "case.response_lapsed"]
    assert lapsed[0].data["tasks"] == []
    assert d.state.status == case_state.AWAITING_CORRECTION
    # the applicant reads nothing about it: the municipality's clock is not their business
    assert citizen_line("case.response_lapsed", lapsed[0].data, Words()) is None


# -- a step's own deadline ------------------------------------------------------------------


def with_payment_deadline(days: int = 2) -> Any:
    doc = copy.deepcopy(MINI)
    for step in doc["steps"]:
        if step["id"] == "pago":
            step["deadline_days"] = days
            step["lapse_to"] = "desechada"
    return doc


def test_a_payment_not_made_in_time_closes_the_case() -> None:
    d = filed(with_payment_deadline())
    _lapse(d)  # afirmativa ficta of the review: on to the payment
    assert d.state.status == case_state.AWAITING_PAYMENT
    assert d.state.step_due(TZ) is not None
    set_events = [e for e in d.events if e.type == "step.deadline_set"]
    assert set_events[0].data["step"] == "pago"
    fire(d, "step:pago")
    assert "step.lapsed" in d.types()
    assert d.state.is_closed and d.state.outcome == "cancelled"
    assert d.state.payment is None


def test_a_payment_made_in_time_disarms_the_step_deadline() -> None:
    d = filed(with_payment_deadline())
    _lapse(d)
    assert "step:pago" in d.state.timers
    d.apply(
        lambda at: PaymentOrderCreated(
            at=at, actor=SYSTEM, step_id="pago", attempt=1, reference="REF1"
        )
    )
    assert "step:pago" in d.state.timers  # a new order does not restart the clock
    d2 = filed(with_payment_deadline())
    _lapse(d2)
    pay_and_issue(d2)
    assert "step:pago" not in d2.state.timers
    assert not any(t.kind == "step_deadline" for t in d2.state.timers.values())


def test_step_deadline_events_are_worded_for_both_audiences() -> None:
    data = {"step": "pago", "due_on": "2026-11-25", "to": "desechada"}
    for kind in ("step.deadline_set", "step.lapsed", "case.response_due_set"):
        assert kind in CATALOG
        for lang in ("es", "en"):
            words = Words(lang=lang, steps={"pago": "Pago"})
            assert citizen_line(kind, data, words) is not None
            assert staff_line(kind, data, words) is not None


# -- holidays declared while a deadline runs ------------------------------------------------


def test_a_holiday_declared_later_does_not_move_a_running_deadline() -> None:
    """The rule: a deadline is fixed when it starts; only cases filed afterwards see the
    new holiday (docs/template-format.md, «Plazos»)."""
    doc = with_response(days=3)
    before = filed(doc, ctx=EngineContext())
    assert before.state.response_due == "2026-11-26"
    holiday = EngineContext(calendar=BusinessCalendar.with_holidays([date(2026, 11, 24)]))
    # the running case, checked later with the new calendar: its due date stays
    before.apply = _with_ctx(before, holiday)  # type: ignore[method-assign]
    fire(before, "response")
    lapsed = next(e for e in before.events if e.type == "case.response_lapsed")
    assert lapsed.data["due_on"] == "2026-11-26"
    after = filed(doc, ctx=holiday)
    assert after.state.response_due == "2026-11-27"
    assert T0.date() == date(2026, 11, 23)


# -- the validator ------------------------------------------------------------------------


def codes(doc: Any) -> set[str]:
    return {p.code for p in validate_template(doc, with_warnings=True)}


def test_a_step_deadline_needs_its_lapse_end_and_the_other_way_round() -> None:
    doc = with_payment_deadline()
    assert not {"step_deadline_without_lapse", "lapse_without_step_deadline"} & codes(doc)
    no_lapse = copy.deepcopy(doc)
    del next(s for s in no_lapse["steps"] if s["id"] == "pago")["lapse_to"]
    assert "step_deadline_without_lapse" in codes(no_lapse)
    no_days = copy.deepcopy(doc)
    del next(s for s in no_days["steps"] if s["id"] == "pago")["deadline_days"]
    assert "lapse_without_step_deadline" in codes(no_days)
    not_end = copy.deepcopy(doc)
    next(s for s in not_end["steps"] if s["id"] == "pago")["lapse_to"] = "emision"
    assert "lapse_not_to_end" in codes(not_end)


def test_a_filing_form_with_a_deadline_is_a_warning() -> None:
    doc = copy.deepcopy(MINI)
    doc["steps"][0].update(deadline_days=5, lapse_to="desechada")
    problems = [
        p
        for p in validate_template(doc, with_warnings=True)
        if p.code == "form_deadline_before_filing"
    ]
    assert problems and problems[0].severity == "warning"
    assert problems[0].path.endswith(".deadline_days")


def test_response_deadline_checks() -> None:
    assert not {"response_ficta_none", "response_deadline_without_days"} & codes(with_response())
    assert "response_ficta_none" in codes(with_response(ficta="none"))
    assert "response_deadline_without_days" in codes(with_response(days=0))
    bad = with_response()
    bad["response_deadline"] = {"on_lapse": "afirmativa"}
    assert codes(bad)  # the meta-schema refuses an unknown rule
