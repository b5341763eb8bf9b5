"""The step-type registry: one class per kind of step, looked up by the `type` of a step."""

from __future__ import annotations

from typing import Any

from workflow_engine.templates.step_types.base import COMMON_PROPERTIES, Run, StepType
from workflow_engine.templates.step_types.connector import ConnectorStep
from workflow_engine.templates.step_types.document import DocumentStep
from workflow_engine.templates.step_types.end import EndStep
from workflow_engine.templates.step_types.form import FormStep
from workflow_engine.templates.step_types.notify import NotifyStep
from workflow_engine.templates.step_types.payment import PaymentStep
from workflow_engine.templates.step_types.review import ApprovalStep, ParallelStep

# In the order the meta-schema lists them (and the editor offers them).
STEP_TYPES: dict[str, type[StepType]] = {
    t.name: t
    for t in (
        FormStep,
        ApprovalStep,
        ParallelStep,
        PaymentStep,
        DocumentStep,
        NotifyStep,
        ConnectorStep,
        EndStep,
    )
}


def get(name: str) -> type[StepType] | None:
    """The class of a step type, or None for a type nobody registered."""
    return STEP_TYPES.get(name)


def step_schema() -> dict[str, Any]:
    """The meta-schema's `$defs.step`, composed from the registry."""
    return {
        "type": "object",
        "required": ["id", "type", "title"],
        "properties": {
            "id": COMMON_PROPERTIES["id"],
            "type": {"enum": list(STEP_TYPES)},
            "title": COMMON_PROPERTIES["title"],
            "description": COMMON_PROPERTIES["description"],
        },
        "allOf": [
            {
                "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                "then": cls.schema(),
            }
            for name, cls in STEP_TYPES.items()
        ],
    }


__all__ = [
    "STEP_TYPES",
    "ApprovalStep",
    "ConnectorStep",
    "DocumentStep",
    "EndStep",
    "FormStep",
    "NotifyStep",
    "ParallelStep",
    "PaymentStep",
    "Run",
    "StepType",
    "get",
    "step_schema",
]
