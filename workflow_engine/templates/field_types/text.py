"""Short text: one line, spaces collapsed, optional length bounds and pattern."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    MAX_LENGTH,
    MIN_LENGTH,
    PATTERN,
    Env,
    FieldType,
    InvalidValueError,
    Localized,
    Option,
    OptionProblem,
    min_max,
    text_of,
    too_long,
)


class Text(FieldType):
    """A one-line text."""

    name = "text"
    order = 10
    label: ClassVar[Localized] = {"es": "Texto corto", "en": "Short text"}
    description: ClassVar[Localized] = {
        "es": "Una línea de texto libre, como un nombre o una razón social.",
        "en": "One line of free text, such as a name or a company name.",
    }
    options: ClassVar[Mapping[str, Option]] = {
        "min_length": MIN_LENGTH,
        "max_length": MAX_LENGTH,
        "pattern": PATTERN,
    }
    defaults: ClassVar[Mapping[str, Any]] = {"max_length": 500}
    default_max_length = 500
    sample = "Abarrotes La Esperanza"

    @classmethod
    def typed_text(cls, field: Mapping[str, Any], text: str) -> str:
        return " ".join(text.split())

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        out: list[OptionProblem] = []
        low, high = field.get("min_length"), field.get("max_length")
        if low is not None and high is not None and low > high:
            out.append(min_max("min_length", "max_length"))
        if "pattern" in field:
            try:
                re.compile(field["pattern"])
            except re.error as exc:
                out.append(
                    (
                        "invalid_pattern",
                        ".pattern",
                        f"La expresión regular no es válida ({exc}). Corríjala o quítela.",
                        f"The regular expression is not valid ({exc}). Fix or remove it.",
                    )
                )
        return out

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        text = cls.typed_text(field, text_of(value))
        low = field.get("min_length")
        high = cls.max_length(field)
        if low is not None and len(text) < low:
            raise InvalidValueError(
                "too_short",
                f"escriba al menos {low} caracteres.",
                f"enter at least {low} characters.",
            )
        if len(text) > high:
            raise too_long(high, len(text))
        pattern = field.get("pattern")
        if pattern and not re.fullmatch(pattern, text):
            help_ = field.get("help") or {}
            hint_es = f" {help_['es']}" if help_.get("es") else ""
            hint_en = f" {help_.get('en') or help_.get('es')}" if help_ else ""
            raise InvalidValueError(
                "pattern",
                f"el formato no es el esperado.{hint_es}",
                f"the format is not the expected one.{hint_en}",
            )
        return text
