"""A message to the applicant or the department; the case goes straight on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_engine.templates.step_types.base import TRANSITIONS, Run, StepType


class NotifyStep(StepType):
    name = "notify"
    label = {"es": "Aviso", "en": "Notice"}
    description = {
        "es": "Envía un aviso a la persona solicitante o al área y continúa.",
        "en": "Sends a notice to the applicant or the department and goes on.",
    }
    properties = {
        "to": {"enum": ["applicant", "department"]},
        "subject": {"$ref": "#/$defs/localized"},
        "message": {"$ref": "#/$defs/localized"},
        "transitions": TRANSITIONS,
    }
    required = ("to", "subject", "message", "transitions")
    defaults = {"to": "applicant", "transitions": []}
    events = ("notification.requested",)

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        step_id = str(step["id"])
        run.event("notification.requested", step=step_id, to=step.get("to"))
        run.notify(
            "step_notice",
            to=str(step.get("to", "applicant")),
            step=step_id,
            subject=dict(step.get("subject", {})),
            message=dict(step.get("message", {})),
            department=run.d.doc.get("department"),
        )
        return cls.leave(run, step)
