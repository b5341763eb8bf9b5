"""Engine and database objects -> the JSON shapes documented in openapi.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from app.api.queries import CaseRow
from workflow_engine.engine import Actor, CaseState, ProcedureDefinition, TaskState
from workflow_engine.engine.events import is_internal
from workflow_engine.persistence.platform.catalog import VersionInfo
from workflow_engine.templates import digitalization_level


def iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _localized(value: Any) -> dict[str, str] | None:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        return {"es": value}
    return None


def procedure_summary(version: VersionInfo) -> dict[str, Any]:
    doc = version.definition
    catalog = doc.get("catalog") or {}
    return {
        "key": version.key,
        "title": _localized(doc.get("title")),
        "summary": _localized(doc.get("summary")),
        "department": doc.get("department"),
        "version": version.number,
        "homoclave": catalog.get("homoclave"),
        "cost": _localized(catalog.get("cost")),
        "max_response_days": catalog.get("max_response_days"),
        "digitalization_level": digitalization_level(doc),
        "published_at": iso(version.published_at),
    }


def procedure_version(version: VersionInfo) -> dict[str, Any]:
    return {
        "key": version.key,
        "number": version.number,
        "checksum": version.checksum,
        "published_at": iso(version.published_at),
        "definition": version.definition,
    }


def task(state: TaskState, task_id: int | None) -> dict[str, Any]:
    return {
        "id": task_id,
        "key": state.id,
        "step": state.step_id,
        "branch": state.branch_id,
        "department": state.department,
        "role": state.role,
        "status": state.status,
        "round": state.round,
        "opened_at": state.opened_at,
        "due_on": state.due_on,
        "decided_at": state.decided_at,
        "decided_by": state.decided_by,
        "comment": state.comment,
        "escalated": state.escalated,
    }


def task_row(row: Any) -> dict[str, Any]:
    """One row of GET /tasks (a task joined with its case)."""
    return {
        "id": int(row.id),
        "key": row.task_key,
        "folio": row.folio,
        "procedure": row.procedure_key,
        "case_status": row.case_status,
        "step": row.step_id,
        "branch": row.branch_id,
        "department": row.department,
        "role": row.role,
        "status": row.status,
        "escalated": bool(row.escalated),
        "due_on": iso(row.due_on),
        "opened_at": iso(row.opened_at),
        "decided_at": iso(row.decided_at),
        "assignee": row.assignee_id,
    }


def event(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seq": int(row["seq"]),
        "type": row["type"],
        "data": row["data"],
        "at": iso(row["created_at"]),
        "actor": {"id": row["actor_id"], "name": row["actor_name"]},
    }


def case_summary(row: Any) -> dict[str, Any]:
    """One row of GET /cases."""
    return {
        "folio": row.folio,
        "procedure": row.procedure_key,
        "version": int(row.version),
        "status": row.status,
        "position": row.position,
        "outcome": row.outcome,
        "lock_version": int(row.lock_version),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "submitted_at": iso(row.submitted_at),
        "closed_at": iso(row.closed_at),
    }


def case_detail(
    row: CaseRow,
    state: CaseState,
    definition: ProcedureDefinition,
    lock_version: int,
    history: list[dict[str, Any]],
    ids: Mapping[str, int],
    actor: Actor,
) -> dict[str, Any]:
    is_applicant = actor.id == state.applicant_id
    procedure = definition.model
    position = procedure.get_step(state.position)
    return {
        "folio": state.folio,
        "procedure": {
            "key": row.procedure_key,
            "version": row.version_number,
            "title": _localized(procedure.title or None),
        },
        "status": state.status,
        "position": state.position,
        "position_title": _localized(position.title or None) if position else None,
        "outcome": state.outcome,
        "data": dict(state.data),
        # Unsent drafts are the applicant's own business.
        "drafts": {k: dict(v) for k, v in state.drafts.items()} if is_applicant else {},
        "form_path": list(state.form_path),
        "editable_steps": list(state.editable_steps),
        "pending_step": state.pending_step,
        "created_at": state.created_at,
        "updated_at": iso(row.updated_at),
        "submitted_at": state.submitted_at,
        "closed_at": state.closed_at,
        "response_due": state.response_due,
        "tasks": [task(t, ids.get(key)) for key, t in state.tasks.items()],
        "payment": _payment(state),
        "payments": [dict(p) for p in state.payments],
        "documents": [dict(d) for d in state.documents],
        "lock_version": lock_version,
        # Internal notes are staff business: the applicant's copy of the history leaves them out.
        "history": [event(e) for e in history if not (is_applicant and _internal(e))],
    }


def _internal(row: Mapping[str, Any]) -> bool:
    return is_internal(str(row["type"]), row.get("data") or {})


def _payment(state: CaseState) -> dict[str, Any] | None:
    if state.payment is None:
        return None
    raw = asdict(state.payment)
    raw["lines"] = [dict(line) for line in state.payment.lines]
    return raw
