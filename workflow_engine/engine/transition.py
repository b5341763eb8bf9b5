"""The pure transition function. No I/O, no clock: time comes in the command.

`apply_command(definition, state, command, ctx)` returns the new state, the events to append
to the history and the effects to run after commit. It raises an `EngineError` (and so
changes nothing) when the command does not fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from workflow_engine.calendar import BusinessCalendar
from workflow_engine.engine import messages, staff
from workflow_engine.engine import state as case_state
from workflow_engine.engine.commands import (
    Actor,
    AddNote,
    AssignTask,
    CancelCase,
    ClaimTask,
    Command,
    ConnectorCompleted,
    ConnectorFailed,
    Decide,
    DocumentIssued,
    PaymentConfirmed,
    PaymentExpired,
    PaymentFailed,
    PaymentOrderCreated,
    ReleaseTask,
    SaveDraft,
    SendMessage,
    StartCase,
    SubmitCase,
    SubmitStep,
    TimerFired,
)
from workflow_engine.engine.definition import ProcedureDefinition
from workflow_engine.engine.errors import (
    ConflictError,
    EligibilityError,
    ForbiddenError,
    InvalidCommandError,
    StepValidationError,
    fee_error,
)
from workflow_engine.engine.recurring import recurring_schedule
from workflow_engine.engine.results import Effect, Event, TransitionResult
from workflow_engine.engine.state import CaseState, PaymentState, TaskState, TimerState
from workflow_engine.jsonable import jsonable
from workflow_engine.rules import RuleError, evaluate, is_truthy, to_cents
from workflow_engine.templates import model as template_model
from workflow_engine.templates import step_types
from workflow_engine.templates.field_types import option_label
from workflow_engine.templates.field_types.base import CatalogLookup
from workflow_engine.templates.fields import check_draft, validate_step_data

MAX_AUTOMATIC_STEPS = 100
RETURN_REASONS = ("incorrect", "incomplete", "outdated")


@dataclass(frozen=True)
class EngineContext:
    """What the engine needs to know about the municipality: its calendar and time zone."""

    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Mexico_City"))
    catalogs: CatalogLookup | None = None  # the municipality's reusable catalogs (read only)
    # Who may still work a department's tasks (read only): a resubmitted case goes back to
    # the official who returned it only if this says they still can; None: nobody is known.
    officials: OfficialLookup | None = None

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def start_of_day_utc(self, day: date) -> str:
        return datetime.combine(day, time(0, 0), self.tz).astimezone(UTC).isoformat()


class OfficialLookup(Protocol):
    def can_work(self, user_id: str, department: str, role: str) -> bool:
        """Whether the official is active, in the department and holds the role (or directs)."""
        ...


def response_lapse_rule(doc: Mapping[str, Any]) -> str:
    """What a template's whole-case deadline does when it lapses: `afirmativa_ficta`,
    `negativa_ficta` (the catalog's ficta, when the deadline says `on_lapse: ficta`) or
    `escalate`. The engine applies it; the dashboards count the cases it will soon decide."""
    spec = doc.get("response_deadline") or {}
    if isinstance(spec, Mapping) and spec.get("on_lapse") == "ficta":
        ficta = (doc.get("catalog") or {}).get("ficta")
        if ficta in ("afirmativa", "negativa"):
            return f"{ficta}_ficta"
    return "escalate"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def start_case(
    definition: ProcedureDefinition,
    *,
    case_id: str,
    folio: str,
    command: StartCase,
) -> TransitionResult:
    """A new case positioned at the template's first form step."""
    start = definition.start
    state = CaseState(
        case_id=case_id,
        folio=folio,
        applicant_id=command.actor.id,
        status=case_state.DRAFT,
        position=start,
        created_at=_iso(command.at),
        form_path=(start,),
    )
    events = (
        Event(
            "case.started",
            {"procedure": definition.key, "folio": folio, "step": start},
        ),
    )
    return TransitionResult(state, events, ())


def apply_command(
    definition: ProcedureDefinition,
    state: CaseState,
    command: Command,
    ctx: EngineContext | None = None,
) -> TransitionResult:
    """Apply one command to a case. Pure: same inputs, same outputs."""
    run = _Run(definition, state, command, ctx or EngineContext())
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise InvalidCommandError(
            "Operación no reconocida.", f"Unknown command {type(command).__name__}."
        )
    handler(run, command)
    return run.result()


class _Run:
    """Mutable scratch space for one command; frozen into a TransitionResult at the end."""

    def __init__(
        self, d: ProcedureDefinition, state: CaseState, cmd: Command, ctx: EngineContext
    ) -> None:
        self.d = d
        self.original = state
        self.cmd = cmd
        self.ctx = ctx
        self.now = _iso(cmd.at)
        self.today = ctx.local_date(cmd.at)
        self.f: dict[str, Any] = {
            "status": state.status,
            "position": state.position,
            "data": state.data,
            "drafts": state.drafts,
            "form_path": state.form_path,
            "pending_step": state.pending_step,
            "editable_steps": state.editable_steps,
            "corrected_steps": state.corrected_steps,
            "submitted_at": state.submitted_at,
            "response_due": state.response_due,
            "closed_at": state.closed_at,
            "outcome": state.outcome,
            "payment": state.payment,
            "payments": state.payments,
            "documents": state.documents,
            "results": state.results,
            "attempts": state.attempts,
        }
        self.tasks: dict[str, TaskState] = dict(state.tasks)
        self.timers: dict[str, TimerState] = dict(state.timers)
        self.events: list[Event] = []
        self.effects: list[Effect] = []

    # -- bookkeeping -------------------------------------------------------------------
    def result(self) -> TransitionResult:
        new_state = replace(self.original, tasks=self.tasks, timers=self.timers, **self.f)
        return TransitionResult(new_state, tuple(self.events), tuple(self.effects))

    def event(self, type_: str, /, **data: Any) -> None:
        self.events.append(Event(type_, data))

    def effect(self, kind: str, key: str, /, **payload: Any) -> None:
        payload.setdefault("case_id", self.original.case_id)
        payload.setdefault("folio", self.original.folio)
        self.effects.append(Effect(kind, f"{self.original.case_id}:{key}", payload))

    def notify(self, template: str, /, to: str = "applicant", **context: Any) -> None:
        seq = self.next_attempt("_notify")
        self.effect(
            "notify",
            f"notify:{seq}:{template}",
            template=template,
            to=to,
            procedure=self.d.key,
            **context,
        )

    def next_attempt(self, key: str) -> int:
        attempts = dict(self.f["attempts"])
        attempts[key] = attempts.get(key, 0) + 1
        self.f["attempts"] = attempts
        return int(attempts[key])

    def eval_data(self) -> dict[str, Any]:
        return self.d.rule_data(
            self.f["data"],
            folio=self.original.folio,
            created_at=self.original.created_at,
            submitted_at=self.f["submitted_at"],
            results=self.f["results"],
            year=self.today.year,
        )

    def eval(self, expr: Any) -> Any:
        """Evaluate a template rule; a rule that cannot be evaluated refuses the command."""
        try:
            return evaluate(expr, self.eval_data(), tables=self.d.fee_tables, today=self.today)
        except RuleError as exc:
            raise InvalidCommandError(
                "Una regla del trámite no pudo aplicarse a estos datos: " + exc.message_es,
                "A rule of the procedure could not be applied to this data: " + exc.message_en,
                rule_path=exc.path,
            ) from exc

    def shown_text(self, expr: Any) -> str:
        """A text a person reads (a ledger description): a `var` of a field with options, alone
        or as a part of a `cat`, gives the options' (Spanish) labels, not the stored values;
        anything else is evaluated as it is."""
        is_cat = (
            isinstance(expr, Mapping) and list(expr) == ["cat"] and isinstance(expr["cat"], list)
        )
        if not is_cat and self.option_field(expr) is None:
            return str(self.eval(expr) or "")
        out = []
        for part in expr["cat"] if is_cat else [expr]:
            field_def = self.option_field(part)
            if field_def is None:
                out.append(str(self.eval({"cat": [part]}) or ""))
                continue
            value = self.eval(part)
            values = value if isinstance(value, list) else [value]
            out.append(
                ", ".join(option_label(field_def, v, "es") for v in values if v not in (None, ""))
            )
        return "".join(out)

    def option_field(self, expr: Any) -> Mapping[str, Any] | None:
        """The field with options a `{"var": ...}` reads; None for anything else."""
        if not (isinstance(expr, Mapping) and list(expr) == ["var"]):
            return None
        name = expr["var"][0] if isinstance(expr["var"], list) and expr["var"] else expr["var"]
        found = self.d.fields.get(name) if isinstance(name, str) else None
        return found if found is not None and found.get("options") else None

    def amount_cents(self, expr: Any) -> int:
        """A fee's amount in centavos (pesos rounded half-up); refused when it is not a
        number or more than can be charged, so the case stays as it was."""
        value = self.eval(expr)
        try:
            return to_cents(value)
        except RuleError as exc:
            raise fee_error(exc) from exc

    def reapply_connector_results(self, data: dict[str, Any]) -> None:
        """Data that came from another system (cadastre, vehicle registry) wins over a form."""
        for step_id, result in self.f["results"].items():
            step = self.d.model.get_step(step_id)
            if step is None:
                continue
            for source, target in step.result_map.items():
                if source in result:
                    data[target] = result[source]

    # -- guards --------------------------------------------------------------------------
    def require_open(self) -> None:
        if self.f["status"] == case_state.CLOSED:
            raise InvalidCommandError(
                "El expediente ya está concluido.", "The case is already closed."
            )

    def require_applicant(self, actor: Actor) -> None:
        if actor.id != self.original.applicant_id:
            raise ForbiddenError(
                "Sólo la persona solicitante puede hacer esto.",
                "Only the applicant can do this.",
            )

    def require_system(self, actor: Actor) -> None:
        if actor.kind != "system":
            raise ForbiddenError(
                "Esta operación la realiza el sistema.", "Only the system can do this."
            )

    # -- moving through steps --------------------------------------------------------------
    def next_step(self, step: template_model.Step | Mapping[str, Any]) -> str:
        """The first transition of ``step`` (a step type hands its raw dict) that applies."""
        node = step if isinstance(step, template_model.Step) else self.d.step_model(str(step["id"]))
        for transition in node.transitions:
            if transition.when is None or is_truthy(self.eval(transition.when)):
                return transition.to
        raise InvalidCommandError(
            f"El paso «{node.id}» no tiene a dónde continuar.",
            f"Step '{node.id}' has no transition to follow.",
        )

    def enter(self, step_id: str) -> None:
        """Enter a step and keep going through automatic steps until the case must wait;
        what entering does belongs to the step's type (workflow_engine.templates.step_types)."""
        for _ in range(MAX_AUTOMATIC_STEPS):
            step = self.d.step_model(step_id)
            for timer_id in [k for k, v in self.timers.items() if v.kind == "step_deadline"]:
                del self.timers[timer_id]  # a step's own deadline ends when the case leaves it
            self.f["position"] = step_id
            self.event("step.entered", step=step_id, type=step.type)
            then = self.step_type(step).enter(self, step.raw)
            if then is None:
                return
            step_id = then
        raise InvalidCommandError(
            "El trámite entra en un ciclo sin fin; avise al área responsable.",
            "The procedure loops without waiting; tell the owning department.",
        )

    def step_type(self, step: template_model.Step) -> type[step_types.StepType]:
        if step.kind is None:
            kind = step.type
            raise InvalidCommandError(f"Tipo de paso desconocido: {kind}", f"Unknown step {kind}")
        return step.kind

    def leave(self, step: template_model.Step, outcome: str = "approve") -> None:
        """Go on from a finished step to where its type says."""
        self.enter(self.step_type(step).leave(self, step.raw, outcome))

    def close(self, outcome: str, step_id: str | None) -> None:
        for task in list(self.tasks.values()):
            if task.is_open:
                self.set_task(task, "cancelled")
        self.timers.clear()
        self.f["status"] = case_state.CLOSED
        self.f["outcome"] = outcome
        self.f["closed_at"] = self.now
        self.f["editable_steps"] = ()
        self.f["pending_step"] = None
        self.event("case.closed", outcome=outcome, step=step_id)
        self.notify(f"case_{outcome}", outcome=outcome)
        if outcome == "approved" and self.d.doc.get("ledger"):
            self.register_in_ledger(self.d.doc["ledger"])

    def register_in_ledger(self, spec: Mapping[str, Any]) -> None:
        """An approved case registers (or updates) its taxable object in the municipal
        ledger, e.g. a licence registers the business with its yearly renewal charge."""
        reg = spec.get("register")
        if not reg:
            return
        attributes = {k: jsonable(self.eval(v)) for k, v in (reg.get("attributes") or {}).items()}
        payload: dict[str, Any] = {
            "kind": str(reg["kind"]),
            "key": str(self.eval(reg["key"])),
            "description": self.shown_text(reg.get("description", "")),
            "attributes": attributes,
            "rfc": self.eval(reg["rfc"]) if "rfc" in reg else None,
            "curp": self.eval(reg["curp"]) if "curp" in reg else None,
            "name": self.eval(reg["name"]) if "name" in reg else None,
        }
        recurring = reg.get("recurring")
        if recurring:
            cents = self.amount_cents(recurring["amount"])
            payload["recurring"] = {
                "concept": str(recurring["concept"]),
                "amount_cents": cents,
                "currency": str(recurring.get("currency", "MXN")),
                "due_month": int(recurring.get("due_month", 3)),
                "due_day": int(recurring.get("due_day", 31)),
                **recurring_schedule(recurring, cents, self.today),
            }
        self.event("ledger.registration_requested", kind=payload["kind"], key=payload["key"])
        self.effect("ledger.register", "ledger:register", **payload)

    # -- the whole case's deadline ---------------------------------------------------
    def arm_response_deadline(self) -> None:
        """The procedure's maximum response time (`catalog.max_response_days` business days)
        starts when the case is filed, when the template declares a `response_deadline`.
        The due date is fixed now: a holiday declared later does not move it."""
        spec = self.d.doc.get("response_deadline")
        days = (self.d.doc.get("catalog") or {}).get("max_response_days")
        if not isinstance(spec, Mapping) or not isinstance(days, int) or days < 1:
            return
        due = self.ctx.calendar.add_business_days(self.today, days)
        self.f["response_due"] = due.isoformat()
        fires_at = self.ctx.start_of_day_utc(due + timedelta(days=1))
        self.timers["response"] = TimerState("response", "response_deadline", fires_at, "case")
        self.event("case.response_due_set", due_on=due.isoformat(), days=days)

    def response_lapse_rule(self) -> str:
        """What the whole-case deadline's lapse does: the catalog's ficta, or escalate."""
        return response_lapse_rule(self.d.doc)

    def apply_lapse_rule(self, task: TaskState, rule: str, actor: Actor) -> None:
        """A lapsed legal deadline on an open task: tacit approval, tacit refusal or the
        director's attention."""
        if rule == "afirmativa_ficta":
            self.event("case.afirmativa_ficta", task=task.id)
            text = "Afirmativa ficta: venció el plazo legal sin resolución."
            self.decide(task, "approve", actor, text, None, ())
        elif rule == "negativa_ficta":
            self.event("case.negativa_ficta", task=task.id)
            text = "Negativa ficta: venció el plazo legal sin resolución."
            self.decide(task, "reject", actor, text, None, ())
        else:
            self.tasks[task.id] = replace(task, escalated=True)
            self.event("task.escalated", task=task.id, department=task.department)
            self.notify(
                "task_escalated", to=f"director:{task.department}", task=task.id, due_on=task.due_on
            )

    # -- approvals -------------------------------------------------------------------
    def department_for(self, branch: Mapping[str, Any]) -> str:
        if "department_rule" in branch:
            value = self.eval(branch["department_rule"])
            if not isinstance(value, str) or not value:
                raise InvalidCommandError(
                    "La regla de asignación no devolvió un área válida.",
                    "The routing rule did not return a department.",
                )
            return value
        return str(branch.get("department") or self.d.model.department)

    def set_task(
        self,
        task: TaskState,
        status: str,
        *,
        by: Actor | None = None,
        comment: str | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> TaskState:
        updated = replace(
            task,
            status=status,
            decided_at=self.now,
            decided_by=by.id if by else None,
            decided_by_name=by.name if by else "",
            decided_by_position=by.position if by else "",
            comment=comment,
            fields=dict(values or {}),
        )
        self.tasks[task.id] = updated
        self.timers.pop(f"deadline:{task.id}", None)
        self.timers.pop(f"reminder:{task.id}", None)
        if status == "cancelled":
            self.event("task.cancelled", task=task.id, step=task.step_id)
        return updated

    def decide(
        self,
        task: TaskState,
        decision: str,
        actor: Actor,
        comment: str,
        reason: str | None,
        return_steps: tuple[str, ...],
        rejected_documents: list[dict[str, Any]] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        step = self.d.step_model(task.step_id)
        outcomes = step.outcomes
        if decision == "return":
            spec = outcomes.get("return")
            if spec is None:
                raise InvalidCommandError(
                    "Este paso no permite devolver el expediente para corrección.",
                    "This step does not allow returning the case for correction.",
                )
            if reason not in RETURN_REASONS:
                raise InvalidCommandError(
                    "Indique el motivo de la devolución: incorrecto, incompleto o desactualizado.",
                    "Give the reason for returning: incorrect, incomplete or outdated.",
                    field="reason",
                )
            if self.correcting(task.step_id):
                raise ConflictError(
                    "Otra área ya devolvió el expediente; espere las correcciones y revíselo "
                    "después.",
                    "Another department already returned the case; wait for the corrections "
                    "and review it then.",
                    task=task.id,
                )
            steps = return_steps or (str(spec["to_step"]),)
            for sid in steps:
                if not self.d.is_form(sid) or sid not in self.f["form_path"]:
                    raise InvalidCommandError(
                        f"No se puede devolver al paso «{sid}»: no es un formulario ya llenado.",
                        f"Cannot return to step '{sid}': not a form step already filled in.",
                        field="return_steps",
                    )
        status = {"approve": "approved", "reject": "rejected", "return": "returned"}[decision]
        values = dict(values or {}) if decision != "return" else {}
        self.set_task(task, status, by=actor, comment=comment, values=values)
        self.event(
            "task.decided",
            task=task.id,
            step=task.step_id,
            department=task.department,
            decision=decision,
            comment=comment,
            reason=reason,
            by=actor.id,
            by_name=actor.name,
            by_position=actor.position,
            fields=jsonable(values),
            version=self.d.version_id,
        )
        siblings = self.open_tasks_of(task.step_id)
        if decision == "approve":
            if siblings or self.correcting(task.step_id):
                return  # a parallel step waits for every branch (and for the corrections)
            self.leave(step, "approve")
            return
        spec = outcomes.get("return") or {}
        if decision == "return" and spec.get("review_again", "returned") == "returned":
            for other in siblings:  # the others go on reviewing while the applicant corrects
                self.event(
                    "task.kept_open",
                    task=other.id,
                    step=other.step_id,
                    department=other.department,
                    returned_by=task.department,
                )
        else:
            for other in siblings:
                self.set_task(other, "cancelled")
        if decision == "reject":
            self.leave(step, "reject")
            return
        steps = return_steps or (str(spec["to_step"]),)
        days = int(spec.get("response_days", 10))
        due = self.ctx.calendar.add_business_days(self.today, days)
        self.f["status"] = case_state.AWAITING_CORRECTION
        self.f["position"] = steps[0]
        self.f["editable_steps"] = tuple(steps)
        self.f["corrected_steps"] = ()
        self.f["pending_step"] = task.step_id
        timer_id = f"correction:{task.step_id}:{task.round}"
        self.timers[timer_id] = TimerState(
            timer_id,
            "correction_deadline",
            self.ctx.start_of_day_utc(due + timedelta(days=1)),
            str(spec["lapse_to"]),
        )
        self.event(
            "case.returned",
            steps=list(steps),
            reason=reason,
            message=comment,
            respond_by=due.isoformat(),
            task=task.id,
            rejected_documents=rejected_documents or [],
        )
        self.notify(
            "case_returned",
            message=comment,
            reason=reason,
            respond_by=due.isoformat(),
            steps=list(steps),
            rejected_documents=[
                {"name": r["name"], "reason": r["reason"]} for r in rejected_documents or []
            ],
        )

    def open_tasks_of(self, step_id: str) -> list[TaskState]:
        return [t for t in self.tasks.values() if t.step_id == step_id and t.is_open]

    def correcting(self, step_id: str) -> bool:
        """Whether the case waits for corrections a task of this step asked for."""
        return bool(
            self.f["status"] == case_state.AWAITING_CORRECTION and self.f["pending_step"] == step_id
        )

    def reopen_returned(self, step_id: str) -> bool:
        """After a correction, reopen only the tasks of `step_id` that returned the case, each
        for the official who returned it (or the department's queue when they can no longer
        work it), when other branches were kept open. False when the step opens afresh."""
        step = self.d.step_model(step_id)
        if (step.outcomes.get("return") or {}).get("review_again", "returned") != "returned":
            return False
        latest = self.latest_tasks(step_id)
        returned = [t for t in latest if t.status == "returned"]
        if not returned:
            return False
        lookup = self.ctx.officials
        only: dict[str | None, tuple[str, str]] = {}
        for task in returned:
            who = task.decided_by or ""
            back = (
                bool(who)
                and lookup is not None
                and lookup.can_work(who, task.department, task.role)
            )
            only[task.branch_id] = (who, task.decided_by_name) if back else ("", "")
            if back:
                self.event(
                    "task.returned_to_official",
                    task=task.id,
                    step=step_id,
                    department=task.department,
                    to=who,
                    to_name=task.decided_by_name,
                )
            else:
                self.event(
                    "task.returned_to_queue", task=task.id, step=step_id, department=task.department
                )
        self.f["position"] = step_id
        self.event("step.entered", step=step_id, type=step.type)
        review = self.step_type(step)
        if review.open_review(self, step.raw, only):  # type: ignore[attr-defined]
            return True
        # the returned branch no longer applies to the corrected data: the others decide
        if self.open_tasks_of(step_id):
            self.f["status"] = case_state.IN_REVIEW
        else:
            self.leave(step, "approve")
        return True

    def latest_tasks(self, step_id: str) -> list[TaskState]:
        """The step's tasks of its last review, one per branch (the newest round wins)."""
        latest: dict[str | None, TaskState] = {}
        for task in self.tasks.values():
            if task.step_id != step_id:
                continue
            known = latest.get(task.branch_id)
            if known is None or task.round > known.round:
                latest[task.branch_id] = task
        return list(latest.values())

    # -- payments -----------------------------------------------------------------------
    def current_payment(self, reference: str) -> PaymentState | None:
        payment: PaymentState | None = self.f["payment"]
        if payment is None or payment.reference != reference:
            return None
        return payment


# -- command handlers ---------------------------------------------------------------------


def _editable_form_steps(run: _Run) -> tuple[str, ...]:
    f = run.f
    return case_state.editable_form_steps(
        f["status"], f["form_path"], f["editable_steps"], f["position"]
    )


def require_editable(
    definition: ProcedureDefinition, step_id: str, editable: Sequence[str]
) -> None:
    """InvalidCommandError unless `step_id` is a form step among the `editable` ones."""
    if not definition.is_form(step_id):
        raise InvalidCommandError(
            f"«{step_id}» no es un formulario de este trámite.",
            f"'{step_id}' is not a form step of this procedure.",
            step=step_id,
        )
    if step_id not in editable:
        raise InvalidCommandError(
            "Este paso no se puede modificar ahora.",
            "This step cannot be changed now.",
            step=step_id,
        )


def _require_editable(run: _Run, step_id: str) -> None:
    require_editable(run.d, step_id, _editable_form_steps(run))


def _save_draft(run: _Run, cmd: SaveDraft) -> None:
    run.require_open()
    run.require_applicant(cmd.actor)
    _require_editable(run, cmd.step_id)
    errors = check_draft(run.d.step_model(cmd.step_id), cmd.values)
    if errors:
        raise StepValidationError(
            "Revise los datos marcados; el borrador no se guardó.",
            "Please check the highlighted fields; the draft was not saved.",
            errors=errors,
        )
    drafts = dict(run.f["drafts"])
    drafts[cmd.step_id] = dict(cmd.values)
    run.f["drafts"] = drafts
    run.event("step.draft_saved", step=cmd.step_id, fields=sorted(cmd.values))


def _submit_step(run: _Run, cmd: SubmitStep) -> None:
    run.require_open()
    run.require_applicant(cmd.actor)
    _require_editable(run, cmd.step_id)
    step = run.d.step_model(cmd.step_id)
    cleaned, errors = validate_step_data(
        step,
        cmd.values,
        run.eval_data(),
        today=run.today,
        tables=run.d.fee_tables,
        constants=run.d.constants_for(run.today.year),
        catalogs=run.ctx.catalogs,
    )
    field_errors = [e for e in errors if e.code != "eligibility"]
    if field_errors:
        raise StepValidationError(
            "Revise los datos marcados.",
            "Please check the highlighted fields.",
            errors=field_errors,
        )
    if errors:  # the data is well formed but an eligibility rule of the template says no
        raise EligibilityError(errors[0].message_es, errors[0].message_en, rule=errors[0].field)
    data = {k: v for k, v in run.f["data"].items() if run.d.model.step_of(k) != cmd.step_id}
    data.update(cleaned)
    run.reapply_connector_results(data)
    run.f["data"] = data
    drafts = dict(run.f["drafts"])
    drafts.pop(cmd.step_id, None)
    run.f["drafts"] = drafts
    run.event("step.submitted", step=cmd.step_id, values=jsonable(cleaned))
    status = run.f["status"]
    if status == case_state.AWAITING_CORRECTION:
        corrected = set(run.f["corrected_steps"]) | {cmd.step_id}
        run.f["corrected_steps"] = tuple(s for s in run.f["editable_steps"] if s in corrected)
        return
    target = run.next_step(step)
    if status in (case_state.DRAFT, case_state.READY):
        path = list(run.f["form_path"])
        run.f["form_path"] = tuple(path[: path.index(cmd.step_id) + 1])
        if run.d.is_form(target):
            run.f["status"] = case_state.DRAFT
            run.f["pending_step"] = None
            run.enter(target)
        else:
            run.f["status"] = case_state.READY
            run.f["pending_step"] = target
            run.f["position"] = cmd.step_id
        return
    run.enter(target)  # a form step after filing continues straight away


def _submit_case(run: _Run, cmd: SubmitCase) -> None:
    run.require_open()
    run.require_applicant(cmd.actor)
    if not cmd.declaration:
        raise InvalidCommandError(
            "Debe aceptar la declaración para enviar su solicitud.",
            "You must accept the declaration to submit your application.",
            field="declaration",
        )
    status = run.f["status"]
    if status == case_state.READY:
        run.f["submitted_at"] = run.now
        target = str(run.f["pending_step"])
        run.f["pending_step"] = None
        run.event("case.submitted", folio=run.original.folio)
        run.notify("case_submitted")
        run.arm_response_deadline()
        run.enter(target)
        return
    if status == case_state.AWAITING_CORRECTION:
        missing = case_state.steps_to_correct(run.f["editable_steps"], run.f["corrected_steps"])
        if missing:
            raise InvalidCommandError(
                "Corrija todos los pasos señalados antes de reenviar.",
                "Correct every returned step before resubmitting.",
                steps=missing,
            )
        target = str(run.f["pending_step"])
        for timer_id in [t for t, v in run.timers.items() if v.kind == "correction_deadline"]:
            del run.timers[timer_id]
        run.f["editable_steps"] = ()
        run.f["corrected_steps"] = ()
        run.f["pending_step"] = None
        run.event("case.resubmitted", steps=list(run.original.editable_steps))
        run.notify("case_resubmitted")
        if not run.reopen_returned(target):
            run.enter(target)
        return
    raise InvalidCommandError(
        "La solicitud no está lista para enviarse: complete todos los pasos.",
        "The application is not ready to submit: complete every step.",
    )


def _decide(run: _Run, cmd: Decide) -> None:
    task = run.tasks.get(cmd.task_id)
    if task is None:
        raise InvalidCommandError(
            "La tarea no existe en este expediente.", "No such task in this case."
        )
    actor = cmd.actor
    if actor.kind != "system":
        allowed = (
            actor.kind == "official"
            and task.department in actor.departments
            and (task.role in actor.roles or "director" in actor.roles)
        )
        if not allowed:
            raise ForbiddenError(
                "Esta tarea corresponde a otra área o a otro perfil.",
                "This task belongs to another department or role.",
            )
    if not task.is_open:
        if task.status == "cancelled":
            raise ConflictError(
                "Esta tarea ya no está vigente: el expediente cambió (se canceló o se resolvió "
                "en otra área). Recárguelo.",
                "This task is no longer current: the case changed (cancelled or decided by "
                "another department). Reload it.",
                task=task.id,
                status=task.status,
            )
        raise ConflictError(
            "Otra persona ya resolvió esta tarea; recargue el expediente para ver la decisión.",
            "Someone else already decided this task; reload the case to see the decision.",
            task=task.id,
            status=task.status,
        )
    comment = cmd.comment.strip()
    if cmd.decision in ("reject", "return") and not comment:
        raise InvalidCommandError(
            "Escriba el motivo: la persona solicitante lo leerá.",
            "Write the reason: the applicant will read it.",
            field="comment",
        )
    if cmd.decision not in ("approve", "reject", "return"):
        raise InvalidCommandError("Decisión no válida.", "Invalid decision.", field="decision")
    if actor.kind != "system":
        staff.require_not_taken(task, actor)
    rejected = staff.check_reviews(run, cmd.requirement_reviews, cmd.decision)
    return_steps = tuple(cmd.return_steps)
    if cmd.decision == "return" and rejected and not return_steps:
        return_steps = staff.steps_of(rejected, run.f["form_path"])
    values: dict[str, Any] = {}
    if cmd.decision != "return":
        values = step_types.ApprovalStep.decision_values(
            run, run.d.step(task.step_id), cmd.fields, cmd.decision
        )
    run.decide(task, cmd.decision, actor, comment, cmd.reason, return_steps, rejected, values)


def _payment_order_created(run: _Run, cmd: PaymentOrderCreated) -> None:
    run.require_system(cmd.actor)
    payment: PaymentState | None = run.f["payment"]
    if (
        payment is None
        or payment.step_id != cmd.step_id
        or payment.attempt != cmd.attempt
        or payment.status != "requested"
    ):
        return  # a late or repeated answer: nothing to do
    run.f["payment"] = replace(
        payment, status="pending", reference=cmd.reference, expires_on=cmd.expires_on
    )
    run.event(
        "payment.order_created",
        step=cmd.step_id,
        reference=cmd.reference,
        expires_on=cmd.expires_on,
        total_cents=payment.total_cents,
        currency=payment.currency,
    )
    run.notify(
        "payment_due",
        reference=cmd.reference,
        total_cents=payment.total_cents,
        currency=payment.currency,
        expires_on=cmd.expires_on,
    )


def _payment_confirmed(run: _Run, cmd: PaymentConfirmed) -> None:
    run.require_system(cmd.actor)
    if run.f["status"] == case_state.CLOSED:
        return
    payment = run.current_payment(cmd.reference)
    if payment is None or payment.status == "paid":
        return  # duplicate or unknown confirmation: idempotent
    if cmd.amount_cents != payment.total_cents or cmd.currency != payment.currency:
        run.event(
            "payment.refused",
            reference=cmd.reference,
            expected_cents=payment.total_cents,
            expected_currency=payment.currency,
            amount_cents=cmd.amount_cents,
            currency=cmd.currency,
        )
        return
    paid = replace(payment, status="paid")
    run.f["payment"] = None
    run.f["payments"] = (
        *run.f["payments"],
        {
            "step_id": paid.step_id,
            "reference": paid.reference,
            "total_cents": paid.total_cents,
            "currency": paid.currency,
            "lines": list(paid.lines),
            "paid_at": run.now,
            "provider_id": cmd.provider_id,
        },
    )
    run.event(
        "payment.confirmed",
        reference=cmd.reference,
        amount_cents=cmd.amount_cents,
        currency=cmd.currency,
        provider_id=cmd.provider_id,
    )
    run.notify("payment_received", reference=cmd.reference, total_cents=cmd.amount_cents)
    run.leave(run.d.step_model(paid.step_id))


def _payment_failed(run: _Run, cmd: PaymentFailed) -> None:
    run.require_system(cmd.actor)
    payment = run.current_payment(cmd.reference)
    if payment is None or payment.status != "pending":
        return
    run.event("payment.failed", reference=cmd.reference, reason=cmd.reason)
    run.notify("payment_failed", reference=cmd.reference, reason=cmd.reason)


def _payment_expired(run: _Run, cmd: PaymentExpired) -> None:
    run.require_system(cmd.actor)
    payment = run.current_payment(cmd.reference)
    if payment is None or payment.status != "pending":
        return
    run.event("payment.expired", reference=cmd.reference)
    step = run.d.step_model(payment.step_id)
    attempt = run.next_attempt(payment.step_id)
    run.f["payment"] = replace(
        payment, attempt=attempt, status="requested", reference=None, expires_on=None
    )
    step_types.PaymentStep.order(run, step.raw, run.f["payment"])
    run.notify("payment_expired", reference=cmd.reference)


def _document_issued(run: _Run, cmd: DocumentIssued) -> None:
    run.require_system(cmd.actor)
    if (
        run.f["status"] != case_state.AWAITING_DOCUMENT
        or run.f["position"] != cmd.step_id
        or run.f["attempts"].get(cmd.step_id) != cmd.attempt
    ):
        return  # repeated delivery: the document was already recorded
    step = run.d.step_model(cmd.step_id)
    document = {
        "step_id": cmd.step_id,
        "document_id": cmd.document_id,
        "verification_code": cmd.verification_code,
        "kind": step.raw.get("document", {}).get("kind"),
        "issued_at": run.now,
        **cmd.extra,
    }
    run.f["documents"] = (*run.f["documents"], document)
    run.event("document.issued", **document)
    run.notify("document_issued", document_id=cmd.document_id, kind=document["kind"])
    run.leave(step)


def _connector_completed(run: _Run, cmd: ConnectorCompleted) -> None:
    run.require_system(cmd.actor)
    if (
        run.f["status"] != case_state.AWAITING_CONNECTOR
        or run.f["position"] != cmd.step_id
        or run.f["attempts"].get(cmd.step_id) != cmd.attempt
    ):
        return
    step = run.d.step_model(cmd.step_id)
    results = dict(run.f["results"])
    results[cmd.step_id] = dict(cmd.result)
    run.f["results"] = results
    data = dict(run.f["data"])
    mapped = {}
    for source, target in step.result_map.items():
        if source in cmd.result:
            data[target] = cmd.result[source]
            mapped[target] = cmd.result[source]
    run.f["data"] = data
    run.event("connector.completed", step=cmd.step_id, mapped=jsonable(mapped))
    run.leave(step)


def _connector_failed(run: _Run, cmd: ConnectorFailed) -> None:
    run.require_system(cmd.actor)
    if run.f["status"] != case_state.AWAITING_CONNECTOR or run.f["position"] != cmd.step_id:
        return
    run.event("connector.failed", step=cmd.step_id, attempt=cmd.attempt, error=cmd.error[:500])


def _timer_fired(run: _Run, cmd: TimerFired) -> None:
    run.require_system(cmd.actor)
    timer = run.timers.get(cmd.timer_id)
    if timer is None or run.f["status"] == case_state.CLOSED:
        return  # already disarmed or fired: idempotent
    if timer.fires_at > run.now:
        return  # early delivery; the timer stays armed
    del run.timers[cmd.timer_id]
    handler = _TIMER_KINDS.get(timer.kind)
    if handler is not None:
        handler(run, timer, cmd.actor)


def _task_reminder(run: _Run, timer: TimerState, actor: Actor) -> None:
    task = run.tasks[timer.ref]
    run.event("task.reminder_due", task=task.id, due_on=task.due_on)
    run.notify(
        "deadline_reminder",
        to=f"user:{task.assignee}" if task.assignee else f"department:{task.department}",
        task=task.id,
        due_on=task.due_on,
    )


def _task_deadline(run: _Run, timer: TimerState, actor: Actor) -> None:
    task = run.tasks[timer.ref]
    if not task.is_open:
        return
    step = run.d.step_model(task.step_id)
    rule = str(step.raw.get("on_lapse", "escalate"))
    run.event("task.lapsed", task=task.id, due_on=task.due_on, rule=rule)
    run.apply_lapse_rule(task, rule, actor)


def _correction_deadline(run: _Run, timer: TimerState, actor: Actor) -> None:
    if run.f["status"] != case_state.AWAITING_CORRECTION:
        return
    run.event("case.correction_lapsed", respond_by=timer.fires_at)
    for task in run.open_tasks_of(str(run.f["pending_step"])):
        run.set_task(task, "cancelled")
    run.f["editable_steps"] = ()
    run.f["corrected_steps"] = ()
    run.f["pending_step"] = None
    run.enter(timer.ref)


def _response_deadline(run: _Run, timer: TimerState, actor: Actor) -> None:
    """The whole case's maximum response time lapsed: its rule applies to the review tasks
    open now; a case waiting for the applicant (a correction, a payment) only records it."""
    rule = run.response_lapse_rule()
    open_tasks = [t.id for t in run.tasks.values() if t.is_open]
    run.event("case.response_lapsed", due_on=run.f["response_due"], rule=rule, tasks=open_tasks)
    for task_id in open_tasks:
        task = run.tasks[task_id]
        if task.is_open and run.f["status"] != case_state.CLOSED:
            run.apply_lapse_rule(task, rule, actor)


def _step_deadline(run: _Run, timer: TimerState, actor: Actor) -> None:
    """The applicant did not finish a form (after filing) or a payment in time: the case
    goes to the step's `lapse_to` end."""
    step = run.d.step_model(timer.ref)
    waiting = (case_state.AWAITING_APPLICANT, case_state.AWAITING_PAYMENT)
    if run.f["position"] != step.id or run.f["status"] not in waiting:
        return
    target = str(step.raw["lapse_to"])
    run.event("step.lapsed", step=step.id, to=target)
    run.f["payment"] = None  # a late payment of this order is no longer taken
    run.enter(target)


_TIMER_KINDS: dict[str, Any] = {
    "task_reminder": _task_reminder,
    "task_deadline": _task_deadline,
    "correction_deadline": _correction_deadline,
    "response_deadline": _response_deadline,
    "step_deadline": _step_deadline,
}


def _cancel(run: _Run, cmd: CancelCase) -> None:
    run.require_open()
    if cmd.actor.kind not in ("system", "admin"):
        run.require_applicant(cmd.actor)
    run.event("case.cancelled", reason=cmd.reason, by=cmd.actor.id)
    run.close("cancelled", None)


def _start(run: _Run, cmd: StartCase) -> None:
    raise InvalidCommandError("El expediente ya existe.", "The case already exists.")


_HANDLERS: dict[type[Command], Any] = {
    StartCase: _start,
    SaveDraft: _save_draft,
    SubmitStep: _submit_step,
    SubmitCase: _submit_case,
    Decide: _decide,
    PaymentOrderCreated: _payment_order_created,
    PaymentConfirmed: _payment_confirmed,
    PaymentFailed: _payment_failed,
    PaymentExpired: _payment_expired,
    DocumentIssued: _document_issued,
    ConnectorCompleted: _connector_completed,
    ConnectorFailed: _connector_failed,
    TimerFired: _timer_fired,
    CancelCase: _cancel,
    ClaimTask: staff.claim,
    ReleaseTask: staff.release,
    AssignTask: staff.assign,
    AddNote: staff.add_note,
    SendMessage: messages.send_message,
}
