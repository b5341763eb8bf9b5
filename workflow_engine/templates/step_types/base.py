"""The contract every step type fulfils, and what the engine lends a step type while entering it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from workflow_engine.engine.state import TimerState

if TYPE_CHECKING:  # the engine imports the step types, not the other way round
    from datetime import date

    from workflow_engine.engine.definition import ProcedureDefinition
    from workflow_engine.engine.state import TaskState
    from workflow_engine.engine.transition import EngineContext

Localized = Mapping[str, str]

# Properties every step has, whatever its type (the meta-schema's common part).
COMMON_PROPERTIES: dict[str, Any] = {
    "id": {"$ref": "#/$defs/id"},
    "title": {"$ref": "#/$defs/localized"},
    "description": {"$ref": "#/$defs/localized"},
}
TRANSITIONS: dict[str, Any] = {"$ref": "#/$defs/transitions"}
LAPSE: dict[str, Any] = {
    "deadline_days": {"type": "integer", "minimum": 1, "maximum": 365},
    "on_lapse": {"enum": ["afirmativa_ficta", "negativa_ficta", "escalate"]},
    "reminder_days_before": {"type": "integer", "minimum": 0, "maximum": 60},
}

# A step the applicant must finish in time (a form after filing, a payment): after
# `deadline_days` business days the case goes to `lapse_to` (an end step) with `step.lapsed`.
APPLICANT_LAPSE: dict[str, Any] = {
    "deadline_days": {"type": "integer", "minimum": 1, "maximum": 365},
    "lapse_to": {"$ref": "#/$defs/id"},
}


def arm_step_deadline(run: Run, step: Mapping[str, Any]) -> None:
    """Arm the step's own deadline (its `deadline_days`), once per stay in the step: the
    timer fires at the start of the day after the last business day."""
    days = step.get("deadline_days")
    timer_id = f"step:{step['id']}"
    if days is None or timer_id in run.timers:
        return
    due = run.ctx.calendar.add_business_days(run.today, int(days))
    fires_at = run.ctx.start_of_day_utc(due + timedelta(days=1))
    run.timers[timer_id] = TimerState(timer_id, "step_deadline", fires_at, str(step["id"]))
    run.event("step.deadline_set", step=str(step["id"]), due_on=due.isoformat())


@dataclass(frozen=True)
class Edge:
    """One way out of a step, for the flow diagram and references: to which step, on what
    (`next`: a transition; `approve`, `reject`, `return`: a decision; `lapse`: the deadline
    passed) and whether a condition (`when`) decides it."""

    to: str
    kind: str = "next"
    conditional: bool = False


def transition_edges(step: Mapping[str, Any]) -> list[Edge]:
    """The step's transitions, in order (a draft's damaged ones left out)."""
    out = []
    for transition in step.get("transitions") or ():
        if isinstance(transition, Mapping) and isinstance(transition.get("to"), str):
            out.append(Edge(transition["to"], "next", transition.get("when") is not None))
    return out


def lapse_edges(step: Mapping[str, Any]) -> list[Edge]:
    """The end step a lapsed applicant step goes to, if it has one."""
    lapse_to = step.get("lapse_to")
    return [Edge(lapse_to, "lapse")] if isinstance(lapse_to, str) and lapse_to else []


class Run(Protocol):
    """The engine's scratch space for one command, as a step type sees it: it records
    events, effects and state changes; it never performs I/O."""

    d: ProcedureDefinition
    ctx: EngineContext
    f: dict[str, Any]  # the case's fields being changed
    tasks: dict[str, TaskState]
    timers: dict[str, TimerState]
    now: str  # the command's moment, ISO 8601 in UTC
    today: date  # the command's day in the municipality

    def event(self, type_: str, /, **data: Any) -> None: ...

    def effect(self, kind: str, key: str, /, **payload: Any) -> None: ...

    def notify(self, template: str, /, to: str = "applicant", **context: Any) -> None: ...

    def next_attempt(self, key: str) -> int: ...

    def eval(self, expr: Any) -> Any: ...

    def eval_data(self) -> dict[str, Any]: ...

    def next_step(self, step: Mapping[str, Any]) -> str: ...

    def amount_cents(self, expr: Any) -> int: ...

    def department_for(self, branch: Mapping[str, Any]) -> str: ...

    def close(self, outcome: str, step_id: str | None) -> None: ...


class StepType:
    """One kind of step: its schema, its checks, how the engine enters and leaves it, the
    events it makes and what the template editor says about it."""

    name: ClassVar[str]
    label: ClassVar[Localized]  # the editor's name for it
    description: ClassVar[Localized]  # the editor's one-line explanation
    properties: ClassVar[Mapping[str, Any]]  # JSON Schema of its own properties
    required: ClassVar[tuple[str, ...]]
    defaults: ClassVar[Mapping[str, Any]] = {}  # what a new step of this type starts with
    events: ClassVar[tuple[str, ...]] = ()  # event kinds the engine records for it
    waits: ClassVar[bool] = False  # whether the case stops here until something happens

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The meta-schema's `then` branch for this type."""
        props: dict[str, Any] = {"id": True, "type": True, "title": True, "description": True}
        props.update(cls.properties)
        return {"properties": props, "additionalProperties": False, "required": list(cls.required)}

    @classmethod
    def problems(cls, step: Mapping[str, Any], path: str) -> list[tuple[str, str, str, str]]:
        """Semantic problems of one sound step: (code, path, message es, message en)."""
        return []

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        """Record what entering the step does; the step to go on to, or None to wait."""
        raise NotImplementedError

    @classmethod
    def leave(cls, run: Run, step: Mapping[str, Any], outcome: str = "approve") -> str:
        """Where the case goes when this step is done (its first transition that applies)."""
        return run.next_step(step)

    @classmethod
    def edges(cls, step: Mapping[str, Any]) -> list[Edge]:
        """Every way out of this step, in order (a draft's damaged parts left out)."""
        return transition_edges(step)

    @classmethod
    def targets(cls, step: Mapping[str, Any]) -> list[str]:
        """Every step this one can lead to (for graphs and references)."""
        return [edge.to for edge in cls.edges(step)]
