"""Officials' tasks: the inbox as JSON, and decisions on a task."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy import Row

from app.api import queries, serializers
from app.api.cases import case_payload
from app.api.common import (
    ApiError,
    field_error,
    json_body,
    optional_int,
    optional_string,
    query_int,
    require_actor,
    services,
)
from workflow_engine.engine import (
    Actor,
    ClaimTask,
    Command,
    Decide,
    ReleaseTask,
    RequirementReview,
)
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.step_types.review import decision_fields

MAX_PAGE = 100
DECISIONS = ("approve", "reject", "return")


def list_tasks() -> ResponseReturnValue:
    """GET /tasks?status=open&limit=50&after=<last task id>"""
    actor = require_actor()
    status = request.args.get("status", "open")
    if status not in (*queries.TASK_STATUSES, "all"):
        raise ApiError(
            400,
            "bad_request",
            "El parámetro «status» no es válido.",
            "Parameter 'status' is not valid.",
            parameter="status",
            allowed=[*queries.TASK_STATUSES, "all"],
        )
    limit = query_int("limit", 50, low=1, high=MAX_PAGE)
    after = query_int("after", None, low=0)
    assert limit is not None
    rows = queries.my_tasks(
        services().engine,
        actor,
        status=None if status == "all" else status,
        limit=limit,
        after=after,
    )
    return {
        "tasks": [serializers.task_row(r) for r in rows],
        "next_after": int(rows[-1].id) if len(rows) == limit else None,
    }


def _return_steps(body: dict[str, Any]) -> tuple[str, ...]:
    value = body.get("return_steps")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise field_error(
            "return_steps",
            "type",
            "«return_steps» debe ser una lista de pasos.",
            "'return_steps' must be a list of step ids.",
        )
    return tuple(value)


def _requirements(body: dict[str, Any]) -> tuple[RequirementReview, ...]:
    value = body.get("requirements")
    if value is None:
        return ()
    bad = field_error(
        "requirements",
        "type",
        "«requirements» debe ser una lista de {file_id, accepted, reason}.",
        "'requirements' must be a list of {file_id, accepted, reason}.",
    )
    if not isinstance(value, list):
        raise bad
    reviews = []
    for item in value:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("file_id"), str)
            and isinstance(item.get("accepted"), bool)
            and isinstance(item.get("reason", ""), str)
        ):
            raise bad
        reviews.append(RequirementReview(item["file_id"], item["accepted"], item.get("reason", "")))
    return tuple(reviews)


def _decision_values(row: Any, actor: Any, body: dict[str, Any]) -> dict[str, Any]:
    """`fields`: what the official writes in the step's decision fields ({field id: value});
    a file is named by its upload's id, uploaded by this official to this case and field
    (UploadStore.resolve_files: the wizard's rule). The engine cleans the rest."""
    value = body.get("fields")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise field_error(
            "fields",
            "type",
            "«fields» debe ser un objeto {id de campo: valor}.",
            "'fields' must be an object {field id: value}.",
        )
    svc = services()
    state, definition, _version = svc.cases.load(int(row.case_id))
    task = state.tasks.get(row.task_key)
    step = definition.steps.get(task.step_id, {}) if task is not None else {}
    resolved: dict[str, Any] = svc.uploads.resolve_files(
        case_id=int(row.case_id),
        owner_id=actor.id,
        step={"fields": decision_fields(step)},
        values=value,
    )
    return resolved


def upload_decision_file(task_id: int, field_id: str) -> Any:
    """POST /tasks/<task_id>/files/<field_id> (multipart `file`): a file for a decision field
    of the task's step, stored for the case on the official's behalf; its `id` goes in the
    decision's `fields`."""
    actor, row = _own_task(task_id)
    svc = services()
    state, definition, _version = svc.cases.load(int(row.case_id))
    task = state.tasks.get(row.task_key)
    step = definition.steps.get(task.step_id, {}) if task is not None else {}
    fld = next((f for f in decision_fields(step) if f.get("id") == field_id), None)
    if task is None or not task.is_open or fld is None or fld.get("type") != "file":
        raise ApiError(
            404,
            "not_found",
            f"La tarea no está abierta o su paso no tiene el campo de archivo «{field_id}».",
            f"The task is not open or its step has no file field '{field_id}'.",
            field=field_id,
        )
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(
            400,
            "bad_request",
            "Envíe el archivo como multipart/form-data en la parte «file».",
            "Send the file as multipart/form-data in the part 'file'.",
        )
    pending = svc.uploads.prepare(
        owner_id=actor.id,
        case_id=int(row.case_id),
        step_id=task.step_id,
        field_id=field_id,
        filename=upload.filename or "archivo",
        data=upload.read(),
        field=fld,
        declared_type=upload.mimetype or None,
    )
    svc.uploads.record([pending])
    return pending.ref, 201


def _own_task(task_id: int) -> tuple[Actor, Row[Any, Any, Any]]:
    """The task row, if it belongs to one of the caller's departments (else 404)."""
    actor = require_actor()
    row = queries.task_row(services().engine, task_id)
    if row is None or row.department not in actor.departments:
        raise ApiError(404, "not_found", "La tarea no existe.", "No such task.", task=task_id)
    return actor, row


def _run(task_id: int, make: Callable[[Actor, str], Command]) -> dict[str, Any]:
    actor, row = _own_task(task_id)
    command: Command = make(actor, row.task_key)
    outcome = services().cases.execute(int(row.case_id), command)
    return case_payload(outcome.folio, actor)


def claim(task_id: int) -> ResponseReturnValue:
    """POST /tasks/<task_id>/claim"""
    return _run(task_id, lambda actor, key: ClaimTask(at=utcnow(), actor=actor, task_id=key))


def release(task_id: int) -> ResponseReturnValue:
    """POST /tasks/<task_id>/release"""
    return _run(task_id, lambda actor, key: ReleaseTask(at=utcnow(), actor=actor, task_id=key))


def decide(task_id: int) -> ResponseReturnValue:
    """POST /tasks/<task_id>/decision"""
    actor, row = _own_task(task_id)
    body = json_body()
    svc = services()
    decision = body.get("decision")
    if decision is None:
        raise field_error(
            "decision", "required", "Falta la decisión («decision»).", "'decision' is missing."
        )
    if decision not in DECISIONS:
        raise field_error(
            "decision",
            "enum",
            "La decisión debe ser approve, reject o return.",
            "'decision' must be approve, reject or return.",
        )
    reason = optional_string(body, "reason") or None
    fields = _decision_values(row, actor, body)
    command = Decide(
        at=utcnow(),
        actor=actor,
        task_id=row.task_key,
        decision=decision,
        comment=optional_string(body, "comment"),
        reason=reason,
        return_steps=_return_steps(body),
        requirement_reviews=_requirements(body),
        fields=fields,
    )
    outcome = svc.cases.execute(
        int(row.case_id), command, expected_version=optional_int(body, "lock_version")
    )
    return case_payload(outcome.folio, actor)
