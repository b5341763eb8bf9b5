"""The state of one case, as the engine sees it. Plain data, serialisable to JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

# Case statuses (what the applicant and the officials are waiting for).
DRAFT = "draft"  # the applicant is filling in form steps before filing
READY = "ready_to_submit"  # all form steps done; waiting for the applicant's declaration
IN_REVIEW = "in_review"  # open approval tasks
AWAITING_APPLICANT = "awaiting_applicant"  # a form step after filing
AWAITING_CORRECTION = "awaiting_correction"  # prevención: returned for correction
AWAITING_PAYMENT = "awaiting_payment"
AWAITING_DOCUMENT = "awaiting_document"
AWAITING_CONNECTOR = "awaiting_connector"
CLOSED = "closed"

STATUSES = (
    DRAFT,
    READY,
    IN_REVIEW,
    AWAITING_APPLICANT,
    AWAITING_CORRECTION,
    AWAITING_PAYMENT,
    AWAITING_DOCUMENT,
    AWAITING_CONNECTOR,
    CLOSED,
)


def editable_form_steps(
    status: str, form_path: Sequence[str], editable_steps: Sequence[str], position: str
) -> tuple[str, ...]:
    """The form steps the applicant may change now (drafts, submissions, uploads)."""
    if status in (DRAFT, READY):
        return tuple(form_path)
    if status == AWAITING_CORRECTION:
        return tuple(editable_steps)
    if status == AWAITING_APPLICANT:
        return (position,)
    return ()


def steps_to_correct(editable_steps: Sequence[str], corrected_steps: Sequence[str]) -> list[str]:
    """The returned steps the applicant has not corrected yet, in the order they were named."""
    return [s for s in editable_steps if s not in corrected_steps]


@dataclass(frozen=True)
class TaskState:
    """One approval task for one department (a parallel step has one per branch)."""

    id: str
    step_id: str
    branch_id: str | None
    department: str
    role: str
    status: str  # open, approved, rejected, returned, cancelled
    opened_at: str
    due_on: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
    comment: str | None = None
    escalated: bool = False
    round: int = 1
    assignee: str | None = None  # user id of the official who claimed it (None: unclaimed)
    assignee_name: str = ""
    # Who decided, as documents print them, and what they wrote in the step's decision fields.
    decided_by_name: str = ""
    decided_by_position: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True)
class TimerState:
    """A legal or operational deadline; fires once as a TimerFired command."""

    id: str
    # task_deadline, task_reminder, correction_deadline, response_deadline (the whole case),
    # step_deadline (a form or payment step the applicant must finish in time)
    kind: str
    fires_at: str  # ISO datetime, UTC
    ref: str  # task id or step id


@dataclass(frozen=True)
class PaymentState:
    """The fee breakdown and order for the current payment step."""

    step_id: str
    attempt: int
    currency: str
    lines: tuple[dict[str, Any], ...]
    total_cents: int
    status: str  # requested, pending, paid, failed, expired
    reference: str | None = None
    expires_on: str | None = None


@dataclass(frozen=True)
class CaseState:
    case_id: str
    folio: str
    applicant_id: str
    status: str
    position: str
    created_at: str
    data: Mapping[str, Any] = field(default_factory=dict)
    drafts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    form_path: tuple[str, ...] = ()
    pending_step: str | None = None  # where the case goes when filed / resubmitted
    editable_steps: tuple[str, ...] = ()
    corrected_steps: tuple[str, ...] = ()
    submitted_at: str | None = None
    # The last day of the procedure's maximum response time (its `response_deadline`), ISO
    # date; fixed when the case is filed (holidays declared later do not move it).
    response_due: str | None = None
    closed_at: str | None = None
    outcome: str | None = None
    tasks: Mapping[str, TaskState] = field(default_factory=dict)
    timers: Mapping[str, TimerState] = field(default_factory=dict)
    payment: PaymentState | None = None
    payments: tuple[dict[str, Any], ...] = ()  # settled payments (history)
    documents: tuple[dict[str, Any], ...] = ()
    results: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    attempts: Mapping[str, int] = field(default_factory=dict)  # per step: rounds/attempts

    @property
    def is_closed(self) -> bool:
        return self.status == CLOSED

    def editable_form_steps(self) -> tuple[str, ...]:
        return editable_form_steps(self.status, self.form_path, self.editable_steps, self.position)

    def steps_to_correct(self) -> list[str]:
        return steps_to_correct(self.editable_steps, self.corrected_steps)

    def correction_due(self, tz: tzinfo) -> date | None:
        """The last day to send corrections: the correction timer fires at the start of the
        next local day (see the engine's `decide`)."""
        for timer in self.timers.values():
            if timer.kind == "correction_deadline":
                fires = datetime.fromisoformat(timer.fires_at).astimezone(tz)
                return fires.date() - timedelta(days=1)
        return None

    def step_due(self, tz: tzinfo) -> date | None:
        """The last day to finish the current form or payment step, when it has a deadline
        (its timer fires at the start of the next local day)."""
        timer = self.timers.get(f"step:{self.position}")
        if timer is None:
            return None
        return datetime.fromisoformat(timer.fires_at).astimezone(tz).date() - timedelta(days=1)

    def open_tasks(self) -> list[TaskState]:
        return [t for t in self.tasks.values() if t.is_open]

    def to_json(self) -> dict[str, Any]:
        """Plain dicts and lists; a shallow copy per field (asdict deep-copies everything)."""
        raw: dict[str, Any] = {name: getattr(self, name) for name in _STATE_FIELDS}
        raw["data"] = dict(self.data)
        raw["drafts"] = {k: dict(v) for k, v in self.drafts.items()}
        raw["results"] = {k: dict(v) for k, v in self.results.items()}
        raw["attempts"] = dict(self.attempts)
        raw["tasks"] = {k: _fields(t, _TASK_FIELDS) for k, t in self.tasks.items()}
        raw["timers"] = {k: _fields(t, _TIMER_FIELDS) for k, t in self.timers.items()}
        if self.payment is not None:
            raw["payment"] = _fields(self.payment, _PAYMENT_FIELDS)
        return raw

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CaseState:
        values = dict(raw)
        values["tasks"] = {k: TaskState(**v) for k, v in raw.get("tasks", {}).items()}
        values["timers"] = {k: TimerState(**v) for k, v in raw.get("timers", {}).items()}
        payment = raw.get("payment")
        if payment is not None:
            payment = dict(payment)
            payment["lines"] = tuple(payment.get("lines", ()))
            values["payment"] = PaymentState(**payment)
        for name in ("form_path", "editable_steps", "corrected_steps", "payments", "documents"):
            values[name] = tuple(raw.get(name, ()))
        return cls(**values)


_STATE_FIELDS = tuple(f.name for f in fields(CaseState))
_TASK_FIELDS = tuple(f.name for f in fields(TaskState))
_TIMER_FIELDS = tuple(f.name for f in fields(TimerState))
_PAYMENT_FIELDS = tuple(f.name for f in fields(PaymentState))


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}
