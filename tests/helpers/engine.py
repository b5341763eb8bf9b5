"""A small procedure and helpers for driving the pure engine in unit tests."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from workflow_engine.engine import (
    Actor,
    CaseState,
    Decide,
    DocumentIssued,
    EngineContext,
    PaymentConfirmed,
    PaymentOrderCreated,
    ProcedureDefinition,
    StartCase,
    SubmitCase,
    SubmitStep,
    TimerFired,
    TransitionResult,
    apply_command,
    start_case,
)
from workflow_engine.engine.commands import Command

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday, 09:00 in Mexico City
CITIZEN = Actor(id="7", kind="citizen", name="María")
OTHER_CITIZEN = Actor(id="8", kind="citizen", name="Pedro")
SYSTEM = Actor.system()
REVIEWER = Actor(
    id="20",
    kind="official",
    departments=frozenset({"desarrollo-economico"}),
    roles=frozenset({"revisor"}),
    name="Revisora",
)
INSPECTOR = Actor(
    id="21",
    kind="official",
    departments=frozenset({"proteccion-civil"}),
    roles=frozenset({"inspector"}),
    name="Inspector",
)
STRANGER = Actor(
    id="22",
    kind="official",
    departments=frozenset({"movilidad"}),
    roles=frozenset({"revisor"}),
    name="Otro",
)

MINI: dict[str, Any] = {
    "format_version": 1,
    "key": "mini",
    "title": {"es": "Trámite mínimo"},
    "summary": {"es": "Un trámite pequeño para pruebas."},
    "department": "desarrollo-economico",
    "catalog": {
        "homoclave": "CHO-DE-999",
        "modality": {"es": "Solicitud"},
        "who_may_apply": {"es": "Cualquier persona"},
        "requirements": [],
        "max_response_days": 5,
        "ficta": "afirmativa",
    },
    "constants": {"uma": "117.31"},
    "fee_tables": {"giro": {"tienda": "500.00", "fonda": "800.00"}},
    "start": "datos",
    "steps": [
        {
            "id": "datos",
            "type": "form",
            "title": {"es": "Datos"},
            "fields": [
                {"id": "nombre", "type": "text", "label": {"es": "Nombre"}, "required": True},
                {"id": "edad", "type": "number", "label": {"es": "Edad"}, "required": True},
                {
                    "id": "giro",
                    "type": "select",
                    "label": {"es": "Giro"},
                    "required": True,
                    "options": [
                        {"value": "tienda", "label": {"es": "Tienda"}},
                        {"value": "fonda", "label": {"es": "Fonda"}},
                    ],
                },
                {"id": "superficie", "type": "number", "label": {"es": "m²"}, "required": True},
            ],
            "eligibility": [
                {
                    "id": "mayor",
                    "rule": {">=": [{"var": "edad"}, 18]},
                    "message": {"es": "Debe ser mayor de edad.", "en": "Must be an adult."},
                }
            ],
            "transitions": [
                {"id": "grande", "to": "conjunta", "when": {">": [{"var": "superficie"}, 100]}},
                {"id": "normal", "to": "revision"},
            ],
        },
        {
            "id": "revision",
            "type": "approval",
            "title": {"es": "Revisión"},
            "department": "desarrollo-economico",
            "role": "revisor",
            "deadline_days": 5,
            "reminder_days_before": 2,
            "on_lapse": "afirmativa_ficta",
            "outcomes": {
                "approve": {"to": "pago"},
                "reject": {"to": "rechazada"},
                "return": {"to_step": "datos", "response_days": 10, "lapse_to": "desechada"},
            },
        },
        {
            "id": "conjunta",
            "type": "parallel",
            "title": {"es": "Revisión conjunta"},
            "branches": [
                {"id": "de", "department": "desarrollo-economico", "role": "revisor"},
                {"id": "pc", "department": "proteccion-civil", "role": "inspector"},
            ],
            "deadline_days": 10,
            "on_lapse": "negativa_ficta",
            "outcomes": {
                "approve": {"to": "pago"},
                "reject": {"to": "rechazada"},
                "return": {"to_step": "datos", "response_days": 10, "lapse_to": "desechada"},
            },
        },
        {
            "id": "pago",
            "type": "payment",
            "title": {"es": "Pago"},
            "concept": {"es": "Derechos"},
            "currency": "MXN",
            "fee_lines": [
                {
                    "id": "base",
                    "label": {"es": "Derecho"},
                    "amount": {"table": ["giro", {"var": "giro"}]},
                },
                {
                    "id": "m2",
                    "label": {"es": "Por m²"},
                    "amount": {"*": [{"var": "superficie"}, "1.15"]},
                },
            ],
            "transitions": [{"id": "t", "to": "emision"}],
        },
        {
            "id": "emision",
            "type": "document",
            "title": {"es": "Licencia"},
            "document": {"kind": "licencia", "title": {"es": "Licencia"}, "body": {"es": "x"}},
            "transitions": [{"id": "t", "to": "aviso"}],
        },
        {
            "id": "aviso",
            "type": "notify",
            "title": {"es": "Aviso"},
            "to": "applicant",
            "subject": {"es": "Listo"},
            "message": {"es": "Su licencia está lista."},
            "transitions": [{"id": "t", "to": "aprobada"}],
        },
        {"id": "aprobada", "type": "end", "title": {"es": "Aprobada"}, "outcome": "approved"},
        {"id": "rechazada", "type": "end", "title": {"es": "Rechazada"}, "outcome": "rejected"},
        {"id": "desechada", "type": "end", "title": {"es": "Desechada"}, "outcome": "cancelled"},
    ],
    "example_data": {
        "datos": {"nombre": "María López", "edad": 34, "giro": "tienda", "superficie": 80}
    },
}


def mini(**changes: Any) -> ProcedureDefinition:
    doc = copy.deepcopy(MINI)
    doc.update(changes)
    return ProcedureDefinition(doc)


CTX = EngineContext()


class Driver:
    """Applies commands to one in-memory case and keeps everything that happened."""

    def __init__(self, definition: ProcedureDefinition, applicant: Actor = CITIZEN) -> None:
        self.d = definition
        self.now = T0
        result = start_case(
            definition,
            case_id="1",
            folio="CHO-2026-TEST0X",
            command=StartCase(at=self.now, actor=applicant),
        )
        self.state: CaseState = result.state
        self.events = list(result.events)
        self.effects: list[Any] = []
        self.ctx = CTX

    def tick(self, **delta: float) -> datetime:
        self.now += timedelta(**delta) if delta else timedelta(seconds=1)
        return self.now

    def apply(self, make: Any) -> TransitionResult:
        command: Command = make(self.tick())
        result = apply_command(self.d, self.state, command, self.ctx)
        self.state = result.state
        self.events.extend(result.events)
        self.effects.extend(result.effects)
        return result

    def types(self) -> list[str]:
        return [e.type for e in self.events]


def pay_and_issue(d: Driver) -> None:
    payment = d.state.payment
    assert payment is not None
    d.apply(
        lambda at: PaymentOrderCreated(
            at=at, actor=SYSTEM, step_id="pago", attempt=payment.attempt, reference="REF1"
        )
    )
    d.apply(
        lambda at: PaymentConfirmed(
            at=at, actor=SYSTEM, reference="REF1", amount_cents=payment.total_cents, currency="MXN"
        )
    )
    d.apply(
        lambda at: DocumentIssued(
            at=at,
            actor=SYSTEM,
            step_id="emision",
            attempt=1,
            document_id="9",
            verification_code="ABC",
        )
    )


def lapse_task_deadline(d: Driver) -> None:
    deadline = next(t for t in d.state.timers.values() if t.kind == "task_deadline")
    d.now = datetime.fromisoformat(deadline.fires_at)
    d.apply(lambda at: TimerFired(at=at, actor=SYSTEM, timer_id=deadline.id))


def payment_of(definition_doc: dict[str, Any], at: datetime | None = None, **values: Any) -> Any:
    """A case of `definition_doc` filed with the example answers (and `values`) and approved:
    waiting for its payment."""
    d = Driver(ProcedureDefinition(definition_doc))
    if at is not None:
        d.now = at
    d.apply(
        lambda at: SubmitStep(
            at=at,
            actor=CITIZEN,
            step_id="datos",
            values={**MINI["example_data"]["datos"], **values},
        )
    )
    d.apply(lambda at: SubmitCase(at=at, actor=CITIZEN, declaration=True))
    (task,) = d.state.open_tasks()
    d.apply(lambda at: Decide(at=at, actor=REVIEWER, task_id=task.id, decision="approve"))
    return d
