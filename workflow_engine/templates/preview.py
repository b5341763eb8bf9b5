"""Dry run of a template without a case: a liaison sees the path, fees, tasks, documents and
notices a set of answers and decisions would produce, and nothing is stored.

Pure: the engine's own `start_case`/`apply_command` on an in-memory state, with the clock
given by the caller. Connector lookups are answered by a function the caller passes (the
demo doubles) or skipped with a note; documents are only requested here and rendered by
`connectors.documents.preview`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow_engine.engine import (
    Actor,
    CaseState,
    Command,
    ConnectorCompleted,
    Decide,
    DocumentIssued,
    EngineContext,
    PaymentConfirmed,
    PaymentOrderCreated,
    ProcedureDefinition,
    StartCase,
    SubmitCase,
    SubmitStep,
    TransitionResult,
    apply_command,
    start_case,
)
from workflow_engine.engine import state as case_state
from workflow_engine.engine.errors import EngineError
from workflow_engine.templates.field_types import REGISTRY, field_type

PREVIEW_FOLIO = "VISTA-PREVIA"
PREVIEW_REFERENCE = "VISTA-PREVIA-PAGO"
DECISIONS = ("approve", "reject", "return")
MAX_COMMANDS = 200
APPLICANT = Actor(id="preview-applicant", kind="citizen", name="Persona solicitante (vista previa)")

# (connector name, input) -> the lookup's result, or None when nobody can answer it.
Lookup = Callable[[str, Mapping[str, Any]], Mapping[str, Any] | None]


# A sample value per field type; the types without one here answer from the field-type
# registry (``FieldType.sample_for``).
_SAMPLES: dict[str, Any] = {
    "text": "Texto de ejemplo",
    "textarea": "Texto de ejemplo.",
    "number": 1,
    "money": "100.00",
    "date": "2026-01-15",
    "yesno": True,
    "email": "persona@ejemplo.mx",
    "phone": "222 123 4567",
    "curp": "HELG850312MPLRPD05",
    "rfc": "CEC150610K90",
    "cedula_pa": "8-123-456",
    "ruc_pa": "155596713-2-2015",
}


_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sample_value(fld: Mapping[str, Any]) -> Any:
    """A plausible value for one field, so a step can be previewed before any example exists."""
    kind = str(fld.get("type"))
    options = fld.get("options") or []
    if kind in ("select", "radio"):
        return str(options[0]["value"]) if options else ""
    if kind == "checkboxes":
        return [str(options[0]["value"])] if options else []
    if kind == "address":
        return {
            "street": "Calle Reforma",
            "number": "100",
            "neighbourhood": "Centro",
            "postcode": "72000",
            "municipality": "Chocotlán",
        }
    if kind == "group":
        return [{sub["id"]: sample_value(sub) for sub in fld.get("fields") or []}]
    if kind == "file":
        accept = [str(a) for a in fld.get("accept") or () if "/" in str(a) and "*" not in str(a)]
        ctype = accept[0] if accept else "application/pdf"
        return [
            {
                "id": f"f-{str(fld.get('id', 'archivo'))[:12]}",
                "name": "ejemplo." + _EXTENSIONS.get(ctype, "pdf"),
                "sha256": "0" * 64,
                "size": 1024,
                "content_type": ctype,
            }
        ]
    if kind in ("text", "textarea") and fld.get("pattern"):
        return _patterned(fld)
    if kind == "number":
        low = fld.get("min")
        return low if isinstance(low, int | float) and not isinstance(low, bool) else 1
    if kind in _SAMPLES:
        return _SAMPLES[kind]
    registered = field_type(kind).sample_for(fld) if kind in REGISTRY else None
    return "Ejemplo" if registered is None else registered


def _patterned(fld: Mapping[str, Any]) -> str:
    """A value that fits the field's pattern, taken from its help («por ejemplo 017-024-003»);
    empty when the help has none (a generic sample would only show an error)."""
    try:
        pattern = re.compile(str(fld["pattern"]))
    except re.error:
        return ""
    for text in (fld.get("help") or {}, fld.get("placeholder") or {}):
        words = text.values() if isinstance(text, Mapping) else [str(text)]
        found: list[str] = re.findall(r"[\w./-]+", " ".join(str(w) for w in words))
        for word in found:
            for candidate in (word, word.rstrip(".")):
                if pattern.fullmatch(candidate):
                    return candidate
    return ""


def sample_data(definition: ProcedureDefinition) -> dict[str, dict[str, Any]]:
    """Values per form step: the template's `example_data` where it has them, else samples."""
    example = definition.example_data()
    out: dict[str, dict[str, Any]] = {}
    for step_id, step in definition.steps.items():
        if step.get("type") != "form":
            continue
        if step_id in example:
            out[step_id] = dict(example[step_id])
        else:
            out[step_id] = {
                f["id"]: sample_value(f) for f in step.get("fields") or [] if not f.get("readonly")
            }
    return out


