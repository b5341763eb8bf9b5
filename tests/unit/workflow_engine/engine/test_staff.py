"""Officials' work on a task: claim, release, reassign, notes and requirement review."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from tests.helpers.engine import CITIZEN, INSPECTOR, MINI, REVIEWER, STRANGER, SYSTEM, Driver
from workflow_engine.engine import (
    Actor,
    AddNote,
    AssignTask,
    ClaimTask,
    ConflictError,
    Decide,
    ForbiddenError,
    InvalidCommandError,
    ProcedureDefinition,
    ReleaseTask,
    RequirementReview,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.engine import state as case_state

COLLEAGUE = replace(REVIEWER, id="23", name="Colega")
DIRECTOR = Actor(
    id="30",
    kind="official",
    departments=frozenset({"desarrollo-economico"}),
    roles=frozenset({"director"}),
    name="Directora",
)
SHA = "a" * 64


def _doc() -> dict[str, Any]:
    doc = copy.deepcopy(MINI)
    doc["steps"][0]["fields"].extend(
        [
            {"id": "ine", "type": "file", "label": {"es": "INE"}, "max_files": 2},
            {
                "id": "socios",
                "type": "group",
                "label": {"es": "Socios"},
                "fields": [
                    {"id": "socio", "type": "text", "label": {"es": "Nombre"}},
                    {"id": "acta", "type": "file", "label": {"es": "Acta"}},
                ],
            },
        ]
    )
    return doc


def _file(fid: str, name: str) -> dict[str, Any]:
    return {"id": fid, "name": name, "sha256": SHA, "size": 10, "content_type": "application/pdf"}


VALUES = {
    **MINI["example_data"]["datos"],
    "ine": [_file("f1", "ine-frente.pdf"), _file("f2", "ine-reverso.pdf")],
    "socios": [{"socio": "Ana", "acta": [_file("f3", "acta.pdf")]}],
}


def filed() -> Driver:
    d = Driver(ProcedureDefinition(_doc()))
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=VALUES))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    return d


def task_id(d: Driver) -> str:
    (task,) = d.state.open_tasks()
    return task.id


def test_claim_marks_the_task_as_mine_and_blocks_colleagues() -> None:
    d = filed()
    tid = task_id(d)
    d.apply(lambda at: ClaimTask(at=at, actor=REVIEWER, task_id=tid))
    assert d.state.tasks[tid].assignee == REVIEWER.id
    assert d.state.tasks[tid].assignee_name == "Revisora"
    assert d.types()[-1] == "task.claimed"
    before = len(d.events)
    d.apply(lambda at: ClaimTask(at=at, actor=REVIEWER, task_id=tid))  # idempotent
    assert len(d.events) == before
    with pytest.raises(ConflictError) as info:
        d.apply(lambda at: ClaimTask(at=at, actor=COLLEAGUE, task_id=tid))
    assert "Revisora" in info.value.message_es
    with pytest.raises(ConflictError):
        d.apply(lambda at: Decide(at=at, actor=COLLEAGUE, task_id=tid, decision="approve"))


def test_other_departments_and_citizens_cannot_claim() -> None:
    d = filed()
    tid = task_id(d)
    for actor in (STRANGER, INSPECTOR, CITIZEN):
        with pytest.raises(ForbiddenError):
            d.apply(lambda at, actor=actor: ClaimTask(at=at, actor=actor, task_id=tid))


def test_release_puts_the_task_back_and_only_the_holder_or_a_director_may() -> None:
    d = filed()
    tid = task_id(d)
    d.apply(lambda at: ClaimTask(at=at, actor=REVIEWER, task_id=tid))
    with pytest.raises(ForbiddenError):
        d.apply(lambda at: ReleaseTask(at=at, actor=COLLEAGUE, task_id=tid))
    d.apply(lambda at: ReleaseTask(at=at, actor=REVIEWER, task_id=tid))
    assert d.state.tasks[tid].assignee is None
    d.apply(lambda at: ClaimTask(at=at, actor=COLLEAGUE, task_id=tid))
    d.apply(lambda at: ReleaseTask(at=at, actor=DIRECTOR, task_id=tid))
    assert d.state.tasks[tid].assignee is None
    assert d.types().count("task.released") == 2


def test_a_director_reassigns_and_the_new_holder_is_told() -> None:
    d = filed()
    tid = task_id(d)
    d.apply(lambda at: ClaimTask(at=at, actor=REVIEWER, task_id=tid))
    with pytest.raises(ForbiddenError):
        d.apply(lambda at: AssignTask(at=at, actor=REVIEWER, task_id=tid, assignee_id=COLLEAGUE.id))
    result = d.apply(
        lambda at: AssignTask(
            at=at, actor=DIRECTOR, task_id=tid, assignee_id=COLLEAGUE.id, assignee_name="Colega"
        )
    )
    assert d.state.tasks[tid].assignee == COLLEAGUE.id
    (event,) = result.events
    assert event.type == "task.assigned" and event.data["was"] == REVIEWER.id
    (effect,) = result.effects
    assert effect.payload["to"] == f"user:{COLLEAGUE.id}"
    # the former holder can no longer decide; the new one can
    with pytest.raises(ConflictError):
        d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=tid, decision="approve"))
    d.apply(lambda at: Decide(at=at, actor=COLLEAGUE, task_id=tid, decision="approve"))
    assert d.state.tasks[tid].status == "approved"


def test_a_director_may_decide_over_the_holder() -> None:
    d = filed()
    tid = task_id(d)
    d.apply(lambda at: ClaimTask(at=at, actor=REVIEWER, task_id=tid))
    d.apply(lambda at: Decide(at=at, actor=DIRECTOR, task_id=tid, decision="approve"))
    decided = [e for e in d.events if e.type == "task.decided"][-1]
    assert decided.data["by"] == DIRECTOR.id


def test_claiming_a_decided_task_is_a_conflict() -> None:
    d = filed()
    tid = task_id(d)
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=tid, decision="approve"))
    with pytest.raises(ConflictError):
        d.apply(lambda at: ClaimTask(at=at, actor=COLLEAGUE, task_id=tid))


def test_internal_notes_are_events_for_staff_of_the_case_only() -> None:
    d = filed()
    d.apply(lambda at: AddNote(at=at, actor=REVIEWER, text="  Llamar al solicitante.  "))
    note = d.events[-1]
    assert note.type == "note.added"
    assert note.data == {
        "text": "Llamar al solicitante.",
        "by": REVIEWER.id,
        "by_name": "Revisora",
        "internal": True,
    }
    assert d.state.status == case_state.IN_REVIEW
    for actor in (STRANGER, CITIZEN):
        with pytest.raises(ForbiddenError):
            d.apply(lambda at, actor=actor: AddNote(at=at, actor=actor, text="hola"))
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: AddNote(at=at, actor=REVIEWER, text="   "))
    with pytest.raises(InvalidCommandError):
        d.apply(lambda at: AddNote(at=at, actor=REVIEWER, text="x" * 4001))


def test_rejected_requirements_go_back_together_with_their_reasons() -> None:
    d = filed()
    tid = task_id(d)
    reviews = (
        RequirementReview("f1", True),
        RequirementReview("f2", False, "Ilegible."),
        RequirementReview("f3", False, "Sin firma."),
    )
    with pytest.raises(InvalidCommandError):  # approving with rejected documents
        d.apply(
            lambda at: Decide(
                at=at, actor=REVIEWER, task_id=tid, decision="approve", requirement_reviews=reviews
            )
        )
    d.apply(
        lambda at: Decide(
            at=at,
            actor=REVIEWER,
            task_id=tid,
            decision="return",
            comment="Corrija los documentos señalados.",
            reason="incorrect",
            requirement_reviews=reviews,
        )
    )
    assert d.state.status == case_state.AWAITING_CORRECTION
    assert d.state.editable_steps == ("datos",)
    reviewed = next(e for e in d.events if e.type == "requirements.reviewed")
    assert reviewed.data["accepted"] == ["f1"]
    returned = next(e for e in d.events if e.type == "case.returned")
    assert [(r["name"], r["reason"]) for r in returned.data["rejected_documents"]] == [
        ("ine-reverso.pdf", "Ilegible."),
        ("acta.pdf", "Sin firma."),
    ]
    notice = [e for e in d.effects if e.payload.get("template") == "case_returned"][-1]
    assert len(notice.payload["rejected_documents"]) == 2


def test_requirement_review_needs_known_files_and_reasons() -> None:
    d = filed()
    tid = task_id(d)
    for reviews in (
        (RequirementReview("nope", True),),
        (RequirementReview("f1", True), RequirementReview("f1", True)),
        (RequirementReview("f2", False, "   "),),
    ):
        with pytest.raises(InvalidCommandError):
            d.apply(
                lambda at, reviews=reviews: Decide(
                    at=at,
                    actor=REVIEWER,
                    task_id=tid,
                    decision="return",
                    comment="x",
                    reason="incorrect",
                    requirement_reviews=reviews,
                )
            )
    assert d.state.tasks[tid].is_open


def test_decisions_record_the_template_version() -> None:
    doc = _doc()
    d = Driver(ProcedureDefinition(doc, version_id=4))
    d.apply(lambda at: SubmitStep(at=at, actor=CITIZEN, step_id="datos", values=VALUES))
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    tid = task_id(d)
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=tid, decision="approve"))
    decided = next(e for e in d.events if e.type == "task.decided")
    assert decided.data["version"] == 4


def test_a_reminder_goes_to_the_holder_when_the_task_is_claimed() -> None:
    from workflow_engine.engine import TimerFired

    d = filed()
    tid = task_id(d)
    d.apply(lambda at: ClaimTask(at=at, actor=REVIEWER, task_id=tid))
    reminder = d.state.timers[f"reminder:{tid}"]
    d.now = d.now.fromisoformat(reminder.fires_at)
    d.apply(lambda at: TimerFired(at=at, actor=SYSTEM, timer_id=reminder.id))
    notice = [e for e in d.effects if e.payload.get("template") == "deadline_reminder"][-1]
    assert notice.payload["to"] == f"user:{REVIEWER.id}"


def test_the_system_may_release_a_task_whose_holder_left() -> None:
    d = filed()
    tid = task_id(d)
    d.apply(lambda at: ClaimTask(at=at, actor=REVIEWER, task_id=tid))
    d.apply(lambda at: ReleaseTask(at=at, actor=SYSTEM, task_id=tid))
    assert d.state.tasks[tid].assignee is None
