"""The case's message thread (messagerie): the applicant and the officials of the case write
to each other. Each message is a `message.sent` event in the history and a notification to
the other side; officials' internal notes (`note.added`) stay apart and private."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from workflow_engine.engine.commands import SendMessage
from workflow_engine.engine.errors import ForbiddenError, InvalidCommandError
from workflow_engine.engine.state import CLOSED, CaseState, TaskState


class Run(Protocol):
    original: CaseState
    tasks: dict[str, TaskState]

    def event(self, type_: str, /, **data: Any) -> None: ...

    def notify(self, template: str, /, to: str = "applicant", **context: Any) -> None: ...


MAX_MESSAGE_CHARS = 5000
MAX_ATTACHMENTS = 5
_FILE_KEYS = ("id", "name", "size", "content_type", "sha256")


def side_of(run: Run, cmd: SendMessage) -> str:
    """`applicant` or `official`; ForbiddenError for anybody else (the pages answer 404
    before this, the engine keeps the rule)."""
    actor = cmd.actor
    if actor.kind == "citizen" and actor.id == run.original.applicant_id:
        return "applicant"
    involved = {t.department for t in run.tasks.values()}
    if actor.kind == "official" and involved & actor.departments:
        return "official"
    raise ForbiddenError(
        "Sólo la persona solicitante y el personal que atiende el expediente pueden escribir "
        "en él.",
        "Only the applicant and the staff handling the case can write in it.",
    )


def _attachments(cmd: SendMessage) -> list[dict[str, Any]]:
    if len(cmd.attachments) > MAX_ATTACHMENTS:
        raise InvalidCommandError(
            f"Un mensaje admite como máximo {MAX_ATTACHMENTS} archivos.",
            f"A message takes at most {MAX_ATTACHMENTS} files.",
            field="attachments",
        )
    out = []
    for ref in cmd.attachments:
        if not isinstance(ref, Mapping) or not ref.get("id") or not ref.get("sha256"):
            raise InvalidCommandError(
                "Un archivo adjunto no es válido.",
                "An attachment is not valid.",
                field="attachments",
            )
        out.append({k: ref[k] for k in _FILE_KEYS if k in ref})
    return out


def _recipients(run: Run) -> list[TaskState]:
    """The tasks whose officials hear about an applicant's message: the open ones, else the
    last one decided (the case may be waiting for the applicant)."""
    tasks = sorted(run.tasks.values(), key=lambda t: (t.opened_at, t.id))
    open_ = [t for t in tasks if t.is_open]
    return open_ or tasks[-1:]


def accepts_messages(status: str) -> bool:
    """Whether a case in this status still takes messages: not once it is closed (approved,
    rejected, lapsed, withdrawn); its thread stays readable."""
    return status != CLOSED


def closed_error() -> InvalidCommandError:
    """Why a message to a closed case is refused (the pages say it before any upload)."""
    return InvalidCommandError(
        "Este expediente está cerrado: ya no admite mensajes. La conversación sigue a la vista.",
        "This case is closed: it takes no more messages. The conversation stays readable.",
    )


def send_message(run: Run, cmd: SendMessage) -> None:
    side = side_of(run, cmd)
    if not accepts_messages(run.original.status):
        raise closed_error()
    if run.original.submitted_at is None:
        raise InvalidCommandError(
            "Podrá escribir al personal cuando envíe su solicitud.",
            "You can write to the staff once you submit your application.",
        )
    text = cmd.text.strip()
    files = _attachments(cmd)
    if not text and not files:
        raise InvalidCommandError("Escriba el mensaje.", "Write the message.", field="text")
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidCommandError(
            f"El mensaje admite como máximo {MAX_MESSAGE_CHARS} caracteres.",
            f"A message has at most {MAX_MESSAGE_CHARS} characters.",
            field="text",
        )
    departments = sorted(cmd.actor.departments & {t.department for t in run.tasks.values()})
    run.event(
        "message.sent",
        text=text,
        side=side,
        by=cmd.actor.id,
        by_name=cmd.actor.name,
        department=departments[0] if side == "official" and departments else None,
        attachments=files,
    )
    if side == "official":
        run.notify("message_received", message=text, files=len(files))
        return
    for task in _recipients(run):
        run.notify(
            "message_received",
            to=f"department:{task.department}",
            task=task.id,
            message=text,
            files=len(files),
        )
