"""A yes/no question, kept as a boolean."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    ABSENT,
    Env,
    FieldType,
    FormData,
    InvalidValueError,
    Localized,
)

_YES = frozenset({"yes", "y", "si", "sí", "s", "true", "1", "on"})
_NO = frozenset({"no", "n", "false", "0", "off"})


def yesno_value(raw: Any) -> Any:
    """Radio values "si"/"no" become booleans; anything else goes to the engine as sent."""
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in ("si", "sí"):
            return True
        if text == "no":
            return False
    return raw


class YesNo(FieldType):
    """Sí or No."""

    name = "yesno"
    order = 90
    label: ClassVar[Localized] = {"es": "Sí / No", "en": "Yes / No"}
    description: ClassVar[Localized] = {
        "es": "Una pregunta que se responde con sí o no.",
        "en": "A question answered with yes or no.",
    }
    value_kind = "boolean"
    value_kind_label: ClassVar[Localized] = {"es": "verdadero / falso", "en": "true / false"}
    sample = True

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            text = value.strip().lower()
            if text in _YES:
                return True
            if text in _NO:
                return False
        raise InvalidValueError("invalid_choice", "responda sí o no.", "answer yes or no.")

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = value.strip().lower() in ("si", "sí", "yes", "true", "1")
        if lang.startswith("en"):
            return ["Yes" if value else "No"]
        return ["Sí" if value else "No"]

    @classmethod
    def from_form(cls, form: FormData, name: str) -> Any:
        return yesno_value(form.get(name)) if name in form else ABSENT
