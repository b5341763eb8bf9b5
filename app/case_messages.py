"""The case's message thread, shared by the applicant's case page and the staff case review:
the thread as both sides read it, and posting a message with attachments (checked like the
wizard's uploads, by the same `UploadStore`). Who may post is each page's guard plus the
engine's rule (`workflow_engine.engine.messages`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.formatting import format_moment
from workflow_engine.engine import Actor, SendMessage, messages
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.platform.uploads import THREAD_STEP, PendingUpload, UploadStore
from workflow_engine.persistence.types import utcnow

# What a message may carry: the wizard's usual documents, checked by the same store.
ATTACHMENT_FIELD: dict[str, Any] = {
    "id": "adjunto",
    "type": "file",
    "accept": ["application/pdf", "image/jpeg", "image/png"],
    "max_size_mb": 10,
    "max_files": 5,
}
FORM_TEXT = "mensaje"
FORM_FILES = "adjuntos"


def thread(
    events: list[dict[str, Any]], lang: str, departments: Mapping[str, str], reader: str
) -> list[dict[str, Any]]:
    """Every message, oldest first; `reader` (`applicant` or `official`) marks their own."""
    out = []
    for event in events:
        if event["type"] != "message.sent":
            continue
        data: Mapping[str, Any] = event.get("data") or {}
        side = str(data.get("side") or "")
        department = departments.get(str(data.get("department") or ""), "")
        out.append(
            {
                "side": side,
                "mine": side == reader,
                "who": str(data.get("by_name") or ""),
                "department": department,
                "text": str(data.get("text") or ""),
                "files": [f for f in data.get("attachments") or () if isinstance(f, Mapping)],
                "when": format_moment(event["created_at"], lang),
                "iso": event["created_at"].isoformat(),
            }
        )
    return out


def open_for_messages(status: str) -> bool:
    """Whether the pages offer the message form: not on a closed case (the engine's rule)."""
    return messages.accepts_messages(status)


def send(case_id: int, status: str, actor: Actor, text: str, files: list[FileStorage]) -> None:
    """Check and store the attachments, then record the message (one engine command).
    EngineError (a closed case, an upload refused, an empty message, nobody allowed) changes
    nothing; a closed case is refused before any file is read."""
    if not messages.accepts_messages(status):
        raise messages.closed_error()
    services = current_app.extensions["tramita"]
    store: UploadStore = services.uploads
    pending: list[PendingUpload] = []
    try:
        for upload in files:
            if not upload or not upload.filename:
                continue
            pending.append(
                store.prepare(
                    owner_id=actor.id,
                    case_id=case_id,
                    step_id=THREAD_STEP,
                    field_id=str(ATTACHMENT_FIELD["id"]),
                    filename=upload.filename,
                    data=upload.read(int(ATTACHMENT_FIELD["max_size_mb"]) * 1024 * 1024 + 1),
                    field=ATTACHMENT_FIELD,
                    declared_type=upload.mimetype,
                )
            )
        store.record(pending)
    except EngineError:
        store.discard(pending)
        raise
    refs = tuple(p.ref for p in pending)
    services.cases.execute(
        case_id, SendMessage(at=utcnow(), actor=actor, text=text, attachments=refs)
    )
