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
from decimal import Decimal
from typing import Any, NoReturn

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
from workflow_engine.engine.errors import EligibilityError, EngineError, StepValidationError
from workflow_engine.templates import step_types
from workflow_engine.templates.field_types import REGISTRY, field_type
from workflow_engine.templates.step_types.base import StepType
from workflow_engine.templates.validation import (
    Problem,
    _quote_list,
    _quote_list_en,
    errors,
    validate_template,
)

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
    """Values per form step (and per review step's decision fields): the template's
    `example_data` where it has them, else samples."""
    example = _mapping(definition.example_data())
    out: dict[str, dict[str, Any]] = {}
    for step_id, step in definition.steps.items():
        if step.get("type") not in ("form", "approval"):
            continue
        given = example.get(step_id)
        if isinstance(given, Mapping) and step["type"] == "form":
            out[step_id] = dict(given)
            continue
        out[step_id] = {
            f["id"]: value
            for f in step.get("fields") or []
            if not f.get("readonly") and (value := _sample_or_none(f)) is not None
        }
        if isinstance(given, Mapping):  # a review: samples for what approving does not ask
            out[step_id].update(given)
    return out


def _sample_or_none(fld: Mapping[str, Any]) -> Any:
    """`sample_value`, or None for a field of a draft too broken to give one."""
    try:
        return sample_value(fld)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        return None


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
    problems: Sequence[Problem] | None = None,
    pay: bool = True,
) -> Simulation:
    """Walk one case of `doc` in memory: submit `data` per form step, file it, decide each
    task with the next of `decisions`, pay what is due (or, `pay=False`, stop where the
    applicant would have to pay), issue documents, answer connectors.

    `doc` may be a draft with errors (`problems`, the validator's by default): the walk goes
    as far as the template lets it and raises `SimulationError` naming the problem that
    stops it; steps with errors it went through are listed in the notes."""
    if problems is None:
        problems = validate_template(doc)
    walk = _Walk(doc, data, decisions, at, ctx, lookup, errors(problems))
    walk.paying = pay
    walk.run()
    return walk.sim


