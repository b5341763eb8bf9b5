"""A case's files over the API: upload and delete the applicant's attachments, download
attachments, issued documents and the receipt. The checks are the wizard's (UploadStore, the
engine's editable-steps rule); the downloads are app/citizen/files.py's, with its isolation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Response, request
from flask.typing import ResponseReturnValue

from app.api import queries
from app.api.cases import visible_case
from app.api.common import ApiError, require_actor, services
from app.citizen import files as web_files  # app.citizen.files imports app.api.queries: bind late
from workflow_engine.engine import Actor, CaseState, ProcedureDefinition, require_editable
from workflow_engine.persistence.cases.casework import log_access
from workflow_engine.persistence.platform.uploads import referenced_ids


def own_case(folio: str, actor: Actor) -> queries.CaseRow:
    """The case if `actor` is its applicant: 404 for strangers, 403 for officials who see it."""
    row = visible_case(folio, actor)
    if row.applicant_id != actor.id:
        raise ApiError(
            403,
            "forbidden",
            "Sólo la persona solicitante puede hacer esto.",
            "Only the applicant can do this.",
            folio=folio,
        )
    return row


def file_url(folio: str, public_id: str) -> str:
    return f"/api/v1/cases/{quote(folio, safe='')}/files/{quote(public_id, safe='')}"


def _file_field(definition: ProcedureDefinition, step_id: str, field_id: str) -> Mapping[str, Any]:
    """The file field `field_id` of form step `step_id` (top level or inside a group)."""
    if not definition.is_form(step_id):
        raise ApiError(
            404,
            "not_found",
            f"El paso «{step_id}» no es un formulario de este trámite.",
            f"'{step_id}' is not a form step of this procedure.",
            step=step_id,
        )
    for fld in definition.step_model(step_id).all_fields():
        if fld.id == field_id:
            if not fld.takes_files:
                raise ApiError(
                    422,
                    "not_a_file_field",
                    f"El campo «{field_id}» no admite archivos; envíe su valor con los datos "
                    "del paso.",
                    f"Field '{field_id}' does not take files; send its value with the step's data.",
                    step=step_id,
                    field=field_id,
                )
            return fld.raw
    raise ApiError(
        404,
        "not_found",
        f"El paso «{step_id}» no tiene el campo «{field_id}».",
        f"Step '{step_id}' has no field '{field_id}'.",
        step=step_id,
        field=field_id,
    )


def upload_file(folio: str, step_id: str, field_id: str) -> ResponseReturnValue:
    """POST /cases/<folio>/steps/<step_id>/files/<field_id> (multipart `file`)"""
    actor = require_actor()
    row = own_case(folio, actor)
    svc = services()
    state, definition, _lock = svc.cases.load(row.id)
    fld = _file_field(definition, step_id, field_id)
    require_editable(definition, step_id, state.editable_form_steps())
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(
            400,
            "bad_request",
            "Envíe el archivo como multipart/form-data en la parte «file».",
            "Send the file as multipart/form-data in the part 'file'.",
        )
    ref = svc.uploads.save(
        owner_id=actor.id,
        case_id=row.id,
        step_id=step_id,
        field_id=field_id,
        filename=upload.filename or "archivo",
        data=upload.read(),
        field=fld,
        declared_type=upload.mimetype or None,
    )
    return ref, 201, {"Location": file_url(row.folio, ref["id"])}


def _answered(state: CaseState, history: list[dict[str, Any]]) -> set[str]:
    """Ids of files the case's answers refer to; once filed, also those of earlier rounds."""
    ids = referenced_ids(dict(state.data))
    if state.submitted_at:
        for event in history:
            if event["type"] == "step.submitted":
                ids |= referenced_ids(event["data"])
    return ids


def delete_file(folio: str, file_id: str) -> ResponseReturnValue:
    """DELETE /cases/<folio>/files/<file_id>: an attachment not (yet) part of the answers."""
    actor = require_actor()
    row = own_case(folio, actor)
    svc = services()
    info = svc.uploads.file_info(file_id, owner_id=actor.id, case_id=row.id)
    if info is None:
        raise _file_not_found(file_id)
    state, definition, _lock = svc.cases.load(row.id)
    require_editable(definition, info["step_id"], state.editable_form_steps())
    in_use = _answered(state, svc.cases.history(row.id))
    if not svc.uploads.delete(file_id, owner_id=actor.id, case_id=row.id, in_use=in_use):
        raise _file_not_found(file_id)
    return Response(status=204)


def download_file(folio: str, file_id: str) -> ResponseReturnValue:
    """GET /cases/<folio>/files/<file_id>: the owner or the officials handling the case."""
    actor = require_actor()
    row = visible_case(folio, actor)
    response = web_files.upload_response(actor, file_id, case_id=row.id)
    if response is None:
        raise _file_not_found(file_id)
    return response


def download_receipt(folio: str) -> ResponseReturnValue:
    """GET /cases/<folio>/receipt: the acuse de recibo (PDF) once the case is filed."""
    row = _seen(folio, "receipt")
    response = web_files.receipt_response(row)
    if response is None:
        raise ApiError(
            404,
            "not_found",
            "El expediente aún no se ha presentado: no tiene acuse de recibo.",
            "The case has not been filed yet: it has no receipt.",
            folio=folio,
        )
    return response


def download_payment_slip(folio: str) -> ResponseReturnValue:
    """GET /cases/<folio>/payment/slip: the printable payment order (PDF) while unpaid."""
    row = _seen(folio, "payment_slip")
    response = web_files.payment_slip_response(row)
    if response is None:
        raise ApiError(
            404,
            "not_found",
            "El expediente no tiene un pago pendiente.",
            "The case has no payment pending.",
            folio=folio,
        )
    return response


def download_document(folio: str, document_id: int) -> ResponseReturnValue:
    """GET /cases/<folio>/documents/<document_id>: an issued (signed) document."""
    row = _seen(folio, f"document:{document_id}")
    response = web_files.document_response(row, document_id)
    if response is None:
        raise ApiError(
            404,
            "not_found",
            "El expediente no tiene ese documento.",
            "The case has no such document.",
            folio=folio,
            document=document_id,
        )
    return response


def _seen(folio: str, what: str) -> queries.CaseRow:
    """The visible case; a look by staff is logged like on the web."""
    actor = require_actor()
    row = visible_case(folio, actor)
    if actor.kind == "official":
        log_access(services().engine, row.id, actor, what, request.remote_addr or "")
    return row


def _file_not_found(file_id: str) -> ApiError:
    return ApiError(404, "not_found", "El archivo no existe.", "No such file.", file=file_id[:40])
