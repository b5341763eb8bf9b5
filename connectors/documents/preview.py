"""The documents of a dry run (`templates simulate`): the issuer's own layout, unsigned,
with «VISTA PREVIA» on every page and no verification code or QR. Nothing is stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.common import CaseRecord, local_today
from connectors.documents.issue import document_content, document_expiry
from connectors.documents.pdf import render_document
from connectors.settings import ConnectorSettings
from workflow_engine.templates.preview import APPLICANT, PREVIEW_FOLIO, SimulatedDocument

PREVIEW_CODE = "VISTAPREVIA"


def render_preview(
    settings: ConnectorSettings,
    doc: Mapping[str, Any],
    document: SimulatedDocument,
    *,
    at: datetime,
    department: str | None = None,
) -> bytes:
    """The PDF a document step of `doc` would issue for the simulated case, never signed."""
    case = CaseRecord(
        id=0,
        folio=PREVIEW_FOLIO,
        procedure_key=str(doc.get("key") or ""),
        applicant_id=APPLICANT.id,
        state=document.state.to_json(),
        definition=dict(doc),
        submitted_at=None,
    )
    step = case.step(document.step_id)
    spec = step.get("document") or {}
    issued_on = local_today(settings.timezone, at)
    content = document_content(
        settings,
        case,
        step,
        spec,
        code=PREVIEW_CODE,
        issued_on=issued_on,
        expires_on=document_expiry(case, step, spec, issued_on),
        department=department,
        applicant_name=lambda: APPLICANT.name,
        preview=True,
    )
    return render_document(content).pdf
