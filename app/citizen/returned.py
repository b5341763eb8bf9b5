"""The last return for correction, as the applicant reads it: the official's message, the
reason, the steps to correct and, per document not accepted, its reason. The case page and
the wizard's steps show the same notice (templates/wizard/_returned.html)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.formatting import format_date, localized
from workflow_engine.engine import CaseState
from workflow_engine.engine import state as case_state
from workflow_engine.engine.events import reason_title
from workflow_engine.templates.model import Procedure


def returned_notice(
    state: CaseState, events: Iterable[Mapping[str, Any]], procedure: Procedure, lang: str
) -> dict[str, Any] | None:
    """The notice of the last `case.returned` event while the case awaits correction."""
    if state.status != case_state.AWAITING_CORRECTION:
        return None
    found = None
    for event in events:
        if event["type"] == "case.returned":
            found = event
    if found is None:
        return None
    data = dict(found["data"] or {})
    documents = []
    for doc in data.get("rejected_documents") or []:
        if not isinstance(doc, Mapping):
            continue
        step = procedure.get_step(str(doc.get("step") or ""))
        field = procedure.get_field(str(doc.get("field") or ""))
        documents.append(
            {
                "file": str(doc.get("file") or ""),
                "name": str(doc.get("name") or ""),
                "reason": str(doc.get("reason") or ""),
                "requirement": localized(field.label, lang) if field is not None else "",
                "step": step.id if step is not None else "",
                "field": field.id if field is not None else "",
            }
        )
    return {
        "message": str(data.get("message") or ""),
        "reason": reason_title(data.get("reason"), lang),
        "respond_by": format_date(data.get("respond_by"), lang),
        "steps": [
            localized(step.title, lang)
            for step in map(procedure.get_step, data.get("steps") or [])
            if step is not None
        ],
        "documents": documents,
    }


def rejected_files(notice: Mapping[str, Any] | None) -> dict[str, str]:
    """File id -> why it was not accepted, for the step that shows the files."""
    if not notice:
        return {}
    return {d["file"]: d["reason"] for d in notice["documents"] if d["file"]}