@dataclass(frozen=True)
class SimulatedFee:
    step_id: str
    lines: tuple[Mapping[str, Any], ...]  # {"id", "label": {es, en}, "amount_cents"}
    total_cents: int
    currency: str
    waived: bool = False


@dataclass(frozen=True)
class SimulatedTask:
    task_id: str
    step_id: str
    department: str
    role: str
    due_on: str | None
    decision: str | None = None


@dataclass(frozen=True)
class SimulatedDocument:
    """A document the path issues; `state` is the case as the issuer would read it."""

    step_id: str
    kind: str
    state: CaseState


@dataclass(frozen=True)
class SimulatedNotice:
    template: str
    to: str
    step: str | None = None


@dataclass
class Simulation:
    """What a dry run found, in the order things happened."""

    path: list[str] = field(default_factory=list)
    outcome: str | None = None
    status: str = case_state.DRAFT
    fees: list[SimulatedFee] = field(default_factory=list)
    tasks: list[SimulatedTask] = field(default_factory=list)
    documents: list[SimulatedDocument] = field(default_factory=list)
    notifications: list[SimulatedNotice] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (es, en)
    # connector step -> the input the engine sent, and whether a double answered it
    lookups: dict[str, dict[str, Any]] = field(default_factory=dict)
    state: CaseState | None = None

    @property
    def total_cents(self) -> int:
        return sum(fee.total_cents for fee in self.fees if not fee.waived)


class SimulationError(Exception):
    """The path cannot go on: the engine refused a command (bad data, a rule that fails)."""

    def __init__(self, message_es: str, message_en: str, simulation: Simulation) -> None:
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en
        self.simulation = simulation


