"""Cases (expedientes): start, read, fill in, file and cancel. The engine decides; we translate."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from app.api import queries, serializers
from app.api.common import (
    case_not_found,
    field_error,
    json_body,
    optional_int,
    query_int,
    require_actor,
    required_object,
    required_string,
    services,
)
from workflow_engine.engine import (
    Actor,
    CancelCase,
    Command,
    SaveDraft,
    StartCase,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.persistence.types import utcnow

MAX_PAGE = 100


def case_payload(folio: str, actor: Actor) -> dict[str, Any]:
    """The full case as `actor` may see it (call only after the visibility check)."""
    svc = services()
    row = queries.case_row(svc.engine, folio)
    if row is None:
        raise case_not_found(folio)
    state, definition, lock_version = svc.cases.load(row.id)
    return serializers.case_detail(
        row,
        state,
        definition,
        lock_version,
        svc.cases.history(row.id),
        queries.task_ids(svc.engine, row.id),
        actor,
    )


def visible_case(folio: str, actor: Actor) -> queries.CaseRow:
    """The case if the actor may see it; 404 otherwise, so its existence is not revealed."""
    svc = services()
    row = queries.case_row(svc.engine, folio)
    if row is None or not queries.may_see_case(svc.engine, actor, row):
        raise case_not_found(folio)
    return row


def run(folio: str, actor: Actor, command: Command, expected_version: int | None) -> dict[str, Any]:
    row = visible_case(folio, actor)
    services().cases.execute(row.id, command, expected_version=expected_version)
    return case_payload(folio, actor)


def start_case() -> ResponseReturnValue:
    """POST /cases {"procedure": key}"""
    actor = require_actor()
    body = json_body()
    key = required_string(body, "procedure")
    outcome = services().cases.start(key, StartCase(at=utcnow(), actor=actor))
    headers = {"Location": f"/api/v1/cases/{outcome.folio}"}
    return case_payload(outcome.folio, actor), 201, headers


def list_cases() -> ResponseReturnValue:
    """GET /cases: the actor's own applications, newest first."""
    actor = require_actor()
    limit = query_int("limit", 50, low=1, high=MAX_PAGE)
    after = query_int("after", None, low=0)
    assert limit is not None
    rows = queries.my_cases(services().engine, actor.id, limit=limit, after=after)
    return {
        "cases": [serializers.case_summary(r) for r in rows],
        "next_after": int(rows[-1].id) if len(rows) == limit else None,
    }


def get_case(folio: str) -> ResponseReturnValue:
    """GET /cases/<folio>"""
    actor = require_actor()
    visible_case(folio, actor)
    return case_payload(folio, actor)


def step_values(folio: str, actor: Actor, step_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The step data with its file references resolved against the applicant's uploads
    (UploadStore.resolve_files: the wizard's rule). Anyone else, or a step that is no form,
    is left for the engine to refuse."""
    row = visible_case(folio, actor)
    svc = services()
    _state, definition, _lock = svc.cases.load(row.id)
    if actor.id != row.applicant_id or not definition.is_form(step_id):
        return values
    return svc.uploads.resolve_files(
        case_id=row.id, owner_id=actor.id, step=definition.step_model(step_id).raw, values=values
    )


def save_step(folio: str, step_id: str) -> ResponseReturnValue:
    """PUT /cases/<folio>/steps/<step_id> {"values": {...}}: keep a draft."""
    actor = require_actor()
    body = json_body()
    values = step_values(folio, actor, step_id, required_object(body, "values"))
    command = SaveDraft(at=utcnow(), actor=actor, step_id=step_id, values=values)
    return run(folio, actor, command, optional_int(body, "lock_version"))


def submit_step(folio: str, step_id: str) -> ResponseReturnValue:
    """POST /cases/<folio>/steps/<step_id>/submit {"values": {...}}"""
    actor = require_actor()
    body = json_body()
    values = step_values(folio, actor, step_id, required_object(body, "values"))
    command = SubmitStep(at=utcnow(), actor=actor, step_id=step_id, values=values)
    return run(folio, actor, command, optional_int(body, "lock_version"))


def submit_case(folio: str) -> ResponseReturnValue:
    """POST /cases/<folio>/submit {"declaration": true}: file (or resubmit) the case."""
    actor = require_actor()
    body = json_body()
    declaration = body.get("declaration")
    if declaration is None:
        raise field_error(
            "declaration",
            "required",
            "Falta la declaración («declaration»).",
            "'declaration' is missing.",
        )
    if not isinstance(declaration, bool):
        raise field_error(
            "declaration",
            "type",
            "«declaration» debe ser true o false.",
            "'declaration' must be true or false.",
        )
    command = SubmitCase(at=utcnow(), actor=actor, declaration=declaration)
    return run(folio, actor, command, optional_int(body, "lock_version"))


def cancel_case(folio: str) -> ResponseReturnValue:
    """POST /cases/<folio>/cancel {"reason": "..."}"""
    actor = require_actor()
    body = json_body()
    reason = required_string(body, "reason")
    command = CancelCase(at=utcnow(), actor=actor, reason=reason.strip())
    return run(folio, actor, command, optional_int(body, "lock_version"))
