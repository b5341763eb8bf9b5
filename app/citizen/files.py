"""Uploaded files and case documents, served only to the people allowed to see them.

Who may see what: an uploaded file, its owner, an official of a department that has (or
had) a task in its case, or an administrator (who reads every case); a case's receipt and
issued documents, the applicant or such an official. Everyone else gets the same 404 as for
an id that does not exist. Anonymous visitors are sent to log in first (for every id, so
nothing leaks).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, current_app, request, send_file
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.api.queries import CaseRow, case_row, may_see_case
from app.guards import require_account
from connectors.documents.receipt import receipt_for_case
from workflow_engine.engine import Actor
from workflow_engine.persistence.cases.casework import log_access
from workflow_engine.persistence.models import Document, table

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("files", __name__)
documents_t = table(Document)

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _private(response: Response, content_type: str) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store, max-age=0"
    response.headers["Referrer-Policy"] = "no-referrer"
    if content_type in INLINE_TYPES:
        # Previewed inside the case review page (an iframe of this site), nowhere else.
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    else:
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; sandbox; frame-ancestors 'none'"
        )
    return response


def _send(path: Path, name: str, content_type: str, etag: str | None = None) -> Response:
    inline = content_type in INLINE_TYPES
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=not inline,
        download_name=name,
        conditional=True,
        etag=etag or True,
        max_age=0,
    )
    return _private(response, content_type)


def _inline_pdf(pdf: bytes, filename: str) -> Response:
    """A PDF made on demand, shown in the browser, never cached by a shared proxy."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return _private(response, "application/pdf")


def _visible_case(folio: str, what: str) -> CaseRow:
    account = require_account()
    actor = account.actor()
    case = case_row(_services().engine, folio)
    if case is None or not may_see_case(_services().engine, actor, case):
        abort(404)
    if actor.kind == "official":
        log_access(_services().engine, case.id, actor, what, request.remote_addr or "")
    return case


# -- one response per kind of file (the web routes below and the REST API share them) ------


def upload_response(actor: Actor, public_id: str, case_id: int | None = None) -> Response | None:
    """The uploaded file if `actor` may read it (and it belongs to `case_id` when given)."""
    stored = _services().uploads.stored_for(public_id, actor)
    if stored is None or (case_id is not None and stored.case_id != case_id):
        return None
    if actor.kind in ("official", "admin") and stored.case_id is not None:
        log_access(
            _services().engine,
            stored.case_id,
            actor,
            f"file:{public_id}",
            request.remote_addr or "",
        )
    return _send(stored.path, stored.name, stored.content_type, etag=stored.sha256)


def receipt_response(case: CaseRow) -> Response | None:
    """The acuse de recibo of a filed case (None before it is filed)."""
    settings = _services().settings
    pdf = receipt_for_case(
        _services().engine,
        case.id,
        municipality_name=settings.municipality_name,
        timezone=settings.timezone,
        base_url=settings.base_url,
    )
    if pdf is None:
        return None  # not filed yet: there is nothing to acknowledge
    return _inline_pdf(pdf, f"acuse-{case.folio}.pdf")


def payment_slip_response(case: CaseRow) -> Response | None:
    """The printable orden de pago of the order still to be paid (None: nothing to pay)."""
    from connectors.documents.payment_slip import payment_slip_for_case

    settings = _services().settings
    pdf = payment_slip_for_case(
        _services().engine,
        case.id,
        municipality_name=settings.municipality_name,
        base_url=settings.base_url,
    )
    if pdf is None:
        return None  # nothing to pay (yet, or any more)
    return _inline_pdf(pdf, f"orden-de-pago-{case.folio}.pdf")


def document_response(case: CaseRow, document_id: int) -> Response | None:
    """An issued document of the case, as stored when it was signed."""
    with _services().engine.connect() as conn:
        row = conn.execute(
            select(documents_t).where(
                documents_t.c.id == document_id, documents_t.c.case_id == case.id
            )
        ).one_or_none()
    if row is None:
        return None
    root = Path(_services().settings.documents_dir).resolve()
    path = (root / row.storage_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return _send(path, row.filename, row.content_type or "application/pdf", etag=row.sha256)


def _found(response: Response | None) -> Response:
    if response is None:
        abort(404)
    return response


# -- routes -------------------------------------------------------------------------------


@blueprint.route("/archivos/<public_id>")
def uploaded_file(public_id: str) -> ResponseReturnValue:
    return _found(upload_response(require_account().actor(), public_id))


@blueprint.route("/expedientes/<folio>/acuse.pdf")
def receipt(folio: str) -> ResponseReturnValue:
    return _found(receipt_response(_visible_case(folio, "receipt")))


@blueprint.route("/expedientes/<folio>/orden-de-pago.pdf")
def payment_slip(folio: str) -> ResponseReturnValue:
    """The printable orden de pago (with its Code128) of the order still to be paid."""
    return _found(payment_slip_response(_visible_case(folio, "payment_slip")))


@blueprint.route("/expedientes/<folio>/documentos/<int:document_id>")
def document(folio: str, document_id: int) -> ResponseReturnValue:
    return _found(document_response(_visible_case(folio, f"document:{document_id}"), document_id))
