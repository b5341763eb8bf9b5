"""The document the procedure issues (licence, permit, certificate), signed outside the engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_engine.engine import state as case_state
from workflow_engine.templates.step_types.base import TRANSITIONS, Run, StepType


class DocumentStep(StepType):
    name = "document"
    label = {"es": "Documento", "en": "Document"}
    description = {
        "es": "Emite el documento firmado (licencia, permiso, constancia).",
        "en": "Issues the signed document (licence, permit, certificate).",
    }
    properties = {"document": {"$ref": "#/$defs/document"}, "transitions": TRANSITIONS}
    required = ("document", "transitions")
    defaults = {"transitions": []}
    events = ("document.requested", "document.issued")
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        step_id = str(step["id"])
        attempt = run.next_attempt(step_id)
        run.f["status"] = case_state.AWAITING_DOCUMENT
        run.event("document.requested", step=step_id, attempt=attempt)
        run.effect(
            "document.issue", f"document:{step_id}:{attempt}", step_id=step_id, attempt=attempt
        )
        return None
