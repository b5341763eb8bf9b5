"""A number: integer or decimal, optional bounds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types._numbers import (
    MAX,
    MIN,
    bounds,
    bounds_problems,
    canonical,
    spreadsheet_number,
    to_decimal,
    within_limits,
)
from workflow_engine.templates.field_types.base import (
    Env,
    ExportCell,
    FieldType,
    InvalidValueError,
    Localized,
    Option,
    OptionProblem,
)

MAX_DECIMALS = 6


class Number(FieldType):
    """A quantity: an int when whole, else a canonical decimal string."""

    name = "number"
    order = 30
    label: ClassVar[Localized] = {"es": "Número", "en": "Number"}
    description: ClassVar[Localized] = {
        "es": "Una cantidad, como metros cuadrados o número de empleados.",
        "en": "A quantity, such as square metres or number of employees.",
    }
    value_kind = "number"
    value_kind_label: ClassVar[Localized] = {
        "es": "número (entero o cadena decimal)",
        "en": "number (int or decimal string)",
    }
    options: ClassVar[Mapping[str, Option]] = {
        "min": MIN,
        "max": MAX,
        "integer": Option({"type": "boolean"}, {"es": "Solo enteros", "en": "Whole numbers only"}),
    }
    sample = 120

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        return bounds_problems(field)

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        number = to_decimal(value)
        within_limits(number, MAX_DECIMALS)
        if field.get("integer") and number != number.to_integral_value():
            raise InvalidValueError(
                "not_integer",
                "escriba un número entero, sin decimales.",
                "enter a whole number, without decimals.",
            )
        bounds(field, number)
        return canonical(number)

    @classmethod
    def export_cell(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> ExportCell:
        """A number a spreadsheet can add up (text if it is none)."""
        text = cls.export_text(field, value, lang, file_url)
        number = spreadsheet_number(value)
        return ExportCell(text) if number is None else ExportCell(text, number, "number")
