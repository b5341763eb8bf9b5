"""A form the applicant fills in: the only step where the case waits for the applicant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow_engine.engine import state as case_state
from workflow_engine.templates.step_types.base import (
    APPLICANT_LAPSE,
    TRANSITIONS,
    Edge,
    Run,
    StepType,
    arm_step_deadline,
    lapse_edges,
    transition_edges,
)


class FormStep(StepType):
    name = "form"
    label = {"es": "Formulario", "en": "Form"}
    description = {
        "es": "Preguntas que la persona solicitante contesta y documentos que adjunta.",
        "en": "Questions the applicant answers and documents they attach.",
    }
    properties = {
        "fields": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/field"}},
        "eligibility": {"type": "array", "items": {"$ref": "#/$defs/eligibility_rule"}},
        "transitions": TRANSITIONS,
        **APPLICANT_LAPSE,  # counts only after filing (a form the case comes back to)
    }
    required = ("fields", "transitions")
    defaults = {"fields": [], "transitions": []}
    events = ("step.draft_saved", "step.submitted", "step.deadline_set", "step.lapsed")
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        step_id = str(step["id"])
        if run.f["submitted_at"] is None:
            run.f["status"] = case_state.DRAFT
            if step_id not in run.f["form_path"]:
                run.f["form_path"] = (*run.f["form_path"], step_id)
        else:
            run.f["status"] = case_state.AWAITING_APPLICANT
            run.notify("action_required", step=step_id)
            arm_step_deadline(run, step)
        return None

    @classmethod
    def edges(cls, step: Mapping[str, Any]) -> list[Edge]:
        return transition_edges(step) + lapse_edges(step)
