"""Numbers as forms send them: parsing, canonical form, the limits fee arithmetic holds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from workflow_engine.templates.field_types.base import (
    InvalidValueError,
    Option,
    OptionProblem,
    min_max,
    not_a_number,
)

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_TEXT = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")

MAX_MAGNITUDE = Decimal(10) ** 15
"""Numbers and amounts a form accepts stay below this size whatever the template's ``max``:
fee and rule arithmetic (34 significant digits) must hold them exactly."""

MIN = Option({"$ref": "#/$defs/decimal_or_number"}, {"es": "Mínimo", "en": "Minimum"})
MAX = Option({"$ref": "#/$defs/decimal_or_number"}, {"es": "Máximo", "en": "Maximum"})


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a number or numeric text (``1,250.50`` allowed); InvalidValueError if not."""
    if isinstance(value, bool):
        raise not_a_number()
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise not_a_number()
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise not_a_number()
        return value
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if len(text) > 40:
            raise not_a_number()
        if _GROUPED_TEXT.match(text):
            text = text.replace(",", "")
        if _DECIMAL_TEXT.match(text):
            return Decimal(text)
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            raise InvalidValueError(
                "not_a_number",
                "use punto decimal, no coma (por ejemplo 12.5).",
                "use a decimal point, not a comma (for example 12.5).",
            )
    raise not_a_number()


def spreadsheet_number(value: Any) -> int | float | None:
    """A stored number or amount as a spreadsheet cell's number (None: not a number)."""
    try:
        number = to_decimal(value)
    except InvalidValueError:
        return None
    if number == number.to_integral_value() and abs(number) < 2**53:
        return int(number)
    return float(number)


def canonical(number: Decimal) -> int | str:
    """An int when whole, else the shortest decimal text (``180.5``)."""
    if number == number.to_integral_value():
        return int(number)
    return format(number.normalize(), "f")


def within_limits(number: Decimal, places: int, money: bool = False) -> None:
    """Refuse what fee and rule arithmetic cannot hold: huge values, too many decimals."""
    if abs(number) >= MAX_MAGNITUDE:
        raise InvalidValueError(
            "too_large",
            "el número es demasiado grande (como máximo 15 cifras antes del punto decimal).",
            "the number is too large (at most 15 digits before the decimal point).",
        )
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        if money:
            raise InvalidValueError(
                "too_many_decimals",
                "escriba el importe con máximo dos decimales (centavos).",
                "enter the amount with at most two decimals (cents).",
            )
        raise InvalidValueError(
            "too_many_decimals",
            f"escriba como máximo {places} decimales.",
            f"enter at most {places} decimal places.",
        )


def bounds(field: Mapping[str, Any], number: Decimal) -> None:
    low, high = field.get("min"), field.get("max")
    if low is not None and number < Decimal(str(low)):
        raise InvalidValueError("too_small", f"el valor mínimo es {low}.", f"the minimum is {low}.")
    if high is not None and number > Decimal(str(high)):
        raise InvalidValueError(
            "too_large", f"el valor máximo es {high}.", f"the maximum is {high}."
        )


def _decimal(raw: Any) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        return None


def bounds_problems(field: Mapping[str, Any]) -> list[OptionProblem]:
    """``min`` above ``max``."""
    low, high = _decimal(field.get("min")), _decimal(field.get("max"))
    if low is not None and high is not None and low > high:
        return [min_max("min", "max")]
    return []