def parse_decisions(text: str) -> list[str]:
    """`approve,reject` -> ["approve", "reject"]; ValueError names the word not understood."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    for word in words:
        if word not in DECISIONS:
            raise ValueError(word)
    return words


def simulate(
    doc: Mapping[str, Any],
    data: Mapping[str, Mapping[str, Any]] | None,
    decisions: Sequence[str],
    *,
    at: datetime,
    ctx: EngineContext | None = None,
    lookup: Lookup | None = None,
) -> Simulation:
    """Walk one case of `doc` in memory: submit `data` per form step, file it, decide each
    task with the next of `decisions`, pay what is due, issue documents, answer connectors."""
    definition = ProcedureDefinition(doc)
    values = sample_data(definition)
    values.update({k: dict(v) for k, v in (data or {}).items()})
    sim = Simulation()
    pending = list(decisions)
    started = start_case(
        definition,
        case_id="preview",
        folio=PREVIEW_FOLIO,
        command=StartCase(at=at, actor=APPLICANT),
    )
    state = _record(sim, started, definition)

    def run(command: Command) -> CaseState:
        try:
            result = apply_command(definition, state, command, ctx)
        except EngineError as exc:
            sim.state = state
            sim.status = state.status
            raise SimulationError(exc.message_es, exc.message_en, sim) from exc
        return _record(sim, result, definition)

    for _ in range(MAX_COMMANDS):
        status = state.status
        if status == case_state.CLOSED:
            break
        if status in (case_state.DRAFT, case_state.AWAITING_APPLICANT):
            step_id = state.position
            state = run(
                SubmitStep(at=at, actor=APPLICANT, step_id=step_id, values=values.get(step_id, {}))
            )
        elif status == case_state.READY:
            state = run(SubmitCase(at=at, actor=APPLICANT, declaration=True))
        elif status == case_state.AWAITING_CORRECTION:
            todo = [s for s in state.editable_steps if s not in state.corrected_steps]
            if todo:
                state = run(
                    SubmitStep(
                        at=at, actor=APPLICANT, step_id=todo[0], values=values.get(todo[0], {})
                    )
                )
            else:
                state = run(SubmitCase(at=at, actor=APPLICANT, declaration=True))
        elif status == case_state.IN_REVIEW:
            task = state.open_tasks()[0]
            if not pending:
                sim.notes.append(
                    (
                        f"Falta una decisión para la tarea «{task.id}»; la simulación se detiene.",
                        f"No decision left for task '{task.id}'; the simulation stops.",
                    )
                )
                break
            decision = pending.pop(0)
            sim.tasks = [
                SimulatedTask(t.task_id, t.step_id, t.department, t.role, t.due_on, decision)
                if t.task_id == task.id and t.decision is None
                else t
                for t in sim.tasks
            ]
            official = Actor(
                id=f"preview-{task.department}",
                kind="official",
                departments=frozenset([task.department]),
                roles=frozenset([task.role]),
                name="Revisión (vista previa)",
            )
            state = run(
                Decide(
                    at=at,
                    actor=official,
                    task_id=task.id,
                    decision=decision,  # type: ignore[arg-type]  # checked by parse_decisions
                    comment="Decisión simulada en la vista previa.",
                    reason="incomplete" if decision == "return" else None,
                )
            )
        elif status == case_state.AWAITING_PAYMENT and state.payment is not None:
            payment = state.payment
            if payment.reference is None:
                state = run(
                    PaymentOrderCreated(
                        at=at,
                        actor=Actor.system(),
                        step_id=payment.step_id,
                        attempt=payment.attempt,
                        reference=PREVIEW_REFERENCE,
                    )
                )
            else:
                state = run(
                    PaymentConfirmed(
                        at=at,
                        actor=Actor.system(),
                        reference=payment.reference,
                        amount_cents=payment.total_cents,
                        currency=payment.currency,
                        provider_id="vista-previa",
                    )
                )
        elif status == case_state.AWAITING_DOCUMENT:
            step_id = state.position
            spec = definition.step(step_id).get("document") or {}
            sim.documents.append(
                SimulatedDocument(step_id, str(spec.get("kind") or "documento"), state)
            )
            state = run(
                DocumentIssued(
                    at=at,
                    actor=Actor.system(),
                    step_id=step_id,
                    attempt=int(state.attempts.get(step_id, 1)),
                    document_id=f"vista-previa-{step_id}",
                )
            )
        elif status == case_state.AWAITING_CONNECTOR:
            step_id = state.position
            step = definition.step(step_id)
            name = str(step["connector"])
            asked = sim.lookups.get(step_id, {})
            answer = lookup(name, dict(asked.get("input") or {})) if lookup else None
            asked["answered"] = answer is not None
            if answer is None:
                sim.notes.append(
                    (
                        f"La consulta «{name}» del paso «{step_id}» se omitió: no hay un doble "
                        "de prueba para ella; los datos que traería quedan vacíos.",
                        f"Lookup '{name}' of step '{step_id}' was skipped: no test double "
                        "answers it; the data it would bring stays empty.",
                    )
                )
                answer = {}
            state = run(
                ConnectorCompleted(
                    at=at,
                    actor=Actor.system(),
                    step_id=step_id,
                    attempt=int(state.attempts.get(step_id, 1)),
                    result=dict(answer),
                )
            )
        else:
            break
    sim.state = state
    sim.status = state.status
    sim.outcome = state.outcome
    return sim


def _record(
    sim: Simulation, result: TransitionResult, definition: ProcedureDefinition
) -> CaseState:
    """Fold one transition's events and effects into the simulation; the new state."""
    for event in result.events:
        data = event.data
        if event.type == "case.started" or (
            event.type == "step.entered" and (not sim.path or sim.path[-1] != data["step"])
        ):
            sim.path.append(str(data["step"]))
        elif event.type == "task.opened":
            sim.tasks.append(
                SimulatedTask(
                    str(data["task"]),
                    str(data["step"]),
                    str(data["department"]),
                    str(data["role"]),
                    data.get("due_on"),
                )
            )
        elif event.type in ("payment.order_requested", "payment.waived"):
            step = definition.step(str(data["step"]))
            sim.fees.append(
                SimulatedFee(
                    str(data["step"]),
                    tuple(dict(line) for line in data.get("lines") or ()),
                    int(data["total_cents"]),
                    str(data.get("currency") or step.get("currency", "MXN")),
                    waived=event.type == "payment.waived",
                )
            )
    for effect in result.effects:
        if effect.kind == "notify":
            payload = effect.payload
            sim.notifications.append(
                SimulatedNotice(
                    str(payload.get("template")),
                    str(payload.get("to", "applicant")),
                    payload.get("step"),
                )
            )
        elif effect.kind == "connector.call":
            sim.lookups[str(effect.payload["step_id"])] = {
                "connector": str(effect.payload.get("connector")),
                "input": dict(effect.payload.get("input") or {}),
                "answered": False,
            }
    return result.state