class _Walk:
    """One dry run: the engine's state, what it has found, and what answers come next."""

    def __init__(
        self,
        doc: Mapping[str, Any],
        data: Mapping[str, Mapping[str, Any]] | None,
        decisions: Sequence[str],
        at: datetime,
        ctx: EngineContext | None,
        lookup: Lookup | None,
        problems: Sequence[Problem],
    ) -> None:
        self.doc: Mapping[str, Any] = doc if isinstance(doc, Mapping) else {}
        self.definition = ProcedureDefinition(readable(doc))
        self.values = sample_data(self.definition)
        self.values.update({k: dict(v) for k, v in (data or {}).items()})
        self.pending = list(decisions)
        self.at = at
        self.ctx = ctx
        self.lookup = lookup
        self.problems = problems
        self.sim = Simulation()
        self.state: CaseState | None = None
        self.paying = True

    def run(self) -> None:
        self.start()
        steps: dict[str, Callable[[CaseState], bool]] = {
            case_state.DRAFT: self.fill,
            case_state.AWAITING_APPLICANT: self.fill,
            case_state.READY: self.file,
            case_state.AWAITING_CORRECTION: self.correct,
            case_state.IN_REVIEW: self.decide,
            case_state.AWAITING_PAYMENT: self.pay,
            case_state.AWAITING_DOCUMENT: self.issue,
            case_state.AWAITING_CONNECTOR: self.answer,
        }
        for _ in range(MAX_COMMANDS):
            state = self.current
            step = steps.get(state.status)
            if step is None or not step(state):
                break
        self.finish()

    @property
    def current(self) -> CaseState:
        assert self.state is not None
        return self.state

    def start(self) -> None:
        start = self.doc.get("start")
        if not (isinstance(start, str) and self.definition.is_form(start)):
            if any(p.path == "$.start" for p in self.problems):
                self.stop(None, None)
            raise SimulationError(
                f"La simulación no puede empezar: el paso inicial «{start}» no es un paso de "
                "formulario de la plantilla. Indique en «start» el id de un formulario.",
                f"The simulation cannot start: the start step “{start}” is not a form step "
                "of the template. Set “start” to the id of a form.",
                self.sim,
            )
        command = StartCase(at=self.at, actor=APPLICANT)
        try:
            started = start_case(
                self.definition, case_id="preview", folio=PREVIEW_FOLIO, command=command
            )
        except Exception as exc:  # a draft's error: said, never a traceback
            self.stop(None, exc)
        self.state = _record(self.sim, started, self.definition)

    def finish(self) -> None:
        state = self.current
        self.sim.state = state
        self.sim.status = state.status
        self.sim.outcome = state.outcome
        crossed = [
            sid
            for sid in dict.fromkeys(self.sim.path)
            if _step_problems(self.doc, sid, self.problems)
        ]
        if crossed:
            shown_es, shown_en = _quote_list(crossed), _quote_list_en(crossed)
            self.sim.notes.append(
                (
                    f"La plantilla tiene errores en pasos recorridos ({shown_es}); el "
                    "resultado puede no ser el del trámite publicado.",
                    f"The template has errors in steps the path went through ({shown_en}); "
                    "the result may differ from the published procedure's.",
                )
            )

    def stop(self, state: CaseState | None, exc: Exception | None) -> NoReturn:
        """Raise the `SimulationError` that says why the walk cannot go on from `state`."""
        if state is not None:
            self.sim.state = state
            self.sim.status = state.status
        where = self.sim.path[-1] if self.sim.path else None
        # the data a form was given: only an error of that step can be the cause
        data = isinstance(exc, StepValidationError | EligibilityError)
        problem = _blocking(self.doc, self.problems, where, near=not data)
        at_es = f" en el paso «{where}»" if where else ""
        at_en = f" at step “{where}”" if where else ""
        if isinstance(exc, EngineError) and problem is None:
            raise SimulationError(exc.message_es, exc.message_en, self.sim) from exc
        if problem is None:
            raise SimulationError(
                f"La simulación se detiene{at_es}: la plantilla no se puede aplicar ahí.",
                f"The simulation stops{at_en}: the template cannot be applied there.",
                self.sim,
            ) from exc
        place = problem.element or problem.path
        raise SimulationError(
            f"La simulación se detiene{at_es}: la plantilla tiene un error en {place}: "
            f"{problem.message_es}",
            f"The simulation stops{at_en}: the template has an error at {place}: "
            f"{problem.message_en}",
            self.sim,
        ) from exc

    def apply(self, command: Command) -> bool:
        state = self.current
        try:
            result = apply_command(self.definition, state, command, self.ctx)
        except Exception as exc:  # a draft's error: said, never a traceback
            self.stop(state, exc)
        self.state = _record(self.sim, result, self.definition)
        return True

    def submit(self, step_id: str) -> bool:
        values = self.values.get(step_id, {})
        return self.apply(SubmitStep(at=self.at, actor=APPLICANT, step_id=step_id, values=values))

    def fill(self, state: CaseState) -> bool:
        return self.submit(state.position)

    def file(self, state: CaseState) -> bool:
        return self.apply(SubmitCase(at=self.at, actor=APPLICANT, declaration=True))

    def correct(self, state: CaseState) -> bool:
        todo = [s for s in state.editable_steps if s not in state.corrected_steps]
        return self.submit(todo[0]) if todo else self.file(state)

    def decide(self, state: CaseState) -> bool:
        task = state.open_tasks()[0]
        if not self.pending:
            self.sim.notes.append(
                (
                    f"Falta una decisión para la tarea «{task.id}»; la simulación se detiene.",
                    f"No decision left for task '{task.id}'; the simulation stops.",
                )
            )
            return False
        decision = self.pending.pop(0)
        self.sim.tasks = [
            SimulatedTask(t.task_id, t.step_id, t.department, t.role, t.due_on, decision)
            if t.task_id == task.id and t.decision is None
            else t
            for t in self.sim.tasks
        ]
        official = Actor(
            id=f"preview-{task.department}",
            kind="official",
            departments=frozenset([task.department]),
            roles=frozenset([task.role]),
            name="Revisión (vista previa)",
        )
        return self.apply(
            Decide(
                at=self.at,
                actor=official,
                task_id=task.id,
                decision=decision,  # type: ignore[arg-type]  # checked by parse_decisions
                comment="Decisión simulada en la vista previa.",
                reason="incomplete" if decision == "return" else None,
                fields=self.values.get(task.step_id, {}) if decision != "return" else {},
            )
        )

    def pay(self, state: CaseState) -> bool:
        payment = state.payment
        if payment is None:
            return False
        if not self.paying and payment.reference is not None:
            self.sim.notes.append(
                (
                    "El pago queda pendiente: la persona solicitante no paga y el trámite "
                    "espera su pago.",
                    "The payment stays pending: the applicant does not pay and the procedure "
                    "waits for the payment.",
                )
            )
            return False
        if payment.reference is None:
            return self.apply(
                PaymentOrderCreated(
                    at=self.at,
                    actor=Actor.system(),
                    step_id=payment.step_id,
                    attempt=payment.attempt,
                    reference=PREVIEW_REFERENCE,
                )
            )
        return self.apply(
            PaymentConfirmed(
                at=self.at,
                actor=Actor.system(),
                reference=payment.reference,
                amount_cents=payment.total_cents,
                currency=payment.currency,
                provider_id="vista-previa",
            )
        )

    def issue(self, state: CaseState) -> bool:
        step_id = state.position
        spec = self.definition.step(step_id).get("document") or {}
        kind = str(spec.get("kind") or "documento")
        self.sim.documents.append(SimulatedDocument(step_id, kind, state))
        return self.apply(
            DocumentIssued(
                at=self.at,
                actor=Actor.system(),
                step_id=step_id,
                attempt=int(state.attempts.get(step_id, 1)),
                document_id=f"vista-previa-{step_id}",
            )
        )

    def answer(self, state: CaseState) -> bool:
        step_id = state.position
        name = str(self.definition.step(step_id).get("connector"))
        asked = self.sim.lookups.get(step_id, {})
        answer = self.lookup(name, dict(asked.get("input") or {})) if self.lookup else None
        asked["answered"] = answer is not None
        if answer is None:
            self.sim.notes.append(
                (
                    f"La consulta «{name}» del paso «{step_id}» se omitió: no hay un doble "
                    "de prueba para ella; los datos que traería quedan vacíos.",
                    f"Lookup '{name}' of step '{step_id}' was skipped: no test double "
                    "answers it; the data it would bring stays empty.",
                )
            )
            answer = {}
        return self.apply(
            ConnectorCompleted(
                at=self.at,
                actor=Actor.system(),
                step_id=step_id,
                attempt=int(state.attempts.get(step_id, 1)),
                result=dict(answer),
            )
        )


