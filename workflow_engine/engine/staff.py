"""What officials do to a case besides deciding: claim, release, reassign, write internal notes,
and review each uploaded requirement. Kept apart from the transition core so the rules about
who may touch which task read in one place."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from workflow_engine.engine.commands import (
    Actor,
    AddNote,
    AssignTask,
    ClaimTask,
    ReleaseTask,
    RequirementReview,
)
from workflow_engine.engine.definition import ProcedureDefinition
from workflow_engine.engine.errors import ConflictError, ForbiddenError, InvalidCommandError
from workflow_engine.engine.state import TaskState
from workflow_engine.templates.model import Field


class Run(Protocol):
    """What these rules use of the transition's scratch space for one command
    (`transition._Run`), so that this module does not import the transition core."""

    d: ProcedureDefinition
    f: dict[str, Any]
    tasks: dict[str, TaskState]

    def event(self, type_: str, /, **data: Any) -> None: ...

    def notify(self, template: str, /, to: str = "applicant", **context: Any) -> None: ...


MAX_NOTE_CHARS = 4000
MAX_REASON_CHARS = 1000


def is_director_of(actor: Actor, department: str) -> bool:
    return (
        actor.kind == "official" and department in actor.departments and ("director" in actor.roles)
    )


def may_work(actor: Actor, task: TaskState) -> bool:
    """An official of the task's department with the task's role (directors: any role)."""
    return (
        actor.kind == "official"
        and task.department in actor.departments
        and (task.role in actor.roles or "director" in actor.roles)
    )


def open_task(run: Run, task_id: str) -> TaskState:
    task = run.tasks.get(task_id)
    if task is None:
        raise InvalidCommandError(
            "La tarea no existe en este expediente.", "No such task in this case."
        )
    if not task.is_open:
        raise ConflictError(
            "Esta tarea ya fue resuelta o cancelada; recargue el expediente.",
            "This task was already decided or cancelled; reload the case.",
            task=task.id,
            status=task.status,
        )
    return task


def require_not_taken(task: TaskState, actor: Actor) -> None:
    """Someone else holds the task: only a director of its department may act over them."""
    if task.assignee and task.assignee != actor.id and not is_director_of(actor, task.department):
        who = task.assignee_name or task.assignee
        raise ConflictError(
            f"Esta tarea ya la tomó {who}. Pida a la dirección que se la reasigne.",
            f"This task was already claimed by {who}. Ask a director to reassign it.",
            task=task.id,
            assignee=task.assignee,
        )


def claim(run: Run, cmd: ClaimTask) -> None:
    task = open_task(run, cmd.task_id)
    if not may_work(cmd.actor, task):
        raise ForbiddenError(
            "Esta tarea corresponde a otra área o a otro perfil.",
            "This task belongs to another department or role.",
        )
    if task.assignee == cmd.actor.id:
        return  # already yours: nothing changes, nothing is recorded
    if task.assignee:
        who = task.assignee_name or task.assignee
        raise ConflictError(
            f"Otra persona ({who}) tomó esta tarea antes que usted.",
            f"Someone else ({who}) claimed this task before you.",
            task=task.id,
            assignee=task.assignee,
        )
    run.tasks[task.id] = replace(task, assignee=cmd.actor.id, assignee_name=cmd.actor.name)
    run.event("task.claimed", task=task.id, by=cmd.actor.id, by_name=cmd.actor.name)


def release(run: Run, cmd: ReleaseTask) -> None:
    task = open_task(run, cmd.task_id)
    mine = task.assignee == cmd.actor.id and may_work(cmd.actor, task)
    system = cmd.actor.kind == "system"  # e.g. the holder's account was deactivated
    if not (mine or system or is_director_of(cmd.actor, task.department)):
        raise ForbiddenError(
            "Sólo quien tomó la tarea o la dirección del área pueden liberarla.",
            "Only the official who claimed the task or a director can release it.",
        )
    if task.assignee is None:
        return
    run.tasks[task.id] = replace(task, assignee=None, assignee_name="")
    run.event(
        "task.released", task=task.id, was=task.assignee, by=cmd.actor.id, by_name=cmd.actor.name
    )


def assign(run: Run, cmd: AssignTask) -> None:
    task = open_task(run, cmd.task_id)
    if not (is_director_of(cmd.actor, task.department) or cmd.actor.kind == "admin"):
        raise ForbiddenError(
            "Sólo la dirección del área puede reasignar tareas.",
            "Only the department's director can reassign tasks.",
        )
    if not cmd.assignee_id:
        raise InvalidCommandError(
            "Elija a quién asignar la tarea.", "Choose who gets the task.", field="assignee"
        )
    if task.assignee == cmd.assignee_id:
        return
    run.tasks[task.id] = replace(task, assignee=cmd.assignee_id, assignee_name=cmd.assignee_name)
    run.event(
        "task.assigned",
        task=task.id,
        to=cmd.assignee_id,
        to_name=cmd.assignee_name,
        was=task.assignee,
        by=cmd.actor.id,
        by_name=cmd.actor.name,
    )
    run.notify("task_assigned_to_you", to=f"user:{cmd.assignee_id}", task=task.id)


def add_note(run: Run, cmd: AddNote) -> None:
    actor = cmd.actor
    involved = {t.department for t in run.tasks.values()}
    allowed = actor.kind == "admin" or (
        actor.kind == "official" and bool(involved & actor.departments)
    )
    if not allowed:
        raise ForbiddenError(
            "Sólo el personal de las áreas que atienden el expediente puede anotar en él.",
            "Only staff of the departments handling the case can add notes.",
        )
    text = cmd.text.strip()
    if not text:
        raise InvalidCommandError("Escriba la nota.", "Write the note.", field="text")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidCommandError(
            f"La nota admite como máximo {MAX_NOTE_CHARS} caracteres.",
            f"A note has at most {MAX_NOTE_CHARS} characters.",
            field="text",
        )
    run.event("note.added", text=text, by=actor.id, by_name=actor.name, internal=True)


# -- requirement-by-requirement review ---------------------------------------------------


def uploaded_requirements(run: Run) -> dict[str, dict[str, Any]]:
    """Every file the applicant attached to a filled form step: id -> where it sits."""
    found: dict[str, dict[str, Any]] = {}
    data: Mapping[str, Any] = run.f["data"]
    for step_id in run.f["form_path"]:
        for fld in run.d.model.fields_of(step_id):
            _collect_files(fld, data.get(fld.id), step_id, fld.id, found)
    return found


def _collect_files(
    fld: Field, value: Any, step_id: str, field_id: str, out: dict[str, dict[str, Any]]
) -> None:
    if fld.takes_files and isinstance(value, list):
        for ref in value:
            if isinstance(ref, Mapping) and "id" in ref:
                out[str(ref["id"])] = {
                    "step": step_id,
                    "field": field_id,
                    "name": str(ref.get("name", "")),
                }
    elif fld.is_group and isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                for sub in fld.fields:
                    _collect_files(sub, item.get(sub.id), step_id, field_id, out)


def check_reviews(
    run: Run, reviews: Iterable[RequirementReview], decision: str
) -> list[dict[str, Any]]:
    """Validate the verdicts; return the rejected documents (with where they sit)."""
    reviews = tuple(reviews)
    if not reviews:
        return []
    files = uploaded_requirements(run)
    seen: set[str] = set()
    rejected: list[dict[str, Any]] = []
    for review in reviews:
        place = files.get(review.file_id)
        if place is None or review.file_id in seen:
            raise InvalidCommandError(
                "La revisión menciona un documento que no está en el expediente.",
                "The review names a document that is not in the case.",
                field="requirements",
            )
        seen.add(review.file_id)
        if not review.accepted:
            reason = review.reason.strip()
            if not reason:
                raise InvalidCommandError(
                    f"Indique por qué no acepta «{place['name']}».",
                    f"Say why “{place['name']}” is not accepted.",
                    field=f"requirement:{review.file_id}",
                )
            rejected.append({"file": review.file_id, **place, "reason": reason[:MAX_REASON_CHARS]})
    if rejected and decision == "approve":
        raise InvalidCommandError(
            "No aceptó algunos documentos: devuelva el expediente para corrección o acéptelos.",
            "Some documents were not accepted: return the case for correction or accept them.",
            field="decision",
        )
    run.event(
        "requirements.reviewed",
        accepted=[r.file_id for r in reviews if r.accepted],
        rejected=rejected,
    )
    return rejected


def steps_of(rejected: list[dict[str, Any]], form_path: Iterable[str]) -> tuple[str, ...]:
    """The form steps holding rejected documents, in the order the applicant filled them."""
    wanted = {r["step"] for r in rejected}
    return tuple(s for s in form_path if s in wanted)
