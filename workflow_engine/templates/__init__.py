"""Procedure templates: structural and semantic validation, and checking submitted form data."""

from workflow_engine.templates.digitalization import (
    digitalization_label,
    digitalization_level,
    digitalization_missing,
)
from workflow_engine.templates.fields import FieldError, validate_step_data
from workflow_engine.templates.validation import TemplateProblem, validate_template

__all__ = [
    "FieldError",
    "TemplateProblem",
    "digitalization_label",
    "digitalization_level",
    "digitalization_missing",
    "validate_step_data",
    "validate_template",
]
