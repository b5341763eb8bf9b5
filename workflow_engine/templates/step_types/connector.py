"""A call to another system (cadastre, vehicle registry) whose answer may fill fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_engine.engine import state as case_state
from workflow_engine.jsonable import jsonable
from workflow_engine.templates.step_types.base import TRANSITIONS, Run, StepType


class ConnectorStep(StepType):
    name = "connector"
    label = {"es": "Consulta a otro sistema", "en": "Call to another system"}
    description = {
        "es": "Consulta un sistema externo y guarda su respuesta en campos del trámite.",
        "en": "Queries an external system and stores its answer in fields of the procedure.",
    }
    properties = {
        "connector": {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$"},
        "input": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,62}$"},
            "additionalProperties": {"$ref": "#/$defs/json_logic"},
        },
        "result_map": {
            "type": "object",
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_.]{0,62}$"},
            "additionalProperties": {"$ref": "#/$defs/id"},
        },
        "transitions": TRANSITIONS,
    }
    required = ("connector", "transitions")
    defaults = {"input": {}, "result_map": {}, "transitions": []}
    events = ("connector.requested", "connector.completed", "connector.failed")
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        step_id = str(step["id"])
        attempt = run.next_attempt(step_id)
        inputs = {name: run.eval(expr) for name, expr in step.get("input", {}).items()}
        run.f["status"] = case_state.AWAITING_CONNECTOR
        run.event("connector.requested", step=step_id, connector=step["connector"], attempt=attempt)
        run.effect(
            "connector.call",
            f"connector:{step_id}:{attempt}",
            step_id=step_id,
            attempt=attempt,
            connector=step["connector"],
            input=jsonable(inputs),
        )
        return None
