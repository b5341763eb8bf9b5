"""An amount of money: two decimals, not negative unless the template allows it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, ClassVar

from workflow_engine.money import format_amount
from workflow_engine.templates.field_types._numbers import (
    MAX,
    MIN,
    bounds,
    bounds_problems,
    spreadsheet_number,
    to_decimal,
    within_limits,
)
from workflow_engine.templates.field_types.base import (
    MONEY_PATTERN,
    DocumentFormats,
    Env,
    ExportCell,
    FieldType,
    InvalidValueError,
    Localized,
    Option,
    OptionProblem,
)


class Money(FieldType):
    """An amount in pesos (or balboas), kept as a decimal string with cents."""

    name = "money"
    order = 40
    label: ClassVar[Localized] = {"es": "Importe en dinero", "en": "Money amount"}
    description: ClassVar[Localized] = {
        "es": "Una cantidad de dinero con centavos, como la inversión estimada.",
        "en": "An amount of money with cents, such as the estimated investment.",
    }
    value_kind = "money"
    value_kind_label: ClassVar[Localized] = {
        "es": "cadena decimal con dos decimales",
        "en": "decimal string with two decimals",
    }
    options: ClassVar[Mapping[str, Option]] = {"min": MIN, "max": MAX}
    sample = "15000.00"

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        return bounds_problems(field)

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        if isinstance(value, str):
            value = value.strip().lstrip("$").strip()
        amount = to_decimal(value)
        within_limits(amount, 2, money=True)
        if "min" not in field and amount < 0:
            raise InvalidValueError(
                "too_small",
                "el importe no puede ser negativo.",
                "the amount cannot be negative.",
            )
        bounds(field, amount)
        return str(amount.quantize(Decimal("0.01")))

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "":
            return []
        return [format_amount(value)]

    @classmethod
    def export_cell(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> ExportCell:
        """An amount as a number with two decimals (text if it is none)."""
        text = cls.export_text(field, value, lang, file_url)
        number = spreadsheet_number(value)
        if number is None:
            return ExportCell(text)
        return ExportCell(text, number, "money", MONEY_PATTERN)

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        if isinstance(value, str | int | Decimal):
            return fmt.shown(str(value), fmt.money(value))
        return value
