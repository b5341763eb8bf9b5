"""Commands: every way a case can be asked to change. The actor is always explicit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ActorKind = Literal["citizen", "official", "admin", "system"]


@dataclass(frozen=True)
class Actor:
    """Who issues a command: a person (by user id) or the system (timers, connectors)."""

    id: str
    kind: ActorKind
    departments: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    name: str = ""
    position: str = ""  # an official's job title (cargo), printed on what they sign

    @classmethod
    def system(cls, name: str = "sistema") -> Actor:
        return cls(id="system", kind="system", name=name)


@dataclass(frozen=True)
class Command:
    at: datetime
    actor: Actor


@dataclass(frozen=True)
class StartCase(Command):
    pass


@dataclass(frozen=True)
class SaveDraft(Command):
    step_id: str
    values: dict[str, Any]


@dataclass(frozen=True)
class SubmitStep(Command):
    step_id: str
    values: dict[str, Any]


@dataclass(frozen=True)
class SubmitCase(Command):
    """File the case (or resubmit it after a correction) once the applicant confirms."""

    declaration: bool = False


@dataclass(frozen=True)
class RequirementReview:
    """An official's verdict on one uploaded document (requisito): accepted, or not and why."""

    file_id: str
    accepted: bool
    reason: str = ""


@dataclass(frozen=True)
class Decide(Command):
    task_id: str
    decision: Literal["approve", "reject", "return"]
    comment: str = ""
    reason: str | None = None  # for return: incorrect | incomplete | outdated
    return_steps: tuple[str, ...] = ()
    requirement_reviews: tuple[RequirementReview, ...] = ()
    # What the official writes in the fields the approval step declares (the answer, the
    # reasons, attached files), cleaned by the same field types as the applicant's data.
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClaimTask(Command):
    """An official takes an unclaimed task of their department so nobody works it twice."""

    task_id: str


@dataclass(frozen=True)
class ReleaseTask(Command):
    """The assignee (or a director) puts a claimed task back in the department's queue."""

    task_id: str


@dataclass(frozen=True)
class AssignTask(Command):
    """A director hands a task to an official of the department (the service checks who)."""

    task_id: str
    assignee_id: str
    assignee_name: str = ""


@dataclass(frozen=True)
class AddNote(Command):
    """An internal note on the case: staff read it, the applicant never does."""

    text: str


@dataclass(frozen=True)
class SendMessage(Command):
    """A message in the case's thread, from the applicant or an official of the case, with
    files already checked and stored (their refs, as uploads are)."""

    text: str
    attachments: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class PaymentOrderCreated(Command):
    step_id: str
    attempt: int
    reference: str
    expires_on: str | None = None


@dataclass(frozen=True)
class PaymentConfirmed(Command):
    reference: str
    amount_cents: int
    currency: str
    provider_id: str = ""


@dataclass(frozen=True)
class PaymentFailed(Command):
    reference: str
    reason: str = ""


@dataclass(frozen=True)
class PaymentExpired(Command):
    reference: str


@dataclass(frozen=True)
class DocumentIssued(Command):
    step_id: str
    attempt: int
    document_id: str
    verification_code: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectorCompleted(Command):
    step_id: str
    attempt: int
    result: dict[str, Any]


@dataclass(frozen=True)
class ConnectorFailed(Command):
    step_id: str
    attempt: int
    error: str


@dataclass(frozen=True)
class TimerFired(Command):
    timer_id: str


@dataclass(frozen=True)
class CancelCase(Command):
    reason: str = ""
