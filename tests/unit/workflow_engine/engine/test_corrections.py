"""Corrections in the engine: a resubmitted case goes back to whoever returned it, and a
return by one department of a parallel review leaves the others' tasks open."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.helpers.engine import CITIZEN, CTX, INSPECTOR, MINI, REVIEWER, Driver, mini
from workflow_engine.engine import (
    ConflictError,
    Decide,
    SubmitCase,
    SubmitStep,
    TimerFired,
)
from workflow_engine.engine import state as case_state
from workflow_engine.engine.commands import Actor
from workflow_engine.engine.events import CATALOG, Words, citizen_line, staff_line

GOOD = MINI["example_data"]["datos"]


class Officials:
    def __init__(self, *able: str) -> None:
        self.able = set(able)

    def can_work(self, user_id: str, department: str, role: str) -> bool:
        return user_id in self.able


def filed(values: dict | None = None, able: tuple[str, ...] = ("20", "21")) -> Driver:
    d = Driver(mini())
    d.ctx = replace(CTX, officials=Officials(*able))
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=values or GOOD))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    return d


def give_back(d: Driver, actor: Actor, task_id: str) -> None:
    d.apply(
        lambda at: Decide(
            at=at,
            actor=actor,
            task_id=task_id,
            decision="return",
            comment="Falta el nombre completo.",
            reason="incomplete",
        )
    )


def correct(d: Driver) -> None:
    d.apply(
        lambda at: SubmitStep(
            at=at, actor=CITIZEN, step_id="datos", values={**d.state.data, "nombre": "María L. H."}
        )
    )
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))


def test_a_resubmitted_case_goes_back_to_the_official_who_returned_it() -> None:
    d = filed()
    (task,) = d.state.open_tasks()
    give_back(d, REVIEWER, task.id)
    correct(d)
    (again,) = d.state.open_tasks()
    assert again.round == 2 and again.assignee == REVIEWER.id
    assert again.assignee_name == REVIEWER.name
    assert "task.returned_to_official" in d.types()
    assert d.effects[-1].payload["to"] == f"user:{REVIEWER.id}"


def test_it_goes_to_the_department_queue_when_that_official_is_gone() -> None:
    d = filed(able=())
    (task,) = d.state.open_tasks()
    give_back(d, REVIEWER, task.id)
    correct(d)
    (again,) = d.state.open_tasks()
    assert again.assignee is None
    assert "task.returned_to_queue" in d.types()
    assert d.effects[-1].payload["to"] == "department:desarrollo-economico"


def test_without_a_directory_nobody_is_presumed_able() -> None:
    d = filed()
    d.ctx = CTX
    (task,) = d.state.open_tasks()
    give_back(d, REVIEWER, task.id)
    correct(d)
    (again,) = d.state.open_tasks()
    assert again.assignee is None


def test_a_return_in_a_parallel_review_keeps_the_other_task_open() -> None:
    d = filed({**GOOD, "superficie": 180})
    tasks = {t.department: t for t in d.state.open_tasks()}
    give_back(d, INSPECTOR, tasks["proteccion-civil"].id)
    kept = tasks["desarrollo-economico"]
    assert d.state.status == case_state.AWAITING_CORRECTION
    assert d.state.tasks[kept.id].is_open
    assert "task.cancelled" not in d.types()
    (note,) = [e for e in d.events if e.type == "task.kept_open"]
    assert note.data["returned_by"] == "proteccion-civil" and note.data["task"] == kept.id
    # the other department may approve meanwhile; the case waits for the corrections
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=kept.id, decision="approve"))
    assert d.state.status == case_state.AWAITING_CORRECTION
    correct(d)
    (again,) = d.state.open_tasks()
    assert again.department == "proteccion-civil" and again.assignee == INSPECTOR.id
    d.apply(lambda at: Decide(at=at, actor=INSPECTOR, task_id=again.id, decision="approve"))
    assert d.state.status == case_state.AWAITING_PAYMENT


def test_the_kept_task_is_reviewed_once_the_corrections_arrive() -> None:
    d = filed({**GOOD, "superficie": 180})
    tasks = {t.department: t for t in d.state.open_tasks()}
    give_back(d, INSPECTOR, tasks["proteccion-civil"].id)
    correct(d)
    open_ids = {t.id for t in d.state.open_tasks()}
    assert tasks["desarrollo-economico"].id in open_ids and len(open_ids) == 2
    for task in d.state.open_tasks():
        actor = REVIEWER if task.department == "desarrollo-economico" else INSPECTOR
        d.apply(
            lambda at, t=task, a=actor: Decide(at=at, actor=a, task_id=t.id, decision="approve")
        )
    assert d.state.status == case_state.AWAITING_PAYMENT


def test_a_second_return_waits_for_the_first_corrections() -> None:
    d = filed({**GOOD, "superficie": 180})
    tasks = {t.department: t for t in d.state.open_tasks()}
    give_back(d, INSPECTOR, tasks["proteccion-civil"].id)
    with pytest.raises(ConflictError):
        give_back(d, REVIEWER, tasks["desarrollo-economico"].id)


def test_a_template_may_ask_every_department_to_review_again() -> None:
    doc_steps = [
        {
            **s,
            "outcomes": {
                **s["outcomes"],
                "return": {**s["outcomes"]["return"], "review_again": "all"},
            },
        }
        if s["id"] == "conjunta"
        else s
        for s in mini().doc["steps"]
    ]
    d = Driver(mini(steps=doc_steps))
    d.apply(
        lambda at: SubmitStep(
            at=at, actor=CITIZEN, step_id="datos", values={**GOOD, "superficie": 180}
        )
    )
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    tasks = {t.department: t for t in d.state.open_tasks()}
    give_back(d, INSPECTOR, tasks["proteccion-civil"].id)
    assert d.state.tasks[tasks["desarrollo-economico"].id].status == "cancelled"
    correct(d)
    assert {t.round for t in d.state.open_tasks()} == {2} and len(d.state.open_tasks()) == 2


def test_kept_open_tasks_are_cancelled_when_the_correction_lapses() -> None:
    from datetime import datetime

    d = filed({**GOOD, "superficie": 180})
    tasks = {t.department: t for t in d.state.open_tasks()}
    give_back(d, INSPECTOR, tasks["proteccion-civil"].id)
    timer = next(t for t in d.state.timers.values() if t.kind == "correction_deadline")
    d.now = datetime.fromisoformat(timer.fires_at)
    d.apply(lambda at: TimerFired(at=at, actor=Actor.system(), timer_id=timer.id))
    assert d.state.open_tasks() == [] and d.state.outcome == "cancelled"


def test_the_new_events_are_worded_for_both_sides() -> None:
    words = Words(
        departments={"proteccion-civil": "Protección Civil", "desarrollo-economico": "DE"}
    )
    for kind in ("task.kept_open", "task.returned_to_official", "task.returned_to_queue"):
        assert kind in CATALOG
        data = {
            "department": "desarrollo-economico",
            "returned_by": "proteccion-civil",
            "to_name": "Ana",
        }
        line = staff_line(kind, data, words)
        assert line is not None and line.text
    kept = citizen_line("task.kept_open", {"department": "desarrollo-economico"}, words)
    assert kept is not None and "DE" in kept.text
    assert citizen_line("task.returned_to_official", {"to_name": "Ana"}, words) is None


def _rows(d: Driver) -> list[dict]:
    return [{"type": e.type, "data": e.data, "created_at": i} for i, e in enumerate(d.events)]


def test_what_changed_since_the_return_comes_from_the_history() -> None:
    from workflow_engine.engine.changes import changes_since_return

    d = filed()
    assert changes_since_return(_rows(d)).returned_at is None
    (task,) = d.state.open_tasks()
    give_back(d, REVIEWER, task.id)
    correct(d)
    found = changes_since_return(_rows(d))
    assert found.resubmitted
    assert [(c.field, c.old, c.new) for c in found.fields] == [
        ("nombre", "María López", "María L. H.")
    ]


def test_files_are_compared_by_id() -> None:
    from workflow_engine.engine.changes import changes_since_return

    old = {"id": "f-1", "name": "a.pdf", "sha256": "x"}
    new = {"id": "f-2", "name": "b.pdf", "sha256": "y"}
    rows = [
        {"type": "step.submitted", "data": {"step": "s", "values": {"doc": [old], "n": 1}}},
        {"type": "case.returned", "data": {}, "created_at": 1},
        {"type": "step.submitted", "data": {"step": "s", "values": {"doc": [new], "n": 1}}},
    ]
    (change,) = changes_since_return(rows).fields
    assert change.is_files and change.files() == ([old], [new])


# -- the message thread ----------------------------------------------------------------------


def test_messages_go_both_ways_as_events_and_notifications() -> None:
    from tests.helpers.engine import OTHER_CITIZEN, STRANGER
    from workflow_engine.engine import ForbiddenError, InvalidCommandError, SendMessage

    d = filed()
    (task,) = d.state.open_tasks()
    pdf = {
        "id": "f-1",
        "name": "plano.pdf",
        "sha256": "ab",
        "size": 10,
        "content_type": "application/pdf",
    }
    d.apply(lambda at: SendMessage(at=at, actor=CITIZEN, text=" ¿Falta algo? ", attachments=(pdf,)))
    sent = d.events[-1]
    assert sent.type == "message.sent" and sent.data["side"] == "applicant"
    assert (
        sent.data["text"] == "¿Falta algo?" and sent.data["attachments"][0]["name"] == "plano.pdf"
    )
    note = d.effects[-1].payload
    assert (
        note["template"] == "message_received" and note["to"] == "department:desarrollo-economico"
    )
    assert note["task"] == task.id
    d.apply(lambda at: SendMessage(at=at, actor=REVIEWER, text="No, todo bien."))
    assert d.events[-1].data["side"] == "official"
    assert d.events[-1].data["department"] == "desarrollo-economico"
    assert d.effects[-1].payload["to"] == "applicant"
    for who in (OTHER_CITIZEN, STRANGER):
        with pytest.raises(ForbiddenError):
            d.apply(lambda at, w=who: SendMessage(at=at, actor=w, text="hola"))
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: SendMessage(at=at, actor=CITIZEN, text="   "))
    words = Words()
    assert citizen_line("message.sent", sent.data, words) is not None
    line = staff_line("message.sent", sent.data, words)
    assert line is not None and "plano.pdf" in line.detail


def test_no_messages_before_filing() -> None:
    from workflow_engine.engine import InvalidCommandError, SendMessage

    d = Driver(mini())
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: SendMessage(at=at, actor=CITIZEN, text="hola"))


def test_no_messages_once_the_case_is_closed() -> None:
    from workflow_engine.engine import CancelCase, InvalidCommandError, SendMessage

    d = filed()
    d.apply(lambda at: CancelCase(at=at, actor=CITIZEN, reason="Ya no lo necesito."))
    assert d.state.is_closed
    events = len(d.events)
    for who in (CITIZEN, REVIEWER):
        with pytest.raises(InvalidCommandError) as refused:
            d.apply(lambda at, w=who: SendMessage(at=at, actor=w, text="¿Sigue abierto?"))
        assert "cerrado" in refused.value.message("es")
    assert len(d.events) == events
