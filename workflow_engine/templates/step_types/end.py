"""Where a case ends, approved, rejected or cancelled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_engine.templates.step_types.base import Edge, Run, StepType


class EndStep(StepType):
    name = "end"
    label = {"es": "Final", "en": "End"}
    description = {
        "es": "Concluye el expediente con un resultado: aprobado, rechazado o cancelado.",
        "en": "Closes the case with an outcome: approved, rejected or cancelled.",
    }
    properties = {"outcome": {"enum": ["approved", "rejected", "cancelled"]}}
    required = ("outcome",)
    defaults = {"outcome": "approved"}
    events = ("case.closed", "ledger.registration_requested")
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        run.close(str(step["outcome"]), str(step["id"]))
        return None

    @classmethod
    def edges(cls, step: Mapping[str, Any]) -> list[Edge]:
        return []