# -- drafts with errors -----------------------------------------------------------------------


def readable(doc: Any) -> dict[str, Any]:
    """A copy of a draft that `ProcedureDefinition` can read whatever its errors: parts it
    could not read are left out (a step without id, a field without id, a constant that is
    not a number...), a missing key is «borrador» and a start that is not a form step is
    the first form step. A sound template comes back equal."""
    out = dict(doc) if isinstance(doc, Mapping) else {}
    if not isinstance(out.get("key"), str):
        out["key"] = "borrador"
    steps: list[dict[str, Any]] = []
    given = out.get("steps")
    for step in given if isinstance(given, list) else ():
        if not (_has_id(step) and isinstance(step.get("type"), str)):
            continue
        if all(s["id"] != step["id"] for s in steps):
            steps.append(_readable_step(step))
    out["steps"] = steps
    forms = [s["id"] for s in steps if s["type"] == "form"]
    if out.get("start") not in forms:
        out["start"] = forms[0] if forms else ""
    if not isinstance(out.get("title"), Mapping):
        out.pop("title", None)
    out["constants"] = {
        name: value
        for name, value in _mapping(out.get("constants")).items()
        if _readable_constant(value)
    }
    out["fee_tables"] = {k: v for k, v in _mapping(out.get("fee_tables")).items() if _mapping(v)}
    return out


def _has_id(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("id"), str)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _readable_step(step: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(step)
    if "fields" in out:
        fields = out["fields"] if isinstance(out["fields"], list) else []
        out["fields"] = [f for f in fields if _has_id(f) and isinstance(f.get("type"), str)]
    if "transitions" in out:
        transitions = out["transitions"] if isinstance(out["transitions"], list) else []
        out["transitions"] = [
            t for t in transitions if isinstance(t, Mapping) and isinstance(t.get("to"), str)
        ]
    return out


def _readable_constant(value: Any) -> bool:
    try:
        if isinstance(value, Mapping):
            return all(int(year) and Decimal(str(v)) for year, v in value["by_year"].items())
        Decimal(str(value))
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
        return False
    return not isinstance(value, bool)


def _step_index(doc: Mapping[str, Any], step_id: str) -> int | None:
    steps = doc.get("steps")
    for i, step in enumerate(steps if isinstance(steps, list) else ()):
        if isinstance(step, Mapping) and step.get("id") == step_id:
            return i
    return None


def _step_problems(
    doc: Mapping[str, Any], step_id: str, problems: Sequence[Problem], *, own: bool = False
) -> list[Problem]:
    """The errors of one step (with `own`, only those of the step itself and its fields:
    what rendering its form needs)."""
    i = _step_index(doc, step_id)
    if i is None:
        return []
    base = f"$.steps[{i}]"
    if own:
        heads = (base, f"{base}.id", f"{base}.type", f"{base}.fields")
        return [p for p in problems if p.path in heads[:3] or p.path.startswith(heads[3])]
    return [p for p in problems if p.path == base or p.path.startswith((f"{base}.", f"{base}["))]


def form_step_problems(
    doc: Mapping[str, Any], step_id: str, problems: Sequence[Problem] | None = None
) -> list[Problem]:
    """The errors that keep a form step of a draft from rendering: its own and its fields'
    (the rest of the draft may have any)."""
    found = errors(validate_template(doc) if problems is None else problems)
    return _step_problems(doc, step_id, found, own=True)


def _blocking(
    doc: Mapping[str, Any], problems: Sequence[Problem], step_id: str | None, *, near: bool
) -> Problem | None:
    """The error most likely to stop a walk at `step_id`: one of that step, else (`near`)
    one of a step it leads to, else one of the template outside its steps."""
    if step_id is not None:
        found = _step_problems(doc, step_id, problems)
        if found or not near:
            return found[0] if found else None
        i = _step_index(doc, step_id)
        step = doc["steps"][i] if i is not None else {}
        for target in _targets(step):
            found = _step_problems(doc, target, problems)
            if found:
                return found[0]
    outside = [p for p in problems if not p.path.startswith("$.steps")]
    outside.sort(key=lambda p: p.path != "$.start")  # where a walk begins, first
    return outside[0] if outside else None


def _targets(step: Mapping[str, Any]) -> list[str]:
    kind = step_types.get(str(step.get("type"))) or StepType
    return kind.targets(step)


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
